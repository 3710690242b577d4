// Simulator: network mounts a unit makes itself (a charm's systemd mount unit, started through the fake systemctl).
// Hooks run in fresh namespaces, so such a mount lives on the host at the unit's share point: a directory bound on
// itself and made shared before any hook ran; hooks' namespaces are slaves of it (machine.ts), so a filesystem
// mounted there later appears in a running hook too, and every later hook binds it at its location.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, normalize } from 'node:path';

/** The host directory that stands for `where` (e.g. /var/lib/concourse) of the unit whose dir is `unitDir`. */
export function sharePoint(unitDir: string, where: string): string {
  return join(unitDir, 'fs', 'netmounts', where.replace(/\//g, '_'));
}

/** Makes the share points of `locations` (root only: it mounts on the host). Idempotent. */
export function prepareSharePoints(unitDir: string, locations: readonly string[]): void {
  for (const where of locations) {
    const point = sharePoint(unitDir, where);
    mkdirSync(point, { recursive: true });
    if (isMountPoint(point)) continue;
    execFileSync('mount', ['--bind', point, point]);
    execFileSync('mount', ['--make-shared', point]);
  }
}

export function isMountPoint(path: string): boolean {
  return mountPoints().includes(normalize(path));
}

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) =>
      (l.split(' ')[4] ?? '').replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))),
    );
}

/** Where the NFS stand-in serves `host:/path` from: `<sim root>/nfs-exports/<host>/<path>` (see SimModel.nfsExport). */
export function nfsExportDir(simRoot: string, what: string): string | undefined {
  const m = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\/[A-Za-z0-9._~+@/-]*)$/.exec(what);
  if (m === null || simRoot === '' || (m[2] ?? '').split('/').includes('..')) return undefined;
  return join(simRoot, 'nfs-exports', m[1] ?? '', m[2] ?? '');
}

function recordFile(unitDir: string): string {
  return join(unitDir, 'systemd', 'netmounts.json');
}

/** Locations of the unit where a mount unit of its own is mounted (its share point holds the filesystem). */
export function activeNetMounts(unitDir: string): string[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(recordFile(unitDir), 'utf8'));
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberNetMount(unitDir: string, where: string): void {
  const all = new Set(activeNetMounts(unitDir));
  all.add(where);
  writeFileSync(recordFile(unitDir), JSON.stringify([...all]));
}

export function forgetNetMount(unitDir: string, where: string): void {
  writeFileSync(recordFile(unitDir), JSON.stringify(activeNetMounts(unitDir).filter((w) => w !== where)));
}
