// Simulator: one unit as one machine. Each hook runs in a fresh mount (and UTS) namespace where the unit has its own
// /etc, /run, /var/lib and hostname, the shared volume at its storage location, and the fake systemd tools over
// the host's; nothing a hook writes outside the sim root reaches the host.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { unpackCharm } from './charm-archive';
import { activeNetMounts, prepareSharePoints, sharePoint } from './net-mounts';

const run = promisify(execFile);

export type NamespaceMode = 'root' | 'userns';

export class SimUnavailableError extends Error {
  override name = 'SimUnavailableError';
}

export const NAMESPACE_HELP =
  'The simulator needs mount namespaces: run as root, or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)';

/** Host dirs each unit gets its own copy of (overlay on the host's, or a private bind). */
const OVERLAID = ['/etc', '/var/lib'] as const;

let detected: Promise<NamespaceMode> | undefined;

/** How hooks can get a mount namespace here: as root, or through an unprivileged user namespace. */
export function detectNamespaceMode(): Promise<NamespaceMode> {
  detected ??= (async () => {
    const probes: Array<[NamespaceMode, string[]]> = [
      ['root', ['--mount', '--uts', '--propagation', 'private', '--', 'true']],
      ['userns', ['--user', '--map-root-user', '--mount', '--uts', '--propagation', 'private', '--', 'true']],
    ];
    const failures: string[] = [];
    for (const [mode, args] of probes) {
      if (mode === 'root' && process.getuid?.() !== 0) continue;
      try {
        await run('unshare', args);
        return mode;
      } catch (e) {
        failures.push(`unshare ${args.join(' ')}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      }
    }
    throw new SimUnavailableError(`${NAMESPACE_HELP}\n${failures.join('\n')}`);
  })();
  return detected;
}

/** Quotes one word for POSIX sh. */
function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface MachineOptions {
  readonly unit: string;
  /** The unit's dir on the host: `<sim root>/units/<app>-<n>`. */
  readonly dir: string;
  readonly hostname: string;
  /** The unit's address, put in its /etc/hosts beside its hostname. */
  readonly address: string;
  readonly charmPath: string;
  readonly binDir: string;
  readonly mode: NamespaceMode;
  /**
   * `snap`: like a fresh Ubuntu machine, no Node.js on PATH (the host's is hidden) but a snapd whose `snap install
   * node` puts one at /snap/bin/node, on the unit's own /snap; `path`: the host's Node.js stays on PATH.
   */
  readonly node: 'snap' | 'path';
  /** `snap`: the file the host's node is bound at inside the unit, for the fake snap and the tool client. */
  readonly nodeAlias: string;
  /** Dirs that are a separate local filesystem on the machine (bound from the unit's dir), as on a real one. */
  readonly localDirs: readonly string[];
  /** Where the unit may mount a network filesystem itself (its storage locations): share points are made for them. */
  readonly netMountLocations?: readonly string[];
}

/**
 * The machine agent's PATH, which Juju's hook PATH appends to its tools dir (juju/juju
 * internal/worker/uniter/runner/context/env.go, OSDependentEnvVars → appendPath).
 */
export const MACHINE_PATH_DIRS = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
] as const;

/** One filesystem mounted at a path inside the unit, bound from `hostPath`; later mounts sit on earlier ones. */
export interface MachineMount {
  readonly location: string;
  readonly hostPath: string;
}

export interface SpawnOptions {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** A file descriptor for stdout and stderr (a service's journal); default: pipes the caller reads. */
  readonly output?: number;
}

export class SimMachine {
  readonly charmDir: string;
  private readonly upper: Record<(typeof OVERLAID)[number], string>;
  readonly runDir: string;
  readonly localDirs: Record<string, string>;
  readonly snapDir: string;
  /** Bottom to top, as `mount` stacks them: the unit sees the last one made at a location. */
  private mounts: readonly MachineMount[] = [];

  private constructor(readonly options: MachineOptions) {
    const d = options.dir;
    this.charmDir = join(d, 'charm');
    this.upper = { '/etc': join(d, 'fs', 'etc'), '/var/lib': join(d, 'fs', 'var-lib') };
    this.runDir = join(d, 'fs', 'run');
    this.snapDir = join(d, 'fs', 'snap');
    this.localDirs = {};
    for (const p of options.localDirs) this.localDirs[p] = join(d, 'fs', 'local', p.replace(/\//g, '_'));
  }

  /** Lays out the unit's dirs and unpacks the charm. */
  static async create(options: MachineOptions): Promise<SimMachine> {
    // overlayfs options are comma- and colon-separated: keep every path plain.
    if (!/^[A-Za-z0-9._/+-]+$/.test(options.dir)) {
      throw new Error(`sim root path ${JSON.stringify(options.dir)} must contain only letters, digits and ._/+-`);
    }
    const m = new SimMachine(options);
    const d = options.dir;
    for (const lower of OVERLAID) {
      await mkdir(m.upper[lower], { recursive: true });
      await mkdir(join(d, 'fs', 'work', lower.replace(/\//g, '_')), { recursive: true });
    }
    for (const sub of ['lock', 'systemd/system', 'user']) await mkdir(join(m.runDir, sub), { recursive: true });
    if (options.node === 'snap') await mkdir(m.snapDir, { recursive: true });
    for (const [inside, host] of Object.entries(m.localDirs)) {
      await mkdir(host, { recursive: true });
      await mkdir(m.mountPointInUpper(inside), { recursive: true });
    }
    // Its own name, as a machine has: /etc/hostname and an /etc/hosts line (in its /etc layer, not the host's).
    await writeFile(join(m.upper['/etc'], 'hostname'), `${options.hostname}\n`);
    const hosts = await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1 localhost\n');
    await writeFile(join(m.upper['/etc'], 'hosts'), `${hosts.trimEnd()}\n${options.address} ${options.hostname}\n`);
    await mkdir(join(d, 'systemd'), { recursive: true });
    await mkdir(join(d, 'hooks'), { recursive: true });
    await unpackCharm(options.charmPath, m.charmDir);
    if (options.mode === 'root') prepareSharePoints(d, options.netMountLocations ?? []);
    return m;
  }

  /**
   * What is mounted over the unit's own filesystem from the next hook on (a machine's mounts outlive hooks; the
   * simulator rebuilds them in each hook's namespace). Every location must lie under /var/lib, /etc or /run.
   */
  setMounts(mounts: readonly MachineMount[]): void {
    for (const m of mounts) this.mountPointInUpper(m.location);
    this.mounts = [...mounts];
  }

  /** The mount the unit sees at `location` (the topmost), if any. */
  topMount(location: string): MachineMount | undefined {
    return [...this.mounts].reverse().find((m) => m.location === location);
  }

  /** A mount point must exist inside an overlaid dir: create it in the upper layer, never on the host. */
  private mountPointInUpper(inside: string): string {
    for (const lower of OVERLAID) {
      if (inside.startsWith(`${lower}/`)) return join(this.upper[lower], inside.slice(lower.length + 1));
    }
    if (inside.startsWith('/run/')) return join(this.runDir, inside.slice('/run/'.length));
    throw new Error(
      `storage location ${inside} is not supported by the simulator (use a path under /var/lib, /etc or /run)`,
    );
  }

  /** The host path holding what the unit sees at `inside` (for /etc and /var/lib: its upper layer, its own writes). */
  hostPath(inside: string): string {
    const p = resolve('/', inside);
    const within = (base: string) => p === base || p.startsWith(base + sep);
    const mounted = [...this.mounts].reverse().find((m) => within(m.location));
    if (mounted !== undefined) return join(mounted.hostPath, relative(mounted.location, p));
    for (const [dir, host] of Object.entries(this.localDirs)) if (within(dir)) return join(host, relative(dir, p));
    if (within('/run')) return join(this.runDir, relative('/run', p));
    for (const lower of OVERLAID) if (within(lower)) return join(this.upper[lower], relative(lower, p));
    return p;
  }

  /** The sh script that builds the unit's view of the machine, then execs the command given as "$@". */
  private mountScript(): string {
    const d = this.options.dir;
    const lines = ['set -e'];
    for (const lower of OVERLAID) {
      const work = join(d, 'fs', 'work', lower.replace(/\//g, '_'));
      lines.push(
        `mount -t overlay overlay -o ${sh(`lowerdir=${lower},upperdir=${this.upper[lower]},workdir=${work}`)} ${lower}`,
      );
    }
    lines.push(`mount --bind ${sh(this.runDir)} /run`);
    for (const [inside, host] of Object.entries(this.localDirs)) lines.push(`mount --bind ${sh(host)} ${sh(inside)}`);
    // Mounted in order, each over the last (as Juju's rootfs bind over an operator's earlier mount). The unit sees at
    // the location whatever the host path is: a directory (the volume), a file (a volume that is not a directory),
    // or nothing at all (a volume that is missing), so tests can stage all three.
    for (const s of this.mounts) {
      const [host, loc] = [sh(s.hostPath), sh(s.location)];
      lines.push(
        `if [ -d ${host} ]; then [ -d ${loc} ] || { rm -f ${loc}; mkdir -p ${loc}; }; mount --bind ${host} ${loc}; ` +
          `elif [ -e ${host} ]; then rmdir ${loc} 2>/dev/null || true; : > ${loc}; mount --bind ${host} ${loc}; ` +
          `else rmdir ${loc} 2>/dev/null || rm -f ${loc}; fi`,
      );
    }
    // Mounts the unit made itself (its systemd mount units, started in an earlier hook) sit on top, as on a machine.
    for (const where of activeNetMounts(d)) {
      lines.push(`mount --bind ${sh(sharePoint(d, where))} ${sh(where)}`);
    }
    if (this.options.node === 'snap') {
      // No Node.js on the machine: the host's is kept at the alias (for the fakes), hidden everywhere on PATH.
      lines.push(`mount --bind ${sh(process.execPath)} ${sh(this.options.nodeAlias)}`);
      for (const dir of MACHINE_PATH_DIRS) {
        const node = `${dir}/node`;
        if (!existsSync(node) || isSymlinkedDir(dir)) continue;
        lines.push(`mount --bind /dev/null ${sh(node)}`);
      }
      lines.push(`mount --bind ${sh(this.snapDir)} /snap`);
    }
    // Absolute paths to the host's systemd tools must reach the fakes too.
    for (const tool of ['systemctl', 'systemd-analyze']) {
      for (const dir of ['/usr/bin', '/bin']) {
        const target = `${dir}/${tool}`;
        if (!existsSync(target) || isSymlinkedDir(dir)) continue;
        lines.push(`mount --bind ${sh(join(this.options.binDir, tool))} ${sh(target)}`);
      }
    }
    lines.push(`hostname ${sh(this.options.hostname)}`);
    lines.push('exec "$@"');
    return lines.join('\n');
  }

  /**
   * Starts `argv` inside a fresh namespace of this machine, in its own process group (for kill). Every step execs
   * the next (unshare, the mount script, `argv`), so the child's pid is `argv`'s: a service's main PID.
   */
  spawn(opts: SpawnOptions): ChildProcess {
    // Slave, not private: what is mounted later on a share point of the host (net-mounts.ts) reaches a running hook;
    // nothing the hook mounts leaves its namespace, and the host's private mounts stay private.
    const ns =
      this.options.mode === 'root'
        ? ['--mount', '--uts', '--propagation', 'slave']
        : ['--user', '--map-root-user', '--mount', '--uts', '--propagation', 'private'];
    return spawn('unshare', [...ns, '--', 'sh', '-c', this.mountScript(), 'sh', ...opts.argv], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: opts.output === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', opts.output, opts.output],
    });
  }

  get dir(): string {
    return this.options.dir;
  }

  get systemdDir(): string {
    return join(this.options.dir, 'systemd');
  }
}

/** Signals a hook's whole process group (hooks are spawned detached, each its own group). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** /bin is a symlink to usr/bin on merged-/usr systems: binding there twice would be redundant. */
function isSymlinkedDir(dir: string): boolean {
  try {
    return lstatSync(dir).isSymbolicLink() || lstatSync(dirname(dir)).isSymbolicLink();
  } catch {
    return true;
  }
}
