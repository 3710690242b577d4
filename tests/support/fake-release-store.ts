// Test support: the ReleaseStore port over an InMemoryVolume, for hook tests. It keeps the adapter's rules, not
// just its shape: names checked by the same domain functions, manifests built and judged by the domain with real
// digests, bin/concourse required, the lock's lost signal honoured before publishing, `current` never removed.

import { createHash, randomBytes } from 'node:crypto';
import {
  buildReleaseManifest,
  fileMismatch,
  isDigestedFile,
  judgeManifest,
  type ManifestFileEntry,
  unsafeManifestPath,
} from '../../src/domain/release-manifest';
import { assertSafeVersion, isSafeVersion, stagingName } from '../../src/domain/store-names';
import { cannotSwitchTo, releaseInTheWay, removingCurrentRelease } from '../../src/domain/store-problems';
import { compareVersions } from '../../src/domain/version';
import { CONCOURSE_BINARY, VOLUME_LAYOUT } from '../../src/domain/volume-layout';
import {
  PublishAbortedError,
  type PublishOutcome,
  type PublishRequest,
  type ReleaseCheck,
  type ReleaseStore,
  type ReleaseSummary,
  type StagingArea,
} from '../../src/ports/release-store';
import type { InMemoryVolume } from './in-memory-volume';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export class FakeReleaseStore implements ReleaseStore {
  constructor(readonly volume: InMemoryVolume) {}

  get root(): string {
    return this.volume.root;
  }

  /** What a downloader extracting into the staging area would leave there (test-only: the port has no write). */
  stage(staging: StagingArea, files: Readonly<Record<string, string>>): void {
    const area = this.stagingFiles(staging);
    this.volume.assertWritable(staging.dir);
    for (const [relative, content] of Object.entries(files)) area.set(relative, content);
  }

  /** A damaged release, as a truncated binary would leave it: its files no longer match MANIFEST.json (test-only). */
  damage(version: string): void {
    const files = this.volume.releases.get(assertSafeVersion(version));
    if (files === undefined) throw new Error(`no release ${version} to damage`);
    files.set(CONCOURSE_BINARY, '#');
  }

  async checkRelease(version: string, options?: { readonly deep?: boolean }): Promise<ReleaseCheck> {
    assertSafeVersion(version);
    this.volume.assertReadable(`releases/${version}`);
    const files = this.volume.absent ? undefined : this.volume.releases.get(version);
    if (files === undefined) return { state: 'absent', version };
    const damaged = (reason: string): ReleaseCheck => ({ state: 'damaged', version, reason });
    const text = files.get(VOLUME_LAYOUT.manifest);
    if (text === undefined) return damaged(`${VOLUME_LAYOUT.manifest} missing`);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = undefined;
    }
    const judged = judgeManifest(version, raw);
    if ('reason' in judged) return damaged(judged.reason);
    for (const [relative, expected] of Object.entries(judged.manifest.files)) {
      const problem = unsafeManifestPath(relative) ?? this.mismatch(files, relative, expected, options?.deep === true);
      if (problem !== undefined) return damaged(problem);
    }
    return { state: 'published', version, manifest: judged.manifest };
  }

  private mismatch(
    files: ReadonlyMap<string, string>,
    relative: string,
    expected: ManifestFileEntry,
    deep: boolean,
  ): string | undefined {
    const content = files.get(relative);
    if (content === undefined) return fileMismatch(relative, expected, { kind: 'missing' });
    const bytes = Buffer.byteLength(content);
    return fileMismatch(relative, expected, { kind: 'file', bytes, ...(deep ? { sha256: sha256(content) } : {}) });
  }

  async listReleases(): Promise<readonly ReleaseSummary[]> {
    const summaries: ReleaseSummary[] = [];
    if (this.volume.absent) return summaries;
    for (const [version, files] of this.volume.releases) {
      if (!isSafeVersion(version)) continue;
      const check = await this.checkRelease(version);
      if (check.state === 'published') {
        const { extractedBytes: bytes, publishedBy, publishedAt } = check.manifest;
        summaries.push({ version, state: 'published', bytes, publishedBy, publishedAt });
      } else if (check.state === 'damaged') {
        const bytes = [...files.values()].reduce((sum, text) => sum + Buffer.byteLength(text), 0);
        summaries.push({ version, state: 'damaged', bytes });
      }
    }
    return summaries.sort((a, b) => compareVersions(a.version, b.version));
  }

  async openStaging(version: string, unit: string): Promise<StagingArea> {
    const name = stagingName(version, unit, randomBytes(6).toString('hex'));
    this.volume.assertWritable(`${VOLUME_LAYOUT.staging}/${name}`);
    this.volume.staging.set(name, new Map());
    return { version, dir: `${this.root}/${VOLUME_LAYOUT.staging}/${name}` };
  }

  async stagedBinaries(staging: StagingArea): Promise<readonly string[]> {
    const files = this.volume.staging.get(this.stagingName(staging)) ?? new Map<string, string>();
    return [...files.keys()].filter((p) => /^bin\/[^/]+$/.test(p)).sort();
  }

  async publish(staging: StagingArea, request: PublishRequest): Promise<PublishOutcome> {
    const files = this.stagingFiles(staging);
    const version = assertSafeVersion(staging.version);
    if (!files.has(CONCOURSE_BINARY)) {
      throw new Error(
        `Refusing to publish ${version}: ${CONCOURSE_BINARY} in ${staging.dir} is missing, not a regular file`,
      );
    }
    const digests: Record<string, ManifestFileEntry> = {};
    let extractedBytes = 0;
    for (const [relative, content] of files) {
      if (relative === VOLUME_LAYOUT.manifest) continue;
      extractedBytes += Buffer.byteLength(content);
      if (isDigestedFile(relative)) digests[relative] = { bytes: Buffer.byteLength(content), sha256: sha256(content) };
    }
    const manifest = buildReleaseManifest({ version, ...request, files: digests, extractedBytes });
    this.volume.assertWritable(`${staging.dir}/${VOLUME_LAYOUT.manifest}`);
    files.set(VOLUME_LAYOUT.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
    request.onManifested?.();
    for (let attempt = 0; ; attempt++) {
      if (request.signal?.aborted) throw new PublishAbortedError(version);
      if (!this.volume.releases.has(version)) {
        this.volume.releases.set(version, files);
        this.volume.staging.delete(this.stagingName(staging));
        return 'published';
      }
      const theirs = await this.checkRelease(version);
      if (theirs.state === 'published') {
        await this.discardStaging(staging);
        return 'already-published';
      }
      if (attempt >= 1) throw releaseInTheWay(version, `${this.root}/releases/${version}`, undefined);
      const leftover = this.volume.releases.get(version);
      if (leftover !== undefined)
        this.volume.staging.set(`${version}.damaged.${randomBytes(6).toString('hex')}`, leftover);
      this.volume.releases.delete(version);
    }
  }

  async discardStaging(staging: StagingArea): Promise<void> {
    const name = this.stagingName(staging);
    if (!this.volume.staging.has(name)) return;
    this.volume.assertWritable(staging.dir);
    this.volume.staging.delete(name);
  }

  async removeAbandonedStaging(): Promise<number> {
    const count = this.volume.absent ? 0 : this.volume.staging.size;
    if (count > 0) this.volume.assertWritable(VOLUME_LAYOUT.staging);
    this.volume.staging.clear();
    return count;
  }

  async removeRelease(version: string): Promise<'removed' | 'busy'> {
    assertSafeVersion(version);
    if ((await this.currentVersion()) === version) throw removingCurrentRelease(version);
    if (!this.volume.releases.has(version)) return 'removed';
    this.volume.assertWritable(`releases/${version}`);
    this.volume.releases.delete(version);
    return 'removed';
  }

  async currentVersion(): Promise<string | undefined> {
    this.volume.assertReadable('current');
    if (this.volume.absent) return undefined;
    return this.volume.current ?? this.volume.installedVersion;
  }

  async switchCurrent(version: string): Promise<void> {
    const check = await this.checkRelease(version);
    if (check.state !== 'published')
      throw cannotSwitchTo(version, check.state === 'damaged' ? check.reason : undefined);
    this.volume.assertWritable('current');
    this.volume.current = version;
    this.volume.installedVersion = version;
  }

  private stagingName(staging: StagingArea): string {
    const prefix = `${this.root}/${VOLUME_LAYOUT.staging}/`;
    const name = staging.dir.startsWith(prefix) ? staging.dir.slice(prefix.length) : '';
    if (name === '' || name.includes('/') || name.startsWith('.')) {
      throw new Error(`Not a staging directory of ${this.root}: ${staging.dir}`);
    }
    return name;
  }

  private stagingFiles(staging: StagingArea): Map<string, string> {
    const files = this.volume.staging.get(this.stagingName(staging));
    if (files === undefined)
      throw Object.assign(new Error(`ENOENT: ${staging.dir} does not exist`), { code: 'ENOENT' });
    return files;
  }
}
