// Adapter (Clock): the machine's wall clock and Node's timers. The only place the charm reads real time, so tests
// and the domain can run on a fake one.

import { setTimeout as delay } from 'node:timers/promises';
import { injectable } from 'inversify';
import type { Clock } from '../ports/clock';

@injectable()
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  /** Rejects with an AbortError as soon as `signal` aborts (at once if it already has). */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    await delay(Math.max(0, ms), undefined, signal === undefined ? undefined : { signal });
  }
}
