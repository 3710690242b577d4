// Unit tests of the drain rule: which signal, when to wait, when the timeout ends it, and the status it shows.

import { describe, expect, test } from 'vitest';
import {
  type DrainRecord,
  drainStatus,
  formatDrainRecord,
  nextDrainStep,
  parseDrainRecord,
} from '../../src/domain/worker-drain';

const NOW = 1_000_000;
const base = {
  wanted: 'land' as const,
  active: true,
  record: undefined,
  now: NOW,
  timeoutMs: 300_000,
  version: '7.14.3',
};
const landing: DrainRecord = { kind: 'land', version: '7.14.3', startedAt: NOW - 60_000, timeoutMs: 300_000 };

describe('nextDrainStep', () => {
  test('a running worker, nothing recorded → signal, recording now and the timeout', () => {
    expect(nextDrainStep(base)).toEqual({
      kind: 'signal',
      record: { kind: 'land', version: '7.14.3', startedAt: NOW, timeoutMs: 300_000 },
    });
  });

  test('a drain recorded a minute ago → wait the 4 minutes left, no second signal', () => {
    expect(nextDrainStep({ ...base, record: landing })).toEqual({ kind: 'wait', record: landing, leftMs: 240_000 });
  });

  test('the recorded deadline passed with the worker still up → timed out', () => {
    expect(nextDrainStep({ ...base, record: landing, now: NOW + 240_000 })).toEqual({
      kind: 'timed-out',
      record: landing,
    });
  });

  test('the worker exited → drained, whatever was recorded', () => {
    expect(nextDrainStep({ ...base, active: false, record: landing })).toEqual({ kind: 'drained' });
    expect(nextDrainStep({ ...base, active: false })).toEqual({ kind: 'drained' });
  });

  test('the unit removed while it lands → retire sent, keeping the deadline of the landing', () => {
    expect(nextDrainStep({ ...base, wanted: 'retire', record: landing })).toEqual({
      kind: 'signal',
      record: { ...landing, kind: 'retire' },
    });
  });

  test('worker-drain-timeout=0 → no drain', () => {
    expect(nextDrainStep({ ...base, timeoutMs: 0 })).toEqual({ kind: 'drained' });
  });
});

describe('drainStatus', () => {
  test.each([
    [landing, 2, 240_000, 'Draining worker for 7.14.3 (2 containers, 4 min left)'],
    [landing, 1, 61_000, 'Draining worker for 7.14.3 (1 container, 2 min left)'],
    [landing, 0, 45_000, 'Draining worker for 7.14.3 (0 containers, 45 s left)'],
    [landing, undefined, 240_000, 'Draining worker for 7.14.3 (4 min left)'],
    [{ ...landing, kind: 'retire' as const }, 3, 300_000, 'Retiring worker for 7.14.3 (3 containers, 5 min left)'],
  ])('%j, %s containers, %s ms left → %s', (record, containers, left, status) => {
    expect(drainStatus(record, containers, left)).toBe(status);
  });
});

describe('the drain record', () => {
  test('written then read → the same record', () => {
    expect(parseDrainRecord(formatDrainRecord(landing))).toEqual(landing);
  });

  test.each(['', 'not json', '{"kind":"sleep"}'])('%j → no drain recorded', (text) => {
    expect(parseDrainRecord(text)).toBeUndefined();
  });
});
