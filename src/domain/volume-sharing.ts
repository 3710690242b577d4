// Domain: which units share this unit's volume. Juju cannot say (a storage instance attaches to one unit), so each
// unit publishes the `.volume-id` it sees in its peer data and units with the same id share a volume.

import type { SharedStorageMode } from './charm-config';
import { StorageProblem } from './errors';
import type { PeerVolumes } from './peer-view';

export interface Sharing {
  readonly volumeId: string;
  /** Sorted unit names seeing the same volume, this unit included. */
  readonly units: readonly string[];
}

export function detectSharing(self: string, volumeId: string, peers: PeerVolumes): Sharing {
  const units = [self];
  for (const [unit, theirs] of Object.entries(peers)) {
    if (theirs === volumeId && unit !== self) units.push(unit);
  }
  return { volumeId, units: units.sort(compareUnits) };
}

/** `required` holds the unit until another unit is seen on the same volume: a missed mount must not go unnoticed. */
export function sharingProblem(
  mode: SharedStorageMode,
  sharing: Sharing,
  location: string,
): StorageProblem | undefined {
  if (mode !== 'required' || sharing.units.length >= 2) return undefined;
  return new StorageProblem(
    'blocked',
    `No other unit shares the volume at ${location} (shared-storage=required): mount the shared filesystem there on every unit`,
  );
}

export function enforceSharingMode(mode: SharedStorageMode, sharing: Sharing, location: string): void {
  const problem = sharingProblem(mode, sharing, location);
  if (problem !== undefined) throw problem;
}

export function compareUnits(a: string, b: string): number {
  const [appA = '', numA = '0'] = a.split('/');
  const [appB = '', numB = '0'] = b.split('/');
  return appA === appB ? Number(numA) - Number(numB) : appA < appB ? -1 : 1;
}

/** Each store is collected by exactly one unit: the shared one by the leader, a unit-private one by its owner. */
export function collectsGarbage(isLeader: boolean, mode: SharedStorageMode): boolean {
  return isLeader || mode === 'none';
}

/** The sharing part of a unit's status line. */
export function describeSharing(sharing: Sharing, mode: SharedStorageMode): string {
  if (mode === 'none') return 'private release store';
  return sharing.units.length > 1 ? `shared volume ${sharing.units.length} units` : 'volume not shared';
}
