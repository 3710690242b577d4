// Fake systemd: mount units. `systemctl start <x>.mount` really mounts: ceph-fuse (the real client) for
// `Type=fuse.ceph`, and for `Type=nfs` a `mount.nfs` stand-in that records its arguments and binds the export's
// directory (this kernel has no NFS client). The filesystem is mounted on the host at the unit's share point
// (../net-mounts.ts), from where it propagates into the calling hook's namespace and is bound at Where=, so the hook
// sees it at once and every later hook of the unit finds it there, as on a machine whose mount outlives hooks.

import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forgetNetMount, isMountPoint, nfsExportDir, rememberNetMount, sharePoint } from '../net-mounts';
import type { Env } from './hook-context';
import type { ToolIO } from './tool-io';

export interface MountDefinition {
  readonly what: string;
  readonly where: string;
  readonly type: string;
  readonly options: string;
}

/** A failure as systemd reports it (exit 1) after the helper printed its own words. */
export interface MountOutcome {
  readonly ok: boolean;
  readonly failure?: string;
}

export function mountUnitStart(unit: MountDefinition, env: Env, io: ToolIO): MountOutcome {
  const unitDir = env.JUJU_SIM_UNIT_DIR ?? '';
  const pid = io.callerPid;
  if (pid === undefined) return fail(io, 'mount units need the tool server (the caller’s namespace)');
  const point = sharePoint(unitDir, unit.where);
  if (!isMountPoint(point)) return fail(io, `the simulator prepared no share point for ${unit.where} (run as root)`);
  const helper =
    unit.type === 'fuse.ceph'
      ? cephFuse(unit, point, io)
      : unit.type === 'nfs' || unit.type === 'nfs4'
        ? mountNfs(unit, point, env, unitDir)
        : { ok: false, failure: `mount: unknown filesystem type '${unit.type}'` };
  if (!helper.ok) return fail(io, helper.failure ?? 'mount failed');
  // The host mount has propagated onto the hook's copy of the share point: bind it at Where= in that namespace.
  const bind = spawnSync('nsenter', ['-t', String(pid), '-m', '--', 'mount', '--bind', point, unit.where], {
    encoding: 'utf8',
  });
  if (bind.status !== 0) {
    spawnSync('umount', [point]);
    return fail(io, `mount --bind in the unit failed: ${bind.stderr.trim()}`);
  }
  rememberNetMount(unitDir, unit.where);
  return { ok: true };
}

export function mountUnitStop(unit: MountDefinition, env: Env, io: ToolIO): MountOutcome {
  const unitDir = env.JUJU_SIM_UNIT_DIR ?? '';
  const point = sharePoint(unitDir, unit.where);
  if (io.callerPid !== undefined) {
    // Already gone when the host's unmount propagated first; either way nothing is left at Where=.
    spawnSync('nsenter', ['-t', String(io.callerPid), '-m', '--', 'umount', unit.where], { encoding: 'utf8' });
  }
  forgetNetMount(unitDir, unit.where);
  if (mountedOver(point)) {
    const r = spawnSync('umount', [point], { encoding: 'utf8' });
    if (r.status !== 0) return fail(io, `umount: ${unit.where}: ${r.stderr.trim()}`);
  }
  return { ok: true };
}

/** mount.fuse.ceph's translation: `ceph.<opt>=<v>` → `ceph-fuse --<opt>=<v>`; paths are the unit's own files. */
function cephFuse(unit: MountDefinition, point: string, io: ToolIO): MountOutcome {
  const ceph = unit.options
    .split(',')
    .filter((o) => o.startsWith('ceph.'))
    .map((o) => o.slice('ceph.'.length).split('='));
  const opt = (k: string) => ceph.find(([key]) => key === k)?.[1];
  const id = opt('id');
  const conf = opt('conf');
  if (id === undefined || conf === undefined)
    return { ok: false, failure: 'mount.fuse.ceph: ceph.id and ceph.conf needed' };
  const confText = readOrEmpty(io.callerPath(conf));
  // ceph.conf names the keyring by the unit's path; the driver reaches it through the caller's root.
  const keyring = /^\s*keyring\s*=\s*(\S+)\s*$/m.exec(confText)?.[1];
  const args = [`--id=${id}`, `--conf=${io.callerPath(conf)}`];
  if (keyring !== undefined) args.push(`--keyring=${io.callerPath(keyring)}`);
  const r = spawnSync('ceph-fuse', [...args, point], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0 || !mountedOver(point)) {
    const said = `${r.stderr ?? ''}${r.stdout ?? ''}`
      .split('\n')
      .filter((l) => l.trim() !== '' && !/newargv|starting ceph client/.test(l));
    return { ok: false, failure: said.slice(-2).join('\n') || `ceph-fuse exited ${r.status}` };
  }
  return { ok: true };
}

/** The `mount.nfs` stand-in: records `mount.nfs <what> <where> -o <options>`, then binds the export's directory. */
function mountNfs(unit: MountDefinition, point: string, env: Env, unitDir: string): MountOutcome {
  const argv = [unit.what, unit.where, '-o', unit.options];
  appendFileSync(join(unitDir, 'systemd', 'mount-helpers.jsonl'), `${JSON.stringify({ helper: 'mount.nfs', argv })}\n`);
  const dir = nfsExportDir(env.JUJU_SIM_ROOT ?? '', unit.what);
  if (dir === undefined || !existsSync(dir)) {
    return { ok: false, failure: `mount.nfs: access denied by server while mounting ${unit.what}` };
  }
  const r = spawnSync('mount', ['--bind', dir, point], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true } : { ok: false, failure: `mount.nfs: ${r.stderr.trim()}` };
}

/** Something is mounted on top of the share point's own bind (the filesystem, not just the point). */
function mountedOver(point: string): boolean {
  const text = readOrEmpty('/proc/self/mountinfo');
  return text.split('\n').filter((l) => l.split(' ')[4] === point).length >= 2;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function fail(io: ToolIO, failure: string): MountOutcome {
  io.err(`${failure}\n`);
  return { ok: false, failure };
}

/** `mount.nfs <what> <where> [-o <options>]` run by hand: the same stand-in as a mount unit's start. */
export function mountNfsCommand(argv: readonly string[], env: Env, io: ToolIO): number {
  const [what, where] = argv;
  const o = argv.indexOf('-o');
  if (what === undefined || where === undefined) {
    io.err('usage: mount.nfs remotetarget dir [-o nfsoptions]\n');
    return 1;
  }
  const options = o >= 0 ? (argv[o + 1] ?? '') : '';
  return mountUnitStart({ what, where, type: 'nfs', options }, env, io).ok ? 0 : 32;
}

/** apt-get: recorded, and refused, since a hook's namespace shares the host's /usr. */
export function aptGet(argv: readonly string[], env: Env, io: ToolIO): number {
  const unitDir = env.JUJU_SIM_UNIT_DIR ?? '';
  if (unitDir !== '') appendFileSync(join(unitDir, 'systemd', 'apt.jsonl'), `${JSON.stringify({ argv })}\n`);
  io.err(`E: The simulator installs no packages (apt-get ${argv.join(' ')})\n`);
  return 100;
}
