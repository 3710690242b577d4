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
    const marker = await this.read('run/systemd/container');
    if (marker !== undefined && marker.trim() !== '') return true;
    const environ = (await this.read('proc/1/environ')) ?? '';
    return environ.split('\0').some((entry) => /^container=./.test(entry));
  }

  private async read(path: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.root, path), 'utf8');
    } catch {
      // Missing or unreadable (PID 1's environ without privileges): no evidence either way.
      return undefined;
    }
  }
}
