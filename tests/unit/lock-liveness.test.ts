// Unit tests for the install lock's liveness rule: the later of the directory's mtime (maybe a client's cached view)
// and the holder's heartbeat decides; a missing or torn heartbeat leaves the mtime alone to decide.

import { expect, test } from 'vitest';
import { formatHeartbeat, HEARTBEAT_WIDTH, isLockStale, parseHeartbeat } from '../../src/domain/lock-liveness';

const now = 1_000_000_000;
const staleMs = 120_000;

test.each([
  ['cached mtime old, heartbeat fresh → alive', now - 300_000, now - 1_000, false],
  ['mtime fresh, heartbeat old → alive', now - 1_000, now - 300_000, false],
  ['both older than the stale window → stale', now - 300_000, now - 200_000, true],
  [
    'no heartbeat, mtime old → stale (an older charm, or killed before its first write)',
    now - 300_000,
    undefined,
    true,
  ],
  ['no heartbeat, mtime fresh → alive', now - 1_000, undefined, false],
  ['heartbeat exactly at the window edge → alive', now - 300_000, now - staleMs, false],
] as const)('%s', (_name, mtimeMs, heartbeatMs, stale) => {
  expect(isLockStale({ mtimeMs, heartbeatMs, now, staleMs })).toBe(stale);
});

test('heartbeat written at a time → fixed width, read back as that time', () => {
  const text = formatHeartbeat(1_765_000_000_123);
  expect(text).toHaveLength(HEARTBEAT_WIDTH);
  expect(parseHeartbeat(text)).toBe(1_765_000_000_123);
  expect(formatHeartbeat(0)).toHaveLength(HEARTBEAT_WIDTH);
});

test.each([
  ['missing', undefined],
  ['empty (torn write)', ''],
  ['short', '123\n'],
  ['not a number', 'xxxxxxxxxxxxxxx\n'],
  ['no newline', '0000000000000001'],
])('heartbeat %s → no time, the mtime decides', (_name, text) => {
  expect(parseHeartbeat(text)).toBeUndefined();
});
