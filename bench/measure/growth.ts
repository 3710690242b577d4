// Measurement 2: how the cost of a deployment grows with its units: hooks run against the minimum Juju itself
// imposes, hook-tool calls, peer-relation writes, time to settle and the largest charm-state value.

import type { BenchContext } from '../lib/context';
import { errorOf, jujuMinimumHooks, jujuMinimumHooksByName, type SizePair } from '../lib/deployments';
import { fitQuadratic, summarize, summarizePairs } from '../lib/stats';

const GROUP = '2 Growth with units (shared volume)';
/** The charm's application relates over `peers` and to its database (one stand-in unit). */
const RELATIONS = 2;
const DATABASE_UNITS = 1;

export function reportGrowth(
  ctx: BenchContext,
  bySize: ReadonlyMap<number, readonly SizePair[]>,
  extrapolateTo: readonly number[],
): void {
  const { rec } = ctx;
  const sizes = [...bySize.keys()].sort((a, b) => a - b);
  let smallestStateValue: number | undefined;
  for (const units of sizes) {
    const runs = (bySize.get(units) ?? []).map((p) => p.shared);
    const error = errorOf(runs.map((counts, i) => ({ label: `run ${i + 1}`, counts })));
    const minimum = jujuMinimumHooks(units, RELATIONS, DATABASE_UNITS);
    const hooks = summarizePairs(runs.map((r) => ({ charm: r.hooks, baseline: minimum })));
    rec.paired(
      {
        group: GROUP,
        name: `${units} units: hooks run`,
        unit: 'hooks',
        baseline: 'Juju minimum',
        target: '≤ 1.1x Juju minimum',
        met: hooks.ratio <= 1.1,
        ...error,
      },
      hooks,
    );
    rec.summary(
      { group: GROUP, name: `${units} units: failed hooks`, unit: 'hooks', ...error },
      summarize(runs.map((r) => r.failedHooks)),
    );
    rec.summary(
      { group: GROUP, name: `${units} units: killed hooks`, unit: 'hooks', ...error },
      summarize(runs.map((r) => r.killedHooks)),
    );
    // Which hooks run beyond the minimum, by name: where the waste is (a hook Juju runs for a write, say).
    const minimumByName = jujuMinimumHooksByName(units, DATABASE_UNITS);
    const names = [...new Set([...Object.keys(minimumByName), ...runs.flatMap((r) => Object.keys(r.hooksByName))])];
    for (const name of names.sort()) {
      const counts = runs.map((r) => r.hooksByName[name] ?? 0);
      const min = minimumByName[name] ?? 0;
      if (counts.every((c) => c === min)) continue;
      rec.summary(
        {
          group: GROUP,
          name: `${units} units: ${name} hooks beyond the Juju minimum (${min})`,
          unit: 'hooks',
        },
        summarize(counts.map((c) => c - min)),
      );
    }
    rec.summary(
      { group: GROUP, name: `${units} units: hook-tool calls`, unit: 'calls' },
      summarize(runs.map((r) => r.toolCalls)),
    );
    rec.summary(
      { group: GROUP, name: `${units} units: peer-relation writes`, unit: 'writes' },
      summarize(runs.map((r) => r.peerWrites)),
    );
    rec.summary(
      { group: GROUP, name: `${units} units: time to settle`, unit: 's', ...error },
      summarize(runs.map((r) => r.settleMs / 1000)),
    );
    const state = summarize(runs.map((r) => r.largestStateValue));
    smallestStateValue ??= state.max;
    rec.summary(
      {
        group: GROUP,
        name: `${units} units: largest charm-state value`,
        unit: 'bytes',
        target: 'independent of N',
        // Unit names get a digit longer past 9 units; anything more is growth.
        met: state.max <= smallestStateValue + 8,
      },
      state,
    );
    rec.point('growth', { panel: 'hooks run', series: 'charm', x: units, y: hooks.median });
    rec.point('growth', { panel: 'hooks run', series: 'Juju minimum', x: units, y: minimum });
    rec.point('growth', {
      panel: 'seconds to settle',
      series: 'charm',
      x: units,
      y: summarize(runs.map((r) => r.settleMs / 1000)).median,
    });
  }
  rec.note(
    "Hooks beyond the Juju minimum, by cause (from the per-hook-name rows of measurement 2): one peers-relation-changed on every non-leader for the leader's write of the target and the web keys' secret in the peer application bag, and one on every other unit for the web's TSA offer and running-version, published only once the web serves (the workers wait for it). Both are one write each, N-1 hooks; no hook count grows with the square of N any more.",
  );
  if (sizes.length < 2) return;
  const fitMedians = (pick: (p: SizePair) => number) =>
    fitQuadratic(sizes.map((x) => ({ x, y: summarize((bySize.get(x) ?? []).map(pick)).median })));
  const hooksAt = fitMedians((p) => p.shared.hooks);
  const secondsAt = fitMedians((p) => p.shared.settleMs / 1000);
  for (const units of extrapolateTo) {
    const minimum = jujuMinimumHooks(units, RELATIONS, DATABASE_UNITS);
    const hooks = hooksAt(units);
    rec.add({
      group: GROUP,
      name: `${units} units: hooks run`,
      unit: 'hooks',
      median: hooks,
      min: hooks,
      max: hooks,
      runs: 0,
      baseline: 'Juju minimum',
      baseline_median: minimum,
      ratio: hooks / minimum,
      ratio_min: hooks / minimum,
      ratio_max: hooks / minimum,
      target: '≤ 1.1x Juju minimum',
      met: hooks / minimum <= 1.1,
      extrapolated: true,
      note: `quadratic fit over ${sizes.join(', ')} units`,
    });
    const seconds = secondsAt(units);
    rec.add({
      group: GROUP,
      name: `${units} units: time to settle`,
      unit: 's',
      median: seconds,
      min: seconds,
      max: seconds,
      runs: 0,
      extrapolated: true,
      note: `quadratic fit over ${sizes.join(', ')} units`,
    });
  }
}
