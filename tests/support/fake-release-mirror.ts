// Test support: the release mirror in memory, behind the Downloader and ReleaseInspector ports. It serves the
// versions it holds (a tarball "extracts" bin/concourse into the staging area of a FakeVolume) and counts downloads;
// any other version is a 404, as GitHub answers for a release that does not exist.

import {
  DownloadError,
  type Downloader,
  type FetchOptions,
  type FetchResult,
  type ReleaseSource,
} from '../../src/ports/downloader';
import type { ReleaseInspector } from '../../src/ports/release-inspector';
import type { FakeVolume } from './fake-release-volume';

const SHA1 = 'a'.repeat(40);

export class FakeMirror implements Downloader {
  /** Downloads per version (tarballs, not .sha1 files). */
  readonly downloads = new Map<string, number>();

  constructor(
    private readonly versions: readonly string[],
    private readonly volume: FakeVolume,
  ) {}

  async fetchAndExtract(source: ReleaseSource, targetDir: string, options: FetchOptions): Promise<FetchResult> {
    const version = this.served(source.kind === 'url' ? source.url : source.path);
    this.downloads.set(version, (this.downloads.get(version) ?? 0) + 1);
    const staging = this.volume.staging.get(targetDir);
    if (staging === undefined) throw new Error(`no staging area at ${targetDir}`);
    staging.files.push('bin/concourse', 'resource-types/registry-image/rootfs.tgz');
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

/** `bin/concourse --version` of a staged release: the version the fake tarball was fetched for. */
export class StagedReleaseInspector implements ReleaseInspector {
  constructor(private readonly volume: FakeVolume) {}

  async reportedVersion(releaseDir: string): Promise<string | undefined> {
    return this.volume.staging.get(releaseDir)?.version;
  }
}
