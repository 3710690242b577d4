// Simulator: the simplest shared volume, one host dir (`<sim root>/volumes/<name>`) bound on every unit: what an
// LXD disk device shared by several containers gives a real deployment.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { VolumeProvider } from './volume-provider';

export class BindVolume implements VolumeProvider {
  private path: string | undefined;

  /** `path`: use this host dir instead of one under the sim root (it is not removed on close). */
  constructor(
    readonly name: string,
    private readonly options: { readonly path?: string } = {},
  ) {
    this.path = options.path;
  }

  async open(simRoot: string): Promise<void> {
    this.path ??= join(simRoot, 'volumes', this.name);
    await mkdir(this.path, { recursive: true });
  }

  async hostPathFor(_unit: string): Promise<string> {
    if (this.path === undefined) throw new Error(`volume ${this.name} used before open()`);
    return this.path;
  }

  async release(_unit: string): Promise<void> {}

  async close(): Promise<void> {}

  /** The shared dir on the host, for assertions. */
  get hostPath(): string | undefined {
    return this.path ?? this.options.path;
  }
}
