// Adapter-level check of the domain's rendering against the real systemd tools: the unit files pass
// `systemd-analyze verify` without a single warning, and systemd's own env-file parser reads back every value.

import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RenderedService, renderWebService, renderWorkerService } from '../../src/domain/concourse-services';
import { parseUnitName } from '../../src/domain/hook-event';
import { renderEnvFile } from '../../src/domain/service-values';
import { parseFilesystemEndpoint } from '../../src/domain/shared-fs-endpoint';
import { type MountClient, mountSpec, mountUnitName, renderMountFiles } from '../../src/domain/shared-fs-mount';
import { ConcourseVersion } from '../../src/domain/version';
import { workerLayout } from '../../src/domain/worker-layout';

interface Run {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { encoding: 'utf8', env: env ?? process.env }, (err, stdout, stderr) => {
      if (err === null) resolve({ exitCode: 0, stdout, stderr });
      else if (typeof err.code === 'number') resolve({ exitCode: err.code, stdout, stderr });
      else reject(err);
    });
  });
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find(executable);
// systemd's environment.d generator parses with the same code as EnvironmentFile= (env-file.c), then expands `$VAR`.
const ENV_GENERATOR = [
  '/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator',
  '/lib/systemd/user-environment-generators/30-systemd-environment-d-generator',
].find(executable);

const version = ConcourseVersion.parse('7.14.2');
let dir: string;
let volumeRoot: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'systemd-verify-'));
  volumeRoot = join(dir, 'volume');
  // A release tree as the store publishes it: verify checks that ExecStart= names an executable file.
  const bin = join(volumeRoot, 'releases', version.toString(), 'bin');
  await mkdir(bin, { recursive: true });
  for (const name of ['concourse', 'containerd', 'init']) {
    await writeFile(join(bin, name), '#!/bin/sh\nexit 0\n');
    await chmod(join(bin, name), 0o755);
  }
  await mkdir(join(volumeRoot, 'releases', version.toString(), 'resource-types'));
  await mkdir(join(dir, 'units'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function webService(root: string, over: { password?: string } = {}): RenderedService {
  return renderWebService({
    volumeRoot: root,
    volumeId: '2f1c3a9e-5b7d-4c1e-9a0b-1c2d3e4f5a6b',
    version,
    webPort: 80,
    externalUrl: 'http://10.0.0.5',
    peerAddress: '10.0.0.5',
    tsaPort: 2222,
    postgres: {
      host: '10.0.0.9',
      port: 5432,
      user: 'relation_7',
      password: over.password ?? 'pw',
      database: 'concourse',
    },
    admin: { username: 'admin', password: 'adminpw' },
  });
}

function workerService(root: string): RenderedService {
  return renderWorkerService({
    volumeRoot: root,
    volumeId: '2f1c3a9e-5b7d-4c1e-9a0b-1c2d3e4f5a6b',
    version,
    layout: workerLayout({
      unit: parseUnitName('concourse-ci/1'),
      volumeRoot: root,
      volumeIsNetworkFilesystem: false,
      workDirOverride: undefined,
    }),
    tsa: [{ host: '127.0.0.1', port: 2222 }],
  });
}

async function verify(service: RenderedService): Promise<Run> {
  if (SYSTEMD_ANALYZE === undefined) throw new Error('unreachable: suite is skipped without systemd-analyze');
  // The file name must be the unit name: verify derives the unit's name and type from it.
  const path = join(dir, 'units', service.name);
  await writeFile(path, service.unitFile.content);
  return run(SYSTEMD_ANALYZE, ['verify', path]);
}

// `User=concourse` need not exist: systemd-analyze verify (checked with systemd 252) does not resolve users, so no
// user is created; a systemd that started warning about it would fail this test, which is the point.
describe.skipIf(SYSTEMD_ANALYZE === undefined)(
  'systemd-analyze verify (skipped: systemd-analyze not installed)',
  () => {
    test.each([
      ['web', () => webService(volumeRoot)],
      ['worker', () => workerService(volumeRoot)],
    ])('%s unit → exit 0 and no warning', async (_, render) => {
      const result = await verify(render());
      expect({ exitCode: result.exitCode, stderr: result.stderr.trim(), stdout: result.stdout.trim() }).toEqual({
        exitCode: 0,
        stderr: '',
        stdout: '',
      });
    });

    test('release not on the volume → verify fails (the check can fail)', async () => {
      const result = await verify(webService(join(dir, 'empty-volume')));
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(/is not executable/);
    });
  },
);

// The mount unit for a shared-fs relation: systemd checks that the file name is the one it derives from Where=,
// so a wrong escaping fails here.
describe.skipIf(SYSTEMD_ANALYZE === undefined)('shared-fs mount unit (skipped: systemd-analyze not installed)', () => {
  const FSID = '0b1c5d2e-8f3a-4c6b-9d7e-1a2b3c4d5e6f';
  const KEY = 'AQBq3XRlAAAAABAAtLb7IgkqcS7VTBP1o4QxVw==';
  const endpoints = {
    nfs: ['nfs://(10.0.0.5:2049)/srv/concourse', 'nfs-kernel'],
    'cephfs kernel': [`cephfs://u@(10.0.0.1,10.0.0.2)/v?fsid=${FSID}&name=fs&auth=plain:${KEY}`, 'ceph-kernel'],
    'ceph-fuse': [`cephfs://u@(10.0.0.1)/v?fsid=${FSID}&name=fs&auth=plain:${KEY}`, 'ceph-fuse'],
  } as const;
  async function verifyMount(where: string, nameFor: string, uri: string, client: MountClient): Promise<Run> {
    if (SYSTEMD_ANALYZE === undefined) throw new Error('unreachable');
    const fs = parseFilesystemEndpoint(uri, 'p');
    const unit = renderMountFiles(fs, mountSpec(fs, client), where, KEY).find((f) => f.path.endsWith('.mount'));
    const path = join(dir, 'units', mountUnitName(nameFor));
    await writeFile(path, unit?.content ?? '');
    return run(SYSTEMD_ANALYZE, ['verify', path]);
  }
  test.each(Object.entries(endpoints))('%s → exit 0 and no warning', async (_, [uri, client]) => {
    const result = await verifyMount('/var/lib/concourse', '/var/lib/concourse', uri, client);
    expect({ exitCode: result.exitCode, stderr: result.stderr.trim() }).toEqual({ exitCode: 0, stderr: '' });
  });
  test('unit file named for another path → verify fails (the check can fail)', async () => {
    const result = await verifyMount('/var/lib/concourse', '/var/lib/other', endpoints.nfs[0], 'nfs-kernel');
    expect(result.stderr).toMatch(/Where= setting doesn't match unit name/);
  });
});

/** The generator prints `KEY=value`, shell-quoted when needed: double quotes with `"\`$` backslash-escaped. */
function parseGeneratorOutput(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m === null || m[1] === undefined || m[2] === undefined) continue;
    const raw = m[2];
    const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(raw);
    out[m[1]] = quoted?.[1] === undefined ? raw : quoted[1].replace(/\\(["\\`$])/g, '$1');
  }
  return out;
}

describe.skipIf(ENV_GENERATOR === undefined)(
  "systemd's env-file parser (skipped: environment.d generator missing)",
  () => {
    // `$` is left out here only: the generator expands variables after parsing, EnvironmentFile= does not.
    const values: Record<string, string> = {
      CONCOURSE_PLAIN: 'abc',
      CONCOURSE_QUOTE: 'a"b',
      CONCOURSE_BREAKOUT: 'x" CONCOURSE_EVIL="1',
      CONCOURSE_BACKSLASH: 'a\\b',
      CONCOURSE_TRAILING_BACKSLASH: 'abc\\',
      CONCOURSE_BACKTICK: '`id`',
      CONCOURSE_SINGLE: "it's",
      CONCOURSE_PADDED: '  padded  ',
      CONCOURSE_COMMENTISH: '# not; a comment',
      CONCOURSE_UNICODE: 'pässwörd✓',
    };

    test('hostile but legal values → read back unchanged, and no variable injected', async () => {
      const home = join(dir, 'xdg');
      await mkdir(join(home, 'environment.d'), { recursive: true });
      await writeFile(join(home, 'environment.d', '50-concourse.conf'), renderEnvFile(Object.entries(values)));
      const result = await run(ENV_GENERATOR ?? '', [], { XDG_CONFIG_HOME: home, HOME: home, PATH: '/usr/bin:/bin' });
      expect(result.exitCode).toBe(0);
      const parsed = parseGeneratorOutput(result.stdout);
      const ours = Object.fromEntries(Object.entries(parsed).filter(([key]) => key.startsWith('CONCOURSE_')));
      expect(ours).toEqual(values);
    });

    test('rendered web env file → every variable as rendered, password included', async () => {
      const home = join(dir, 'xdg-web');
      await mkdir(join(home, 'environment.d'), { recursive: true });
      const web = webService(volumeRoot, { password: 'p"w\\d`x' });
      await writeFile(join(home, 'environment.d', '50-web.conf'), web.envFile.content);
      const result = await run(ENV_GENERATOR ?? '', [], { XDG_CONFIG_HOME: home, HOME: home, PATH: '/usr/bin:/bin' });
      const parsed = parseGeneratorOutput(result.stdout);
      expect(parsed.CONCOURSE_POSTGRES_PASSWORD).toBe('p"w\\d`x');
      expect(parsed.CONCOURSE_BIND_PORT).toBe('80');
      expect(parsed.CONCOURSE_TSA_AUTHORIZED_KEYS).toBe('/etc/concourse/keys/authorized_worker_keys');
    });
  },
);
