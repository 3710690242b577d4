// The .charm artifact: exactly what a unit runs, with dispatch executable, and metadata Juju accepts.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { parse } from 'yaml';
import yauzl from 'yauzl';

const CHARM = 'concourse-ci-machine_amd64.charm';

interface Entry {
  readonly name: string;
  readonly mode: number;
  readonly data: Buffer;
}

function readZip(path: string): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const entries: Entry[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries.push({
              name: entry.fileName,
              mode: (entry.externalFileAttributes >>> 16) & 0o7777,
              data: Buffer.concat(chunks),
            });
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.readEntry();
    });
  });
}

let entries: Entry[];
const file = (name: string): Buffer => {
  const e = entries.find((x) => x.name === name);
  if (e === undefined) throw new Error(`${name} not in the charm`);
  return e.data;
};

beforeAll(async () => {
  if (!existsSync(CHARM)) execFileSync('npm', ['run', 'pack'], { stdio: 'ignore' });
  entries = await readZip(CHARM);
});

test('charm zip → exactly the files a unit runs', () => {
  expect(entries.map((e) => e.name).sort()).toEqual([
    'actions.yaml',
    'config.yaml',
    'dispatch',
    'dist/charm.cjs',
    'manifest.yaml',
    'metadata.yaml',
    'monitoring/grafana_dashboards/concourse.json',
    'monitoring/prometheus_alert_rules/concourse.rules',
  ]);
});

test('dispatch → stored executable, POSIX sh', () => {
  const dispatch = entries.find((e) => e.name === 'dispatch');
  expect(dispatch?.mode).toBe(0o755);
  expect(file('dispatch').toString().startsWith('#!/bin/sh\n')).toBe(true);
});

test('manifest → ubuntu 24.04 amd64', () => {
  const manifest = parse(file('manifest.yaml').toString());
  expect(manifest.bases).toEqual([{ name: 'ubuntu', channel: '24.04', architectures: ['amd64'] }]);
});

test('metadata → storage, relations and resource the design names', () => {
  const m = parse(file('metadata.yaml').toString());
  expect(m.name).toBe('concourse-ci-machine');
  expect(m.storage['concourse-data']).toMatchObject({ type: 'filesystem', location: '/var/lib/concourse' });
  expect(m.peers.peers.interface).toBeTypeOf('string');
  expect(m.provides.tsa.interface).toBe('concourse-ci_tsa');
  expect(m.provides['metrics-endpoint']).toEqual({ interface: 'prometheus_scrape' });
  expect(m.provides['cos-agent']).toEqual({ interface: 'cos_agent', limit: 1 });
  expect(m.requires.flight.interface).toBe('concourse-ci_tsa');
  expect(m.requires.postgresql).toEqual({ interface: 'postgresql_client', limit: 1 });
  expect(m.resources['concourse-release'].type).toBe('file');
});

test('config → every option typed, with a default and a description', () => {
  const { options } = parse(file('config.yaml').toString());
  for (const key of [
    'mode',
    'version',
    'web-port',
    'external-url',
    'download-url',
    'shared-storage',
    'storage-wait-timeout',
    'keep-releases',
    'worker-work-dir',
    'baggageclaim-driver',
    'containerd-dns-server',
    'log-level',
    'initial-admin-username',
    'github-token',
  ]) {
    expect(options[key], key).toMatchObject({ type: expect.stringMatching(/^(string|int|boolean)$/) });
    expect(options[key].default, key).toBeDefined();
    expect(String(options[key].description).length, key).toBeGreaterThan(20);
  }
});

test('actions → upgrade, rollback, storage-status, get-admin-password, restart-services, land-worker, retire-worker', () => {
  const actions = parse(file('actions.yaml').toString());
  expect(Object.keys(actions).sort()).toEqual([
    'get-admin-password',
    'land-worker',
    'restart-services',
    'retire-worker',
    'rollback',
    'storage-status',
    'upgrade',
  ]);
  expect(actions['restart-services'].params.force.type).toBe('boolean');
  expect(actions.upgrade.params.version.type).toBe('string');
});

test('bundle → one self-contained file: requires only Node built-ins', () => {
  const bundle = file('dist/charm.cjs').toString();
  const required = new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
  const external = [...required].filter((r) => r !== undefined && !r.startsWith('node:') && !isBuiltin(r));
  expect(external).toEqual([]);
});

test('bundle run twice → the second compiles from the code cache the first left, which it keeps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'packed-bundle-'));
  try {
    writeFileSync(join(dir, 'charm.cjs'), file('dist/charm.cjs'));
    const cacheDir = join(dir, 'code-cache');
    // No Juju environment: the charm refuses to run the hook, after the loader compiled and ran it.
    const run = () =>
      spawnSync(process.execPath, [join(dir, 'charm.cjs')], {
        env: { PATH: process.env.PATH, CONCOURSE_CHARM_CODE_CACHE_DIR: cacheDir },
        encoding: 'utf8',
      });
    const first = run();
    expect([first.status, first.stderr]).toEqual([
      1,
      'concourse-ci-machine: JUJU_DISPATCH_PATH "" is not a hook or an action\n',
    ]);
    const [name, ...others] = readdirSync(cacheDir);
    expect(others).toEqual([]);
    expect(name).toMatch(new RegExp(`^[0-9a-f]{32}-${process.version}-${process.arch}\\.v8cache$`));
    const written = statSync(join(cacheDir, name ?? ''));
    const second = run();
    expect([second.status, second.stderr]).toEqual([first.status, first.stderr]);
    // Replaced only when unusable (a new file renamed into place): the same inode means V8 accepted it.
    expect(statSync(join(cacheDir, name ?? '')).ino).toBe(written.ino);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function isBuiltin(name: string): boolean {
  return builtinModules.includes(name.split('/')[0] ?? name);
}
