// The land-worker, retire-worker and restart-services actions through the packed charm (issue 12), with services
// run for real: the stand-in worker runs builds and honours SIGUSR1/SIGUSR2/SIGTERM, the stand-in web serves
// /api/v1/info. One deployment (a web leader and a worker) carries every step, in order.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import type { SimModel } from '../../sim/model';
import { processAlive } from '../support/processes';
import { deployRunning } from '../support/running-services';
import { StandInWorker, WEB, WORKER } from '../support/stand-in-worker';

const APP = 'concourse-ci';
const LEADER = `${APP}/0`;
const W = `${APP}/1`;
const HELD = 'Worker landed (land-worker): run restart-services to start it';

let server: ReleaseServer;
let sim: SimModel;
let webPort: number;
let worker: StandInWorker;

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 64 * 1024 });
  ({ sim, webPort } = await deployRunning(server, 2, { CONCOURSE_CHARM_DRAIN_POLL_MS: '200' }));
  worker = StandInWorker.of(sim, W);
});
afterAll(async () => {
  await sim?.close();
  await server?.close();
});

function workload(unit: string): { kind: string; message: string } | undefined {
  return unitsOf(sim, APP).find((u) => u.name === unit)?.workload;
}

/** What the unit's systemctl was asked since call number `from` (argv joined). */
function systemctlSince(unit: string, from: number): string[] {
  return sim
    .systemctlCalls(unit)
    .slice(from)
    .map((c) => c.argv.join(' '));
}

describe('services run: a web leader and a worker (mode=auto)', () => {
  test('land-worker with a build running → waits for the build, reports how the drain ended and how long; held stopped', async () => {
    expect(sim.serviceState(W, WORKER)?.active).toBe('active');
    worker.startBuild('b1', 2);
    const r = await sim.runAction(W, 'land-worker');
    expect(r.status).toBe('completed');
    expect(r.results).toMatchObject({
      worker: 'landed',
      held: 'stopped until restart-services',
      drain: 'finished: every build ended',
      message: 'Worker landed and stopped; run restart-services to start it again',
    });
    // The build was told to end 2 s after the drain began (whole seconds of `date +%s`): the action waited for it.
    expect(Number(r.results['drain-seconds'])).toBeGreaterThanOrEqual(1);
    expect(worker.read('events.log')).toBe('finished b1 7.14.2\nworker landed 7.14.2\n');
    expect(worker.read('errored.log')).toBe('');
    expect(sim.serviceState(W, WORKER)?.active).toBe('inactive');
    expect(workload(W)).toMatchObject({ kind: 'maintenance', message: expect.stringContaining(HELD) });
  });

  test('later hooks (update-status, config-changed) → the worker stays stopped, the status says to run restart-services', async () => {
    const from = sim.systemctlCalls(W).length;
    await sim.updateStatus();
    await sim.config(APP, { 'worker-drain-timeout': 120 });
    await sim.settle();
    expect(sim.serviceState(W, WORKER)?.active).toBe('inactive');
    expect(systemctlSince(W, from).filter((c) => /^(start|restart|enable)\b/.test(c))).toEqual([]);
    expect(workload(W)).toMatchObject({ kind: 'maintenance', message: expect.stringContaining(HELD) });
    expect(sim.serviceJournal(W, WORKER).match(/\(stand-in\) running/g)).toHaveLength(1);
  });

  test('restart-services on the held worker → hold lifted, the worker runs again, unit active', async () => {
    const r = await sim.runAction(W, 'restart-services');
    expect(r.status).toBe('completed');
    expect(r.results).toMatchObject({
      'hold-lifted': 'landed',
      worker: 'started',
      'worker-drain': 'not running: nothing to drain',
      message: 'Restarted: worker (see juju status)',
    });
    await sim.settle();
    const state = sim.serviceState(W, WORKER);
    expect(state?.active).toBe('active');
    expect(processAlive(state?.mainPid ?? 0)).toBe(true);
    expect(sim.serviceJournal(W, WORKER).match(/\(stand-in\) running/g)).toHaveLength(2);
    expect(workload(W)?.kind).toBe('active');
  });

  test('restart-services on the web unit → the web restarted and counted once it serves /api/v1/info', async () => {
    const before = sim.serviceState(LEADER, WEB)?.mainPid;
    const r = await sim.runAction(LEADER, 'restart-services');
    expect(r.status).toBe('completed');
    expect(r.results).toMatchObject({ web: 'restarted', message: 'Restarted: web (see juju status)' });
    // A new process, already serving when the action returned: the action waited for it to answer.
    const after = sim.serviceState(LEADER, WEB);
    expect(after?.mainPid).not.toBe(before);
    expect(after?.active).toBe('active');
    const info = await (await fetch(`http://127.0.0.1:${webPort}/api/v1/info`)).json();
    expect(info).toMatchObject({ version: '7.14.2' });
    expect(sim.serviceJournal(LEADER, WEB).match(/concourse web 7\.14\.2 \(stand-in\) running/g)).toHaveLength(2);
    expect(workload(LEADER)?.kind).toBe('active');
  });

  test('restart-services force=true with a build running → no drain, the build errored, the worker restarted', async () => {
    worker.startBuild('stuck', '');
    const from = sim.systemctlCalls(W).length;
    const before = sim.serviceState(W, WORKER)?.mainPid;
    // The build never ends by itself: a drain would wait out worker-drain-timeout (120 s) before this returns.
    const r = await sim.runAction(W, 'restart-services', { force: true });
    expect(r.status).toBe('completed');
    expect(r.results).toMatchObject({
      worker: 'restarted',
      'worker-drain': 'skipped (force=true or worker-drain-timeout=0): running builds interrupted',
    });
    expect(systemctlSince(W, from).some((c) => c.includes('--signal=SIGUSR1'))).toBe(false);
    expect(worker.read('errored.log')).toBe('errored stuck 7.14.2\n');
    const state = sim.serviceState(W, WORKER);
    expect(state?.active).toBe('active');
    expect(state?.mainPid).not.toBe(before);
    worker.endBuild('stuck');
  });

  test('retire-worker with a build running → it finishes, then events.log says retired; held stopped', async () => {
    worker.startBuild('r1', 1);
    const r = await sim.runAction(W, 'retire-worker');
    expect(r.status).toBe('completed');
    expect(r.results).toMatchObject({ worker: 'retired', drain: 'finished: every build ended' });
    expect(worker.read('events.log')).toMatch(/finished r1 7\.14\.2\nworker retired 7\.14\.2\n$/);
    expect(worker.read('errored.log')).toBe('errored stuck 7.14.2\n');
    expect(sim.serviceState(W, WORKER)?.active).toBe('inactive');
    expect(workload(W)).toMatchObject({
      kind: 'maintenance',
      message: expect.stringContaining('Worker retired (retire-worker): run restart-services to start it'),
    });
  });

  test('land-worker on the web-only leader → fails saying to run it on a worker unit; the web keeps serving', async () => {
    const pid = sim.serviceState(LEADER, WEB)?.mainPid;
    const r = await sim.runAction(LEADER, 'land-worker');
    expect(r.status).toBe('failed');
    expect(r.message).toContain(
      `${LEADER} runs no worker (mode=auto, roles: web): run land-worker on a unit with the worker role`,
    );
    expect(sim.serviceState(LEADER, WEB)).toMatchObject({ active: 'active', mainPid: pid });
  });
});
