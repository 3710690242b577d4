// Hooks: what the restart-services action asks of the reconcile it runs (restart the services even when nothing
// changed; land the worker first, or not with force=true), and what that reconcile did to each service, for the
// action's result. One per hook process; a hook that is not that action asks nothing.

import { injectable } from 'inversify';
import type { ConcourseServiceName } from '../../domain/concourse-services';
import type { Applied } from './service-applier';

export interface RestartRequest {
  /** Skip the drain: running builds are interrupted. */
  readonly force: boolean;
}

@injectable()
export class ServiceRestarts {
  private asked: RestartRequest | undefined;
  private readonly done = new Map<ConcourseServiceName, Applied>();

  ask(request: RestartRequest): void {
    this.asked = request;
  }

  get requested(): RestartRequest | undefined {
    return this.asked;
  }

  record(name: ConcourseServiceName, applied: Applied): void {
    this.done.set(name, applied);
  }

  /** What was done to `name` in this hook; undefined when it was not converged (not one of this unit's roles). */
  outcome(name: ConcourseServiceName): Applied | undefined {
    return this.done.get(name);
  }
}
