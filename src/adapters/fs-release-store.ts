// Adapter (ReleaseStore): releases as plain directories on the (possibly shared) volume, DESIGN.md section 2. A
// release appears by one rename of a manifested staging directory; `current` moves by symlink-and-rename.

import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, mkdir, readlink, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { inject, injectable } from 'inversify';
import { fileMismatch, judgeManifest, type ManifestFileEntry, unsafeManifestPath } from '../domain/release-manifest';
import { assertSafeVersion, isSafeVersion, stagingName } from '../domain/store-names';
import { cannotSwitchTo, releaseInTheWay, removingCurrentRelease } from '../domain/store-problems';
import { compareVersions } from '../domain/version';
import { STORE_PATHS, VOLUME_LAYOUT } from '../domain/volume-layout';
import {
  PublishAbortedError,
  type PublishOutcome,
  type PublishRequest,
  type ReleaseCheck,
  type ReleaseStore,
  type ReleaseSummary,
  type StagingArea,
} from '../ports/release-store';
import { STORE_ROOT } from '../ports/store-root';
import {
  existsBecause,
  fsyncDir,
  isBusy,
  isMissing,
  parseJsonOrUndefined,
  readDirIfExists,
  readTextIfExists,
  replaceSymlink,
  writeAtomic,
} from './fs-durable';
import { errorCode } from './fs-errors';
import { manifestStagingArea } from './fs-release-manifesting';
import { apparentBytes, digestFile } from './fs-tree';

@injectable()
export class FsReleaseStore implements ReleaseStore {
  readonly root: string;

  constructor(@inject(STORE_ROOT) root: string) {
    this.root = resolve(root);
  }

  private path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  private releaseDir(version: string): string {
    return this.path(STORE_PATHS.release(assertSafeVersion(version)));
  }

  /** A staging directory must be a direct child of `.staging`: discard and publish rm -rf or move it. */
  private assertStagingDir(dir: string): string {
    const resolved = resolve(dir);
    const name = basename(resolved);
    if (dirname(resolved) !== this.path(VOLUME_LAYOUT.staging) || name === '' || name.startsWith('.')) {
      throw new Error(`Not a staging directory of ${this.root}: ${dir}`);
    }
    return resolved;
  }

  /** A fresh name under .staging for something about to disappear (a damaged leftover, a release being removed). */
  private async asideName(version: string, why: 'damaged' | 'removing'): Promise<string> {
    const stagingRoot = this.path(VOLUME_LAYOUT.staging);
    await mkdir(stagingRoot, { recursive: true });
    return join(stagingRoot, `${version}.${why}.${randomBytes(6).toString('hex')}`);
  }

  // ---- releases ------------------------------------------------------------------------------------------------

  async checkRelease(version: string, options?: { readonly deep?: boolean }): Promise<ReleaseCheck> {
    const dir = this.releaseDir(version);
    const damaged = (reason: string): ReleaseCheck => ({ state: 'damaged', version, reason });

    let dirStat: Stats;
    try {
      dirStat = await lstat(dir);
    } catch (err) {
      if (isMissing(err)) return { state: 'absent', version };
      throw err;
    }
    if (!dirStat.isDirectory()) return damaged(`${dir} is not a directory`);

    const raw = await readTextIfExists(join(dir, VOLUME_LAYOUT.manifest));
    if (raw === undefined) return damaged(`${VOLUME_LAYOUT.manifest} missing`);
    const judged = judgeManifest(version, parseJsonOrUndefined(raw));
    if ('reason' in judged) return damaged(judged.reason);
    const { manifest } = judged;

    for (const [relative, expected] of Object.entries(manifest.files)) {
      const problem = await this.checkFile(dir, relative, expected, options?.deep === true);
      if (problem !== undefined) return damaged(problem);
    }
    return { state: 'published', version, manifest };
  }

  private async checkFile(
    releaseDir: string,
    relative: string,
    expected: ManifestFileEntry,
    deep: boolean,
  ): Promise<string | undefined> {
    const unsafe = unsafeManifestPath(relative);
    if (unsafe !== undefined) return unsafe;
    const file = join(releaseDir, relative);
    let fileStat: Stats;
    try {
      fileStat = await lstat(file);
    } catch (err) {
      if (isMissing(err)) return fileMismatch(relative, expected, { kind: 'missing' });
      throw err;
    }
    if (!fileStat.isFile()) return fileMismatch(relative, expected, { kind: 'not-file' });
    // The size first: a deep check of a truncated file needs no digest to say so.
    const shallow = fileMismatch(relative, expected, { kind: 'file', bytes: fileStat.size });
    if (shallow !== undefined || !deep) return shallow;
    const { sha256 } = await digestFile(file, false);
    return fileMismatch(relative, expected, { kind: 'file', bytes: fileStat.size, sha256 });
  }

  async listReleases(): Promise<readonly ReleaseSummary[]> {
    const summaries: ReleaseSummary[] = [];
    for (const entry of await readDirIfExists(this.path(VOLUME_LAYOUT.releases))) {
      // Names that are not versions cannot have been published by us and could not be removed by version.
      if (!entry.isDirectory() || !isSafeVersion(entry.name)) continue;
      const check = await this.checkRelease(entry.name);
      if (check.state === 'published') {
        summaries.push({
          version: entry.name,
          state: check.state,
          bytes: check.manifest.extractedBytes,
          publishedBy: check.manifest.publishedBy,
          publishedAt: check.manifest.publishedAt,
        });
      } else if (check.state === 'damaged') {
        summaries.push({
          version: entry.name,
          state: check.state,
          bytes: await apparentBytes(this.releaseDir(entry.name)),
        });
      }
    }
    // The domain's order (7.14.3-rc.1 before 7.14.3), not a locale's: one comparison for GC, rollback and reports.
    return summaries.sort((a, b) => compareVersions(a.version, b.version));
  }

  // ---- staging and publication ---------------------------------------------------------------------------------

  async openStaging(version: string, unit: string): Promise<StagingArea> {
    const name = stagingName(version, unit, randomBytes(6).toString('hex'));
    const stagingRoot = this.path(VOLUME_LAYOUT.staging);
    await mkdir(stagingRoot, { recursive: true });
    const dir = join(stagingRoot, name);
    await mkdir(dir);
    return { version, dir };
  }

  async stagedBinaries(staging: StagingArea): Promise<readonly string[]> {
    const dir = this.assertStagingDir(staging.dir);
    const names: string[] = [];
    for (const entry of await readDirIfExists(join(dir, 'bin'))) {
      if (entry.isFile()) names.push(`bin/${entry.name}`);
    }
    return names.sort();
  }

  async discardStaging(staging: StagingArea): Promise<void> {
    const dir = this.assertStagingDir(staging.dir);
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      // Leftovers still in use on NFS are swept later by removeAbandonedStaging, under the lock.
      if (!isBusy(err)) throw err;
    }
  }

  async removeAbandonedStaging(): Promise<number> {
    const stagingRoot = this.path(VOLUME_LAYOUT.staging);
    let removed = 0;
    for (const entry of await readDirIfExists(stagingRoot)) {
      try {
        await rm(join(stagingRoot, entry.name), { recursive: true, force: true });
        removed++;
      } catch (err) {
        if (!isBusy(err)) throw err;
      }
    }
    return removed;
  }

  async publish(staging: StagingArea, request: PublishRequest): Promise<PublishOutcome> {
    const dir = this.assertStagingDir(staging.dir);
    const version = assertSafeVersion(staging.version);
    await manifestStagingArea(dir, version, request);
    request.onManifested?.();

    const releasesDir = this.path(VOLUME_LAYOUT.releases);
    await mkdir(releasesDir, { recursive: true });
    const outcome = await this.renameIntoReleases(dir, staging, version, request.signal);
    await fsyncDir(releasesDir);
    return outcome;
  }

  /** The publishing rename. A release already there wins if it is valid; a damaged leftover is moved aside once. */
  private async renameIntoReleases(
    dir: string,
    staging: StagingArea,
    version: string,
    signal: AbortSignal | undefined,
  ): Promise<PublishOutcome> {
    const target = this.releaseDir(version);
    for (let attempt = 0; ; attempt++) {
      // Checked last, right before each rename: the lock is only a hint, but a writer that knows it lost it must not
      // publish a staging area the new holder may be deleting under it.
      if (signal?.aborted) throw new PublishAbortedError(version);
      try {
        await rename(dir, target);
        return 'published';
      } catch (err) {
        if (!(await existsBecause(err, target))) throw err;
      }
      const theirs = await this.checkRelease(version);
      if (theirs.state === 'published') {
        await this.discardStaging(staging);
        return 'already-published';
      }
      if (attempt >= 1) throw releaseInTheWay(version, target, theirs.state === 'damaged' ? theirs.reason : undefined);
      if (theirs.state === 'damaged') {
        // Moved, not deleted: one rename makes the name free at once, and the move stays on this filesystem.
        await rename(target, await this.asideName(version, 'damaged')).catch((err: unknown) => {
          if (errorCode(err) !== 'ENOENT') throw err;
        });
      }
    }
  }

  async removeRelease(version: string): Promise<'removed' | 'busy'> {
    const dir = this.releaseDir(version);
    if ((await this.currentVersion()) === version) throw removingCurrentRelease(version);
    // Renamed first so the release disappears in one step; a half-deleted directory is never seen under releases/.
    const aside = await this.asideName(version, 'removing');
    try {
      await rename(dir, aside);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return 'removed';
      if (isBusy(err)) return 'busy';
      throw err;
    }
    try {
      await rm(aside, { recursive: true, force: true });
    } catch (err) {
      if (isBusy(err)) return 'busy';
      throw err;
    }
    return 'removed';
  }

  // ---- current -------------------------------------------------------------------------------------------------

  async currentVersion(): Promise<string | undefined> {
    let target: string | undefined;
    try {
      target = await readlink(this.path(VOLUME_LAYOUT.current));
    } catch (err) {
      // ENOENT: never switched; EINVAL: `current` is not a symlink (hand-made). Both fall back to the record.
      const code = errorCode(err);
      if (code !== 'ENOENT' && code !== 'EINVAL') throw err;
    }
    if (target !== undefined) return this.versionFromLinkTarget(target);
    const recorded = (await readTextIfExists(this.path(VOLUME_LAYOUT.installedVersion)))?.trim();
    return recorded !== undefined && isSafeVersion(recorded) ? recorded : undefined;
  }

  private versionFromLinkTarget(target: string): string | undefined {
    const relative = isAbsolute(target) ? posix.relative(this.root, target) : posix.normalize(target);
    const m = /^releases\/([^/]+)\/?$/.exec(relative);
    return m?.[1] !== undefined && isSafeVersion(m[1]) ? m[1] : undefined;
  }

  async switchCurrent(version: string): Promise<void> {
    const check = await this.checkRelease(version);
    if (check.state !== 'published') {
      throw cannotSwitchTo(version, check.state === 'damaged' ? check.reason : undefined);
    }
    await replaceSymlink(this.path(VOLUME_LAYOUT.current), STORE_PATHS.release(version));
    await writeAtomic(this.path(VOLUME_LAYOUT.installedVersion), `${version}\n`, { durable: true });
    await this.ensureBinLink();
    await fsyncDir(this.root);
  }

  /** `bin -> current/bin` for operators' scripts. A real `bin/` directory (an older layout) is left alone. */
  private async ensureBinLink(): Promise<void> {
    const bin = this.path(VOLUME_LAYOUT.bin);
    try {
      if ((await readlink(bin)) === STORE_PATHS.currentBin) return;
    } catch (err) {
      const code = errorCode(err);
      if (code === 'EINVAL') return;
      if (code !== 'ENOENT') throw err;
    }
    await replaceSymlink(bin, STORE_PATHS.currentBin);
  }
}
