// Domain: a worker the operator landed or retired with an action stays stopped: no hook starts it again until the
// operator runs `restart-services` (or the unit is removed). The hold is recorded on the unit, beside the drain
// record, so it survives failed hooks (Juju rolls back a failed hook's unit state) and reboots (the service is also
// disabled). Also the drain's outcome as an action reports it.

import { z } from 'zod';
import { CONCOURSE_CONFIG_DIR, WORKER_SERVICE } from './concourse-services';
import { parseRememberedJson } from './remembered-json';
import type { DrainKind } from './worker-drain';

/** Where the hold is recorded on the unit (root only). */
export const WORKER_HOLD_FILE = `${CONCOURSE_CONFIG_DIR}/.hold-${WORKER_SERVICE}`;

export interface WorkerHold {
  /** land: Concourse keeps the worker (landed) for when it comes back; retire: Concourse forgot it. */
  readonly kind: DrainKind;
  /** Epoch ms. */
  readonly since: number;
}

const HOLD = z.object({ kind: z.enum(['land', 'retire']), since: z.number() });

export function parseWorkerHold(text: string | undefined): WorkerHold | undefined {
  return parseRememberedJson(HOLD, text);
}

export function formatWorkerHold(hold: WorkerHold): string {
  return `${JSON.stringify(hold)}\n`;
}

/** `Worker landed (land-worker): run restart-services to start it`: part of the unit's status while held. */
export function holdStatus(hold: WorkerHold): string {
  const [past, action] = hold.kind === 'land' ? ['landed', 'land-worker'] : ['retired', 'retire-worker'];
  return `Worker ${past} (${action}): run restart-services to start it`;
}

/** How a drain ended, as the drainer saw it. */
export type DrainOutcome =
  /** The worker was not running: nothing to drain. */
  | { readonly kind: 'not-running' }
  /** The worker exited once its builds were done. */
  | { readonly kind: 'finished'; readonly ms: number }
  /** Builds still ran at the timeout: the stop that follows interrupts them. */
  | { readonly kind: 'timed-out'; readonly ms: number; readonly containers: number | undefined }
  /** force=true: no drain, running builds are interrupted. */
  | { readonly kind: 'skipped' };

/** The drain part of an action's result: `drain`, `drain-seconds`, `containers-left`. */
export function drainResult(outcome: DrainOutcome): Readonly<Record<string, string>> {
  switch (outcome.kind) {
    case 'not-running':
      return { drain: 'not running: nothing to drain' };
    case 'skipped':
      return { drain: 'skipped (force=true or worker-drain-timeout=0): running builds interrupted' };
    case 'finished':
      return { drain: 'finished: every build ended', 'drain-seconds': seconds(outcome.ms) };
    case 'timed-out':
      return {
        drain: 'timed out (worker-drain-timeout): the builds still running were interrupted',
        'drain-seconds': seconds(outcome.ms),
        'containers-left': outcome.containers === undefined ? 'unknown' : String(outcome.containers),
      };
  }
}

function seconds(ms: number): string {
  return String(Math.round(ms / 1000));
}
