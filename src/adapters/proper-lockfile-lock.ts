// Adapter for the Lock port: the install lock as a proper-lockfile lock directory `<volume>/.install.lock`.
// mkdir is atomic on local filesystems and NFS; liveness is a heartbeat file inside it, rewritten while held.

import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { inject, injectable } from 'inversify';
import { check, lock } from 'proper-lockfile';
import { InvalidInputError } from '../domain/errors';
import { LOCK_TIMING, type Lock, type LockHandle, type LockTiming } from '../ports/lock';
import { STORE_ROOT } from '../ports/store-root';
import { errorCode } from './fs-errors';
import { heartbeatLockFs, type LockFs } from './lock-heartbeat-fs';

/**
 * proper-lockfile's own bounds (lib/lockfile.js): it raises `stale` to at least 2000 ms and clamps `update` to
 * [1000, stale / 2]. We apply the same bounds up front so the timing we report is the timing in force.
 */
export const MIN_STALE_MS = 2_000;
export const MIN_UPDATE_MS = 1_000;

/**
 * Production timing. Stale is long because NFS clients cache attributes (mtime included) for up to 60 s, so a
 * holder's refreshes may stay invisible to other hosts that long; a shorter stale would hand the lock to a second
 * unit while the first is alive and downloading. Refreshing every 10 s leaves many chances within that window.
 */
export const defaultLockTiming: LockTiming = Object.freeze({ staleMs: 120_000, updateMs: 10_000 });

/** Name of the lock directory inside the volume root (DESIGN.md section 2). */
export const LOCK_DIR_NAME = '.install.lock';

/** The environment variable the simulator and tests use to shorten stale takeover; never set on a real unit. */
export const LOCK_STALE_ENV = 'CONCOURSE_CHARM_LOCK_STALE_MS';

/** Clamps a timing to what proper-lockfile will actually use. */
export function effectiveLockTiming(timing: LockTiming): LockTiming {
  const staleMs = Math.max(Math.floor(timing.staleMs), MIN_STALE_MS);
  const updateMs = Math.max(Math.min(Math.floor(timing.updateMs), staleMs / 2), MIN_UPDATE_MS);
  return { staleMs, updateMs };
}

/**
 * Timing from the hook environment: `CONCOURSE_CHARM_LOCK_STALE_MS` overrides stale (simulator and tests only, so a
 * killed downloader is taken over in seconds). The refresh interval follows as min(10 s, stale / 3): three refreshes
 * per stale window tolerate one late timer without looking dead.
 */
export function lockTimingFromEnv(env: Readonly<Record<string, string | undefined>>): LockTiming {
  const raw = env[LOCK_STALE_ENV];
  if (raw === undefined || raw.trim() === '') return defaultLockTiming;
  const text = raw.trim();
  if (!/^\d{1,9}$/.test(text)) {
    throw new InvalidInputError(`${LOCK_STALE_ENV} must be a whole number of milliseconds, got ${JSON.stringify(raw)}`);
  }
  const staleMs = Number(text);
  return effectiveLockTiming({ staleMs, updateMs: Math.min(defaultLockTiming.updateMs, staleMs / 3) });
}

/** Why a held lock was lost: the reason of the handle's `lost` signal. */
export class LockLostError extends Error {
  constructor(
    readonly lockPath: string,
    cause: unknown,
  ) {
    super(`Install lock ${lockPath} was lost while held: ${describe(cause)}`, { cause });
    this.name = 'LockLostError';
  }
}

/**
 * proper-lockfile keeps one module-global entry per locked path, so inside one process a second handle that took a
 * stale lock over replaces the first handle's entry, and the first handle's `release()` would then remove the
 * second handle's lock. This records which handle of this process currently owns each path.
 */
const inProcessOwners = new Map<string, object>();

/** Error codes that mean "the lock is already not ours", which release treats as done. */
const GONE_CODES = new Set(['ERELEASED', 'ENOTACQUIRED', 'ECOMPROMISED', 'ENOENT']);

class ProperLockfileHandle implements LockHandle {
  private releasing: Promise<void> | undefined;

  constructor(
    private readonly key: string,
    private readonly lostController: AbortController,
    private readonly unlock: () => Promise<void>,
  ) {}

  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  release(): Promise<void> {
    // Memoised so that a second call (a finally block after an explicit release) is a no-op, not a second rmdir.
    this.releasing ??= this.doRelease().catch((err: unknown) => {
      this.releasing = undefined;
      throw err;
    });
    return this.releasing;
  }

  private async doRelease(): Promise<void> {
    const ownsPath = inProcessOwners.get(this.key) === this;
    if (ownsPath) inProcessOwners.delete(this.key);
    // Once lost, the lock directory (if any) belongs to whoever took it over: leave it alone.
    if (this.lostController.signal.aborted || !ownsPath) return;
    try {
      await this.unlock();
    } catch (err) {
      if (!GONE_CODES.has(errorCode(err) ?? '')) throw err;
    }
  }
}

@injectable()
export class ProperLockfileLock implements Lock {
  private readonly timing: LockTiming;
  private readonly lockPath: string;
  private readonly root: string;
  /** One per lock: proper-lockfile caches the mtime precision it probed on the fs object. */
  private readonly fs: LockFs;

  constructor(@inject(STORE_ROOT) root: string, @inject(LOCK_TIMING) timing: LockTiming) {
    this.root = resolve(root);
    this.lockPath = join(this.root, LOCK_DIR_NAME);
    this.timing = effectiveLockTiming(timing);
    this.fs = heartbeatLockFs(this.lockPath, this.timing.staleMs);
  }

  /**
   * Whether a failed attempt only means another unit got there first. Besides ELOCKED, a stale takeover racing with
   * other units can surface the lock directory appearing (EEXIST, ENOTEMPTY) or vanishing (ENOENT) between
   * proper-lockfile's steps; a missing volume root is a real error.
   */
  private async lostRace(code: string | undefined): Promise<boolean> {
    if (code === 'ELOCKED' || code === 'EEXIST' || code === 'ENOTEMPTY') return true;
    if (code !== 'ENOENT') return false;
    try {
      await access(this.root);
      return true;
    } catch {
      return false;
    }
  }

  async tryAcquire(): Promise<LockHandle | undefined> {
    const lostController = new AbortController();
    const key = this.root;
    let handle: ProperLockfileHandle | undefined;
    let release: () => Promise<void>;
    try {
      release = await lock(this.root, {
        // The volume root is the "file" being locked; the lock directory is the documented `.install.lock` in it.
        lockfilePath: this.lockPath,
        // Staleness by the holder's heartbeat, read as content: a waiter's cached mtime may be tens of seconds old.
        fs: this.fs,
        // The root may be a symlink or a bind mount seen under different names; every unit uses the same path.
        realpath: false,
        stale: this.timing.staleMs,
        update: this.timing.updateMs,
        // One attempt: callers poll with their own deadline and report progress while they wait.
        retries: 0,
        // Runs from proper-lockfile's refresh timer: a throw here would crash the hook, so it must never throw.
        onCompromised: (err: Error) => {
          try {
            if (handle !== undefined && inProcessOwners.get(key) === handle) inProcessOwners.delete(key);
            if (!lostController.signal.aborted) lostController.abort(new LockLostError(this.lockPath, err));
          } catch {
            // Nothing sensible is left to do; the holder sees `lost` (or finds out by its own checks).
          }
        },
      });
    } catch (err) {
      if (await this.lostRace(errorCode(err))) return undefined;
      throw err;
    }
    handle = new ProperLockfileHandle(key, lostController, release);
    inProcessOwners.set(key, handle);
    return handle;
  }

  async isHeld(): Promise<boolean> {
    return check(this.root, {
      lockfilePath: this.lockPath,
      fs: this.fs,
      realpath: false,
      stale: this.timing.staleMs,
    });
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return errorCode(err) === undefined ? err.message : `${errorCode(err)}: ${err.message}`;
  return String(err);
}
