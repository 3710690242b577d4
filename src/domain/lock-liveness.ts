// Domain: when an install lock counts as stale. On a network filesystem a waiter's view of the lock directory's
// mtime may be its client's cached copy, tens of seconds old; the holder's heartbeat, read as content, is not.

/** Fixed width, so a reader whose client caches the file's size still reads the whole heartbeat. */
export const HEARTBEAT_WIDTH = 16;

/** The heartbeat file's content for a refresh at `now` (epoch ms). */
export function formatHeartbeat(now: number): string {
  return `${String(Math.max(0, Math.floor(now))).padStart(HEARTBEAT_WIDTH - 1, '0')}\n`;
}

/** The heartbeat's time, or undefined for anything not written by formatHeartbeat (missing, torn, foreign). */
export function parseHeartbeat(text: string | undefined): number | undefined {
  if (text === undefined || text.length !== HEARTBEAT_WIDTH || !/^\d+\n$/.test(text)) return undefined;
  return Number(text.trim());
}

/**
 * The time the holder was last known alive: the later of the directory's mtime (possibly a cached view) and the
 * heartbeat it wrote inside (read fresh). Without a heartbeat (a holder killed between mkdir and its first write, or
 * a lock from an older charm), the mtime alone decides, as before.
 */
export function lastSignOfLife(input: { readonly mtimeMs: number; readonly heartbeatMs: number | undefined }): number {
  return Math.max(input.mtimeMs, input.heartbeatMs ?? Number.NEGATIVE_INFINITY);
}

/** A lock is stale when its holder gave no sign of life within `staleMs`. */
export function isLockStale(input: {
  readonly mtimeMs: number;
  readonly heartbeatMs: number | undefined;
  readonly now: number;
  readonly staleMs: number;
}): boolean {
  return lastSignOfLife(input) < input.now - input.staleMs;
}
