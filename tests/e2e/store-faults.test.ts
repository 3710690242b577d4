// Issue: DESIGN.md's failure matrix for the release store, through the packed charm. Each fault: the status an
// operator sees, nothing half-written under releases/, and recovery with at most one further download.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BindVolume } from '../../sim/bind-volume';
import { deployWithPostgres, unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseFault, type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { DEFAULT_ABSOLUTE_TARGET, type HostileVariant } from '../../sim/concourse/release-tarball';
import { SimModel } from '../../sim/model';
import { TmpfsVolume } from '../../sim/tmpfs-volume';
import { packedCharm } from '../support/packed-charm';
import { charmConfig, MiB, publishedReleases, stagingEntries } from '../support/store-fixtures';

const UNIT = 'concourse-ci/0';
const FAST = { CONCOURSE_CHARM_LOCK_STALE_MS: '2000', CONCOURSE_CHARM_BODY_IDLE_MS: '1000' };
let server: ReleaseServer;

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 8 * MiB });
});
afterAll(async () => server?.close());

async function withSim(body: (sim: SimModel) => Promise<void>, env: Record<string, string> = FAST): Promise<void> {
  const sim = await SimModel.create({ charm: await packedCharm(), extraEnv: env });
  try {
    await body(sim);
  } finally {
    await sim.close();
  }
}

const workload = (sim: SimModel, unit = UNIT) => unitsOf(sim, 'concourse-ci').find((u) => u.name === unit)?.workload;
const volumeOf = (sim: SimModel) => sim.volumeHostPath(UNIT);

describe('downloader killed with SIGKILL at each step', () => {
  test.each([
    ['storage.lock.acquired', []],
    ['storage.download.start', []],
    ['storage.download.progress', []],
    // MANIFEST.json written and fsynced, the publishing rename not yet done: a manifested staging area is no release.
    ['storage.release.manifested', []],
    ['storage.published', ['7.14.2']],
    ['storage.current.switched', ['7.14.2']],
  ])(
    'killed right after %s → no partial release, the next unit recovers, at most one more download',
    async (step, visible) => {
      await server.addRelease({ version: '7.20.0', fillerBytes: 8 * MiB });
      const before = server.downloads('7.20.0');
      await withSim(async (sim) => {
        await deployWithPostgres(sim, 'concourse-ci', { units: 2, config: charmConfig(server, { version: '7.20.0' }) });
        const hook = await sim.startHook(UNIT, 'install', { env: { CONCOURSE_CHARM_STOP_AT: step } });
        expect(await hook.stoppedAt).toBe(step);
        hook.kill('SIGKILL');
        await hook.done;
        const expected = visible.length === 0 ? [] : ['7.20.0'];
        expect(await publishedReleases(volumeOf(sim))).toEqual(expected);
        if (step === 'storage.release.manifested') {
          // Killed between the manifest and the rename: the staging area holds a durable MANIFEST.json.
          const [left] = stagingEntries(volumeOf(sim));
          expect(existsSync(join(volumeOf(sim), '.staging', left ?? '(none)', 'MANIFEST.json'))).toBe(true);
        }

        if (unitsOf(sim, 'concourse-ci').find((u) => u.name === UNIT)?.agent === 'error')
          await sim.resolve(UNIT, { retry: false });
        await sim.settle();
        expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(['active', 'active']);
        expect(await publishedReleases(volumeOf(sim))).toEqual(['7.20.0']);
        expect(stagingEntries(volumeOf(sim))).toEqual([]);
        const downloads = server.downloads('7.20.0') - before;
        expect(downloads).toBeLessThanOrEqual(visible.length === 0 ? 2 : 1);
      });
    },
  );
});

describe('storage-status during a download', () => {
  test('another unit mid-download → lock held, who downloads which version and how far', async () => {
    await server.addRelease({ version: '7.21.0', fillerBytes: 8 * MiB });
    await withSim(async (sim) => {
      await deployWithPostgres(sim, 'concourse-ci', { units: 2, config: charmConfig(server, { version: '7.21.0' }) });
      const hook = await sim.startHook(UNIT, 'install', {
        env: { CONCOURSE_CHARM_STOP_AT: 'storage.download.progress' },
      });
      await hook.stoppedAt;
      try {
        const result = await sim.runAction('concourse-ci/1', 'storage-status');
        expect(result.status).toBe('completed');
        expect(result.results).toMatchObject({
          lock: { held: 'true', holder: UNIT },
          download: { version: '7.21.0', unit: UNIT, progress: expect.stringMatching(/^\d+%$/) },
          current: '(none)',
        });
      } finally {
        hook.kill('SIGKILL');
        await hook.done;
      }
      // The charm's own stale window (120 s), not FAST's 2 s: the holder is stopped, so is its heartbeat, and a loaded
      // machine could take 2 s before the action reads the lock and rightly call it stale.
    }, {});
  });
});

describe('download faults', () => {
  let version = 0;
  /** A fresh version per test, so counters and faults never leak between tests. */
  async function release(fault: ReleaseFault | undefined): Promise<string> {
    const v = `7.30.${version++}`;
    await server.addRelease({ version: v, fillerBytes: 4 * MiB });
    server.setFault(v, fault);
    return v;
  }

  test.each([
    [
      { kind: 'corrupt-sha1' },
      'blocked',
      /^Concourse 7\.30\.\d+ failed verification \(sha1 .+ expected .+\): check download-url or the mirror$/,
    ],
    [
      { kind: 'status', code: 404 },
      'blocked',
      /^Concourse 7\.30\.\d+ not found at http:\/\/127\.0\.0\.1:\d+\/.+: check version and download-url$/,
    ],
    [
      { kind: 'status', code: 500 },
      'waiting',
      /^Concourse 7\.30\.\d+ download failed \(.+\); retrying at the next update-status$/,
    ],
    [
      { kind: 'redirect-loop' },
      'waiting',
      /^Concourse 7\.30\.\d+ download failed \(.*redirect.*\); retrying at the next update-status$/i,
    ],
  ] as const)(
    '%j → %s with the reason, nothing published; fault fixed → active with one more download (blocked: once the operator acts)',
    async (fault, kind, message) => {
      const v = await release(fault);
      await withSim(async (sim) => {
        await deployWithPostgres(sim, 'concourse-ci', { units: 1, config: charmConfig(server, { version: v }) });
        await sim.settle();
        expect(workload(sim)).toEqual({ kind, message: expect.stringMatching(message) });
        expect(await publishedReleases(volumeOf(sim))).toEqual([]);
        expect(stagingEntries(volumeOf(sim))).toEqual([]);

        server.setFault(v, undefined);
        const before = server.downloads(v);
        await sim.updateStatus();
        if (kind === 'blocked') {
          // What the operator must fix is not fetched again by every hook: held until they act (config-changed).
          expect(workload(sim)?.kind).toBe('blocked');
          expect(server.downloads(v) - before).toBe(0);
          await sim.config('concourse-ci', { 'log-level': 'debug' });
          await sim.settle();
        }
        expect(workload(sim)?.kind).toBe('active');
        expect(server.downloads(v) - before).toBe(1);
      });
    },
  );

  test.each([[{ kind: 'truncate-after', bytes: 1 * MiB }], [{ kind: 'stall-after', bytes: 1 * MiB }]] as const)(
    '%j → resumed by Range in the same hook, one download, verified',
    async (fault) => {
      const v = await release(fault);
      await withSim(async (sim) => {
        await deployWithPostgres(sim, 'concourse-ci', { units: 1, config: charmConfig(server, { version: v }) });
        await sim.settle();
        expect(workload(sim)?.kind).toBe('active');
        expect(server.downloads(v)).toBe(1);
        expect(server.resumes(v)).toBe(1);
        expect(await publishedReleases(volumeOf(sim))).toEqual([v]);
      });
    },
  );

  test('body that is not a gzip tarball → blocked, rejected', async () => {
    const v = `7.31.0`;
    server.addRawRelease(v, Buffer.from('<html>mirror login page</html>'));
    await withSim(async (sim) => {
      await deployWithPostgres(sim, 'concourse-ci', { units: 1, config: charmConfig(server, { version: v }) });
      await sim.settle();
      expect(workload(sim)).toEqual({
        kind: 'blocked',
        message: expect.stringMatching(/^Concourse 7\.31\.0 rejected: /),
      });
      expect(await publishedReleases(volumeOf(sim))).toEqual([]);
    });
  });
});

describe('hostile tarballs', () => {
  const variants: HostileVariant[] = [
    'dotdot',
    'absolute',
    'symlink-escape',
    'hardlink-escape',
    'device',
    'symlink-then-file',
  ];
  test.each(variants.map((v, i) => [v, `7.40.${i}`] as const))(
    '%s entry → blocked, nothing written outside staging',
    async (hostile, v) => {
      await server.addRelease({ version: v, fillerBytes: MiB, hostile });
      await withSim(async (sim) => {
        await deployWithPostgres(sim, 'concourse-ci', { units: 1, config: charmConfig(server, { version: v }) });
        await sim.settle();
        expect(workload(sim)).toEqual({
          kind: 'blocked',
          message: expect.stringMatching(/^Concourse 7\.40\.\d rejected: /),
        });
        expect(await publishedReleases(volumeOf(sim))).toEqual([]);
        expect(stagingEntries(volumeOf(sim))).toEqual([]);
        expect(existsSync(DEFAULT_ABSOLUTE_TARGET)).toBe(false);
        expect(existsSync(join(volumeOf(sim), 'escaped'))).toBe(false);
      });
    },
  );
});

describe('disk full', () => {
  test('first install on a volume smaller than needed → blocked naming free and needed; volume grown → installed', async () => {
    const volume = new TmpfsVolume('concourse-data', { sizeBytes: 32 * MiB });
    await withSim(async (sim) => {
      await deployWithPostgres(sim, 'concourse-ci', { units: 1, config: charmConfig(server), volume });
      await sim.settle();
      expect(workload(sim)).toEqual({
        kind: 'blocked',
        message: expect.stringMatching(
          /^Not enough space on \/var\/lib\/concourse for Concourse 7\.14\.2: \d+ MiB free, at least 64 MiB needed; grow the volume or lower keep-releases$/,
        ),
      });
      expect(stagingEntries(volumeOf(sim))).toEqual([]);
      execFileSync('mount', ['-o', 'remount,size=256m', volume.hostPath ?? '']);
      await sim.updateStatus();
      expect(workload(sim)?.kind).toBe('active');
    });
  });

  test('ENOSPC in the middle of an upgrade → blocked, staging removed, running release intact', async () => {
    await server.addRelease({ version: '7.50.0', fillerBytes: 90 * MiB });
    const volume = new TmpfsVolume('concourse-data', { sizeBytes: 96 * MiB });
    await withSim(async (sim) => {
      await deployWithPostgres(sim, 'concourse-ci', { units: 1, config: charmConfig(server), volume });
      await sim.settle();
      expect(workload(sim)?.kind).toBe('active');

      await sim.config('concourse-ci', { version: '7.50.0' });
      await sim.settle();
      expect(workload(sim)).toEqual({
        kind: 'blocked',
        message: expect.stringMatching(
          /^Not enough space on \/var\/lib\/concourse for Concourse 7\.50\.0: it needed more than the \d+ MiB free; grow the volume or lower keep-releases$/,
        ),
      });
      expect(stagingEntries(volumeOf(sim))).toEqual([]);
      expect(await publishedReleases(volumeOf(sim))).toEqual(['7.14.2']);
      expect(execFileSync('readlink', [join(volumeOf(sim), 'current')], { encoding: 'utf8' }).trim()).toBe(
        'releases/7.14.2',
      );

      execFileSync('mount', ['-o', 'remount,size=256m', volume.hostPath ?? '']);
      const before = server.downloads('7.50.0');
      await sim.updateStatus();
      expect(workload(sim)?.message).toMatch(/\(v7\.50\.0\)/);
      expect(server.downloads('7.50.0') - before).toBe(1);
    });
  });
});

describe('volume faults', () => {
  /** Mounts `source` over the unit's volume on the host, as a failed or swapped mount would look to the unit. */
  function cover(sim: SimModel, source: string, options: string[] = []): () => void {
    const target = volumeOf(sim);
    execFileSync('mount', ['--bind', source, target]);
    if (options.length > 0) execFileSync('mount', ['-o', ['remount', 'bind', ...options].join(','), target]);
    return () => execFileSync('umount', [target]);
  }

  test('volume missing, then a file in its place → blocked with guidance each time; volume back → active', async () => {
    await withSim(async (sim) => {
      await deployWithPostgres(sim, 'concourse-ci', { units: 1, config: charmConfig(server) });
      await sim.settle();
      const vol = volumeOf(sim);
      const aside = `${vol}.aside`;
      renameSync(vol, aside);
      try {
        await sim.updateStatus();
        // The volume's source is gone, so the mount is: the bare directory shows, and the unit says what was lost.
        expect(workload(sim)).toEqual({
          kind: 'blocked',
          message: expect.stringMatching(
            /^Storage \/var\/lib\/concourse is no longer mounted \(.+ held volume \w{8}\): remount it there; nothing is installed on the bare directory$/,
          ),
        });
        writeFileSync(vol, 'not a volume\n');
        await sim.updateStatus();
        expect(workload(sim)).toEqual({
          kind: 'blocked',
          message: 'Storage /var/lib/concourse is not a directory: mount the volume there',
        });
      } finally {
        rmSync(vol, { force: true });
        renameSync(aside, vol);
      }
      await sim.updateStatus();
      expect(workload(sim)?.kind).toBe('active');
      expect(await publishedReleases(vol)).toEqual(['7.14.2']);
    });
  });

  test('read-only volume → blocked: remount read-write; fixed → active', async () => {
    await withSim(async (sim) => {
      await deployWithPostgres(sim, 'concourse-ci', { units: 1, config: charmConfig(server) });
      await sim.settle();
      const restore = cover(sim, volumeOf(sim), ['ro']);
      try {
        await sim.updateStatus();
        expect(workload(sim)).toEqual({
          kind: 'blocked',
          message: 'Storage /var/lib/concourse is read-only: remount it read-write',
        });
      } finally {
        restore();
      }
      await sim.updateStatus();
      expect(workload(sim)?.kind).toBe('active');
    });
  });

  test('another volume mounted in place of the one used → adopted (release installed there once); original back → adopted again, no download', async () => {
    await withSim(async (sim) => {
      const original = new BindVolume('original');
      await deployWithPostgres(sim, 'concourse-ci', { units: 1, volume: original, config: charmConfig(server) });
      await sim.settle();
      const other = new BindVolume('other');
      await sim.unmountVolume(UNIT, original);
      await sim.mountVolume(UNIT, other);
      const before = server.downloads('7.14.2');
      await sim.updateStatus();
      expect(workload(sim)?.kind).toBe('active');
      expect(sim.debugLog().filter((l) => l.includes('storage.adopted'))).toHaveLength(1);
      expect(await publishedReleases(other.hostPath ?? '')).toEqual(['7.14.2']);
      expect(server.downloads('7.14.2') - before).toBe(1);

      await sim.unmountVolume(UNIT, other);
      await sim.mountVolume(UNIT, original);
      await sim.updateStatus();
      expect(workload(sim)?.kind).toBe('active');
      expect(sim.debugLog().filter((l) => l.includes('storage.adopted'))).toHaveLength(2);
      expect(server.downloads('7.14.2') - before).toBe(1);
      // Its services run from the volume it moved back to.
      expect(readFileSync(sim.unitPath(UNIT, '/etc/systemd/system/concourse-server.service'), 'utf8')).toContain(
        `volume ${readFileSync(join(original.hostPath ?? '', '.volume-id'), 'utf8').trim()} at /var/lib/concourse`,
      );
    });
  });
});

describe('unit removal', () => {
  test('a unit removed → only its own dir goes; releases, volume id and other units untouched', async () => {
    await withSim(async (sim) => {
      await deployWithPostgres(sim, 'concourse-ci', { units: 3, config: charmConfig(server) });
      await sim.settle();
      const vol = volumeOf(sim);
      const id = execFileSync('cat', [join(vol, '.volume-id')], { encoding: 'utf8' });
      await sim.removeUnit('concourse-ci/2');
      await sim.settle();
      expect(existsSync(join(vol, 'worker/concourse-ci-2'))).toBe(false);
      expect(existsSync(join(vol, 'worker/concourse-ci-1/state.json'))).toBe(true);
      expect(await publishedReleases(vol)).toEqual(['7.14.2']);
      expect(execFileSync('cat', [join(vol, '.volume-id')], { encoding: 'utf8' })).toBe(id);
      expect(
        unitsOf(sim, 'concourse-ci').map((u) => [u.name, u.workload.kind, u.workload.message.split(' · ')[1]]),
      ).toEqual([
        ['concourse-ci/0', 'active', 'shared volume 2 units'],
        ['concourse-ci/1', 'active', 'shared volume 2 units'],
      ]);
    });
  });
});

describe('waiting for another unit', () => {
  test('download outlasts storage-wait-timeout → others wait naming the downloader, then wake when it publishes', async () => {
    await server.addRelease({ version: '7.60.0', fillerBytes: 6 * MiB });
    server.setFault('7.60.0', { kind: 'throttle', bytesPerSecond: 2 * MiB });
    await withSim(async (sim) => {
      await deployWithPostgres(sim, 'concourse-ci', {
        units: 3,
        config: charmConfig(server, { version: '7.60.0', 'storage-wait-timeout': 1 }),
      });
      await sim.settle();
      expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(['active', 'active', 'active']);
      expect(server.downloads('7.60.0')).toBe(1);
      const log = sim.debugLog().join('\n');
      expect(log).toMatch(/Concourse 7\.60\.0 being downloaded by concourse-ci\/\d \(\d+%\)/);
    });
  });
});
