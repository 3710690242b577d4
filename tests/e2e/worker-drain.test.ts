// Workers drain, never kill a build (issue 12), with services run for real by the simulator's systemd: the stand-in
// worker runs builds (files under its $STAND_IN_STATE/builds; one holding N finishes N s after the drain starts) and
// honours SIGUSR1 (land), SIGUSR2 (retire) and SIGTERM (errors what still runs) as Concourse's worker does.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import type { SimModel } from '../../sim/model';
import { deployRunning } from '../support/running-services';
import { runningRelease, StandInWorker, WEB, WORKER, workerPrinted } from '../support/stand-in-worker';

const UNITS = ['concourse-ci/0', 'concourse-ci/1', 'concourse-ci/2', 'concourse-ci/3', 'concourse-ci/4'];
const WORKERS = UNITS.slice(1);

let server: ReleaseServer;
let sim: SimModel;
/** Each worker's stand-in, resolved while the unit exists. */
const workers = new Map<string, StandInWorker>();

beforeAll(async () => {
  server = await startReleaseServer();
  for (const version of ['7.14.2', '7.14.3']) await server.addRelease({ version, fillerBytes: 256 * 1024 });
  ({ sim } = await deployRunning(server, 5, { CONCOURSE_CHARM_DRAIN_POLL_MS: '200' }));
  for (const u of WORKERS) workers.set(u, StandInWorker.of(sim, u));
});
afterAll(async () => {
  await sim?.close();
  await server?.close();
});

function worker(unit: string): StandInWorker {
  const w = workers.get(unit);
  if (w === undefined) throw new Error(`no worker ${unit}`);
  return w;
}

function read(unit: string, name: 'events.log' | 'errored.log'): string {
  return worker(unit).read(name);
}

function startBuild(unit: string, id: string, seconds: number | ''): void {
  worker(unit).startBuild(id, seconds);
}

function release(unit: string, service: string): string | undefined {
  return runningRelease(sim, unit, service);
}

describe('services run: 5 units in mode=auto, builds running on every worker', () => {
  test('deployed → 1 web and 4 workers running 7.14.2, no build yet', () => {
    expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(Array(5).fill('active'));
    expect(release('concourse-ci/0', WEB)).toBe('7.14.2');
    expect(WORKERS.map((u) => release(u, WORKER))).toEqual(Array(4).fill('7.14.2'));
    for (const u of WORKERS) expect(existsSync(worker(u).path('builds'))).toBe(true);
  });

  test('upgrade to 7.14.3 with 2 builds on each worker → zero errored builds, one download, web switched first', async () => {
    for (const u of WORKERS) {
      startBuild(u, 'b1', 1);
      startBuild(u, 'b2', 2);
    }
    const r = await sim.runAction('concourse-ci/0', 'upgrade', { version: '7.14.3' });
    expect(r.status).toBe('completed');
    await sim.settle();
    expect(server.downloads('7.14.3')).toBe(1);
    expect(release('concourse-ci/0', WEB)).toBe('7.14.3');
    expect(WORKERS.map((u) => release(u, WORKER))).toEqual(Array(4).fill('7.14.3'));
    for (const u of WORKERS) {
      // Landed, once its builds had finished; then started on the new release.
      expect(read(u, 'events.log')).toBe('finished b1 7.14.2\nfinished b2 7.14.2\nworker landed 7.14.2\n');
      expect(read(u, 'errored.log')).toBe('');
      expect(sim.serviceJournal(u, WORKER)).toContain('concourse worker 7.14.3 (stand-in) running');
      expect(sim.serviceState(u, WORKER)?.active).toBe('active');
    }
    // The web restarted on 7.14.3 before any worker was told to land.
    const webRestarts = sim.systemctlCalls('concourse-ci/0').filter((c) => c.argv[0] === 'restart');
    const webSwitch = webRestarts[webRestarts.length - 1]?.t ?? Number.POSITIVE_INFINITY;
    for (const u of WORKERS) {
      const landed =
        sim.systemctlCalls(u).find((c) => c.argv.includes('--signal=SIGUSR1'))?.t ?? Number.NEGATIVE_INFINITY;
      expect(landed).toBeGreaterThan(webSwitch);
    }
  });

  test('a build longer than worker-drain-timeout → the only build interrupted', async () => {
    await sim.config('concourse-ci', { 'worker-drain-timeout': 5 });
    await sim.settle();
    const unit = 'concourse-ci/1';
    startBuild(unit, 'short', '');
    startBuild(unit, 'endless', '');
    startBuild('concourse-ci/2', 'other', 1);
    const r = await sim.runAction('concourse-ci/0', 'rollback', {});
    expect(r.status).toBe('completed');
    const settled = sim.settle();
    // The short build ends while the worker drains; the endless one outlives the timeout.
    await workerPrinted(sim, unit, 'worker landing');
    worker(unit).endBuild('short');
    // While it drains the unit says so (a running hook's status shows at once); looked at until the hooks end.
    let done = false;
    const end = () => {
      done = true;
    };
    settled.then(end, end);
    const draining = () => unitsOf(sim, 'concourse-ci').find((u) => u.name === unit)?.workload;
    let seen = draining();
    while (!done && !/^Draining worker/.test(seen?.message ?? '')) {
      await new Promise((r) => setTimeout(r, 20));
      seen = draining();
    }
    await settled;
    expect(seen?.kind).toBe('maintenance');
    expect(seen?.message).toMatch(/^Draining worker for 7\.14\.3 \((\d+ containers?, )?\d+ s left\)$/);
    expect(WORKERS.map((u) => release(u, WORKER))).toEqual(Array(4).fill('7.14.2'));
    expect(read(unit, 'errored.log')).toBe('errored endless 7.14.3\n');
    for (const u of WORKERS.slice(1)) expect(read(u, 'errored.log')).toBe('');
    expect(read('concourse-ci/2', 'events.log')).toContain('finished other 7.14.3\nworker landed 7.14.3\n');
  });

  test('remove-unit of a busy worker → it retires (not lands) once its build finished; nothing errored', async () => {
    const unit = 'concourse-ci/4';
    startBuild(unit, 'last', 1);
    const before = read(unit, 'events.log');
    await sim.removeUnit(unit);
    await sim.settle();
    expect(read(unit, 'events.log').slice(before.length)).toBe('finished last 7.14.2\nworker retired 7.14.2\n');
    expect(read(unit, 'errored.log')).toBe('');
    expect(unitsOf(sim, 'concourse-ci').map((u) => u.name)).not.toContain(unit);
  });
});
