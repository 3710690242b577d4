// Unit tests of the worker hold (a worker landed or retired by an action stays stopped) and of the drain outcome as
// actions report it.
import { describe, expect, test } from 'vitest';
import { drainResult, formatWorkerHold, holdStatus, parseWorkerHold } from '../../src/domain/worker-hold';

describe('worker hold', () => {
  test('written → read back; nothing, garbage or another shape → no hold', () => {
    const hold = { kind: 'retire' as const, since: 1_700_000_000_000 };
    expect(parseWorkerHold(formatWorkerHold(hold))).toEqual(hold);
    expect(parseWorkerHold('')).toBeUndefined();
    expect(parseWorkerHold(undefined)).toBeUndefined();
    expect(parseWorkerHold('{"kind":"pause","since":1}')).toBeUndefined();
    expect(parseWorkerHold('not json')).toBeUndefined();
  });

  test.each([
    ['land', 'Worker landed (land-worker): run restart-services to start it'],
    ['retire', 'Worker retired (retire-worker): run restart-services to start it'],
  ] as const)('held by %s → the status names the action and the way back', (kind, message) => {
    expect(holdStatus({ kind, since: 0 })).toBe(message);
  });
});

describe('drain result', () => {
  test.each([
    [{ kind: 'not-running' as const }, { drain: 'not running: nothing to drain' }],
    [
      { kind: 'skipped' as const },
      { drain: 'skipped (force=true or worker-drain-timeout=0): running builds interrupted' },
    ],
    [
      { kind: 'finished' as const, ms: 41_600 },
      { drain: 'finished: every build ended', 'drain-seconds': '42' },
    ],
    [
      { kind: 'timed-out' as const, ms: 300_000, containers: 2 },
      {
        drain: 'timed out (worker-drain-timeout): the builds still running were interrupted',
        'drain-seconds': '300',
        'containers-left': '2',
      },
    ],
    [{ kind: 'timed-out' as const, ms: 10_000, containers: undefined }, { 'containers-left': 'unknown' }],
  ])('%j → %j', (outcome, expected) => {
    expect(drainResult(outcome)).toMatchObject(expected);
  });
});
