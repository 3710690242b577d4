// Test support for the shared-store e2e tests: a release server with known releases, the charm config pointing at
// it, and checks on what a volume holds, using the charm's own store adapter to read it.

import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReleaseServer } from '../../sim/concourse/release-server';
import { FsReleaseStore } from '../../src/adapters/fs-release-store';

export const MiB = 1024 * 1024;

export function charmConfig(
  server: ReleaseServer,
  extra: Readonly<Record<string, string | number | boolean>> = {},
): Record<string, string | number | boolean> {
  return { mode: 'auto', version: '7.14.2', 'download-url': server.downloadUrlTemplate, ...extra };
}

/** Bytes a directory tree occupies on disk (du), links not followed. */
export function diskBytes(path: string): number {
  const out = execFileSync('du', ['-s', '-B1', path], { encoding: 'utf8' });
  return Number(out.split(/\s/)[0]);
}

/**
 * Every directory under releases/ is a complete, manifested release (nothing half-written is ever visible), and
 * returns their versions.
 */
export async function publishedReleases(volume: string): Promise<string[]> {
  const store = new FsReleaseStore(volume);
  const dir = join(volume, 'releases');
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir);
  const versions: string[] = [];
  for (const name of names) {
    const check = await store.checkRelease(name, { deep: true });
    if (check.state !== 'published') throw new Error(`releases/${name} is ${check.state}: ${JSON.stringify(check)}`);
    versions.push(name);
  }
  return versions.sort();
}

export function stagingEntries(volume: string): string[] {
  const dir = join(volume, '.staging');
  return existsSync(dir) ? readdirSync(dir) : [];
}
