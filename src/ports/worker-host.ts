// Port: what the worker's machine is, for the defaults chosen from it (worker-defaults.ts): container or VM, the
// filesystem under the work dir, and the resolvers it is told to use.

import type { WorkerHostFacts } from '../domain/worker-defaults';

export interface WorkerHost {
  /** Never throws: a fact that cannot be read is reported unknown (undefined), not guessed. */
  facts(workDir: string): Promise<WorkerHostFacts>;
}

export const WORKER_HOST = Symbol.for('concourse-ci-machine/WorkerHost');
