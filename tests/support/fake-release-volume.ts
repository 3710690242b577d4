// Test support: the shared volume in memory, behind today's BinaryStore port (one store per root: the storage
// location, or a unit-private store below it). Several units' hooks share one FakeVolume, as units share a mount.
// Releases appear only through publish (staging filled by the fake downloader first), as on the real volume.

import type { DownloadProgress } from '../../src/domain/download-progress';
import type { ReleaseManifest } from '../../src/domain/release-manifest';
import type { UnitStateRecord } from '../../src/domain/unit-state';
import type { VolumeFacts, VolumeState } from '../../src/domain/volume';
import type {
  BinaryStore,
  PublishOutcome,
  ReleaseCheck,
  ReleaseSummary,
  StagingArea,
  TarballFacts,
} from '../../src/ports/binary-store';

const RELEASE_BYTES = 1024 * 1024;

interface StoreData {
  readonly releases: Map<string, ReleaseManifest>;
  current: string | undefined;
  readonly unitStates: Map<string, UnitStateRecord>;
  progress: DownloadProgress | undefined;
  /** Unit directories and private stores removed (what unit removal did). */
  readonly removed: string[];
}

export class FakeVolume {
  state: VolumeState = 'ok';
  volumeId: string | undefined;
  freeBytes = 50 * 1024 ** 3;
  filesystemType = 'ext4';
  networkFilesystem = false;
  /** Staging areas by directory, with the files extracted into them. */
  readonly staging = new Map<string, { readonly version: string; files: string[] }>();
  private readonly stores = new Map<string, StoreData>();
  private nextStaging = 1;

  constructor(options: { readonly volumeId?: string } = {}) {
    this.volumeId = options.volumeId;
  }

  /** The data of the store rooted at `root` (created empty on first use). */
  store(root: string): StoreData {
    let data = this.stores.get(root);
    if (data === undefined) {
      data = { releases: new Map(), current: undefined, unitStates: new Map(), progress: undefined, removed: [] };
      this.stores.set(root, data);
    }
    return data;
  }

  /** A release already published on the volume (by another unit, earlier). */
  publishRelease(root: string, version: string, publishedBy = 'ci/9'): void {
    this.store(root).releases.set(version, manifest(version, `https://example.test/${version}`, publishedBy));
  }

  stagingDir(root: string, version: string, unit: string): string {
    return `${root}/.staging/${version}.${unit}.${this.nextStaging++}`;
  }
}

export class InMemoryBinaryStore implements BinaryStore {
  constructor(
    readonly root: string,
    private readonly volume: FakeVolume,
  ) {}

  private get data(): StoreData {
    return this.volume.store(this.root);
  }

  async inspect(): Promise<VolumeFacts> {
    const v = this.volume;
    return {
      path: this.root,
      state: v.state,
      freeBytes: v.freeBytes,
      totalBytes: 100 * 1024 ** 3,
      networkFilesystem: v.networkFilesystem,
      filesystemType: v.filesystemType,
      volumeId: v.volumeId,
    };
  }

  async ensureVolumeId(): Promise<string> {
    this.volume.volumeId ??= 'vol-0001';
    return this.volume.volumeId;
  }

  async checkRelease(version: string): Promise<ReleaseCheck> {
    const m = this.data.releases.get(version);
    return m === undefined ? { state: 'absent', version } : { state: 'published', version, manifest: m };
  }

  async listReleases(): Promise<readonly ReleaseSummary[]> {
    return [...this.data.releases.values()].map((m) => ({
      version: m.version,
      state: 'published',
      bytes: m.extractedBytes,
      publishedBy: m.publishedBy,
      publishedAt: m.publishedAt,
    }));
  }

  async ensureRoot(): Promise<void> {
    this.volume.store(this.root);
  }

  async openStaging(version: string, unit: string): Promise<StagingArea> {
    const dir = this.volume.stagingDir(this.root, version, unit);
    this.volume.staging.set(dir, { version, files: [] });
    return { version, dir };
  }

  async stagedBinaries(staging: StagingArea): Promise<readonly string[]> {
    return (this.volume.staging.get(staging.dir)?.files ?? []).filter((f) => f.startsWith('bin/'));
  }

  async publish(
    staging: StagingArea,
    tarball: TarballFacts,
    publishedBy: string,
    publishedAt: Date,
    signal?: AbortSignal,
    onManifested?: () => void,
  ): Promise<PublishOutcome> {
    onManifested?.();
    if (signal?.aborted === true) throw new Error('the install lock was lost before publishing');
    this.volume.staging.delete(staging.dir);
    if (this.data.releases.has(staging.version)) return 'already-published';
    const m = manifest(staging.version, tarball.source, publishedBy);
    this.data.releases.set(staging.version, { ...m, publishedAt: publishedAt.toISOString() });
    return 'published';
  }

  async discardStaging(staging: StagingArea): Promise<void> {
    this.volume.staging.delete(staging.dir);
  }

  async removeAbandonedStaging(): Promise<number> {
    const mine = [...this.volume.staging.keys()].filter((dir) => dir.startsWith(`${this.root}/.staging/`));
    for (const dir of mine) this.volume.staging.delete(dir);
    return mine.length;
  }

  async readProgress(): Promise<DownloadProgress | undefined> {
    return this.data.progress;
  }

  async writeProgress(progress: DownloadProgress): Promise<void> {
    this.data.progress = progress;
  }

  async clearProgress(): Promise<void> {
    this.data.progress = undefined;
  }

  async currentVersion(): Promise<string | undefined> {
    return this.data.current;
  }

  async switchCurrent(version: string): Promise<void> {
    if (!this.data.releases.has(version)) throw new Error(`cannot point current at unpublished ${version}`);
    this.data.current = version;
  }

  async writeUnitState(unitDir: string, state: UnitStateRecord): Promise<void> {
    this.data.unitStates.set(unitDir, structuredClone(state));
  }

  async readUnitStates(): Promise<ReadonlyMap<string, UnitStateRecord>> {
    return new Map(this.data.unitStates);
  }

  async removeUnitDir(unitDir: string): Promise<void> {
    this.data.unitStates.delete(unitDir);
    this.data.removed.push(`worker/${unitDir}`);
  }

  async removeUnitPrivateStore(unitDir: string): Promise<void> {
    this.data.removed.push(`.unit-private/${unitDir}`);
  }

  async removeRelease(version: string): Promise<'removed' | 'busy'> {
    this.data.releases.delete(version);
    return 'removed';
  }

  async usage(): Promise<{ readonly releaseBytes: number; readonly volumeBytes: number }> {
    const releaseBytes = this.data.releases.size * RELEASE_BYTES;
    return { releaseBytes, volumeBytes: releaseBytes + 4096 };
  }
}

function manifest(version: string, source: string, publishedBy: string): ReleaseManifest {
  const digest = (c: string, n: number) => c.repeat(n);
  return {
    schema: 1,
    version,
    source,
    tarball: { bytes: RELEASE_BYTES, sha1: digest('a', 40), sha256: digest('b', 64) },
    files: { 'bin/concourse': { bytes: RELEASE_BYTES, sha256: digest('c', 64) } },
    extractedBytes: RELEASE_BYTES,
    publishedBy,
    publishedAt: '2026-12-07T20:00:00.000Z',
  };
}
