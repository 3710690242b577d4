// Domain: when a started web counts as up. Not when systemd says the process runs, but when the API answers
// `GET /api/v1/info` (unauthenticated, release-layout.md section 7) with the version the unit should run.

import { z } from 'zod';

/** What one request to /api/v1/info got: an HTTP answer, or no answer at all (refused, reset, timed out). */
export type InfoAnswer =
  | { readonly kind: 'answer'; readonly status: number; readonly body: string }
  | { readonly kind: 'no-answer'; readonly reason: string };

export type InfoVerdict =
  | { readonly kind: 'serving' }
  /** Not yet: still starting (refused, 5xx, a proxy's page) or another release still holds the port. */
  | { readonly kind: 'not-yet'; readonly reason: string };

/** The bound on waiting for a started web to serve: Concourse migrates its database first, which takes a while. */
export const WEB_READY_TIMEOUT_MS = 180_000;
/** Time between two requests while waiting. */
export const WEB_READY_POLL_MS = 1_000;

const INFO = z.object({ version: z.string() });

export function infoUrl(webPort: number): string {
  return `http://127.0.0.1:${webPort}/api/v1/info`;
}

export function judgeInfo(expected: string, answer: InfoAnswer): InfoVerdict {
  if (answer.kind === 'no-answer') return { kind: 'not-yet', reason: answer.reason };
  if (answer.status !== 200) return { kind: 'not-yet', reason: `HTTP ${answer.status}` };
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    return { kind: 'not-yet', reason: 'an answer that is not Concourse’s JSON' };
  }
  const info = INFO.safeParse(json);
  if (!info.success) return { kind: 'not-yet', reason: 'an answer without a version' };
  if (info.data.version !== expected) return { kind: 'not-yet', reason: `version ${info.data.version} answering` };
  return { kind: 'serving' };
}

/** The operator-facing reason a web did not come up in time, from the last thing the check saw. */
export function notServingMessage(webPort: number, expected: string, last: string, waitedMs: number): string {
  return (
    `Concourse web ${expected} not serving on port ${webPort} after ${Math.round(waitedMs / 1000)} s ` +
    `(/api/v1/info: ${last})`
  );
}
