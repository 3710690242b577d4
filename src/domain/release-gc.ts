// Domain: which releases may leave the volume. A release goes only when no unit's state.json names it, it is not
// the target or `current`, and it is beyond the newest `keep` releases: the spec's N+1 with room for a rollback.

import { compareVersions } from './version';

export interface GcInput {
  /** Every release directory on the volume (published or damaged). */
  readonly releases: readonly string[];
  readonly keep: number;
  readonly target: string;
  readonly current: string | undefined;
  /** Versions units record as running (worker/*\/state.json). */
  readonly inUse: readonly string[];
}

export function releasesToRemove(input: GcInput): readonly string[] {
  const pinned = new Set([input.target, ...(input.current === undefined ? [] : [input.current]), ...input.inUse]);
  const newestFirst = [...input.releases].sort((a, b) => compareVersions(b, a));
  const kept = new Set(newestFirst.slice(0, input.keep));
  return newestFirst.filter((v) => !pinned.has(v) && !kept.has(v));
}
