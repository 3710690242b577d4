// Port: the install lock on the shared volume (`.install.lock`). A hint that saves duplicate downloads, never the
// only guard: publication by rename is what keeps the volume correct if two holders ever overlap.

export interface LockHandle {
  /** Aborted when the lock was lost while held (removed, taken over as stale); the holder must stop writing. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface Lock {
  /** One attempt, no waiting: the handle, or undefined when another live holder has it. Stale locks are taken over. */
  tryAcquire(): Promise<LockHandle | undefined>;
  /** True while some holder (maybe us) keeps the lock fresh. */
  isHeld(): Promise<boolean>;
}

export const LOCK = Symbol.for('concourse-ci-machine/Lock');

/** How long a lock not refreshed counts as alive. Long on purpose: NFS clients cache attributes up to 60 s. */
export interface LockTiming {
  readonly staleMs: number;
  readonly updateMs: number;
}

export const LOCK_TIMING = Symbol.for('concourse-ci-machine/LockTiming');
