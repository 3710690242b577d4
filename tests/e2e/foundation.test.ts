// The packed charm through `dispatch` in the simulated model: deploy, reuse, bad config, no Node runtime.
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deployWithPostgres, unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { SimModel } from '../../sim/model';
import { packedCharm } from '../support/packed-charm';

let server: ReleaseServer;

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 2 * 1024 * 1024 });
});
afterAll(async () => {
  await server?.close();
});

async function model(): Promise<SimModel> {
  return SimModel.create({ charm: await packedCharm() });
}

describe('deploy 3 units on one volume', () => {
  let sim: SimModel;
  beforeAll(async () => {
    sim = await model();
    await deployWithPostgres(sim, 'concourse-ci', {
      units: 3,
      config: { mode: 'auto', version: '7.14.2', 'download-url': server.downloadUrlTemplate },
    });
    await sim.settle();
  });
  afterAll(async () => sim?.close());

  test('every unit → active, role by leadership, sharing counted', () => {
    const units = unitsOf(sim, 'concourse-ci');
    expect(units.map((u) => [u.name, u.workload.kind, u.workload.message])).toEqual([
      ['concourse-ci/0', 'active', 'Web ready (v7.14.2) http://127.0.1.1:8080 · shared volume 3 units'],
      ['concourse-ci/1', 'active', 'Worker ready (v7.14.2) · shared volume 3 units'],
      ['concourse-ci/2', 'active', 'Worker ready (v7.14.2) · shared volume 3 units'],
    ]);
  });

  test('release → downloaded exactly once, one binary inode for all units', () => {
    expect(server.downloads('7.14.2')).toBe(1);
    const inodes = new Set(
      ['concourse-ci/0', 'concourse-ci/1', 'concourse-ci/2'].map(
        (u) => statSync(join(sim.volumeHostPath(u), 'releases/7.14.2/bin/concourse')).ino,
      ),
    );
    expect(inodes.size).toBe(1);
  });

  test('volume → current, bin link, manifest, one state file per unit', () => {
    const vol = sim.volumeHostPath('concourse-ci/0');
    expect(readlinkSync(join(vol, 'current'))).toBe('releases/7.14.2');
    expect(readFileSync(join(vol, '.installed_version'), 'utf8').trim()).toBe('7.14.2');
    expect(statSync(join(vol, 'bin/concourse')).isFile()).toBe(true);
    const manifest = JSON.parse(readFileSync(join(vol, 'releases/7.14.2/MANIFEST.json'), 'utf8'));
    expect(manifest).toMatchObject({ version: '7.14.2', files: { 'bin/concourse': expect.anything() } });
    for (const n of [0, 1, 2]) {
      const state = JSON.parse(readFileSync(join(vol, `worker/concourse-ci-${n}/state.json`), 'utf8'));
      expect(state).toMatchObject({ unit: `concourse-ci/${n}`, runningVersion: '7.14.2' });
    }
  });

  test('debug-log → one published event, reuse by the others', () => {
    const log = sim.debugLog().join('\n');
    expect(log.match(/storage\.published/g)?.length).toBe(1);
    expect(log).toMatch(/storage\.reuse/);
  });

  // That it takes no lock is proved by the lock's own record in tests/hooks/reconcile.test.ts.
  test('unit added later → reuses the release: no download', async () => {
    const [added] = await sim.addUnit('concourse-ci');
    await sim.settle();
    expect(server.downloads('7.14.2')).toBe(1);
    const lines = sim.debugLog({ unit: added }).join('\n');
    expect(lines).toMatch(/storage\.reuse/);
    expect(unitsOf(sim, 'concourse-ci').find((u) => u.name === added)?.workload.message).toMatch(
      /shared volume 4 units/,
    );
  });
});

describe('bad config through dispatch', () => {
  test.each([
    [{ mode: 'foo' }, 'Invalid config: mode must be one of auto, all, web, worker'],
    [{ 'web-port': 0 }, 'Invalid config: web-port must be between 1 and 65535'],
    [{ 'web-port': 70000 }, 'Invalid config: web-port must be between 1 and 65535'],
    [{ version: '7.14.2; rm -rf /' }, 'Invalid config: version must be a release number'],
    [{ version: '../../etc/passwd' }, 'Invalid config: version must be a release number'],
  ])('%j → blocked with the reason, nothing written to the volume', async (bad, message) => {
    const sim = await model();
    try {
      await deployWithPostgres(sim, 'concourse-ci', {
        units: 1,
        config: { version: '7.14.2', 'download-url': server.downloadUrlTemplate, ...bad },
      });
      await sim.settle();
      const [unit] = unitsOf(sim, 'concourse-ci');
      expect(unit?.workload.kind).toBe('blocked');
      expect(unit?.workload.message).toContain(message);
      expect(unit?.agent).toBe('idle');
      expect(existsOnVolume(sim, 'releases')).toBe(false);
    } finally {
      await sim.close();
    }
  });

  test('bad config fixed → unit recovers to active', async () => {
    const sim = await model();
    try {
      await deployWithPostgres(sim, 'concourse-ci', {
        units: 1,
        config: { mode: 'foo', version: '7.14.2', 'download-url': server.downloadUrlTemplate },
      });
      await sim.settle();
      expect(unitsOf(sim, 'concourse-ci')[0]?.workload.kind).toBe('blocked');
      await sim.config('concourse-ci', { mode: 'all' });
      await sim.settle();
      expect(unitsOf(sim, 'concourse-ci')[0]?.workload).toEqual({
        kind: 'active',
        message: 'Web+worker ready (v7.14.2) http://127.0.1.1:8080 · volume not shared',
      });
    } finally {
      await sim.close();
    }
  });
});

describe('dispatch without a Node runtime', () => {
  test('a fresh machine whose snap store is unreachable → blocked naming both ways out, hook exits 0; store back → active', async () => {
    const sim = await model();
    try {
      await deployWithPostgres(sim, 'concourse-ci', { units: 1, config: { version: '7.14.2' } });
      // The simulator's machines have no Node.js on PATH, as a fresh Ubuntu machine; its snapd fails as offline.
      const run = await sim.runHook('concourse-ci/0', 'update-status', {
        env: { SIM_SNAP_FAIL: 'dial tcp: lookup api.snapcraft.io: no such host' },
      });
      expect(run.exitCode).toBe(0);
      expect(unitsOf(sim, 'concourse-ci')[0]?.workload).toEqual({
        kind: 'blocked',
        message:
          "No Node.js >= 20.18.1: run 'sudo snap install node --channel=22/stable --classic' on the machine, or 'juju attach-resource concourse-ci node-runtime=./node-v22.x.y-linux-x64.tar.xz'",
      });
      expect(sim.debugLog({ unit: 'concourse-ci/0' }).join('\n')).toContain(
        'snap install node failed: error: cannot install "node": dial tcp: lookup api.snapcraft.io: no such host',
      );
      const again = await sim.runHook('concourse-ci/0', 'update-status');
      expect(again.exitCode).toBe(0);
      expect((await sim.exec('concourse-ci/0', ['/snap/bin/node', '--version'])).stdout).toMatch(/^v\d+\./);
    } finally {
      await sim.close();
    }
  });
});

function existsOnVolume(sim: SimModel, path: string): boolean {
  try {
    statSync(join(sim.volumeHostPath(unitsOf(sim, 'concourse-ci')[0]?.name ?? ''), path));
    return true;
  } catch {
    return false;
  }
}
