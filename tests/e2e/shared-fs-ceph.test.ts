// Issue 11: the shared-fs relation against a real CephFS. scripts/ceph-test-cluster.sh starts a single-node cluster
// from Debian's packages (monitor on 127.0.0.1, memstore OSD, MDS); a stand-in cephfs-server-proxy offers its
// endpoint and a secret holding the client key; every unit mounts it through the charm's own mount unit with
// ceph-fuse (this kernel has no ceph client), so each unit is its own Ceph client.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { deployWithPostgres, unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { type FilesystemProvider, offerCephfs, relateFilesystemProvider } from '../../sim/filesystem-provider';
import { SimModel } from '../../sim/model';
import { packedCharm } from '../support/packed-charm';
import { charmConfig, MiB, publishedReleases } from '../support/store-fixtures';

const APP = 'concourse-ci';
const SCRIPT = resolve('scripts/ceph-test-cluster.sh');
const SHARE = '/volumes/concourse';
const FAST = { CONCOURSE_CHARM_LOCK_STALE_MS: '2000', CONCOURSE_CHARM_BODY_IDLE_MS: '1000' };

let server: ReleaseServer;
let clusterDir: string;
let adminMount: string;
let cluster: Record<string, string>;
let sim: SimModel | undefined;

beforeAll(async () => {
  clusterDir = mkdtempSync(join(tmpdir(), 'ceph-e2e-'));
  const port = String(40_000 + Math.floor(Math.random() * 9_000));
  const out = execFileSync('bash', [SCRIPT, 'start', join(clusterDir, 'cluster')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CEPH_TEST_MON_PORT: port },
  });
  cluster = Object.fromEntries(
    out
      .split('\n')
      .filter((l) => /^CEPH_[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  // The operator's own view of the filesystem (client.admin): to prepare the share and look at what units wrote.
  adminMount = join(clusterDir, 'admin');
  mkdirSync(adminMount);
  execFileSync('ceph-fuse', ['--id=admin', `--conf=${cluster.CEPH_CONF}`, adminMount], { stdio: 'ignore' });
  mkdirSync(join(adminMount, SHARE), { recursive: true });
  // A directory quota gives the share a size (df, the charm's free-space check): without a manager the cluster
  // reports no pool usage, so statfs would say 0 bytes.
  quota(256 * MiB);
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 2 * MiB });
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (adminMount !== undefined) execFileSync('umount', [adminMount], { stdio: 'ignore' });
  execFileSync('bash', [SCRIPT, 'stop', join(clusterDir, 'cluster')], { stdio: 'ignore' });
  rmSync(clusterDir, { recursive: true, force: true });
}, 120_000);

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function quota(bytes: number): void {
  execFileSync('setfattr', ['-n', 'ceph.quota.max_bytes', '-v', String(bytes), join(adminMount, SHARE)]);
}

function share(): string {
  return join(adminMount, SHARE);
}

function workloads(s: SimModel): Array<[string, string, string]> {
  return unitsOf(s, APP).map((u) => [u.name, u.workload.kind, u.workload.message]);
}

async function deployOnCeph(units: number, config: Record<string, string | number | boolean>) {
  const s = await SimModel.create({ charm: await packedCharm(), extraEnv: FAST });
  sim = s;
  await deployWithPostgres(s, APP, { units, volume: null, config });
  const provider = await relateFilesystemProvider(s, APP, 'cephfs-server-proxy');
  const secret = await offerCephfs(s, provider, {
    user: cluster.CEPH_CLIENT ?? '',
    monitors: [cluster.CEPH_MON ?? ''],
    path: SHARE,
    fsid: cluster.CEPH_FSID ?? '',
    fsName: cluster.CEPH_FS ?? '',
    key: cluster.CEPH_CLIENT_KEY ?? '',
  });
  return { s, provider, secret };
}

function stagingEntries(volume: string): string[] {
  const dir = join(volume, '.staging');
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('shared-fs with a real CephFS', () => {
  test('3 units, 3 ceph-fuse clients → one download for all; a unit added later reuses it; broken unmounts', async () => {
    const { s, provider } = await deployOnCeph(3, charmConfig(server, { 'shared-storage': 'required' }));
    const before = server.downloads('7.14.2');
    await s.settle();
    for (const [name, kind, message] of workloads(s)) {
      expect([name, kind], message).toEqual([name, 'active']);
      expect(message).toMatch(/ · shared volume 3 units$/);
    }
    expect(server.downloads('7.14.2') - before).toBe(1);
    expect(await publishedReleases(share())).toEqual(['7.14.2']);
    const status = await s.runAction(`${APP}/2`, 'storage-status');
    expect(status.results.mount).toBe('ceph-fuse (fuse.ceph-fuse)');
    expect(status.results['shared-fs']).toMatchObject({
      endpoint: `cephfs://(${cluster.CEPH_MON})${SHARE}`,
      type: 'fuse.ceph',
      client: 'fuse (ceph-fuse)',
    });
    // The key lives only in a root-only keyring on each unit: never in status, logs or the action's output.
    const key = cluster.CEPH_CLIENT_KEY ?? '(none)';
    for (const u of unitsOf(s, APP)) {
      const keyring = s.unitPath(u.name, '/etc/concourse/shared-fs/ceph.keyring');
      expect(statSync(keyring).mode & 0o777).toBe(0o600);
      expect(readFileSync(keyring, 'utf8')).toContain(key);
      expect(s.unitLog(u.name)).not.toContain(key);
      expect(u.workload.message).not.toContain(key);
    }
    expect(JSON.stringify(status.results)).not.toContain(key);

    await s.addUnit(APP);
    await s.settle();
    expect(server.downloads('7.14.2') - before).toBe(1);
    expect(
      workloads(s).every(([, kind, message]) => kind === 'active' && message.endsWith('shared volume 4 units')),
    ).toBe(true);

    await s.removeRelation(provider.relationId);
    await s.settle();
    for (const u of unitsOf(s, APP)) {
      expect(existsSync(s.unitPath(u.name, '/etc/systemd/system/var-lib-concourse.mount'))).toBe(false);
      expect(existsSync(s.unitPath(u.name, '/etc/concourse/shared-fs/ceph.keyring'))).toBe(false);
      expect((await s.runAction(u.name, 'storage-status')).results.mount).toBe(
        "none: a directory on the machine's disk",
      );
    }
    // shared-storage=required: the local directories are not shared, so nothing is downloaded onto them.
    expect(
      workloads(s).every(([, kind, message]) => kind === 'blocked' && message.includes('shared-storage=required')),
    ).toBe(true);
    // The cluster keeps the release for the next client.
    expect(await publishedReleases(share())).toEqual(['7.14.2']);
  });

  test('downloader killed with SIGKILL mid-download → its lock goes stale, another unit takes over, nothing half-published', async () => {
    await server.addRelease({ version: '7.14.3', fillerBytes: 4 * MiB });
    const { s } = await deployOnCeph(2, charmConfig(server));
    await s.settle();
    const before = server.downloads('7.14.3');
    await s.config(APP, { version: '7.14.3' });
    const hook = await s.startHook(`${APP}/0`, 'config-changed', {
      env: { CONCOURSE_CHARM_STOP_AT: 'storage.download.progress' },
    });
    expect(await hook.stoppedAt).toBe('storage.download.progress');
    hook.kill('SIGKILL');
    await hook.done;
    expect(await publishedReleases(share())).not.toContain('7.14.3');
    if (unitsOf(s, APP).find((u) => u.name === `${APP}/0`)?.agent === 'error')
      await s.resolve(`${APP}/0`, { retry: false });
    await s.settle();
    expect(workloads(s).map(([, kind, message]) => [kind, message.split(' ')[0]])).toEqual([
      ['active', 'Web'],
      ['active', 'Worker'],
    ]);
    expect(await publishedReleases(share())).toContain('7.14.3');
    expect(stagingEntries(share())).toEqual([]);
    expect(server.downloads('7.14.3') - before).toBeLessThanOrEqual(2);
  });

  test('the share’s quota too small for the next release → blocked naming the space, nothing half-published', async () => {
    await server.addRelease({ version: '7.14.4', fillerBytes: 4 * MiB });
    const { s } = await deployOnCeph(1, charmConfig(server));
    await s.settle();
    const used = Number(
      execFileSync('getfattr', ['--only-values', '-n', 'ceph.dir.rbytes', share()], { encoding: 'utf8' }),
    );
    quota(used + 16 * MiB);
    try {
      await s.config(APP, { version: '7.14.4' });
      await s.settle();
      const [[, kind, message] = ['', '', '']] = workloads(s);
      expect(kind).toBe('blocked');
      expect(message).toMatch(/^Not enough space on \/var\/lib\/concourse for Concourse 7\.14\.4/);
      expect(await publishedReleases(share())).not.toContain('7.14.4');
      expect(stagingEntries(share())).toEqual([]);
    } finally {
      quota(256 * MiB);
    }
  });

  test('the provider’s secret not granted → blocked saying so, nothing mounted', async () => {
    const s = await SimModel.create({ charm: await packedCharm(), extraEnv: FAST });
    sim = s;
    await deployWithPostgres(s, APP, { units: 1, volume: null, config: charmConfig(server) });
    const provider: FilesystemProvider = await relateFilesystemProvider(s, APP, 'cephfs-server-proxy');
    const secret = await s.addSecret(provider.app, { key: cluster.CEPH_CLIENT_KEY ?? '' }, { label: 'auth' });
    await s.setRelationData(provider.relationId, provider.app, {
      endpoint: `cephfs://${cluster.CEPH_CLIENT}@(${cluster.CEPH_MON})${SHARE}?fsid=${cluster.CEPH_FSID}&name=${cluster.CEPH_FS}&auth=${secret}`,
    });
    await s.settle();
    const [[, kind, message] = ['', '', '']] = workloads(s);
    expect(kind).toBe('blocked');
    expect(message).toContain(
      `The Ceph key from cephfs-server-proxy cannot be read (secret ${secret} not granted or removed)`,
    );
    expect(existsSync(s.unitPath(`${APP}/0`, '/etc/systemd/system/var-lib-concourse.mount'))).toBe(false);
  });
});
