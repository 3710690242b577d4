// Port: time. The domain never reads the wall clock itself; hooks and tests inject one.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const CLOCK = Symbol.for('concourse-ci-machine/Clock');
