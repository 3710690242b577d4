// Adapter helper: the durable-filesystem steps every file adapter shares. Whatever another process (or unit, over
// NFS) may read appears by rename(2) of a fully written file or symlink, fsynced with its directory when it matters.

import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, lstat, open, readdir, readFile, rename, symlink, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { notASymlink } from '../domain/store-problems';
import { errorCode } from './fs-errors';

/** Errors from rm/rename that a network filesystem returns while a file is still in use (NFS silly-renames). */
const BUSY_CODES = new Set(['EBUSY', 'ENOTEMPTY', 'ESTALE', 'ETXTBSY']);
/** Errors from rename(2) or link(2) onto an existing entry. */
const TARGET_EXISTS_CODES = new Set(['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR']);
/** Errors fsync on a directory gives where the filesystem does not support it (FUSE, SMB). */
const DIR_FSYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR', 'EBADF']);

export function ignore(): void {}

/** Not there: the entry, or a component of its path, is missing (or is a file where a directory was expected). */
export function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/** Still in use on a network filesystem: removal is retried later rather than failed. */
export function isBusy(err: unknown): boolean {
  return BUSY_CODES.has(errorCode(err) ?? '');
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** pid + random: unique across concurrent units (and hosts) sharing one directory. */
export function uniqueSuffix(): string {
  return `${process.pid}.${randomBytes(6).toString('hex')}`;
}

export function tempPath(target: string): string {
  return `${target}.tmp.${uniqueSuffix()}`;
}

/**
 * Whether a failed create/link/rename failed because `target` is already there. sftp has no EEXIST, so sshfs (and
 * some other FUSE filesystems) report a lost race as EPERM: then the target's presence decides.
 */
export async function existsBecause(err: unknown, target: string): Promise<boolean> {
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

export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** The file's JSON, or undefined when it is missing or not JSON (a reader of advisory files never fails on them). */
export async function readJsonIfExists(file: string): Promise<unknown> {
  const text = await readTextIfExists(file);
  return text === undefined ? undefined : parseJsonOrUndefined(text);
}

export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function readDirIfExists(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** Creates `file` (O_EXCL) with its content, fsynced; if writing fails (ENOSPC), removes it rather than leave it empty. */
export async function createDurably(file: string, content: string): Promise<void> {
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

export interface AtomicWriteOptions {
  /** fsync the file before the rename and its directory after: survives a power cut, costs a round trip on NFS. */
  readonly durable: boolean;
  /** Mode the temp file is created with (before any content lands); default 0644. */
  readonly mode?: number;
  /** Runs on the empty temp file before the content is written (chown, chmod of a private key). */
  readonly prepare?: (handle: FileHandle) => Promise<void>;
}

/** Temp file in the same directory, then rename(2) over the target: readers see the old or the new, never half. */
export async function writeAtomic(target: string, content: string, options: AtomicWriteOptions): Promise<void> {
  const temp = tempPath(target);
  try {
    const handle = await open(temp, 'wx', options.mode ?? 0o644);
    try {
      await options.prepare?.(handle);
      await handle.writeFile(content, 'utf8');
      if (options.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(ignore);
    throw err;
  }
  if (options.durable) await fsyncDir(dirname(target));
}

/** A symlink switched by rename(2) of a fresh temp symlink: `path` always resolves, to the old or the new target. */
export async function replaceSymlink(path: string, target: string): Promise<void> {
  const temp = tempPath(path);
  try {
    await symlink(target, temp);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(ignore);
    if (errorCode(err) === 'EISDIR' || errorCode(err) === 'ENOTEMPTY') throw notASymlink(path, err);
    throw err;
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    await handle.sync();
  } catch (err) {
    // Where a directory cannot be fsynced the rename is still atomic, only less durable.
    if (!DIR_FSYNC_UNSUPPORTED.has(errorCode(err) ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
