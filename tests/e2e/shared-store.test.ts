// Issue: one verified download per version, whatever the number of units starting at once on one volume, on a local
// bind and on a real network filesystem (sshfs); reuse by late units; the offline resource; sharing modes.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BindVolume } from '../../sim/bind-volume';
import { deployWithPostgres, unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { SimModel } from '../../sim/model';
import { SshfsVolume } from '../../sim/sshfs-volume';
import { packedCharm } from '../support/packed-charm';
import { charmConfig, diskBytes, MiB, publishedReleases, stagingEntries } from '../support/store-fixtures';

let server: ReleaseServer;
/** Bytes one unit alone puts on its volume: the yardstick for "within 1.05x of a single-unit deployment". */
let singleUnitBytes: number;

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 16 * MiB });
  const sim = await SimModel.create({ charm: await packedCharm() });
  try {
    await deployWithPostgres(sim, 'concourse-ci', { units: 1, config: charmConfig(server) });
    await sim.settle();
    singleUnitBytes = diskBytes(sim.volumeHostPath('concourse-ci/0'));
  } finally {
    await sim.close();
  }
});
afterAll(async () => server?.close());

/** Deploys `units` units whose first hooks really run at the same time (the simulator's cap raised to match). */
async function deployTogether(units: number, volume?: BindVolume | SshfsVolume) {
  const before = server.downloads('7.14.2');
  const sim = await SimModel.create({ charm: await packedCharm(), maxParallelHooks: units });
  await deployWithPostgres(sim, 'concourse-ci', { units, config: charmConfig(server), ...(volume ? { volume } : {}) });
  await sim.settle({ maxRounds: 400 });
  return { sim, downloads: server.downloads('7.14.2') - before };
}

/**
 * Every unit active on one published release: seen from inside each unit (as `juju exec` would), the compatibility
 * path resolves into the same release, and on the volume itself that release is one set of files.
 */
async function expectOneStore(sim: SimModel, units: number, downloads: number, volumePath: string): Promise<void> {
  const status = unitsOf(sim, 'concourse-ci');
  expect(status).toHaveLength(units);
  for (const u of status) {
    expect(u.workload, u.name).toEqual({
      kind: 'active',
      message: expect.stringMatching(new RegExp(`ready \\(v7\\.14\\.2\\).* · shared volume ${units} units$`)),
    });
  }
  expect(downloads).toBe(1);
  expect(sim.debugLog().filter((l) => l.includes('storage.published'))).toHaveLength(1);
  const resolved = await Promise.all(
    status.map(async (u) =>
      (await sim.exec(u.name, ['readlink', '-f', '/var/lib/concourse/bin/concourse'])).stdout.trim(),
    ),
  );
  expect(new Set(resolved)).toEqual(new Set(['/var/lib/concourse/releases/7.14.2/bin/concourse']));
  // Inode numbers are only comparable on one filesystem view: the volume as its host (or export) sees it.
  expect(statSync(join(volumePath, 'releases/7.14.2/bin/concourse')).nlink).toBe(1);
  expect(stagingEntries(volumePath)).toEqual([]);
}

// 20 units run about 1,400 hooks on 2 cores: a bound for a hang, not a speed target (speed lives in `npm run bench`).
const SETTLE_BOUND_MS = (units: number) => Math.max(240_000, units * 30_000);

// Three units racing on one volume is plan.md's scenario 1 (tests/scenarios); here the count the simulator can push.
describe.each([20])('%i units started at once on one local volume', (units) => {
  let sim: SimModel;
  let downloads: number;
  beforeAll(async () => {
    ({ sim, downloads } = await deployTogether(units));
  }, SETTLE_BOUND_MS(units));
  afterAll(async () => sim?.close());

  test('one download, every unit active on the same release', async () => {
    await expectOneStore(sim, units, downloads, sim.volumeHostPath('concourse-ci/0'));
  });

  test('every unit ran its install hook at the same moment as the others', () => {
    expect(sim.peakRunningHooks('install')).toBe(units);
  });

  test(
    'config changed on every unit at once, twice → every hook succeeds, no further download',
    async () => {
      const before = server.downloads('7.14.2');
      for (const level of ['debug', 'info']) {
        await sim.config('concourse-ci', { 'log-level': level });
        await sim.settle({ maxRounds: 400 });
      }
      expect(unitsOf(sim, 'concourse-ci').every((u) => u.agent === 'idle' && u.workload.kind === 'active')).toBe(true);
      expect(server.downloads('7.14.2')).toBe(before);
      expect(await publishedReleases(sim.volumeHostPath('concourse-ci/0'))).toEqual(['7.14.2']);
    },
    SETTLE_BOUND_MS(units),
  );

  test('volume bytes within 1.05x of a single-unit deployment; work dirs per unit on the volume', async () => {
    const volume = sim.volumeHostPath('concourse-ci/0');
    const state = JSON.parse(readFileSync(join(volume, 'worker/concourse-ci-1/state.json'), 'utf8'));
    expect(state.workDir).toBe('/var/lib/concourse/worker/concourse-ci-1/work_dir');
    expect(await publishedReleases(volume)).toEqual(['7.14.2']);
    expect(diskBytes(volume)).toBeLessThanOrEqual(singleUnitBytes * 1.05);
  });
});

describe('3 units on one sshfs export, one mount per unit', () => {
  let sim: SimModel;
  let downloads: number;
  let volume: SshfsVolume;
  beforeAll(async () => {
    volume = new SshfsVolume('concourse-data', { cacheTimeoutSeconds: 5 });
    ({ sim, downloads } = await deployTogether(3, volume));
  });
  afterAll(async () => {
    await sim?.close();
    await volume?.close();
  });

  test('one download, every unit active on the same release, the worker dir kept off the network filesystem', async () => {
    await expectOneStore(sim, 3, downloads, volume.exportPath ?? '');
    expect(await publishedReleases(volume.exportPath ?? '')).toEqual(['7.14.2']);
    const mounts = new Set(unitsOf(sim, 'concourse-ci').map((u) => sim.volumeHostPath(u.name)));
    expect(mounts.size).toBe(3);
    const state = JSON.parse(readFileSync(join(volume.exportPath ?? '', 'worker/concourse-ci-1/state.json'), 'utf8'));
    expect(state.workDir).toBe('/var/lib/concourse-worker/concourse-ci-1/work_dir');
  });

  // That it takes no lock is proved by the lock's own record in tests/hooks/reconcile.test.ts.
  test('unit added later → reuses the release through its own mount, no download', async () => {
    const before = server.downloads('7.14.2');
    const [added = ''] = await sim.addUnit('concourse-ci');
    await sim.settle({ maxRounds: 400 });
    expect(server.downloads('7.14.2')).toBe(before);
    const log = sim.debugLog({ unit: added }).join('\n');
    expect(log).toMatch(/storage\.reuse/);
    expect(unitsOf(sim, 'concourse-ci').find((u) => u.name === added)?.workload.message).toMatch(
      /shared volume 4 units$/,
    );
  });
});

/**
 * The waiters' sshfs mounts cache the lock directory's attributes for 20 s (the default), longer than the stale
 * window set here, so the mtime they see is older than stale while the holder, alive, refreshes it: what a client
 * sees of a holder starved for longer than the production window. Judged by that cached mtime, waiters took the lock
 * over from the live downloader (and from each other), each downloading again; the heartbeat, read as content, is fresh.
 */
describe('3 units on sshfs at the default cache, a download slower than the stale window', () => {
  test('waiters see the holder alive through its heartbeat → one download, no lock lost, every unit active', async () => {
    const version = '7.14.3';
    await server.addRelease({ version, fillerBytes: 2 * MiB });
    server.setFault(version, { kind: 'throttle', bytesPerSecond: 128 * 1024 });
    const volume = new SshfsVolume('concourse-data');
    const sim = await SimModel.create({
      charm: await packedCharm(),
      maxParallelHooks: 3,
      extraEnv: { CONCOURSE_CHARM_LOCK_STALE_MS: '5000' },
    });
    try {
      await deployWithPostgres(sim, 'concourse-ci', { units: 3, config: charmConfig(server, { version }), volume });
      await sim.settle({ maxRounds: 400 });
      expect(server.downloads(version)).toBe(1);
      const log = sim.debugLog().join('\n');
      expect(log).not.toMatch(/install lock was lost/);
      expect(sim.debugLog({ level: 'ERROR' })).toEqual([]);
      expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(['active', 'active', 'active']);
      expect(await publishedReleases(volume.exportPath ?? '')).toEqual([version]);
    } finally {
      server.setFault(version, undefined);
      await sim.close();
      await volume.close();
    }
  });
});

describe('offline install from the concourse-release resource', () => {
  test('resource attached → installed from it, nothing downloaded, recorded in the manifest', async () => {
    const before = server.downloads();
    const sim = await SimModel.create({ charm: await packedCharm() });
    try {
      const tarball = join(sim.root, 'concourse-7.14.2-linux-amd64.tgz');
      const { buildReleaseTarball } = await import('../../sim/concourse/release-tarball');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(tarball, (await buildReleaseTarball({ version: '7.14.2', fillerBytes: MiB })).data);
      await deployWithPostgres(sim, 'concourse-ci', {
        units: 2,
        config: charmConfig(server, { 'download-url': 'http://127.0.0.1:9/unreachable/{version}.tgz' }),
        resources: { 'concourse-release': tarball },
      });
      await sim.settle();
      expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(['active', 'active']);
      expect(server.downloads()).toBe(before);
      const manifest = await import('node:fs').then((fs) =>
        JSON.parse(
          fs.readFileSync(join(sim.volumeHostPath('concourse-ci/0'), 'releases/7.14.2/MANIFEST.json'), 'utf8'),
        ),
      );
      expect(manifest.source).toBe('resource:concourse-release');
    } finally {
      await sim.close();
    }
  });
});

describe('offline install of the wrong version', () => {
  test('resource holding 7.14.1 while version=7.14.2 → blocked naming both, nothing published', async () => {
    const sim = await SimModel.create({ charm: await packedCharm() });
    try {
      const tarball = join(sim.root, 'concourse.tgz');
      const { buildReleaseTarball } = await import('../../sim/concourse/release-tarball');
      writeFileSync(tarball, (await buildReleaseTarball({ version: '7.14.1', fillerBytes: MiB })).data);
      await deployWithPostgres(sim, 'concourse-ci', {
        units: 1,
        config: charmConfig(server),
        resources: { 'concourse-release': tarball },
      });
      await sim.settle();
      expect(unitsOf(sim, 'concourse-ci')[0]?.workload).toEqual({
        kind: 'blocked',
        message: 'Concourse 7.14.2 rejected: the release is 7.14.1; attach or point download-url at 7.14.2',
      });
      expect(await publishedReleases(sim.volumeHostPath('concourse-ci/0'))).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});

describe('shared-storage modes', () => {
  test('required and alone on the volume → blocked with guidance; a second unit on it → both active', async () => {
    const sim = await SimModel.create({ charm: await packedCharm() });
    try {
      await deployWithPostgres(sim, 'concourse-ci', {
        units: 1,
        config: charmConfig(server, { 'shared-storage': 'required' }),
      });
      await sim.settle();
      expect(unitsOf(sim, 'concourse-ci')[0]?.workload).toEqual({
        kind: 'blocked',
        message:
          'No other unit shares the volume at /var/lib/concourse (shared-storage=required): mount the shared filesystem there on every unit',
      });
      await sim.addUnit('concourse-ci');
      await sim.settle();
      expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.message)).toEqual([
        'Web ready (v7.14.2) http://127.0.1.1:8080 · shared volume 2 units',
        'Worker ready (v7.14.2) · shared volume 2 units',
      ]);
    } finally {
      await sim.close();
    }
  });

  test('none → every unit installs its own copy in a unit-private store', async () => {
    const before = server.downloads('7.14.2');
    const sim = await SimModel.create({ charm: await packedCharm() });
    try {
      await deployWithPostgres(sim, 'concourse-ci', {
        units: 2,
        config: charmConfig(server, { 'shared-storage': 'none' }),
      });
      await sim.settle();
      expect(server.downloads('7.14.2') - before).toBe(2);
      expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.message)).toEqual([
        'Web ready (v7.14.2) http://127.0.1.1:8080 · private release store',
        'Worker ready (v7.14.2) · private release store',
      ]);
      const vol = sim.volumeHostPath('concourse-ci/0');
      expect(await publishedReleases(join(vol, '.unit-private/concourse-ci-0'))).toEqual(['7.14.2']);
      expect(await publishedReleases(join(vol, '.unit-private/concourse-ci-1'))).toEqual(['7.14.2']);
    } finally {
      await sim.close();
    }
  });
});
