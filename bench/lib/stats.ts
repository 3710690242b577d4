// Benchmark support: the statistics every figure goes through. A figure is the median of its runs with min and max;
// a comparison is the median of per-pair ratios, each pair measured back to back in the same run.

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export interface PairedSummary extends Summary {
  /** Median of the baseline's samples. */
  readonly baseline_median: number;
  /** Median of charm/baseline taken pair by pair (not the ratio of the medians). */
  readonly ratio: number;
  readonly ratio_min: number;
  readonly ratio_max: number;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summary of no samples');
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), runs: samples.length };
}

export interface Pair {
  readonly charm: number;
  readonly baseline: number;
}

/** Ratios of a zero baseline are left out (they say nothing); with none left the ratio is NaN. */
export function summarizePairs(pairs: readonly Pair[]): PairedSummary {
  const charm = summarize(pairs.map((p) => p.charm));
  const ratios = pairs.filter((p) => p.baseline !== 0).map((p) => p.charm / p.baseline);
  return {
    ...charm,
    baseline_median: median(pairs.map((p) => p.baseline)),
    ratio: ratios.length === 0 ? Number.NaN : median(ratios),
    ratio_min: ratios.length === 0 ? Number.NaN : Math.min(...ratios),
    ratio_max: ratios.length === 0 ? Number.NaN : Math.max(...ratios),
  };
}

/**
 * Least-squares fit of y = a + b·x + c·x² (three or more points), for extrapolating on paper to a size this machine
 * cannot run. Hooks grow with peer pairs, so quadratic is the honest shape; with two points it falls back to a line.
 */
export function fitQuadratic(points: ReadonlyArray<{ x: number; y: number }>): (x: number) => number {
  if (points.length < 2) throw new Error('a fit needs two points or more');
  if (points.length === 2) {
    const [p, q] = points as [{ x: number; y: number }, { x: number; y: number }];
    const slope = (q.y - p.y) / (q.x - p.x);
    return (x) => p.y + slope * (x - p.x);
  }
  // Normal equations for [a, b, c].
  const s = (k: number) => points.reduce((acc, p) => acc + p.x ** k, 0);
  const t = (k: number) => points.reduce((acc, p) => acc + p.y * p.x ** k, 0);
  const m = [
    [s(0), s(1), s(2), t(0)],
    [s(1), s(2), s(3), t(1)],
    [s(2), s(3), s(4), t(2)],
  ];
  for (let col = 0; col < 3; col++) {
    const pivot = m[col]?.[col] ?? 0;
    for (let row = 0; row < 3; row++) {
      if (row === col) continue;
      const f = (m[row]?.[col] ?? 0) / pivot;
      for (let k = col; k < 4; k++) (m[row] as number[])[k] = (m[row]?.[k] ?? 0) - f * (m[col]?.[k] ?? 0);
    }
  }
  const [a, b, c] = [0, 1, 2].map((i) => (m[i]?.[3] ?? 0) / (m[i]?.[i] ?? 1)) as [number, number, number];
  return (x) => a + b * x + c * x * x;
}
