// Domain: the one layout of a release store, used by the store adapter that writes it and by the service rendering
// that points systemd into it, so the path a unit file runs and the path a release is published at cannot drift.
// The storage location is metadata.yaml's `location` of concourse-data (where Juju binds a storage instance when
// asked for one, and where operators mount a shared filesystem); with shared-storage=none each unit keeps a private
// store below it, the same layout again.

/** concourse-data is optional with at most one instance, so Juju uses this location as-is (never a per-instance path). */
export const STORAGE_LOCATION = '/var/lib/concourse';
export const UNIT_PRIVATE_DIR = '.unit-private';

/** Names inside a store root (DESIGN.md section 2). */
export const VOLUME_LAYOUT = Object.freeze({
  volumeId: '.volume-id',
  lock: '.install.lock',
  progress: '.download_in_progress',
  installedVersion: '.installed_version',
  releases: 'releases',
  staging: '.staging',
  current: 'current',
  bin: 'bin',
  worker: 'worker',
  /** shared-storage=none: `.unit-private/<app>-<n>/` holds a unit's own store (the same layout again). */
  unitPrivate: UNIT_PRIVATE_DIR,
  manifest: 'MANIFEST.json',
  unitState: 'state.json',
});

/** The binary every Concourse release holds, relative to its release directory. */
export const CONCOURSE_BINARY = 'bin/concourse';

/** Paths relative to a store root. Versions and unit directory names arrive already validated by their parsers. */
export const STORE_PATHS = Object.freeze({
  release: (version: string) => `${VOLUME_LAYOUT.releases}/${version}`,
  releaseBinary: (version: string) => `${VOLUME_LAYOUT.releases}/${version}/${CONCOURSE_BINARY}`,
  /** Where `bin` points, for operators' scripts: through `current`, never into one release. */
  currentBin: `${VOLUME_LAYOUT.current}/bin`,
  unitDir: (unitDirName: string) => `${VOLUME_LAYOUT.worker}/${unitDirName}`,
  unitState: (unitDirName: string) => `${VOLUME_LAYOUT.worker}/${unitDirName}/${VOLUME_LAYOUT.unitState}`,
  unitWorkDir: (unitDirName: string) => `${VOLUME_LAYOUT.worker}/${unitDirName}/work_dir`,
  privateStore: (unitDirName: string) => `${VOLUME_LAYOUT.unitPrivate}/${unitDirName}`,
});

/** An absolute path inside the store rooted at `root` (a trailing slash on the root is dropped). */
export function inStore(root: string, relative: string): string {
  return `${root.replace(/\/+$/, '')}/${relative}`;
}

/** shared-storage=none: `/var/lib/concourse/.unit-private/<app>-<n>`, the same layout again. */
export function privateStoreRoot(unitDirName: string): string {
  return inStore(STORAGE_LOCATION, STORE_PATHS.privateStore(unitDirName));
}
