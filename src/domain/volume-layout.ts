// Domain: where the release store lives. The storage location is metadata.yaml's `location` of concourse-data
// (where Juju binds a storage instance when asked for one, and where operators mount a shared filesystem); with
// shared-storage=none each unit keeps a private store below it.

/** concourse-data is optional with at most one instance, so Juju uses this location as-is (never a per-instance path). */
export const STORAGE_LOCATION = '/var/lib/concourse';
export const UNIT_PRIVATE_DIR = '.unit-private';

/** shared-storage=none: `/var/lib/concourse/.unit-private/<app>-<n>`, the same layout again. */
export function privateStoreRoot(unitDirName: string): string {
  return `${STORAGE_LOCATION}/${UNIT_PRIVATE_DIR}/${unitDirName}`;
}
