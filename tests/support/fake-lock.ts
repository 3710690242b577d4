// Test support: the install lock in memory, keeping its own record (attempts, acquisitions, releases), so a test
// proves "no lock taken" from the lock itself rather than from a missing log line.

import type { Lock, LockHandle } from '../../src/ports/lock';

export class RecordingLock implements Lock {
  attempts = 0;
  acquisitions = 0;
  releases = 0;
  /** Another unit holds it (tryAcquire gets nothing). */
  heldElsewhere = false;
  private holding = false;

  async tryAcquire(): Promise<LockHandle | undefined> {
    this.attempts++;
    if (this.heldElsewhere || this.holding) return undefined;
    this.acquisitions++;
    this.holding = true;
    return {
      lost: new AbortController().signal,
      release: async () => {
        this.holding = false;
        this.releases++;
      },
    };
  }

  async isHeld(): Promise<boolean> {
    return this.heldElsewhere || this.holding;
  }
}
