// Simulator: a shared volume of a fixed size, for disk-full tests: one tmpfs mounted on the host at
// `<sim root>/volumes/<name>` with `size=`, bound on every unit and unmounted on close. Needs root on the host.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mount, mountsUnder, unmount } from './host-mounts';
import type { VolumeProvider } from './volume-provider';

export class TmpfsVolume implements VolumeProvider {
  private path: string | undefined;
  private mounted = false;

  constructor(
    readonly name: string,
    private readonly options: { readonly sizeBytes: number },
  ) {
    if (!Number.isInteger(options.sizeBytes) || options.sizeBytes < 4096) {
      throw new RangeError(`TmpfsVolume ${name}: sizeBytes must be an integer >= 4096`);
    }
  }

  async open(simRoot: string): Promise<void> {
    if (this.path !== undefined) return;
    if (process.getuid?.() !== 0) {
      throw new Error(`TmpfsVolume ${this.name} mounts a tmpfs on the host: run the simulator as root`);
    }
    const path = join(simRoot, 'volumes', this.name);
    await mkdir(path, { recursive: true });
    await mount(['-t', 'tmpfs', '-o', `size=${this.options.sizeBytes},mode=0755`, `sim-${this.name}`, path]);
    this.path = path;
    this.mounted = true;
  }

  async hostPathFor(_unit: string): Promise<string> {
    if (this.path === undefined) throw new Error(`volume ${this.name} used before open()`);
    return this.path;
  }

  async release(_unit: string): Promise<void> {}

  async close(): Promise<void> {
    if (this.path === undefined || !this.mounted) return;
    if ((await mountsUnder(this.path)).length > 0) await unmount(this.path);
    this.mounted = false;
  }

  get hostPath(): string | undefined {
    return this.path;
  }
}
