// Adapter for the BinaryStore port: the release store as plain files on the (possibly shared) volume, DESIGN.md §2.
// Everything another unit may read appears by rename(2) of a fully written file, directory or symlink.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import {
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  statfs,
  symlink,
  unlink,
} from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { inject, injectable } from 'inversify';
import { type DownloadProgress, parseDownloadProgress } from '../domain/download-progress';
import { InvalidInputError, StorageProblem } from '../domain/errors';
import { type ManifestFileEntry, parseReleaseManifest } from '../domain/release-manifest';
import { parseUnitState, type UnitStateRecord } from '../domain/unit-state';
import { compareVersions } from '../domain/version';
import type { VolumeFacts } from '../domain/volume';
import { CONCOURSE_BINARY, STORE_PATHS, VOLUME_LAYOUT } from '../domain/volume-layout';
import {
  type BinaryStore,
  type PublishOutcome,
  type ReleaseCheck,
  type ReleaseSummary,
  type StagingArea,
  type TarballFacts,
  VOLUME_ROOT,
} from '../ports/binary-store';
import { errorCode } from './fs-errors';

const VERSION_COMPONENT = /^[0-9A-Za-z.+-]{1,128}$/;
const UNIT_DIR_COMPONENT = /^[a-z][a-z0-9-]*-[0-9]+$/;

/** Errors from rm/rename that a network filesystem returns while a file is still in use (NFS silly-renames). */
const BUSY_CODES = new Set(['EBUSY', 'ENOTEMPTY', 'ESTALE', 'ETXTBSY']);
/** Errors from rename(2) of a directory onto an existing release. */
const TARGET_EXISTS_CODES = new Set(['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR']);

/**
 * statfs f_type magic numbers (linux/magic.h) for the filesystems a Juju unit is likely to see. Network ones matter
 * because containerd's overlay snapshotter cannot keep worker runtime data on them (DESIGN.md section 2).
 */
const FILESYSTEM_MAGIC: ReadonlyMap<number, { readonly name: string; readonly network: boolean }> = new Map([
  [0x6969, { name: 'nfs', network: true }],
  // FUSE covers sshfs, glusterfs, s3fs and virtiofs: the kernel cannot tell which, so assume the worst.
  [0x65735546, { name: 'fuse', network: true }],
  [0x00c36400, { name: 'ceph', network: true }],
  [0x517b, { name: 'smb', network: true }],
  [0xfe534d42, { name: 'smb2', network: true }],
  [0xff534d42, { name: 'cifs', network: true }],
  [0x5346414f, { name: 'afs', network: true }],
  [0x0bd00bd0, { name: 'lustre', network: true }],
  // 9p (LXD VM shares, WSL) does not support overlay upper directories either.
  [0x01021997, { name: 'v9fs', network: true }],
  [0x7461636f, { name: 'ocfs2', network: true }],
  [0x01161970, { name: 'gfs2', network: true }],
  [0xef53, { name: 'ext4', network: false }],
  [0x01021994, { name: 'tmpfs', network: false }],
  [0x58465342, { name: 'xfs', network: false }],
  [0x9123683e, { name: 'btrfs', network: false }],
  [0x794c7630, { name: 'overlay', network: false }],
  [0x2fc12fc1, { name: 'zfs', network: false }],
  [0xf2f52010, { name: 'f2fs', network: false }],
  [0x858458f6, { name: 'ramfs', network: false }],
  [0x4d44, { name: 'vfat', network: false }],
]);

export function describeFilesystemType(magic: number): { readonly name: string; readonly network: boolean } {
  const unsigned = magic >>> 0;
  return FILESYSTEM_MAGIC.get(unsigned) ?? { name: `0x${unsigned.toString(16)}`, network: false };
}

/** A release version as a path component: refuses anything that could leave `releases/` (`/`, `..`). */
export function assertSafeVersion(version: string): string {
  if (!isSafeVersion(version)) {
    throw new InvalidInputError(
      `Refusing release version ${JSON.stringify(version.slice(0, 40))}: not a plain version such as 7.14.2`,
    );
  }
  return version;
}

/** A unit directory name (`concourse-ci-0`) as a path component under `worker/`. */
export function assertSafeUnitDir(unitDir: string): string {
  if (!UNIT_DIR_COMPONENT.test(unitDir) || unitDir.length > 128) {
    throw new InvalidInputError(
      `Refusing unit directory ${JSON.stringify(unitDir.slice(0, 40))}: expected <application>-<number>`,
    );
  }
  return unitDir;
}

/**
 * The install lock was lost (`publish`'s signal fired) before the publishing rename: another unit may hold the lock
 * now and may be sweeping this staging area, so what is in it cannot be trusted. Nothing was renamed; the caller
 * discards the staging area.
 */
export class PublishAbortedError extends Error {
  constructor(readonly version: string) {
    super(`install lock lost before publishing ${version}`);
    this.name = 'PublishAbortedError';
  }
}

@injectable()
export class FsBinaryStore implements BinaryStore {
  readonly root: string;

  constructor(@inject(VOLUME_ROOT) root: string) {
    this.root = resolve(root);
  }

  // ---- paths ---------------------------------------------------------------------------------------------------

  private path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  private releaseDir(version: string): string {
    return this.path(STORE_PATHS.release(assertSafeVersion(version)));
  }

  private unitDirPath(unitDir: string): string {
    return this.path(STORE_PATHS.unitDir(assertSafeUnitDir(unitDir)));
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

  // ---- volume --------------------------------------------------------------------------------------------------

  async inspect(): Promise<VolumeFacts> {
    const unusable = (state: VolumeFacts['state'], detail: string): VolumeFacts => ({
      path: this.root,
      state,
      detail,
      freeBytes: 0,
      totalBytes: 0,
      networkFilesystem: false,
      filesystemType: 'unknown',
      volumeId: undefined,
    });

    let rootStat: Stats;
    try {
      rootStat = await stat(this.root);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENOENT') return unusable('missing', describeError(err));
      if (code === 'ENOTDIR') return unusable('not-directory', describeError(err));
      return unusable('unreadable', describeError(err));
    }
    if (!rootStat.isDirectory()) return unusable('not-directory', `${this.root} is not a directory`);

    let space: { freeBytes: number; totalBytes: number; type: number };
    try {
      await readdir(this.root);
      const s = await statfs(this.root);
      space = { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize, type: s.type };
    } catch (err) {
      return unusable('unreadable', describeError(err));
    }
    const fsType = describeFilesystemType(space.type);
    const facts = {
      path: this.root,
      freeBytes: space.freeBytes,
      totalBytes: space.totalBytes,
      networkFilesystem: fsType.network,
      filesystemType: fsType.name,
    };

    let volumeId: string | undefined;
    try {
      volumeId = await this.readVolumeId();
    } catch (err) {
      return { ...facts, state: 'unreadable', detail: describeError(err), volumeId: undefined };
    }

    const probe = await this.probeWritable();
    if (probe === undefined) return { ...facts, state: 'ok', volumeId };
    return { ...facts, ...probe, volumeId };
  }

  /** Create (O_EXCL) + rename + unlink: what installing needs, and what a read-only or stale mount refuses. */
  private async probeWritable(): Promise<{ state: VolumeFacts['state']; detail: string } | undefined> {
    const first = this.path(`.probe.${uniqueSuffix()}`);
    const second = `${first}.renamed`;
    try {
      const handle = await open(first, 'wx', 0o600);
      await handle.close();
      await rename(first, second);
      await unlink(second);
      return undefined;
    } catch (err) {
      await Promise.all([unlink(first).catch(ignore), unlink(second).catch(ignore)]);
      const code = errorCode(err);
      const detail = `write probe failed: ${describeError(err)}`;
      if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return { state: 'read-only', detail };
      // A full volume can still be used once space is freed; the free-space check reports it with numbers.
      if (code === 'ENOSPC' || code === 'EDQUOT') return { state: 'ok', detail };
      return { state: 'unreadable', detail };
    }
  }

  private async readVolumeId(): Promise<string | undefined> {
    const text = await readTextIfExists(this.path(VOLUME_LAYOUT.volumeId));
    const id = text?.trim();
    return id === undefined || id === '' ? undefined : id;
  }

  async ensureVolumeId(): Promise<string> {
    const existing = await this.readVolumeId();
    if (existing !== undefined) return existing;

    // The id file must appear with its content in one step, or a racing unit could read it empty. A hard link of a
    // fully written temp file does that and fails with EEXIST if another unit won: O_EXCL semantics, NFS included.
    const id = randomUUID();
    const target = this.path(VOLUME_LAYOUT.volumeId);
    const temp = tempPath(target);
    try {
      await writeDurably(temp, `${id}\n`);
      await link(temp, target);
      await fsyncDir(this.root);
      return id;
    } catch (err) {
      const code = errorCode(err);
      if (await existsBecause(err, target)) return this.readWinnerVolumeId();
      // Filesystems without hard links (some FUSE and SMB mounts): fall back to O_EXCL create, then write.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
        return this.createVolumeIdExclusive(id);
      }
      throw err;
    } finally {
      await unlink(temp).catch(ignore);
    }
  }

  private async createVolumeIdExclusive(id: string): Promise<string> {
    try {
      await writeDurably(this.path(VOLUME_LAYOUT.volumeId), `${id}\n`);
      return id;
    } catch (err) {
      if (await existsBecause(err, this.path(VOLUME_LAYOUT.volumeId))) return this.readWinnerVolumeId();
      throw err;
    }
  }

  /** The winner's id; on the O_EXCL fallback path it may be empty for a moment between create and write. */
  private async readWinnerVolumeId(): Promise<string> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const id = await this.readVolumeId();
      if (id !== undefined) return id;
      if (Date.now() > deadline) {
        throw new StorageProblem(
          'blocked',
          `${this.path(VOLUME_LAYOUT.volumeId)} is empty: remove it so a unit can write a new volume id`,
        );
      }
      await delay(50);
    }
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

    let raw: string;
    try {
      raw = await readFile(join(dir, VOLUME_LAYOUT.manifest), 'utf8');
    } catch (err) {
      if (isMissing(err)) return damaged(`${VOLUME_LAYOUT.manifest} missing`);
      throw err;
    }
    const manifest = parseReleaseManifest(parseJson(raw));
    if (manifest === undefined) return damaged(`${VOLUME_LAYOUT.manifest} is not a valid manifest`);
    if (manifest.version !== version) return damaged(`${VOLUME_LAYOUT.manifest} is for version ${manifest.version}`);

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
    if (!isSafeRelativePath(relative)) return `manifest lists an unsafe path ${JSON.stringify(relative)}`;
    const file = join(releaseDir, relative);
    let fileStat: Stats;
    try {
      fileStat = await lstat(file);
    } catch (err) {
      if (isMissing(err)) return `${relative} missing`;
      throw err;
    }
    if (!fileStat.isFile()) return `${relative} is not a regular file`;
    if (fileStat.size !== expected.bytes)
      return `${relative} is ${fileStat.size} bytes, manifest says ${expected.bytes}`;
    if (deep) {
      const { sha256 } = await digestFile(file, false);
      if (sha256 !== expected.sha256) return `${relative} sha256 differs from the manifest`;
    }
    return undefined;
  }

  async listReleases(): Promise<readonly ReleaseSummary[]> {
    const entries = await readDirIfExists(this.path(VOLUME_LAYOUT.releases));
    const summaries: ReleaseSummary[] = [];
    for (const entry of entries) {
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
        const { bytes } = await diskUsage(this.releaseDir(entry.name));
        summaries.push({ version: entry.name, state: check.state, bytes });
      }
    }
    // The domain's order (7.14.3-rc.1 before 7.14.3), not a locale's: one comparison for GC, rollback and reports.
    return summaries.sort((a, b) => compareVersions(a.version, b.version));
  }

  async ensureRoot(): Promise<void> {
    // One level below an existing directory at most: a missing volume must stay missing, not be created on the
    // machine's root disk.
    try {
      await mkdir(dirname(this.root));
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') return;
    }
    await mkdir(this.root).catch((err: unknown) => {
      if (errorCode(err) !== 'EEXIST') throw err;
    });
  }

  async stagedBinaries(staging: StagingArea): Promise<readonly string[]> {
    const dir = this.assertStagingDir(staging.dir);
    const names: string[] = [];
    for (const entry of await readDirIfExists(join(dir, 'bin'))) {
      if (entry.isFile()) names.push(`bin/${entry.name}`);
    }
    return names.sort();
  }

  async openStaging(version: string, unit: string): Promise<StagingArea> {
    assertSafeVersion(version);
    const stagingRoot = this.path(VOLUME_LAYOUT.staging);
    await mkdir(stagingRoot, { recursive: true });
    const unitPart = unit.replace(/[^A-Za-z0-9-]+/g, '-').slice(0, 64) || 'unit';
    const dir = join(stagingRoot, `${version}.${unitPart}.${randomBytes(6).toString('hex')}`);
    await mkdir(dir);
    return { version, dir };
  }

  async discardStaging(staging: StagingArea): Promise<void> {
    const dir = this.assertStagingDir(staging.dir);
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      // Leftovers still in use on NFS are swept later by removeAbandonedStaging, under the lock.
      if (!BUSY_CODES.has(errorCode(err) ?? '')) throw err;
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
        if (!BUSY_CODES.has(errorCode(err) ?? '')) throw err;
      }
    }
    return removed;
  }

  async publish(
    staging: StagingArea,
    tarball: TarballFacts,
    publishedBy: string,
    publishedAt: Date,
    signal?: AbortSignal,
    onManifested?: () => void,
  ): Promise<PublishOutcome> {
    const dir = this.assertStagingDir(staging.dir);
    const version = assertSafeVersion(staging.version);

    // One walk: digests for bin/, the byte total for everything, and fsync of every file and directory, so that
    // what the rename makes visible is also on disk (a power cut must not leave a manifested but empty binary).
    const files: Record<string, ManifestFileEntry> = {};
    let extractedBytes = 0;
    // Strict: an entry that vanishes mid-walk means someone is deleting this staging area (a unit that took the
    // lock over); manifesting what is left would publish a half-deleted release.
    const vanished = (relative: string, cause: unknown) =>
      new Error(
        `Refusing to publish ${version}: ${relative || dir} vanished from the staging area while it was being ` +
          'manifested (removed by another unit?)',
        { cause },
      );
    await walk(
      dir,
      async (absolute, relative, entryStat) => {
        if (relative === VOLUME_LAYOUT.manifest) return;
        try {
          if (entryStat.isDirectory()) {
            await fsyncDir(absolute);
            return;
          }
          if (!entryStat.isFile()) return;
          extractedBytes += entryStat.size;
          if (relative.startsWith('bin/')) {
            const { sha256, bytes } = await digestFile(absolute, true);
            files[relative] = { bytes, sha256 };
          } else {
            // Only bin/ is digested (resource-type rootfs tarballs are hundreds of MB); everything is made durable.
            await fsyncFile(absolute);
          }
        } catch (err) {
          throw errorCode(err) === 'ENOENT' ? vanished(relative, err) : err;
        }
      },
      { onVanished: vanished },
    );
    // Defence in depth (the domain checks the layout earlier): never manifest a release without its binary. The walk
    // saw `bin/concourse` as a regular file only if it digested it; a link, directory or nothing is refused.
    if (files[CONCOURSE_BINARY] === undefined) {
      throw new Error(
        `Refusing to publish ${version}: ${CONCOURSE_BINARY} in ${dir} is ${await describeEntry(join(dir, CONCOURSE_BINARY))}, not a regular file`,
      );
    }

    const manifest = parseReleaseManifest({
      schema: 1,
      version,
      source: tarball.source,
      tarball: { bytes: tarball.bytes, sha1: tarball.sha1.toLowerCase(), sha256: tarball.sha256.toLowerCase() },
      files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))),
      extractedBytes,
      publishedBy,
      publishedAt: publishedAt.toISOString(),
    });
    if (manifest === undefined) {
      throw new Error(`Refusing to publish ${version}: manifest would be invalid (check tarball digests and names)`);
    }
    await writeAtomic(join(dir, VOLUME_LAYOUT.manifest), `${JSON.stringify(manifest, null, 2)}\n`, true);
    await fsyncDir(dir);
    onManifested?.();

    const releasesDir = this.path(VOLUME_LAYOUT.releases);
    await mkdir(releasesDir, { recursive: true });
    const outcome = await this.renameIntoReleases(dir, staging, version, signal);
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
      if (attempt >= 1) {
        const why = theirs.state === 'damaged' ? theirs.reason : 'it keeps reappearing';
        throw new StorageProblem('blocked', `Cannot publish ${version}: ${target} is in the way (${why})`);
      }
      if (theirs.state === 'damaged') {
        // Moved, not deleted: one rename makes the name free at once, and the move stays on this filesystem.
        const aside = this.path(VOLUME_LAYOUT.staging, `${version}.damaged.${randomBytes(6).toString('hex')}`);
        await rename(target, aside).catch((err: unknown) => {
          if (errorCode(err) !== 'ENOENT') throw err;
        });
      }
    }
  }

  async removeRelease(version: string): Promise<'removed' | 'busy'> {
    const dir = this.releaseDir(version);
    if ((await this.currentVersion()) === version) {
      throw new StorageProblem('blocked', `Refusing to remove release ${version}: current points to it`);
    }
    const stagingRoot = this.path(VOLUME_LAYOUT.staging);
    await mkdir(stagingRoot, { recursive: true });
    // Renamed first so the release disappears in one step; a half-deleted directory is never seen under releases/.
    const aside = join(stagingRoot, `${version}.removing.${randomBytes(6).toString('hex')}`);
    try {
      await rename(dir, aside);
    } catch (err) {
      const code = errorCode(err) ?? '';
      if (code === 'ENOENT') return 'removed';
      if (BUSY_CODES.has(code)) return 'busy';
      throw err;
    }
    try {
      await rm(aside, { recursive: true, force: true });
    } catch (err) {
      if (BUSY_CODES.has(errorCode(err) ?? '')) return 'busy';
      throw err;
    }
    return 'removed';
  }

  // ---- progress marker -----------------------------------------------------------------------------------------

  async readProgress(): Promise<DownloadProgress | undefined> {
    const text = await readTextIfExists(this.path(VOLUME_LAYOUT.progress));
    return text === undefined ? undefined : parseDownloadProgress(parseJson(text));
  }

  async writeProgress(progress: DownloadProgress): Promise<void> {
    // Advisory and rewritten often: atomic (readers never see half a JSON) but not fsynced.
    await writeAtomic(this.path(VOLUME_LAYOUT.progress), JSON.stringify(progress), false);
  }

  async clearProgress(): Promise<void> {
    await unlink(this.path(VOLUME_LAYOUT.progress)).catch((err: unknown) => {
      if (errorCode(err) !== 'ENOENT') throw err;
    });
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
      const why = check.state === 'damaged' ? `damaged: ${check.reason}` : 'not on the volume';
      throw new StorageProblem('blocked', `Cannot switch to ${version}: the release is ${why}`);
    }
    await replaceSymlink(this.path(VOLUME_LAYOUT.current), STORE_PATHS.release(version));
    await writeAtomic(this.path(VOLUME_LAYOUT.installedVersion), `${version}\n`, true);
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

  // ---- units ---------------------------------------------------------------------------------------------------

  async writeUnitState(unitDir: string, state: UnitStateRecord): Promise<void> {
    const dir = this.unitDirPath(unitDir);
    await mkdir(dir, { recursive: true });
    await writeAtomic(
      this.path(STORE_PATHS.unitState(assertSafeUnitDir(unitDir))),
      `${JSON.stringify(state, null, 2)}\n`,
      true,
    );
  }

  async readUnitStates(): Promise<ReadonlyMap<string, UnitStateRecord>> {
    const states = new Map<string, UnitStateRecord>();
    const workerDir = this.path(VOLUME_LAYOUT.worker);
    for (const entry of await readDirIfExists(workerDir)) {
      if (!entry.isDirectory() || !UNIT_DIR_COMPONENT.test(entry.name)) continue;
      const text = await readTextIfExists(this.path(STORE_PATHS.unitState(entry.name)));
      const record = text === undefined ? undefined : parseUnitState(parseJson(text));
      if (record !== undefined) states.set(entry.name, record);
    }
    return states;
  }

  async removeUnitDir(unitDir: string): Promise<void> {
    await rm(this.unitDirPath(unitDir), { recursive: true, force: true });
  }

  async removeUnitPrivateStore(unitDir: string): Promise<void> {
    await rm(this.path(STORE_PATHS.privateStore(assertSafeUnitDir(unitDir))), { recursive: true, force: true });
  }

  // ---- usage ---------------------------------------------------------------------------------------------------

  async usage(): Promise<{ readonly releaseBytes: number; readonly volumeBytes: number }> {
    const [releases, volume] = await Promise.all([diskUsage(this.path(VOLUME_LAYOUT.releases)), diskUsage(this.root)]);
    return { releaseBytes: releases.bytes, volumeBytes: volume.bytes };
  }
}

// ---- helpers -------------------------------------------------------------------------------------------------------

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function ignore(): void {}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isSafeVersion(version: string): boolean {
  return VERSION_COMPONENT.test(version) && !version.includes('..') && !version.startsWith('.');
}

/** A manifest path: relative, forward slashes, no `.`/`..` segments, so checking it never leaves the release. */
function isSafeRelativePath(relative: string): boolean {
  if (relative === '' || relative.startsWith('/') || relative.includes('\\') || relative.includes('\0')) return false;
  return relative.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** pid + random: unique across concurrent units (and hosts) sharing one directory. */
function uniqueSuffix(): string {
  return `${process.pid}.${randomBytes(6).toString('hex')}`;
}

function tempPath(target: string): string {
  return `${target}.tmp.${uniqueSuffix()}`;
}

/**
 * Whether a failed create/link/rename failed because `target` is already there. sftp has no EEXIST, so sshfs (and
 * some other FUSE filesystems) report a lost race as EPERM: then the target's presence decides.
 */
async function existsBecause(err: unknown, target: string): Promise<boolean> {
  const code = errorCode(err) ?? '';
  if (TARGET_EXISTS_CODES.has(code)) return true;
  if (code !== 'EPERM') return false;
  try {
    await lstat(target);
    return true;
  } catch {
    return false;
  }
}

async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

async function readDirIfExists(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** Creates `file` (O_EXCL) with its content; if writing fails (ENOSPC), removes it again rather than leave it empty. */
async function writeDurably(file: string, content: string): Promise<void> {
  const handle = await open(file, 'wx', 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(ignore);
    await unlink(file).catch(ignore);
    throw err;
  }
  await handle.close();
}

/** Temp file in the same directory, then rename(2) over the target: readers see the old or the new, never half. */
async function writeAtomic(target: string, content: string, durable: boolean): Promise<void> {
  const temp = tempPath(target);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(content);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(ignore);
    throw err;
  }
  if (durable) await fsyncDir(dirname(target));
}

/** A symlink switched by rename(2) of a fresh temp symlink: `path` always resolves, to the old or the new target. */
async function replaceSymlink(path: string, target: string): Promise<void> {
  const temp = tempPath(path);
  try {
    await symlink(target, temp);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(ignore);
    if (errorCode(err) === 'EISDIR' || errorCode(err) === 'ENOTEMPTY') {
      throw new StorageProblem('blocked', `${path} is a directory, not a symlink: move it away so it can be managed`, {
        cause: err,
      });
    }
    throw err;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    await handle.sync();
  } catch (err) {
    // Some filesystems (FUSE, SMB) refuse fsync on a directory; the rename is still atomic, only less durable.
    const code = errorCode(err);
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EISDIR' && code !== 'EBADF') {
      throw err;
    }
  } finally {
    await handle?.close();
  }
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function digestFile(file: string, fsync: boolean): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  // fsync through a read-only descriptor is allowed on Linux, so files stay openable whatever their mode.
  const handle = await open(file, 'r');
  let bytes = 0;
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 1 << 20 })) {
      if (!(chunk instanceof Buffer)) throw new Error(`unexpected chunk type reading ${file}`);
      hash.update(chunk);
      bytes += chunk.length;
    }
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Depth-first walk that never follows symlinks. Entries vanishing mid-walk are skipped (usage of a volume being swept)
 * unless `onVanished` is given: then the walk throws what it returns (publishing must see every file it manifests).
 * `relative` uses forward slashes, as manifest paths do; the root is ''.
 */
async function walk(
  root: string,
  visit: (absolute: string, relative: string, entryStat: Stats) => Promise<void>,
  options: { readonly device?: number; readonly onVanished?: (relative: string, cause: unknown) => Error } = {},
): Promise<void> {
  const missing = (relative: string, err: unknown): void => {
    if (!isMissing(err)) throw err;
    if (options.onVanished !== undefined) throw options.onVanished(relative, err);
  };
  const pending: string[] = [''];
  while (pending.length > 0) {
    const relative = pending.pop() ?? '';
    const absolute = relative === '' ? root : join(root, relative);
    let entryStat: Stats;
    try {
      entryStat = await lstat(absolute);
    } catch (err) {
      missing(relative, err);
      continue;
    }
    // Like `du -x`: a mount inside the volume (a worker's overlay) is not the volume.
    if (options.device !== undefined && entryStat.dev !== options.device) continue;
    if (relative !== '') await visit(absolute, relative, entryStat);
    if (!entryStat.isDirectory()) continue;
    let entries: Dirent[];
    try {
      entries = await readdir(absolute, { withFileTypes: true });
    } catch (err) {
      missing(relative, err);
      continue;
    }
    for (const entry of entries) {
      pending.push(relative === '' ? entry.name : `${relative}/${entry.name}`);
    }
  }
}

/** What is at `path`, in words, for an error message. */
async function describeEntry(path: string): Promise<string> {
  try {
    const s = await lstat(path);
    if (s.isSymbolicLink()) return 'a symbolic link';
    if (s.isDirectory()) return 'a directory';
    return s.isFile() ? 'a regular file' : 'a special file';
  } catch (err) {
    return isMissing(err) ? 'missing' : `unreadable (${describeError(err)})`;
  }
}

/** Apparent bytes of the regular files under `dir` (the measure MANIFEST's extractedBytes uses). */
async function diskUsage(dir: string): Promise<{ bytes: number }> {
  let device: number;
  try {
    device = (await lstat(dir)).dev;
  } catch (err) {
    if (isMissing(err)) return { bytes: 0 };
    throw err;
  }
  let bytes = 0;
  await walk(
    dir,
    async (_absolute, _relative, entryStat) => {
      if (entryStat.isFile()) bytes += entryStat.size;
    },
    { device },
  );
  return { bytes };
}
