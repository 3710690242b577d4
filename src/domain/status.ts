// Domain: how short operator-facing status messages are composed.

import { describeRoles, type Role } from './roles';

/** Juju shows one line; long messages are cut by the CLI, so keep the cause first and the fix second. */
export function joinStatus(...parts: readonly (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' · ');
}

/** `Web ready (v7.14.2) http://10.0.0.5:8080`, `Worker ready (v7.14.2)`: what runs, which release, where. */
export function readyMessage(roles: readonly Role[], version: string, url: string | undefined): string {
  return [`${describeRoles(roles)} ready (v${version})`, roles.includes('web') ? url : undefined]
    .filter((p) => p !== undefined && p !== '')
    .join(' ');
}

export interface UnitStatusInput {
  readonly roles: readonly Role[];
  /** The release this unit's services run now. */
  readonly running: string;
  readonly url: string | undefined;
  /** Why this unit stays on `running` instead of the target, if it does. */
  readonly holding: string | undefined;
  /** The hold is this unit's own failed start: the roll-out waits for the operator. */
  readonly failedHere: boolean;
  /** The leader's view of the roll-out, when a unit still runs another release (`Upgrading to …`). */
  readonly rollout: string | undefined;
  /** The worker is held stopped by the operator's land-worker or retire-worker (worker-hold.ts). */
  readonly paused?: string | undefined;
  /** `shared volume 3 units`, `volume not shared`, … */
  readonly sharing: string;
}

/** The status a converged unit shows: blocked on its own failed start, the roll-out on the leader, else ready. */
export function unitStatus(input: UnitStatusInput): {
  readonly status: 'active' | 'blocked' | 'maintenance';
  readonly message: string;
} {
  if (input.failedHere && input.holding !== undefined) {
    return { status: 'blocked', message: joinStatus(input.holding, input.sharing) };
  }
  if (input.rollout !== undefined) return { status: 'maintenance', message: joinStatus(input.rollout, input.sharing) };
  if (input.paused !== undefined) {
    // What still runs (a web), then the held worker and the way back.
    const running = input.roles.filter((r) => r !== 'worker');
    const ready = running.length > 0 ? readyMessage(running, input.running, input.url) : undefined;
    return { status: 'maintenance', message: joinStatus(ready, input.paused, input.holding, input.sharing) };
  }
  return {
    status: 'active',
    message: joinStatus(readyMessage(input.roles, input.running, input.url), input.holding, input.sharing),
  };
}
