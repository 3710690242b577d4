// Adapter helper for ProperLockfileLock: the fs proper-lockfile uses, with a heartbeat file inside the lock directory
// rewritten on every refresh, so a waiter judges staleness by content it reads fresh, not by a cached mtime.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { formatHeartbeat, HEARTBEAT_WIDTH, lastSignOfLife, parseHeartbeat } from '../domain/lock-liveness';

/** Name of the heartbeat file inside the lock directory. */
export const HEARTBEAT_FILE = 'heartbeat';

type Callback<T = void> = (err: NodeJS.ErrnoException | null, value?: T) => void;

/** The subset of `fs` proper-lockfile calls (lib/lockfile.js, lib/mtime-precision.js). */
export interface LockFs {
  realpath(path: string, cb: Callback<string>): void;
  mkdir(path: string, cb: Callback): void;
  stat(path: string, cb: Callback<{ readonly mtime: Date }>): void;
  utimes(path: string, atime: Date, mtime: Date, cb: Callback): void;
  rmdir(path: string, cb: Callback): void;
  rmdirSync(path: string): void;
}

/**
 * Writes the heartbeat in place (same file, fixed width, no truncation): NFS's close-to-open makes the next opener
 * see it, and a reader holding a cached size still reads all of it. Best effort: a failed write leaves the mtime.
 */
function writeHeartbeat(lockDir: string, now: number): void {
  try {
    const fd = fs.openSync(join(lockDir, HEARTBEAT_FILE), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    try {
      fs.writeSync(fd, formatHeartbeat(now), 0, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // The directory's mtime still tells the holder is alive, as before heartbeats existed.
  }
}

/** Opened and read (not stat'ed): content comes from the server where attributes may come from a cache. */
function readHeartbeat(lockDir: string): number | undefined {
  try {
    const buffer = Buffer.alloc(HEARTBEAT_WIDTH + 1);
    const fd = fs.openSync(join(lockDir, HEARTBEAT_FILE), 'r');
    try {
      const read = fs.readSync(fd, buffer, 0, buffer.length, 0);
      return parseHeartbeat(buffer.subarray(0, read).toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

function removeHeartbeat(lockDir: string): void {
  try {
    fs.unlinkSync(join(lockDir, HEARTBEAT_FILE));
  } catch {
    // Missing (never written, or already removed): rmdir decides.
  }
}

/**
 * An fs for proper-lockfile on `lockDir`: mkdir and every refresh (utimes) write the heartbeat; rmdir removes it
 * first; stat of a lock that looks stale by its mtime reports the heartbeat's time when that is later, so a lock
 * whose holder is alive is never taken over because this client's cached attributes are old.
 */
export function heartbeatLockFs(lockDir: string, staleMs: number, now: () => number = Date.now): LockFs {
  const isLock = (path: string) => path === lockDir;
  return {
    realpath: (path, cb) => fs.realpath(path, cb),
    mkdir: (path, cb) =>
      fs.mkdir(path, (err) => {
        if (err === null && isLock(path)) writeHeartbeat(path, now());
        cb(err);
      }),
    utimes: (path, atime, mtime, cb) =>
      fs.utimes(path, atime, mtime, (err) => {
        if (err === null && isLock(path)) writeHeartbeat(path, now());
        cb(err);
      }),
    stat: (path, cb) =>
      fs.stat(path, (err, stat) => {
        if (err !== null) return cb(err);
        const mtimeMs = stat.mtime.getTime();
        if (!isLock(path) || mtimeMs >= now() - staleMs) return cb(null, stat);
        const alive = lastSignOfLife({ mtimeMs, heartbeatMs: readHeartbeat(path) });
        cb(null, alive === mtimeMs ? stat : { ...stat, mtime: new Date(alive) });
      }),
    rmdir: (path, cb) => {
      if (isLock(path)) removeHeartbeat(path);
      fs.rmdir(path, cb);
    },
    rmdirSync: (path) => {
      if (isLock(path)) removeHeartbeat(path);
      fs.rmdirSync(path);
    },
  };
}
