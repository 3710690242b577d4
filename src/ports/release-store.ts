// Port: the release store on the volume (DESIGN.md section 2): releases/<version> checked against MANIFEST.json,
// staging areas, publication by one rename, removal, and `current`. The adapter never decides, it only does.

import type { ReleaseManifest } from '../domain/release-manifest';

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

export interface PublishRequest {
  readonly tarball: TarballFacts;
  readonly publishedBy: string;
  readonly publishedAt: Date;
  /**
   * The install lock's "lost" signal: checked right before the rename, and if it fired nothing is renamed and
   * publish throws PublishAbortedError (the caller discards the staging area, which the lock's new holder may sweep).
   */
  readonly signal?: AbortSignal;
  /**
   * Runs once MANIFEST.json is durable and before the rename (the caller logs it: a process killed there leaves a
   * manifested staging area that must never count as published).
   */
  readonly onManifested?: () => void;
}

export interface ReleaseStore {
  readonly root: string;
  /** Checks a release: manifest present and valid, and every listed file present with its size (`deep`: digest). */
  checkRelease(version: string, options?: { readonly deep?: boolean }): Promise<ReleaseCheck>;
  /** Published and damaged releases, oldest version first. */
  listReleases(): Promise<readonly ReleaseSummary[]>;
  openStaging(version: string, unit: string): Promise<StagingArea>;
  /** Regular files under the staging area's `bin/`, relative to it (`bin/concourse`), before publishing. */
  stagedBinaries(staging: StagingArea): Promise<readonly string[]>;
  /** Writes MANIFEST.json (digests of `bin/`), makes it durable, renames into releases/; a valid release there wins. */
  publish(staging: StagingArea, request: PublishRequest): Promise<PublishOutcome>;
  discardStaging(staging: StagingArea): Promise<void>;
  /** Removes every staging area (call only while holding the lock: their writers are gone). Returns how many. */
  removeAbandonedStaging(): Promise<number>;
  /** Removes a release; `busy` when the filesystem refuses (EBUSY, ENOTEMPTY, ESTALE): retried later. */
  removeRelease(version: string): Promise<'removed' | 'busy'>;
  /** The version `current` points to, if any. */
  currentVersion(): Promise<string | undefined>;
  /** Points `current` (and `.installed_version`, `bin`) at a published release, atomically. */
  switchCurrent(version: string): Promise<void>;
}

export const RELEASE_STORE = Symbol.for('concourse-ci-machine/ReleaseStore');

/**
 * The install lock was lost (the publish signal fired) before the publishing rename: another unit may hold the lock
 * now and may be sweeping this staging area, so what is in it cannot be trusted. Nothing was renamed; the caller
 * discards the staging area.
 */
export class PublishAbortedError extends Error {
  constructor(readonly version: string) {
    super(`install lock lost before publishing ${version}`);
    this.name = 'PublishAbortedError';
  }
}
