// Measurement 6: the `upgrade` action on 5 and 20 units: time until every unit runs the new release, downloads it
// caused, and what the web and the workers went through (stops, restarts, time not serving), from the fake systemd.

import { unitsOf } from '../../sim/concourse/postgres-stub';
import type { SimModel, SystemctlCall } from '../../sim/model';
import type { BenchContext } from '../lib/context';
import { APP, countHooks, deployAndSettle, errorOf, NEXT_VERSION } from '../lib/deployments';
import { summarize } from '../lib/stats';

const GROUP = '6 Upgrade by the action';
const WEB = 'concourse-server.service';
const WORKER = 'concourse-worker.service';

/** `beforeUpgrade` gets the first deployment, settled and idle (measurement 3 runs there, saving a deployment). */
export async function measureUpgrade(
  ctx: BenchContext,
  sizes: readonly number[],
  beforeUpgrade: (sim: SimModel) => Promise<void>,
): Promise<void> {
  const { rec } = ctx;
  for (const [i, units] of sizes.entries()) {
    const { sim, counts } = await deployAndSettle(ctx, { units, sharedStorage: 'auto' });
    try {
      if (i === 0) await beforeUpgrade(sim);
      const before = ctx.server.downloads(NEXT_VERSION);
      const since = Date.now();
      const started = performance.now();
      const result = await sim.runAction(`${APP}/0`, 'upgrade', { version: NEXT_VERSION });
      await sim.settle({ maxRounds: 1000 });
      const seconds = (performance.now() - started) / 1000;
      const on = unitsOf(sim, APP).filter((u) => u.workload.message.includes(`(v${NEXT_VERSION})`)).length;
      const downloads = ctx.server.downloads(NEXT_VERSION) - before;
      // Hooks of the deployment and of the roll-out together: a failed or killed one makes every figure an error row.
      const after = { ...counts, ...countHooks(sim), active: on };
      const error = errorOf([{ label: `upgrade of ${units} units`, counts: after }]);
      const once = (median: number) => ({ median, min: median, max: median, runs: 1, ...error });
      rec.add({
        group: GROUP,
        name: `${units} units: action to every unit on ${NEXT_VERSION}`,
        unit: 's',
        ...once(seconds),
        note: `action ${result.status}, ${on}/${units} units on it`,
        ...(result.status === 'completed' ? {} : { error: `the action ${result.status}: ${result.message ?? ''}` }),
      });
      rec.add({
        group: GROUP,
        name: `${units} units: downloads`,
        unit: 'downloads',
        ...once(downloads),
        target: '1 per version',
        met: downloads === 1,
      });
      const web = unitsOf(sim, APP)
        .map((u) => sim.systemctlCalls(u.name).filter((c) => c.t >= since && c.argv.at(-1) === WEB))
        .filter((calls) => calls.length > 0);
      const webRestarts = web.map((calls) => calls.filter((c) => c.argv[0] === 'restart').length);
      const webStops = web.map((calls) => calls.filter((c) => c.argv[0] === 'stop').length);
      rec.summary(
        {
          group: GROUP,
          name: `${units} units: web stops + restarts, per web unit`,
          unit: 'restarts',
          target: '≤ one restart',
          met: web.length > 0 && web.every((_, i) => (webStops[i] ?? 0) === 0 && (webRestarts[i] ?? 0) <= 1),
          ...error,
        },
        summarize(web.map((_, i) => (webStops[i] ?? 0) + (webRestarts[i] ?? 0))),
      );
      rec.summary(
        {
          group: GROUP,
          name: `${units} units: web stopped (stop to start), per web unit`,
          unit: 'ms',
          note: "a restart is one systemd job; its own length is the web's start time, which the simulator does not run",
        },
        summarize(web.map(stoppedMs)),
      );
      const workers = unitsOf(sim, APP)
        .map((u) => sim.systemctlCalls(u.name).filter((c) => c.t >= since && c.argv.at(-1) === WORKER))
        .filter((calls) => calls.length > 0);
      if (workers.length > 0) {
        // A worker switches by landing (systemctl kill --signal=SIGUSR1: it exits once its builds are done) and a
        // start, not by a restart; any of the three is one interruption of that worker.
        const switches = (c: SystemctlCall) =>
          c.argv[0] === 'stop' || c.argv[0] === 'restart' || (c.argv[0] === 'start' && c.argv.length === 2);
        rec.summary(
          {
            group: GROUP,
            name: `${units} units: worker stops, restarts or land + start, per worker`,
            unit: 'switches',
          },
          summarize(workers.map((calls) => calls.filter(switches).length)),
        );
      }
      const drains = sim.debugLog().filter((l) => / worker\.drain/.test(l));
      if (drains.length === 0) {
        rec.note(
          `Upgrade of ${units} units: no worker drained (the charm logged no worker.drain event), so drain time is not measured.`,
        );
      }
    } finally {
      await sim.close();
    }
  }
}

/** Milliseconds between each stop and the next start/restart of the service, summed. */
function stoppedMs(calls: readonly SystemctlCall[]): number {
  let total = 0;
  let stoppedAt: number | undefined;
  for (const c of calls) {
    if (c.argv[0] === 'stop') stoppedAt ??= c.t;
    if ((c.argv[0] === 'start' || c.argv[0] === 'restart') && stoppedAt !== undefined) {
      total += c.t - stoppedAt;
      stoppedAt = undefined;
    }
  }
  return total;
}
