// Measurement 3: what one `update-status` on an idle unit costs (wall, CPU, peak memory) against starting Node.js
// and doing nothing (`node -e 0`), pair by pair on the same unit, and how many hook-tool calls it makes, per role.

import type { SimModel } from '../../sim/model';
import type { BenchContext } from '../lib/context';
import { APP } from '../lib/deployments';
import { parseRusage, type Rusage, TIME_BIN, TIME_FORMAT } from '../lib/rusage';
import { summarize, summarizePairs } from '../lib/stats';

const GROUP = '3 Hook overhead (update-status on an idle unit)';
/** `node -e 0` plus this much is the target for one update-status. */
const TARGET_EXTRA_MS = 80;

/** On a settled deployment in `auto` mode of two units or more: the leader (unit 0) runs web, unit 1 a worker. */
export async function measureHookOverhead(ctx: BenchContext, sim: SimModel): Promise<void> {
  const { rec } = ctx;
  const pairs = ctx.quick ? 2 : 10;
  {
    const roles = [
      { role: 'web', unit: `${APP}/0` },
      { role: 'worker', unit: `${APP}/1` },
    ];
    for (const { role, unit } of roles) {
      const hook: Rusage[] = [];
      const node: Rusage[] = [];
      const calls: number[] = [];
      for (let i = 0; i < pairs; i++) {
        const before = sim.toolCalls;
        const h = await sim.exec(
          unit,
          ['sh', '-c', `exec ${TIME_BIN} -f '${TIME_FORMAT}' "$JUJU_CHARM_DIR/dispatch"`],
          {
            env: { JUJU_DISPATCH_PATH: 'hooks/update-status' },
          },
        );
        calls.push(sim.toolCalls - before);
        if (h.exitCode !== 0) throw new Error(`update-status on ${unit} failed:\n${h.stderr.slice(-2000)}`);
        hook.push(parseRusage(h.stderr));
        // The same node the charm runs with (the unit's own, from the snap), started the same way.
        const n = await sim.exec(unit, ['sh', '-c', `exec ${TIME_BIN} -f '${TIME_FORMAT}' node -e 0`]);
        if (n.exitCode !== 0) throw new Error(`node -e 0 on ${unit} failed:\n${n.stderr.slice(-2000)}`);
        node.push(parseRusage(n.stderr));
      }
      const wall = summarizePairs(hook.map((h, i) => ({ charm: h.wallMs, baseline: node[i]?.wallMs ?? 0 })));
      const extra = summarize(hook.map((h, i) => h.wallMs - (node[i]?.wallMs ?? 0)));
      rec.paired({ group: GROUP, name: `${role}: wall time`, unit: 'ms', baseline: 'node -e 0' }, wall);
      rec.summary(
        {
          group: GROUP,
          name: `${role}: wall time over node -e 0`,
          unit: 'ms',
          target: `≤ ${TARGET_EXTRA_MS} ms`,
          met: extra.median <= TARGET_EXTRA_MS,
        },
        extra,
      );
      rec.paired(
        { group: GROUP, name: `${role}: CPU (user+system)`, unit: 'ms', baseline: 'node -e 0' },
        summarizePairs(hook.map((h, i) => ({ charm: h.cpuMs, baseline: node[i]?.cpuMs ?? 0 }))),
      );
      rec.paired(
        { group: GROUP, name: `${role}: peak memory`, unit: 'MiB', baseline: 'node -e 0' },
        summarizePairs(hook.map((h, i) => ({ charm: h.maxRssKiB / 1024, baseline: (node[i]?.maxRssKiB ?? 0) / 1024 }))),
      );
      rec.summary(
        { group: GROUP, name: `${role}: hook-tool calls per update-status`, unit: 'calls' },
        summarize(calls),
      );
    }
  }
}
