// Domain: what the operator reads when the release store refuses an operation. The store adapters detect the
// condition; the words, the status and the next step are decided here, beside the other statuses.

import { StorageProblem } from './errors';

/** Something the charm manages as a symlink (`current`, `bin`) is a real directory, made by hand or an old layout. */
export function notASymlink(path: string, cause: unknown): StorageProblem {
  return new StorageProblem('blocked', `${path} is a directory, not a symlink: move it away so it can be managed`, {
    cause,
  });
}

/** Publishing found a release directory in the way twice (moved aside once already). */
export function releaseInTheWay(version: string, target: string, reason: string | undefined): StorageProblem {
  return new StorageProblem(
    'blocked',
    `Cannot publish ${version}: ${target} is in the way (${reason ?? 'it keeps reappearing'})`,
  );
}

export function removingCurrentRelease(version: string): StorageProblem {
  return new StorageProblem('blocked', `Refusing to remove release ${version}: current points to it`);
}

/** `current` may only point at a published release: `damagedReason` undefined means the release is absent. */
export function cannotSwitchTo(version: string, damagedReason: string | undefined): StorageProblem {
  const why = damagedReason === undefined ? 'not on the volume' : `damaged: ${damagedReason}`;
  return new StorageProblem('blocked', `Cannot switch to ${version}: the release is ${why}`);
}

/** A `.volume-id` that stays empty (a unit died between creating and writing it on a filesystem without links). */
export function emptyVolumeId(path: string): StorageProblem {
  return new StorageProblem('blocked', `${path} is empty: remove it so a unit can write a new volume id`);
}
