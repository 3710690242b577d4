// A web counts as started only when it serves (issue 12), with services run for real by the simulator's systemd:
// the stand-in web answers GET /api/v1/info on the unit's web-port, so the charm's readiness check is on. A release
// whose web starts but never answers is not counted as started: no running-version, workers stay, a clear status.
// The model's processes all end with it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import type { SimModel } from '../../sim/model';
import { processAlive } from '../support/processes';
import { deployRunning } from '../support/running-services';
import { runningRelease, WEB, WORKER } from '../support/stand-in-worker';

const UNITS = ['concourse-ci/0', 'concourse-ci/1', 'concourse-ci/2'];
const WORKERS = UNITS.slice(1);

let server: ReleaseServer;
let sim: SimModel;
let webPort: number;

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 64 * 1024 });
  await server.addRelease({ version: '7.14.3', fillerBytes: 64 * 1024, webNeverServes: true });
  // A web that never serves is given up on after 3 s instead of 3 min.
  ({ sim, webPort } = await deployRunning(server, 3, {
    CONCOURSE_CHARM_WEB_READY_TIMEOUT_MS: '3000',
    CONCOURSE_CHARM_DRAIN_POLL_MS: '200',
  }));
});
afterAll(async () => {
  await sim?.close();
  await server?.close();
});

function release(unit: string, service: string): string | undefined {
  return runningRelease(sim, unit, service);
}

async function info(): Promise<unknown> {
  return (await fetch(`http://127.0.0.1:${webPort}/api/v1/info`)).json();
}

describe('services run: 3 units in mode=auto', () => {
  test('deployed → the web serves /api/v1/info with its version, the workers run; all active', async () => {
    expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(['active', 'active', 'active']);
    expect(await info()).toMatchObject({ version: '7.14.2' });
    for (const [unit, service] of [['concourse-ci/0', WEB], ...WORKERS.map((u) => [u, WORKER])] as const) {
      const state = sim.serviceState(unit, service);
      expect(state?.active).toBe('active');
      expect(processAlive(state?.mainPid ?? 0)).toBe(true);
    }
    expect(sim.serviceJournal('concourse-ci/1', WORKER)).toContain('concourse worker 7.14.2 (stand-in) running');
    expect(sim.serviceJournal('concourse-ci/0', WEB)).toContain('concourse web 7.14.2 (stand-in) running');
  });

  test('upgrade to a release whose web never serves → not counted as started: back on 7.14.2, workers stay, blocked saying why', async () => {
    const workerPids = WORKERS.map((u) => sim.serviceState(u, WORKER)?.mainPid);
    const r = await sim.runAction('concourse-ci/0', 'upgrade', { version: '7.14.3' });
    await sim.settle();
    const why = new RegExp(
      `Concourse 7\\.14\\.3 did not start \\(Concourse web 7\\.14\\.3 not serving on port ${webPort} after \\d+ s \\(/api/v1/info: connection refused\\)`,
    );
    expect(r.status).toBe('completed');
    expect(String(r.results.message)).toMatch(why);
    const web = unitsOf(sim, 'concourse-ci')[0]?.workload;
    expect(web?.kind).toBe('blocked');
    expect(web?.message).toMatch(why);
    expect(web?.message).toContain('back on 7.14.2; fix it, then run upgrade again');
    // The 7.14.3 web ran (systemd said active) yet was not taken as started: the web is back on 7.14.2, serving.
    expect(sim.serviceJournal('concourse-ci/0', WEB)).toContain('concourse web 7.14.3 (stand-in) running');
    expect(release('concourse-ci/0', WEB)).toBe('7.14.2');
    expect(await info()).toMatchObject({ version: '7.14.2' });
    // Nothing told the workers to follow: same release, same processes, never signalled.
    expect(WORKERS.map((u) => release(u, WORKER))).toEqual(['7.14.2', '7.14.2']);
    expect(WORKERS.map((u) => sim.serviceState(u, WORKER)?.mainPid)).toEqual(workerPids);
    for (const u of WORKERS) {
      expect(sim.systemctlCalls(u).some((c) => c.argv[0] === 'kill')).toBe(false);
      expect(unitsOf(sim, 'concourse-ci').find((x) => x.name === u)?.workload.message).toContain(
        'Worker ready (v7.14.2)',
      );
    }
    const peers = sim.relationIds('concourse-ci', 'peers')[0] ?? '';
    expect(sim.relationData(peers, 'concourse-ci/0')['running-version']).toBe('7.14.2');
  });

  test('model closed → none of its services is left running', async () => {
    const pids = sim.runningServicePids();
    expect(pids.length).toBeGreaterThanOrEqual(3);
    await sim.close();
    expect(pids.filter(processAlive)).toEqual([]);
  });
});
