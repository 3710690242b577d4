// Adapter (MountTable): reads /proc/self/mountinfo, the kernel's view of this process's mount namespace, which a
// hook shares with the machine (or the container). Fields as proc(5) documents them; the last entry for a mount
// point is the one on top.

import { readFile } from 'node:fs/promises';
import type { MountFacts } from '../domain/volume-identity';
import type { MountTable } from '../ports/mount-table';

export const MOUNTINFO_PATH = '/proc/self/mountinfo';

/** Bound as a constant: no injected dependencies. */
export class ProcMountTable implements MountTable {
  constructor(private readonly path: string = MOUNTINFO_PATH) {}

  async mountAt(path: string): Promise<MountFacts | undefined> {
    return topMountAt(await readFile(this.path, 'utf8'), path);
  }
}

/**
 * The topmost mount at `path` in mountinfo text: `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw`
 * (id, parent, major:minor, root, mount point, options, optional fields up to `-`, type, source, super options).
 */
export function topMountAt(mountinfo: string, path: string): MountFacts | undefined {
  const wanted = trimSlashes(path);
  let found: MountFacts | undefined;
  let depth = 0;
  for (const entry of mountEntries(mountinfo)) {
    if (entry.mountPoint !== wanted) continue;
    depth += 1;
    found = { depth, filesystemType: entry.filesystemType, source: entry.source };
  }
  return found;
}

/**
 * The filesystem type of the mount `path` lies on (whether `path` exists yet or not): the topmost mount at the
 * longest mount point that contains it. Symbolic links in `path` are not followed.
 */
export function filesystemOf(mountinfo: string, path: string): string | undefined {
  const wanted = trimSlashes(path);
  let best: { length: number; type: string } | undefined;
  for (const entry of mountEntries(mountinfo)) {
    const m = entry.mountPoint;
    const contains = m === '/' || wanted === m || wanted.startsWith(`${m}/`);
    if (contains && (best === undefined || m.length >= best.length))
      best = { length: m.length, type: entry.filesystemType };
  }
  return best?.type;
}

function* mountEntries(mountinfo: string): Generator<{ mountPoint: string; filesystemType: string; source: string }> {
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (fields.length < 10 || separator < 0) continue;
    yield {
      mountPoint: unescapeField(fields[4] ?? ''),
      filesystemType: unescapeField(fields[separator + 1] ?? ''),
      source: unescapeField(fields[separator + 2] ?? ''),
    };
  }
}

function trimSlashes(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** The kernel writes space, tab, newline and backslash in paths as octal escapes (`\040`). */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
