// Adapter helper: reading a directory tree on the volume without following links: the walk that manifests and
// sizes releases, file digests, and what an entry is, in words, for an error message.

import { createHash } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, isMissing } from './fs-durable';

export async function digestFile(file: string, fsync: boolean): Promise<{ sha256: string; bytes: number }> {
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

export interface WalkOptions {
  /** Skip entries on another device, like `du -x` (a worker's overlay mounted inside the volume). */
  readonly device?: number;
  /** Given: an entry vanishing mid-walk throws what this returns, instead of being skipped. */
  readonly onVanished?: (relative: string, cause: unknown) => Error;
}

/**
 * Depth-first walk that never follows symlinks. Entries vanishing mid-walk are skipped (usage of a volume being swept)
 * unless `onVanished` is given (publishing must see every file it manifests). `relative` uses forward slashes, as
 * manifest paths do; the root itself is not visited.
 */
export async function walk(
  root: string,
  visit: (absolute: string, relative: string, entryStat: Stats) => Promise<void>,
  options: WalkOptions = {},
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
export async function describeEntry(path: string): Promise<string> {
  try {
    const s = await lstat(path);
    if (s.isSymbolicLink()) return 'a symbolic link';
    if (s.isDirectory()) return 'a directory';
    return s.isFile() ? 'a regular file' : 'a special file';
  } catch (err) {
    return isMissing(err) ? 'missing' : `unreadable (${describeError(err)})`;
  }
}

/** Apparent bytes of the regular files under `dir`, on its device only (the measure MANIFEST's extractedBytes uses). */
export async function apparentBytes(dir: string): Promise<number> {
  let device: number;
  try {
    device = (await lstat(dir)).dev;
  } catch (err) {
    if (isMissing(err)) return 0;
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
  return bytes;
}
