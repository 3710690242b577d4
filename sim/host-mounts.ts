// Simulator: the few mounts made in the host's own namespace (a tmpfs volume, later sshfs) and the guard that
// keeps close() from deleting a sim root while anything is still mounted under it.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mount points (from /proc/self/mountinfo) at or below `root`, deepest first. */
export async function mountsUnder(root: string): Promise<string[]> {
  const base = resolve(root);
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8))))
    .filter((p) => p === base || p.startsWith(base + sep));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export async function mount(args: readonly string[]): Promise<void> {
  try {
    await run('mount', [...args]);
  } catch (e) {
    throw new Error(`mount ${args.join(' ')} failed: ${errorText(e)}`);
  }
}

/** Unmounts `path`; if it is busy, detaches it lazily so close() never leaves it behind. */
export async function unmount(path: string): Promise<void> {
  try {
    await run('umount', [path]);
  } catch {
    try {
      await run('umount', ['-l', path]);
    } catch (e) {
      if ((await mountsUnder(path)).includes(resolve(path))) throw new Error(`umount ${path} failed: ${errorText(e)}`);
    }
  }
}

function errorText(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'stderr' in e && typeof e.stderr === 'string' && e.stderr.trim() !== '') {
    return e.stderr.trim();
  }
  return e instanceof Error ? e.message : String(e);
}
