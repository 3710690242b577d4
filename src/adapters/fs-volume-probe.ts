// Adapter (VolumeProbe): the storage location as plain files: stat/statfs and a write probe say whether it is
// usable, `.volume-id` says which volume it is (created by one unit only, NFS and sshfs included).

import { randomUUID } from 'node:crypto';
import type { Stats } from 'node:fs';
import { link, mkdir, open, readdir, rename, stat, statfs, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { inject, injectable } from 'inversify';
import { emptyVolumeId } from '../domain/store-problems';
import type { VolumeFacts } from '../domain/volume';
import { VOLUME_LAYOUT } from '../domain/volume-layout';
import { STORE_ROOT } from '../ports/store-root';
import type { VolumeProbe, VolumeUsage } from '../ports/volume-probe';
import {
  createDurably,
  describeError,
  existsBecause,
  fsyncDir,
  ignore,
  readTextIfExists,
  tempPath,
  uniqueSuffix,
} from './fs-durable';
import { errorCode } from './fs-errors';
import { apparentBytes } from './fs-tree';

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

@injectable()
export class FsVolumeProbe implements VolumeProbe {
  readonly root: string;

  constructor(@inject(STORE_ROOT) root: string) {
    this.root = resolve(root);
  }

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
    const first = join(this.root, `.probe.${uniqueSuffix()}`);
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

  private get volumeIdPath(): string {
    return join(this.root, VOLUME_LAYOUT.volumeId);
  }

  private async readVolumeId(): Promise<string | undefined> {
    const id = (await readTextIfExists(this.volumeIdPath))?.trim();
    return id === undefined || id === '' ? undefined : id;
  }

  async ensureVolumeId(): Promise<string> {
    const existing = await this.readVolumeId();
    if (existing !== undefined) return existing;

    // The id file must appear with its content in one step, or a racing unit could read it empty. A hard link of a
    // fully written temp file does that and fails with EEXIST if another unit won: O_EXCL semantics, NFS included.
    const id = randomUUID();
    const target = this.volumeIdPath;
    const temp = tempPath(target);
    try {
      await createDurably(temp, `${id}\n`);
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
      await createDurably(this.volumeIdPath, `${id}\n`);
      return id;
    } catch (err) {
      if (await existsBecause(err, this.volumeIdPath)) return this.readWinnerVolumeId();
      throw err;
    }
  }

  /** The winner's id; on the O_EXCL fallback path it may be empty for a moment between create and write. */
  private async readWinnerVolumeId(): Promise<string> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const id = await this.readVolumeId();
      if (id !== undefined) return id;
      if (Date.now() > deadline) throw emptyVolumeId(this.volumeIdPath);
      await new Promise((r) => setTimeout(r, 50));
    }
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

  async usage(): Promise<VolumeUsage> {
    const [releaseBytes, volumeBytes] = await Promise.all([
      apparentBytes(join(this.root, VOLUME_LAYOUT.releases)),
      apparentBytes(this.root),
    ]);
    return { releaseBytes, volumeBytes };
  }
}
