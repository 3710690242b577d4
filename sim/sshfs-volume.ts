// Simulator: the shared volume on a real network filesystem: one export dir served by a loopback sshd, and one
// sshfs mount of it per unit, each with its own attribute and directory caches, as NFS clients have.

import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { mountsUnder, unmount } from './host-mounts';
import { findOnPath, type LoopbackSshd, MissingTestDependency, startLoopbackSshd } from './loopback-sshd';
import type { VolumeProvider } from './volume-provider';

/** NFS keeps attributes 3-60 s (acregmin..acdirmax); 20 s is also sshfs's own dcache default. */
const DEFAULT_CACHE_TIMEOUT_SECONDS = 20;
const MOUNT_TIMEOUT_MS = 30_000;

export interface SshfsVolumeOptions {
  /** How long each unit's mount trusts cached attributes, names and listings, in seconds (default 20). */
  readonly cacheTimeoutSeconds?: number;
}

interface Opened {
  readonly exportPath: string;
  readonly mountRoot: string;
  readonly sshdRoot: string;
  readonly sshd: LoopbackSshd;
  readonly sshfs: string;
}

export class SshfsVolume implements VolumeProvider {
  private opening: Promise<Opened> | undefined;
  private opened: Opened | undefined;
  /** unit → its mount (in progress or done); memoised so a unit is mounted once however often it asks. */
  private readonly mounts = new Map<string, { readonly dir: string; readonly ready: Promise<string> }>();
  private readonly cacheTimeout: number;

  constructor(
    readonly name: string,
    options: SshfsVolumeOptions = {},
  ) {
    const seconds = options.cacheTimeoutSeconds ?? DEFAULT_CACHE_TIMEOUT_SECONDS;
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new RangeError(`SshfsVolume ${name}: cacheTimeoutSeconds must be a non-negative integer`);
    }
    this.cacheTimeout = seconds;
  }

  async open(simRoot: string): Promise<void> {
    this.opening ??= this.start(simRoot);
    try {
      this.opened = await this.opening;
    } catch (err) {
      this.opening = undefined;
      throw err;
    }
  }

  private async start(simRoot: string): Promise<Opened> {
    if (process.getuid?.() !== 0) {
      throw new Error(`SshfsVolume ${this.name} mounts FUSE filesystems on the host: run the simulator as root`);
    }
    const sshfs = await findOnPath('sshfs');
    if (sshfs === undefined) throw new MissingTestDependency('sshfs');
    const volumes = resolve(simRoot, 'volumes');
    const exportPath = join(volumes, `${this.name}-export`);
    const mountRoot = join(volumes, `${this.name}-mnt`);
    const sshdRoot = join(volumes, `${this.name}-sshd`);
    // sshfs parses -o values split on commas; a comma in a path would silently become another option.
    for (const path of [exportPath, mountRoot, sshdRoot]) {
      if (path.includes(',')) throw new Error(`SshfsVolume ${this.name}: path ${path} contains a comma`);
    }
    await mkdir(exportPath, { recursive: true, mode: 0o755 });
    await mkdir(mountRoot, { recursive: true, mode: 0o755 });
    const sshd = await startLoopbackSshd({ root: sshdRoot });
    return { exportPath, mountRoot, sshdRoot, sshd, sshfs };
  }

  async hostPathFor(unit: string): Promise<string> {
    const opened = this.opened;
    if (opened === undefined) throw new Error(`volume ${this.name} used before open()`);
    const existing = this.mounts.get(unit);
    if (existing !== undefined) return existing.ready;

    const dir = join(opened.mountRoot, unitDirName(unit));
    for (const [other, mount] of this.mounts) {
      if (mount.dir === dir) throw new Error(`units ${other} and ${unit} would share the mount point ${dir}`);
    }
    const ready = this.mountFor(opened, unit, dir);
    this.mounts.set(unit, { dir, ready });
    // A failed mount is forgotten so the unit can ask again; close() still sweeps anything it left mounted.
    ready.catch(() => {
      if (this.mounts.get(unit)?.ready === ready) this.mounts.delete(unit);
    });
    return ready;
  }

  private async mountFor(opened: Opened, unit: string, dir: string): Promise<string> {
    await mkdir(dir, { recursive: true });
    // A mount left by a crashed run would hide this one (and hold the old sshd's dead connection).
    if ((await mountsUnder(dir)).length > 0) await unmount(dir);

    const { sshd } = opened;
    const args = [
      '-p',
      String(sshd.port),
      // No ~/.ssh/config or /etc/ssh/ssh_config: only the options below decide how ssh connects.
      '-F',
      '/dev/null',
      '-o',
      sshfsOptions({
        identityFile: sshd.identityFile,
        knownHostsFile: sshd.knownHostsFile,
        cacheTimeout: this.cacheTimeout,
      }),
      `${sshd.user}@127.0.0.1:${opened.exportPath}`,
      dir,
    ];
    const log = join(opened.sshdRoot, `sshfs-${unitDirName(unit)}.log`);
    const code = await runUntilExit(opened.sshfs, args, log, MOUNT_TIMEOUT_MS);
    const mounted = (await mountsUnder(dir)).includes(dir);
    if (code !== 0 || !mounted) {
      const output = (await readFile(log, 'utf8').catch(() => '')).trim();
      if (mounted) await unmount(dir).catch(() => undefined);
      throw new Error(`sshfs mount for ${unit} at ${dir} failed (exit ${code}): ${output || 'no output'}`);
    }
    return dir;
  }

  async release(unit: string): Promise<void> {
    const mount = this.mounts.get(unit);
    if (mount === undefined) return;
    this.mounts.delete(unit);
    await mount.ready.catch(() => undefined);
    await unmountAndRemove(mount.dir);
  }

  async close(): Promise<void> {
    const opening = this.opening;
    if (opening === undefined) return;
    const problems: unknown[] = [];
    const opened = await opening.catch(() => undefined);
    // Mounts still being made must finish (or fail) before they can be undone.
    const pending = [...this.mounts.values()];
    this.mounts.clear();
    await Promise.allSettled(pending.map((m) => m.ready));
    if (opened !== undefined) {
      // Everything under the mount root, not only what the map knows: a mount whose setup failed late is swept too.
      for (const dir of await mountsUnder(opened.mountRoot).catch((err: unknown) => {
        problems.push(err);
        return [];
      })) {
        await unmountAndRemove(dir).catch((err: unknown) => problems.push(err));
      }
      await opened.sshd.stop().catch((err: unknown) => problems.push(err));
    }
    this.opening = undefined;
    this.opened = undefined;
    if (problems.length > 0) throw new AggregateError(problems, `closing sshfs volume ${this.name} failed`);
  }

  /** The export dir on the host, written by sshd on every unit's behalf; for assertions. */
  get exportPath(): string | undefined {
    return this.opened?.exportPath;
  }

  /** The loopback sshd's pid, for tests that check nothing is left running. */
  get sshdPid(): number | undefined {
    return this.opened?.sshd.pid;
  }
}

/**
 * Options, each chosen for a reason checked by tests/adapters/sshfs-volume.test.ts:
 * - dir_cache + dcache_timeout (sshfs) and attr_timeout + entry_timeout (kernel): attributes, names, symlink targets
 *   and listings are trusted for `cacheTimeout` s, so another unit's change shows late, like an NFS client's.
 * - negative_timeout=0: a cached "absent" would send O_EXCL create and link straight to the server, whose "exists"
 *   comes back as EPERM (sftp has no EEXIST); a fresh lookup turns most of those into a proper EEXIST.
 * - no workaround=rename: OpenSSH's posix-rename@openssh.com already replaces an existing file, symlink or empty dir
 *   atomically; the workaround only adds a non-atomic move-aside fallback that would let a second publisher
 *   displace the first one's release.
 * - allow_other + default_permissions: units run services as other users; the kernel then checks modes as NFS would.
 * - reconnect + ServerAliveInterval: a dropped connection is noticed and re-established rather than hanging.
 * - no hard_remove: a file deleted while this mount has it open is renamed to .fuse_hidden* until closed, so
 *   removing its directory fails with ENOTEMPTY, as NFS's .nfs* silly-renames make it fail.
 */
function sshfsOptions(o: { identityFile: string; knownHostsFile: string; cacheTimeout: number }): string {
  const t = String(o.cacheTimeout);
  return [
    `IdentityFile=${o.identityFile}`,
    'IdentitiesOnly=yes',
    `UserKnownHostsFile=${o.knownHostsFile}`,
    'GlobalKnownHostsFile=/dev/null',
    'StrictHostKeyChecking=yes',
    'BatchMode=yes',
    'ConnectTimeout=10',
    'ServerAliveInterval=5',
    'ServerAliveCountMax=3',
    'reconnect',
    'allow_other',
    'default_permissions',
    'dir_cache=yes',
    `dcache_timeout=${t}`,
    `attr_timeout=${t}`,
    `entry_timeout=${t}`,
    'negative_timeout=0',
  ].join(',');
}

/** `concourse/0` → `concourse-0`; anything outside a safe file-name alphabet becomes `_`. */
function unitDirName(unit: string): string {
  const name = unit.replace(/\//g, '-').replace(/[^A-Za-z0-9._-]/g, '_');
  if (name === '' || name === '.' || name === '..') throw new Error(`unit name ${JSON.stringify(unit)} is unusable`);
  return name;
}

/**
 * Runs sshfs until its first process exits (it daemonises once the mount is up). Output goes to a file: the daemon
 * and its ssh child inherit the descriptors, so a pipe would never reach EOF.
 */
async function runUntilExit(command: string, args: readonly string[], log: string, timeoutMs: number): Promise<number> {
  await access(command, constants.X_OK);
  const handle = await open(log, 'w');
  try {
    const child = spawn(command, [...args], { stdio: ['ignore', handle.fd, handle.fd] });
    return await new Promise<number>((resolveExit, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${command} did not finish mounting within ${timeoutMs} ms`));
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolveExit(code ?? (signal === null ? -1 : 128));
      });
    });
  } finally {
    await handle.close();
  }
}

async function unmountAndRemove(dir: string): Promise<void> {
  if ((await mountsUnder(dir)).length > 0) await unmount(dir);
  // rmdir, never rm -r: if the unmount was lazy and the dir still shows the export, nothing of it is deleted.
  await rmdir(dir).catch(() => undefined);
}
