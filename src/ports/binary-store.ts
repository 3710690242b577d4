// Port: the release store on the volume (DESIGN.md section 2). Releases appear by one rename of a fully written,
// manifested staging directory; `current` moves by symlink-and-rename. The adapter never decides, it only does.

import type { DownloadProgress } from '../domain/download-progress';
import type { ReleaseManifest } from '../domain/release-manifest';
import type { UnitStateRecord } from '../domain/unit-state';
import type { VolumeFacts } from '../domain/volume';

export type ReleaseCheck =
  | { readonly state: 'published'; readonly version: string; readonly manifest: ReleaseManifest }
  | { readonly state: 'absent'; readonly version: string }
  /** A directory under releases/ whose manifest is missing or whose files do not match it. */
  | { readonly state: 'damaged'; readonly version: string; readonly reason: string };

export interface StagingArea {
  readonly version: string;
  /** Private extraction directory on the same filesystem as releases/. */
  readonly dir: string;
}

export interface TarballFacts {
  readonly source: string;
  readonly bytes: number;
  readonly sha1: string;
  readonly sha256: string;
}

export type PublishOutcome = 'published' | 'already-published';

export interface ReleaseSummary {
  readonly version: string;
  readonly state: ReleaseCheck['state'];
  readonly bytes: number;
  readonly publishedBy?: string;
  readonly publishedAt?: string;
}

export interface BinaryStore {
  readonly root: string;
  /** Health probe: exists, directory, writable (create + rename + unlink), free space, filesystem type, volume id. */
  inspect(): Promise<VolumeFacts>;
  /** Reads `.volume-id`, creating it (O_EXCL, so one unit wins) when absent. */
  ensureVolumeId(): Promise<string>;
  /** Checks a release: manifest present and valid, and every listed file present with its size (`deep`: digest). */
  checkRelease(version: string, options?: { readonly deep?: boolean }): Promise<ReleaseCheck>;
  listReleases(): Promise<readonly ReleaseSummary[]>;
  /** Creates the store root inside an existing volume (unit-private stores); never the volume itself. */
  ensureRoot(): Promise<void>;
  openStaging(version: string, unit: string): Promise<StagingArea>;
  /** Regular files under the staging area's `bin/`, relative to it (`bin/concourse`), before publishing. */
  stagedBinaries(staging: StagingArea): Promise<readonly string[]>;
  /**
   * Writes MANIFEST.json (digests of `bin/`), fsyncs, renames into releases/; a release already there wins.
   * `signal` is the install lock's "lost" signal: checked right before the rename, and if it fired nothing is renamed
   * and publish throws (the caller discards the staging area, which the lock's new holder may be sweeping).
   * `onManifested` runs once MANIFEST.json is durable and before the rename (the caller logs it: a process killed
   * there leaves a manifested staging area that must never count as published).
   */
  publish(
    staging: StagingArea,
    tarball: TarballFacts,
    publishedBy: string,
    publishedAt: Date,
    signal?: AbortSignal,
    onManifested?: () => void,
  ): Promise<PublishOutcome>;
  discardStaging(staging: StagingArea): Promise<void>;
  /** Removes every staging area (call only while holding the lock: their writers are gone). Returns how many. */
  removeAbandonedStaging(): Promise<number>;
  readProgress(): Promise<DownloadProgress | undefined>;
  writeProgress(progress: DownloadProgress): Promise<void>;
  clearProgress(): Promise<void>;
  /** The version `current` points to, if any. */
  currentVersion(): Promise<string | undefined>;
  /** Points `current` (and `.installed_version`, `bin`) at a published release, atomically. */
  switchCurrent(version: string): Promise<void>;
  writeUnitState(unitDir: string, state: UnitStateRecord): Promise<void>;
  readUnitStates(): Promise<ReadonlyMap<string, UnitStateRecord>>;
  /** Removes a unit's own directory (worker/<app>-<n>), nothing else. */
  removeUnitDir(unitDir: string): Promise<void>;
  /** Removes a unit's private release store (shared-storage=none: .unit-private/<app>-<n>), nothing else. */
  removeUnitPrivateStore(unitDir: string): Promise<void>;
  /** Removes a release; `busy` when the filesystem refuses (EBUSY, ENOTEMPTY, ESTALE): retried later. */
  removeRelease(version: string): Promise<'removed' | 'busy'>;
  /** Bytes used by releases/ and by the whole volume. */
  usage(): Promise<{ readonly releaseBytes: number; readonly volumeBytes: number }>;
}

export const BINARY_STORE = Symbol.for('concourse-ci-machine/BinaryStore');
/** The root of the release store this unit uses (the storage location, or its private store below it). */
export const VOLUME_ROOT = Symbol.for('concourse-ci-machine/VolumeRoot');
/** The store at the storage location itself, whatever the config says (removal needs no parsed config). */
export const LOCATION_STORE = Symbol.for('concourse-ci-machine/LocationStore');
