// Measurement 1: the shared volume against `shared-storage=none` (every unit downloads and keeps its own release,
// as every other charm does): downloads, bytes fetched and bytes on disk, per size, paired in the same run.

import type { BenchContext } from '../lib/context';
import { pairErrors, type SizePair } from '../lib/deployments';
import { summarize, summarizePairs } from '../lib/stats';

const GROUP = '1 Shared volume vs per-unit copies';
const MiB = 1024 * 1024;

export function reportSharedVsPerUnit(ctx: BenchContext, bySize: ReadonlyMap<number, readonly SizePair[]>): void {
  const { rec } = ctx;
  const oneUnitBytes = bySize.get(1)?.map((p) => p.shared.volumeBytes);
  for (const [units, pairs] of bySize) {
    const error = pairErrors(pairs);
    const downloads = summarizePairs(pairs.map((p) => ({ charm: p.shared.downloads, baseline: p.perUnit.downloads })));
    rec.paired(
      {
        group: GROUP,
        name: `${units} units: downloads`,
        unit: 'downloads',
        baseline: 'per-unit',
        target: '1 per version',
        met: pairs.every((p) => p.shared.downloads === 1),
        ...error,
      },
      downloads,
    );
    rec.paired(
      { group: GROUP, name: `${units} units: bytes fetched`, unit: 'MiB', baseline: 'per-unit' },
      summarizePairs(
        pairs.map((p) => ({ charm: p.shared.bytesFetched / MiB, baseline: p.perUnit.bytesFetched / MiB })),
      ),
    );
    rec.paired(
      { group: GROUP, name: `${units} units: bytes on disk`, unit: 'MiB', baseline: 'per-unit' },
      summarizePairs(pairs.map((p) => ({ charm: p.shared.volumeBytes / MiB, baseline: p.perUnit.volumeBytes / MiB }))),
    );
    if (oneUnitBytes !== undefined && units > 1) {
      const base = summarize(oneUnitBytes).median;
      const growth = summarize(pairs.map((p) => p.shared.volumeBytes / base));
      rec.summary(
        {
          group: GROUP,
          name: `${units} units: volume bytes, N units / 1 unit (shared)`,
          unit: 'x',
          target: '≤ 1.05',
          met: growth.max <= 1.05,
        },
        growth,
      );
    }
    rec.summary(
      { group: GROUP, name: `${units} units: units active (shared / per-unit)`, unit: 'units', ...error },
      summarize(pairs.map((p) => Math.min(p.shared.active, p.perUnit.active))),
    );
    for (const [series, pick] of [
      ['shared volume', (p: SizePair) => p.shared],
      ['per-unit (shared-storage=none)', (p: SizePair) => p.perUnit],
    ] as const) {
      rec.point('storage', {
        panel: 'downloads',
        series,
        x: units,
        y: summarize(pairs.map((p) => pick(p).downloads)).median,
      });
      rec.point('storage', {
        panel: 'MiB on disk',
        series,
        x: units,
        y: summarize(pairs.map((p) => pick(p).volumeBytes / MiB)).median,
      });
    }
  }
}
