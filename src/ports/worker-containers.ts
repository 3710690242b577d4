// Port: how many containers the local worker runs (its builds), for the status while it drains.

export interface WorkerContainers {
  /** Running containers of the worker whose release is in `releaseDir`; undefined when that cannot be read. */
  count(releaseDir: string): Promise<number | undefined>;
}

export const WORKER_CONTAINERS = Symbol.for('concourse-ci-machine/WorkerContainers');
