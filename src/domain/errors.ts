// Domain: errors that carry the status an operator sees. Thrown anywhere, caught once at the hook boundary,
// which sets the status, logs, and exits 0 (the operator or another unit must act, not Juju's retry).

export type ProblemStatus = 'blocked' | 'waiting';

export class CharmProblem extends Error {
  constructor(
    readonly status: ProblemStatus,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Config, action parameters or relation data an operator can correct. */
export class InvalidInputError extends CharmProblem {
  constructor(message: string) {
    super('blocked', message);
  }
}

/** The storage volume is missing, unwritable, full or replaced. */
export class StorageProblem extends CharmProblem {}

/** The release could not be fetched, verified or unpacked. */
export class ReleaseProblem extends CharmProblem {}

/** A service did not come up (or died right after starting): the unit file and journal say why. */
export class ServiceStartFailed extends CharmProblem {
  constructor(
    readonly service: string,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super('blocked', message, options);
  }
}
