// Issue 14: the bench's statistics: medians with min and max, ratios taken pair by pair (not the ratio of the
// medians), and the fit used to extrapolate a size the machine cannot run.
import { describe, expect, test } from 'vitest';
import { fitQuadratic, median, summarize, summarizePairs } from '../../bench/lib/stats';

describe('median and summary', () => {
  test.each([
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
  ])('samples %j → median %d', (samples, expected) => {
    expect(median(samples)).toBe(expected);
  });

  test('samples 3, 9, 1 → median 3, min 1, max 9, 3 runs', () => {
    expect(summarize([3, 9, 1])).toEqual({ median: 3, min: 1, max: 9, runs: 3 });
  });

  test('no samples → an error, not a made-up figure', () => {
    expect(() => summarize([])).toThrow('no samples');
  });
});

describe('pairs', () => {
  test('ratios pair by pair → the median of the ratios, not the ratio of the medians', () => {
    const s = summarizePairs([
      { charm: 10, baseline: 5 },
      { charm: 30, baseline: 10 },
      { charm: 4, baseline: 4 },
    ]);
    expect(s.ratio).toBe(2);
    expect([s.ratio_min, s.ratio_max]).toEqual([1, 3]);
    expect(s.median).toBe(10);
    expect(s.baseline_median).toBe(5);
  });

  test('a zero baseline → left out of the ratios; only zeros → NaN', () => {
    expect(
      summarizePairs([
        { charm: 1, baseline: 0 },
        { charm: 6, baseline: 3 },
      ]).ratio,
    ).toBe(2);
    expect(summarizePairs([{ charm: 1, baseline: 0 }]).ratio).toBeNaN();
  });
});

describe('extrapolation', () => {
  test('points on y = 2 + x + 3x² → the same curve at 30', () => {
    const at = fitQuadratic([1, 3, 10].map((x) => ({ x, y: 2 + x + 3 * x * x })));
    expect(at(30)).toBeCloseTo(2 + 30 + 2700, 6);
  });

  test('two points → a straight line through them', () => {
    expect(
      fitQuadratic([
        { x: 1, y: 2 },
        { x: 3, y: 6 },
      ])(10),
    ).toBeCloseTo(20, 9);
  });
});
