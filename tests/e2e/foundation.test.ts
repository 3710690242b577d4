// The packed charm through `dispatch` in the simulated model: bad config, no Node runtime. Deploying units on one
// volume, reuse by a unit added later: plan.md's scenarios 1 and 4 (tests/scenarios), run once there.
import { statSync } from 'node:fs';
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
