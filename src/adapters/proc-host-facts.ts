// Adapter (MountHost): reads /proc/filesystems for the kernel's filesystems and the marks container managers leave
// (systemd's /run/systemd/container, `container=` in PID 1's environment) to tell a container from a machine.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostFilesystemFacts } from '../domain/shared-fs-mount';
import type { MountHost } from '../ports/shared-fs-host';

/** Bound as a constant; `root` re-roots the paths for tests. */
export class ProcHostFacts implements MountHost {
  constructor(private readonly root: string = '/') {}

  async filesystemFacts(): Promise<HostFilesystemFacts> {
    const text = (await this.read('proc/filesystems')) ?? '';
    // Lines are `nodev\tname` or `\tname`: the name is the last field.
    const kernelFilesystems = text
      .split('\n')
      .map((line) => line.trim().split(/\s+/).pop() ?? '')
      .filter((name) => name !== '');
    return { kernelFilesystems, inContainer: await this.inContainer() };
  }

  private async inContainer(): Promise<boolean> {
    return (await containerMark(this.root)) !== undefined;
  }

  private read(path: string): Promise<string | undefined> {
    return readUnder(this.root, path);
  }
}

/** The container manager's name from the marks it leaves (`lxc`, `docker`), or undefined on a machine. */
export async function containerMark(root: string): Promise<string | undefined> {
  const marker = (await readUnder(root, 'run/systemd/container'))?.trim();
  if (marker !== undefined && marker !== '') return marker;
  const environ = (await readUnder(root, 'proc/1/environ')) ?? '';
  for (const entry of environ.split('\0')) {
    const m = /^container=(.+)$/.exec(entry);
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
}

/** A file under `root`; undefined when missing or unreadable (PID 1's environ without privileges): no evidence. */
export async function readUnder(root: string, path: string): Promise<string | undefined> {
  try {
    return await readFile(join(root, path), 'utf8');
  } catch {
    return undefined;
  }
}
