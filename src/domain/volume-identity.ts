// Domain: noticing that the filesystem at the storage location is not the one this unit used before, typically a
// shared mount that failed, leaving the bare directory on the root disk. Installing there would silently fork
// the cluster's release store, so the unit stops and says what to do.

import { StorageProblem } from './errors';

export const REMEMBERED_VOLUME_KEY = 'volume-id';

export function checkVolumeIdentity(input: {
  readonly remembered: string | undefined;
  readonly seen: string | undefined;
  readonly location: string;
}): void {
  const { remembered, seen, location } = input;
  if (remembered === undefined || remembered === seen) return;
  if (seen === undefined) {
    throw new StorageProblem(
      'blocked',
      `Storage ${location} is empty but this unit used volume ${short(remembered)}: remount the shared volume there`,
    );
  }
  throw new StorageProblem(
    'blocked',
    `Storage ${location} is volume ${short(seen)}, this unit used ${short(remembered)}: remount the original volume, or remove and re-add the unit to use the new one`,
  );
}

function short(id: string): string {
  return id.slice(0, 8);
}
