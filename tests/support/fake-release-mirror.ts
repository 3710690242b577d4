// Test support: the release mirror in memory, behind the Downloader and ReleaseInspector ports. It serves the
// versions it holds (a tarball "extracts" a release in miniature into a staging area of an InMemoryVolume) and
// counts downloads; any other version is a 404, as GitHub answers for a release that does not exist.

import {
  DownloadError,
  type Downloader,
  type FetchOptions,
  type FetchResult,
  type ReleaseSource,
} from '../../src/ports/downloader';
import type { ReleaseInspector } from '../../src/ports/release-inspector';
import { FakeReleaseStore } from './fake-release-store';
import type { InMemoryVolume } from './in-memory-volume';
import { releaseFiles } from './release-fixtures';

const SHA1 = 'a'.repeat(40);

export class FakeMirror implements Downloader {
  /** Downloads per version (tarballs, not .sha1 files). */
  readonly downloads = new Map<string, number>();

  constructor(
    private readonly versions: readonly string[],
    private readonly volume: InMemoryVolume,
  ) {}

  async fetchAndExtract(source: ReleaseSource, targetDir: string, options: FetchOptions): Promise<FetchResult> {
    const version = this.served(source.kind === 'url' ? source.url : source.path);
    this.downloads.set(version, (this.downloads.get(version) ?? 0) + 1);
    new FakeReleaseStore(volumeUnder(this.volume, targetDir)).stage({ version, dir: targetDir }, releaseFiles(version));
    options.onProgress?.({ bytes: 1024, total: 1024 });
    return { bytes: 1024, sha1: SHA1, sha256: 'b'.repeat(64), extractedBytes: 4096 };
  }

  async fetchSha1(url: string): Promise<string> {
    this.served(url);
    return SHA1;
  }

  count(version: string): number {
    return this.downloads.get(version) ?? 0;
  }

  private served(url: string): string {
    const version = /concourse-(\d+\.\d+\.\d+)-linux/.exec(url)?.[1];
    if (version === undefined || !this.versions.includes(version)) {
      throw new DownloadError('not-found', `HTTP 404 from ${url}`);
    }
    return version;
  }
}

/** `bin/concourse --version` of a staged release: the version its staging area was opened for. */
export class StagedReleaseInspector implements ReleaseInspector {
  async reportedVersion(releaseDir: string): Promise<string | undefined> {
    return /^(\d+\.\d+\.\d+(?:-[a-z]+\.\d+)?)\./.exec(releaseDir.split('/').pop() ?? '')?.[1];
  }
}

/** The volume a path is on: the location's, or a unit-private store below it (shared-storage=none). */
export function volumeUnder(location: InMemoryVolume, path: string): InMemoryVolume {
  const m = new RegExp(`^${location.root}/\\.unit-private/([^/]+)(/|$)`).exec(path);
  return m?.[1] === undefined ? location : location.privateStore(m[1]);
}
