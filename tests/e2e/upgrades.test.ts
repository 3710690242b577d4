// Upgrades and rollback through the packed charm (issue 5): one download per version, web before workers, the
// web's stop only its restart, rollback with no download, failures that change nothing, re-run and re-ordered hooks.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SimModel } from '../../sim/model';
import { deployWithPostgres, unitsOf } from '../../sim/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/release-server';
import { packedCharm } from '../support/packed-charm';

const WEB = 'concourse-server.service';
const WORKER = 'concourse-worker.service';
const UNITS = ['concourse-ci/0', 'concourse-ci/1', 'concourse-ci/2', 'concourse-ci/3', 'concourse-ci/4'];

let server: ReleaseServer;
let sim: SimModel;

beforeAll(async () => {
  server = await startReleaseServer();
  for (const version of ['7.14.2', '7.14.3']) await server.addRelease({ version, fillerBytes: 1024 * 1024 });
  sim = await SimModel.create({ charm: await packedCharm() });
  await deployWithPostgres(sim, 'concourse-ci', {
    units: 5,
    config: { mode: 'auto', version: '7.14.2', 'download-url': server.downloadUrlTemplate },
  });
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
  await server?.close();
});

/** The release each unit's service runs, from the ExecStart the fake systemd loaded. */
function runningReleases(): string[] {
  return UNITS.map((u) => {
    const service = u === 'concourse-ci/0' ? WEB : WORKER;
    return /releases\/([^/]+)\//.exec(sim.serviceState(u, service)?.execStart ?? '')?.[1] ?? 'none';
  });
}

function calls(unit: string, verbs: readonly string[]) {
  return sim.systemctlCalls(unit).filter((c) => verbs.includes(c.argv[0] ?? ''));
}

describe('5 units in mode=auto on one volume', () => {
  test('deployed → every unit active on 7.14.2', () => {
    expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(Array(5).fill('active'));
    expect(runningReleases()).toEqual(Array(5).fill('7.14.2'));
  });

  test('upgrade on a non-leader → fails naming the leader, nothing changes', async () => {
    const r = await sim.runAction('concourse-ci/2', 'upgrade', { version: '7.14.3' });
    expect(r.status).toBe('failed');
    expect(r.message).toBe('Run upgrade on the leader: juju run concourse-ci/leader upgrade');
    expect(server.downloads('7.14.3')).toBe(0);
  });

  test('upgrade to a release that does not exist → fails with the reason, every unit stays on 7.14.2', async () => {
    const r = await sim.runAction('concourse-ci/0', 'upgrade', { version: '7.99.0' });
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/7\.99\.0 not found/);
    await sim.settle();
    expect(runningReleases()).toEqual(Array(5).fill('7.14.2'));
  });

  test('upgrade version=7.14.3 → one download, web switched before any worker, all 5 on 7.14.3', async () => {
    const since = Date.now();
    const r = await sim.runAction('concourse-ci/0', 'upgrade', { version: '7.14.3' });
    expect(r.status).toBe('completed');
    expect(r.results).toMatchObject({ version: '7.14.3', previous: '7.14.2' });
    expect(r.results.units).toMatchObject({ 'concourse-ci-0': '7.14.3 (switched)' });
    await sim.settle();
    expect(server.downloads('7.14.3')).toBe(1);
    expect(runningReleases()).toEqual(Array(5).fill('7.14.3'));
    for (const u of unitsOf(sim, 'concourse-ci')) expect(u.workload.message).toContain('(v7.14.3)');
    expect(sim.status().apps.find((a) => a.name === 'concourse-ci')?.version).toBe('7.14.3');

    const webRestart = calls('concourse-ci/0', ['restart']).filter((c) => c.t >= since);
    expect(webRestart.map((c) => c.argv.join(' '))).toEqual([`restart ${WEB}`]);
    for (const u of UNITS.slice(1)) {
      const workerRestarts = calls(u, ['restart']).filter((c) => c.t >= since);
      expect(workerRestarts.map((c) => c.argv.join(' '))).toEqual([`restart ${WORKER}`]);
      expect(workerRestarts[0]?.t).toBeGreaterThan(webRestart[0]?.t ?? Number.POSITIVE_INFINITY);
    }
    // The web was never stopped: its only downtime is the restart onto the new release.
    expect(calls('concourse-ci/0', ['stop']).filter((c) => c.t >= since)).toEqual([]);
  });

  test('hooks re-run twice after the upgrade → nothing restarts, nothing downloads', async () => {
    const before = UNITS.map((u) => calls(u, ['start', 'restart', 'stop']).length);
    for (let i = 0; i < 2; i++) {
      for (const u of UNITS) await sim.runHook(u, 'config-changed');
    }
    await sim.settle();
    expect(UNITS.map((u) => calls(u, ['start', 'restart', 'stop']).length)).toEqual(before);
    expect(server.downloads('7.14.3')).toBe(1);
  });

  test('rollback → back on 7.14.2 with zero downloads', async () => {
    const downloads = server.downloads('7.14.2');
    const r = await sim.runAction('concourse-ci/0', 'rollback', {});
    expect(r.status).toBe('completed');
    expect(r.results).toMatchObject({ version: '7.14.2', previous: '7.14.3' });
    await sim.settle();
    expect(runningReleases()).toEqual(Array(5).fill('7.14.2'));
    expect(server.downloads('7.14.2')).toBe(downloads);
    expect(server.downloads('7.14.3')).toBe(1);
  });

  test('rollback to a release not on the volume → fails saying so, nothing changes', async () => {
    const r = await sim.runAction('concourse-ci/0', 'rollback', { version: '7.13.0' });
    expect(r.status).toBe('failed');
    expect(r.message).toContain('Concourse 7.13.0 is not on the volume');
    expect(runningReleases()).toEqual(Array(5).fill('7.14.2'));
  });

  test('leader changes in the middle of an upgrade → converges on the target, no second download', async () => {
    const r = await sim.runAction('concourse-ci/0', 'upgrade', { version: '7.14.3' });
    expect(r.status).toBe('completed');
    await sim.setLeader('concourse-ci/3');
    await sim.settle();
    await sim.updateStatus();
    expect(server.downloads('7.14.3')).toBe(1);
    const byUnit = Object.fromEntries(
      UNITS.map((u) => {
        const service = u === 'concourse-ci/3' ? WEB : WORKER;
        return [u, /releases\/([^/]+)\//.exec(sim.serviceState(u, service)?.execStart ?? '')?.[1]];
      }),
    );
    expect(Object.values(byUnit)).toEqual(Array(5).fill('7.14.3'));
    expect(sim.serviceState('concourse-ci/3', WEB)?.active).toBe('active');
    expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(Array(5).fill('active'));
  });
});
