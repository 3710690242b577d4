// Domain: draining a worker before it stops, so no build is errored by an upgrade, a role move or a removal. A worker
// that will come back (restart) lands (SIGUSR1); one that goes away for good retires (SIGUSR2); both stop taking new
// work and exit once their builds finish (release-layout.md section 4). Only a build outlasting the drain timeout
// is interrupted, by the SIGTERM of the stop that follows.
//
// The drain's start is recorded on the unit (not in Juju's unit state, which a failed hook rolls back): a hook that
// ends while a drain runs leaves it running, and the next hook goes on with the same deadline instead of a new one.

import { z } from 'zod';

export type DrainKind = 'land' | 'retire';

export const DRAIN_SIGNALS: Readonly<Record<DrainKind, 'SIGUSR1' | 'SIGUSR2'>> = {
  land: 'SIGUSR1',
  retire: 'SIGUSR2',
};

export interface DrainRecord {
  readonly kind: DrainKind;
  /** The release the draining worker runs (named in the status). */
  readonly version: string;
  /** Epoch ms when the signal was sent. */
  readonly startedAt: number;
  readonly timeoutMs: number;
}

const RECORD = z.object({
  kind: z.enum(['land', 'retire']),
  version: z.string(),
  startedAt: z.number(),
  timeoutMs: z.number(),
});

export function parseDrainRecord(text: string | undefined): DrainRecord | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    const parsed = RECORD.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function formatDrainRecord(record: DrainRecord): string {
  return `${JSON.stringify(record)}\n`;
}

export type DrainStep =
  /** Send the signal now (and record it). */
  | { readonly kind: 'signal'; readonly record: DrainRecord }
  /** Draining: wait at most `waitMs` more in this hook. */
  | { readonly kind: 'wait'; readonly record: DrainRecord; readonly leftMs: number }
  /** Drained (the worker exited), or there was nothing to drain: go on with the stop or restart. */
  | { readonly kind: 'drained' }
  /** The timeout passed with builds still running: the stop goes on and interrupts them. */
  | { readonly kind: 'timed-out'; readonly record: DrainRecord };

/**
 * What to do next, from the worker's state and what was recorded. A retire wanted while a land runs (the unit is
 * being removed during an upgrade) signals again: retire is what a worker that never comes back needs.
 */
export function nextDrainStep(input: {
  readonly wanted: DrainKind;
  readonly active: boolean;
  readonly record: DrainRecord | undefined;
  readonly now: number;
  readonly timeoutMs: number;
  readonly version: string;
}): DrainStep {
  if (!input.active) return { kind: 'drained' };
  const record = input.record;
  if (input.timeoutMs === 0) return { kind: 'drained' };
  if (record === undefined || (record.kind === 'land' && input.wanted === 'retire')) {
    return {
      kind: 'signal',
      record: {
        kind: input.wanted,
        version: input.version,
        startedAt: record?.startedAt ?? input.now,
        timeoutMs: input.timeoutMs,
      },
    };
  }
  const leftMs = record.startedAt + record.timeoutMs - input.now;
  return leftMs > 0 ? { kind: 'wait', record, leftMs } : { kind: 'timed-out', record };
}

/** `Draining worker for 7.14.3 (2 containers, 4 min left)`; the count is left out when it cannot be read. */
export function drainStatus(record: DrainRecord, containers: number | undefined, leftMs: number): string {
  const verb = record.kind === 'land' ? 'Draining' : 'Retiring';
  const count = containers === undefined ? '' : `${containers} container${containers === 1 ? '' : 's'}, `;
  const minutes = Math.ceil(leftMs / 60_000);
  const left = minutes <= 1 ? `${Math.max(1, Math.ceil(leftMs / 1000))} s left` : `${minutes} min left`;
  return `${verb} worker for ${record.version} (${count}${left})`;
}
