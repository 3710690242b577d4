import { describe, expect, test } from 'vitest';
import {
  KEY_FILES,
  renderWebService,
  renderWorkerService,
  WEB_ENV_FILE,
  WEB_UNIT_FILE,
  type WebServiceInput,
  WORKER_ENV_FILE,
  WORKER_UNIT_FILE,
  type WorkerServiceInput,
} from '../../src/domain/concourse-services';
import { parseUnitName } from '../../src/domain/hook-event';
import { quoteEnvValue, renderEnvFile, ServiceConfigProblem } from '../../src/domain/service-values';
import { ConcourseVersion } from '../../src/domain/version';
import { workerLayout } from '../../src/domain/worker-layout';

const version = ConcourseVersion.parse('7.14.2');
const VOLUME_ID = '2f1c3a9e-5b7d-4c1e-9a0b-1c2d3e4f5a6b';
const web = (over: Partial<WebServiceInput> = {}): WebServiceInput => ({
  volumeRoot: '/var/lib/concourse',
  volumeId: VOLUME_ID,
  version,
  webPort: 8080,
  externalUrl: 'http://10.0.0.5:8080',
  peerAddress: '10.0.0.5',
  tsaPort: 2222,
  postgres: { host: '10.0.0.9', port: 5432, user: 'relation_7', password: 's3cr3t-pw', database: 'concourse' },
  admin: { username: 'admin', password: 'adminpw' },
  ...over,
});
const layout = workerLayout({
  unit: parseUnitName('concourse-ci/1'),
  volumeRoot: '/var/lib/concourse',
  volumeIsNetworkFilesystem: true,
  workDirOverride: undefined,
});
const worker = (over: Partial<WorkerServiceInput> = {}): WorkerServiceInput => ({
  volumeRoot: '/var/lib/concourse',
  volumeId: VOLUME_ID,
  version,
  layout,
  tsa: [{ host: '10.0.0.5', port: 2222 }],
  ...over,
});

/** systemd's EnvironmentFile= reading of our lines (env-file.c, double-quoted values): the reference for round trips. */
function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z_][A-Z0-9_]*)="((?:[^"\\]|\\.)*)"$/.exec(line);
    if (m === null || m[1] === undefined || m[2] === undefined) throw new Error(`unparsable line ${line}`);
    out[m[1]] = m[2].replace(/\\(.)/g, (all, c: string) => ('"\\`$'.includes(c) ? c : all));
  }
  return out;
}

const directives = (unit: string, key: string): string[] =>
  unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

describe('web service', () => {
  const rendered = renderWebService(web());
  const unit = rendered.unitFile.content;

  test('unit → runs `concourse web` from the immutable release, never current/ or bin/', () => {
    expect(rendered.name).toBe('concourse-server.service');
    expect(directives(unit, 'ExecStart')).toEqual(['/var/lib/concourse/releases/7.14.2/bin/concourse web']);
    expect(unit).not.toContain('/var/lib/concourse/current');
    expect(unit).not.toContain('/var/lib/concourse/bin/');
  });

  test('unit → user concourse with only CAP_NET_BIND_SERVICE, so a web-port below 1024 works', () => {
    expect(directives(unit, 'User')).toEqual(['concourse']);
    expect(directives(unit, 'AmbientCapabilities')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(directives(unit, 'CapabilityBoundingSet')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(directives(unit, 'NoNewPrivileges')).toEqual(['yes']);
  });

  test('unit → env file under /etc, restarts on failure, SIGHUP reloads worker keys, starts at boot', () => {
    expect(directives(unit, 'EnvironmentFile')).toEqual(['/etc/concourse/web.env']);
    expect(directives(unit, 'Restart')).toEqual(['on-failure']);
    expect(directives(unit, 'ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(directives(unit, 'After')).toEqual(['network-online.target']);
    expect(directives(unit, 'WantedBy')).toEqual(['multi-user.target']);
    expect(rendered.unitFile).toMatchObject({ path: WEB_UNIT_FILE, mode: 0o644, owner: 'root', group: 'root' });
  });

  test('env file → every setting web needs, keys by path, 0640 root:concourse', () => {
    expect(rendered.envFile).toMatchObject({ path: WEB_ENV_FILE, mode: 0o640, owner: 'root', group: 'concourse' });
    expect(parseEnvFile(rendered.envFile.content)).toEqual({
      CONCOURSE_BIND_PORT: '8080',
      CONCOURSE_EXTERNAL_URL: 'http://10.0.0.5:8080',
      CONCOURSE_PEER_ADDRESS: '10.0.0.5',
      CONCOURSE_POSTGRES_HOST: '10.0.0.9',
      CONCOURSE_POSTGRES_PORT: '5432',
      CONCOURSE_POSTGRES_USER: 'relation_7',
      CONCOURSE_POSTGRES_PASSWORD: 's3cr3t-pw',
      CONCOURSE_POSTGRES_DATABASE: 'concourse',
      CONCOURSE_SESSION_SIGNING_KEY: '/etc/concourse/keys/session_signing_key',
      CONCOURSE_TSA_HOST_KEY: '/etc/concourse/keys/tsa_host_key',
      CONCOURSE_TSA_AUTHORIZED_KEYS: '/etc/concourse/keys/authorized_worker_keys',
      CONCOURSE_TSA_BIND_PORT: '2222',
      CONCOURSE_ADD_LOCAL_USER: 'admin:adminpw',
      CONCOURSE_MAIN_TEAM_LOCAL_USER: 'admin',
    });
  });

  test('password → only in the env file, never in the unit', () => {
    expect(unit).not.toContain('s3cr3t-pw');
    expect(unit).not.toContain('adminpw');
  });

  test('same input twice → byte-identical files (nothing to restart)', () => {
    expect(renderWebService(web())).toEqual(rendered);
  });

  test('another version → only the unit changes; another port → only the env file', () => {
    const upgraded = renderWebService(web({ version: ConcourseVersion.parse('7.14.3') }));
    expect(upgraded.unitFile.content).toContain('/releases/7.14.3/bin/concourse web');
    expect(upgraded.envFile).toEqual(rendered.envFile);
    const moved = renderWebService(web({ webPort: 80 }));
    expect(moved.unitFile).toEqual(rendered.unitFile);
    expect(parseEnvFile(moved.envFile.content).CONCOURSE_BIND_PORT).toBe('80');
  });

  test('IPv6 database host → accepted, brackets removed', () => {
    const env = parseEnvFile(
      renderWebService(web({ postgres: { ...web().postgres, host: '[fd00::9]' } })).envFile.content,
    );
    expect(env.CONCOURSE_POSTGRES_HOST).toBe('fd00::9');
  });

  test.each<[string, Partial<WebServiceInput>, RegExp]>([
    ['web-port 70000', { webPort: 70000 }, /Invalid web-port 70000/],
    ['web-port equal to the TSA port', { webPort: 2222 }, /web-port 2222 is the TSA port/],
    ['external-url with file:', { externalUrl: 'file:///etc/passwd' }, /Invalid external-url/],
    ['external-url with a space', { externalUrl: 'http://a b/' }, /Invalid external-url/],
    ['database host with a shell command', { postgres: { ...web().postgres, host: 'db;reboot' } }, /PostgreSQL host/],
    ['database host with a line break', { postgres: { ...web().postgres, host: 'db\nX=1' } }, /PostgreSQL host/],
    ['database port 0', { postgres: { ...web().postgres, port: 0 } }, /PostgreSQL port 0/],
    ['empty database name', { postgres: { ...web().postgres, database: '' } }, /PostgreSQL database/],
    ['admin name with a colon', { admin: { username: 'a:b', password: 'x' } }, /initial-admin-username/],
    ['admin password with a comma', { admin: { username: 'admin', password: 'p,evil:x' } }, /admin password/],
    ['storage location with a space', { volumeRoot: '/var/lib/con course' }, /storage location/],
    ['storage location with a systemd specifier', { volumeRoot: '/var/lib/%h' }, /storage location/],
    ['storage location with ..', { volumeRoot: '/var/lib/../etc' }, /storage location/],
    ['relative storage location', { volumeRoot: 'var/lib/concourse' }, /storage location/],
  ])('%s → blocked naming the field', (_, over, message) => {
    expect(() => renderWebService(web(over))).toThrow(ServiceConfigProblem);
    expect(() => renderWebService(web(over))).toThrow(message);
  });

  test('rejected password → the message names the field, never the value', () => {
    const secret = 'p,TOPSECRET';
    expect(() => renderWebService(web({ admin: { username: 'admin', password: secret } }))).toThrow(
      expect.objectContaining({ status: 'blocked', message: expect.not.stringContaining('TOPSECRET') }),
    );
  });

  test('database password with a line break → refused, not written, secret not echoed', () => {
    const over = { postgres: { ...web().postgres, password: 'pw\nCONCOURSE_MAIN_TEAM_LOCAL_USER=mallory' } };
    expect(() => renderWebService(web(over))).toThrow(/CONCOURSE_POSTGRES_PASSWORD.*line break/);
    expect(() => renderWebService(web(over))).not.toThrow(/mallory/);
  });
});

describe('worker service', () => {
  const rendered = renderWorkerService(worker());
  const unit = rendered.unitFile.content;
  const release = '/var/lib/concourse/releases/7.14.2';

  test('unit → runs `concourse worker` as root from the immutable release', () => {
    expect(rendered.name).toBe('concourse-worker.service');
    expect(directives(unit, 'ExecStart')).toEqual([`${release}/bin/concourse worker`]);
    expect(directives(unit, 'User')).toEqual(['root']);
    expect(directives(unit, 'EnvironmentFile')).toEqual(['/etc/concourse/worker.env']);
    expect(rendered.unitFile).toMatchObject({ path: WORKER_UNIT_FILE, mode: 0o644, owner: 'root', group: 'root' });
  });

  test('unit → containerd and its helpers from the same release, cgroups delegated, leftovers killed on stop', () => {
    expect(directives(unit, 'Environment')).toEqual([
      `PATH=${release}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      `CONCOURSE_CONTAINERD_BIN=${release}/bin/containerd`,
      `CONCOURSE_CONTAINERD_INIT_BIN=${release}/bin/init`,
      `CONCOURSE_CONTAINERD_CNI_PLUGINS_DIR=${release}/bin`,
      `CONCOURSE_RESOURCE_TYPES=${release}/resource-types`,
    ]);
    expect(directives(unit, 'Delegate')).toEqual(['yes']);
    expect(directives(unit, 'KillMode')).toEqual(['mixed']);
    expect(directives(unit, 'After')).toEqual(['network-online.target concourse-server.service']);
    expect(directives(unit, 'WantedBy')).toEqual(['multi-user.target']);
  });

  test('env file → name, work dir from WorkerLayout, TSA and key paths, containerd runtime; 0600 root', () => {
    expect(rendered.envFile).toMatchObject({ path: WORKER_ENV_FILE, mode: 0o600, owner: 'root', group: 'root' });
    expect(parseEnvFile(rendered.envFile.content)).toEqual({
      CONCOURSE_NAME: 'concourse-ci-1',
      CONCOURSE_WORK_DIR: '/var/lib/concourse-worker/concourse-ci-1/work_dir',
      CONCOURSE_RUNTIME: 'containerd',
      CONCOURSE_TSA_HOST: '10.0.0.5:2222',
      CONCOURSE_TSA_PUBLIC_KEY: KEY_FILES.workerTsaPublicKeys,
      CONCOURSE_TSA_WORKER_PRIVATE_KEY: KEY_FILES.workerPrivateKey,
    });
  });

  test('several web units in any order, repeated → one sorted list, the same file every time', () => {
    const a = { host: '10.0.0.7', port: 2222 };
    const b = { host: '10.0.0.5', port: 2222 };
    const v6 = { host: 'fd00::5', port: 2222 };
    const one = renderWorkerService(worker({ tsa: [a, b, v6, a] }));
    const two = renderWorkerService(worker({ tsa: [v6, b, a] }));
    expect(one).toEqual(two);
    expect(parseEnvFile(one.envFile.content).CONCOURSE_TSA_HOST).toBe('10.0.0.5:2222,10.0.0.7:2222,[fd00::5]:2222');
  });

  test('no web unit to register with → waiting, not blocked', () => {
    expect(() => renderWorkerService(worker({ tsa: [] }))).toThrow(
      expect.objectContaining({ name: 'ServiceConfigProblem', status: 'waiting' }),
    );
  });

  test.each<[string, Partial<WorkerServiceInput>, RegExp]>([
    [
      'TSA host from relation data with a newline',
      { tsa: [{ host: '10.0.0.5\nCONCOURSE_X=1', port: 2222 }] },
      /TSA host/,
    ],
    ['TSA host with a comma', { tsa: [{ host: 'a,b', port: 2222 }] }, /TSA host/],
    ['TSA port 65536', { tsa: [{ host: 'web', port: 65536 }] }, /TSA port 65536/],
    ['work dir with a space', { layout: { ...layout, workDir: '/srv/my work' } }, /worker-work-dir/],
  ])('%s → blocked naming the field', (_, over, message) => {
    expect(() => renderWorkerService(worker(over))).toThrow(message);
  });
});

describe('env file syntax', () => {
  test.each([
    ['plain', 'abc'],
    ['double quote', 'a"b'],
    ['a quote that would close the value and add a variable', 'x" CONCOURSE_EVIL="1'],
    ['backslash', 'a\\b'],
    ['trailing backslash (would escape the closing quote)', 'abc\\'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${PATH}` is the point: it must not expand.
    ['dollar and braces (no expansion)', '$HOME ${PATH}'],
    ['backtick', '`id`'],
    ['single quotes', "it's"],
    ['spaces at both ends', '  padded  '],
    ['comment and semicolon characters', '# not a comment; really'],
    ['empty', ''],
    ['non-ASCII', 'pässwörd✓'],
  ])('%s → one line that reads back as the same value', (_, value) => {
    const text = renderEnvFile([['CONCOURSE_X', value]]);
    const body = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(body).toHaveLength(1);
    expect(parseEnvFile(text)).toEqual({ CONCOURSE_X: value });
  });

  test.each([
    ['line feed', 'a\nB=1'],
    ['carriage return', 'a\rB=1'],
    ['NUL', 'a\0b'],
    ['tab', 'a\tb'],
    ['escape sequence', 'a\u001b[2J'],
    ['DEL', 'a\u007f'],
    ['C1 next-line', 'a\u0085b'],
    ['lone surrogate', 'a\ud800b'],
  ])('%s → refused', (_, value) => {
    expect(() => quoteEnvValue('CONCOURSE_X', value)).toThrow(ServiceConfigProblem);
  });

  test('invalid or repeated variable name → a bug, refused', () => {
    expect(() => renderEnvFile([['concourse-x', 'v']])).toThrow(RangeError);
    expect(() => renderEnvFile([['A=B', 'v']])).toThrow(RangeError);
    expect(() =>
      renderEnvFile([
        ['CONCOURSE_X', 'v'],
        ['CONCOURSE_X', 'w'],
      ]),
    ).toThrow(RangeError);
  });
});
