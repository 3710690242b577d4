// Issue 14: a benchmark run where a hook failed or was killed is reported as an error row, never as a plain figure.
// Pure checks of the bench's verdict on a deployment's counts and of the report it writes.
import { describe, expect, test } from 'vitest';
import { BENCH_HOOK_TIMEOUT_MS, type DeployCounts, errorOf, runProblem } from '../../bench/lib/deployments';
import { Recorder, toJson, toMarkdown } from '../../bench/lib/results';

const healthy: DeployCounts = {
  units: 3,
  settleMs: 1000,
  active: 3,
  downloads: 1,
  bytesFetched: 1,
  volumeBytes: 1,
  hooks: 47,
  failedHooks: 0,
  killedHooks: 0,
  hooksByName: { install: 3 },
  toolCalls: 600,
  peerWrites: 7,
  largestStateValue: 500,
  errorLogs: 0,
};

describe('runProblem', () => {
  test.each([
    ['every hook exited 0 and every unit is active', healthy, undefined],
    [
      'a hook killed by the timeout',
      { ...healthy, failedHooks: 1, killedHooks: 1 },
      `1 hooks killed after ${BENCH_HOOK_TIMEOUT_MS / 60_000} min`,
    ],
    ['two hooks exited non-zero', { ...healthy, failedHooks: 2 }, '2 hooks failed'],
    ['one unit not active', { ...healthy, active: 2 }, '2/3 units active'],
    [
      'a kill, a failure and a unit left behind',
      { ...healthy, failedHooks: 2, killedHooks: 1, active: 2 },
      `1 hooks killed after ${BENCH_HOOK_TIMEOUT_MS / 60_000} min, 1 hooks failed, 2/3 units active`,
    ],
  ])('%s → %s', (_, counts, expected) => {
    expect(runProblem(counts)).toBe(expected);
  });
});

describe('error rows', () => {
  test('one run of two killed a hook → the record carries the run and the kill', () => {
    expect(
      errorOf([
        { label: 'run 1', counts: healthy },
        { label: 'run 2', counts: { ...healthy, failedHooks: 1, killedHooks: 1 } },
      ]),
    ).toEqual({ error: `run 2: 1 hooks killed after ${BENCH_HOOK_TIMEOUT_MS / 60_000} min` });
    expect(errorOf([{ label: 'run 1', counts: healthy }])).toEqual({});
  });

  test('an error row → "error" in the met column, listed under Errors, kept in the JSON', () => {
    const rec = new Recorder();
    const row = { group: '2 Growth', unit: 's', median: 5, min: 5, max: 5, runs: 1 };
    rec.add({ ...row, name: '3 units: time to settle', error: 'run 1: 1 hooks failed' });
    rec.add({ ...row, name: '1 units: time to settle' });
    const meta = { startedAt: 't', quick: true, machine: 'm', wallSeconds: 1 };
    const md = toMarkdown(meta, rec, []);
    expect(md).toContain('| 3 units: time to settle | 5 s | 5–5 | 1 |  |  |  | **error** |');
    expect(md).toContain('## Errors');
    expect(md).toContain('- 2 Growth: 3 units: time to settle: run 1: 1 hooks failed.');
    expect(md).not.toContain('1 units: time to settle: ');
    const json = JSON.parse(toJson(meta, rec)) as { measurements: Array<{ error?: string }> };
    expect(json.measurements.map((m) => m.error)).toEqual(['run 1: 1 hooks failed', undefined]);
  });
});
