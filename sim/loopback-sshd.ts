// Simulator: a private OpenSSH server on 127.0.0.1 (own host key, own client key, in-process sftp) that the sshfs
// shared volume connects to, so the units' storage goes over a real network filesystem protocol.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SSHD_PATH = '/usr/sbin/sshd';
/** sshd refuses to start without its privilege separation directory, which only the package's unit creates. */
const PRIVSEP_DIR = '/run/sshd';
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 5;
const POLL_MS = 20;

export interface LoopbackSshd {
  readonly port: number;
  /** Always root: the sshfs export is written by the units' root hooks. */
  readonly user: string;
  /** Private key accepted by this server only. */
  readonly identityFile: string;
  /** Holds this server's host key under `[127.0.0.1]:port`, for StrictHostKeyChecking=yes. */
  readonly knownHostsFile: string;
  /** The listening sshd (our child); per-connection sshd processes are its descendants. */
  readonly pid: number;
  /** Stops the listener and every session it forked; resolves once all of them have exited. Idempotent. */
  stop(): Promise<void>;
}

export interface LoopbackSshdOptions {
  /** Private dir for keys, config, pid file and log; created if missing. */
  readonly root: string;
}

/** Thrown when the system packages the simulator needs are not installed. */
export class MissingTestDependency extends Error {
  constructor(what: string) {
    super(`${what} not found: run \`npm run test:deps\` (installs sshfs and openssh-server)`);
    this.name = 'MissingTestDependency';
  }
}

export async function startLoopbackSshd(opts: LoopbackSshdOptions): Promise<LoopbackSshd> {
  await requireExecutable(SSHD_PATH);
  const keygen = await findOnPath('ssh-keygen');
  if (keygen === undefined) throw new MissingTestDependency('ssh-keygen');

  const root = opts.root;
  await mkdir(root, { recursive: true, mode: 0o700 });
  await mkdir(PRIVSEP_DIR, { recursive: true, mode: 0o755 });

  const hostKey = join(root, 'ssh_host_ed25519_key');
  const identityFile = join(root, 'client_ed25519');
  const authorizedKeys = join(root, 'authorized_keys');
  const knownHostsFile = join(root, 'known_hosts');
  const config = join(root, 'sshd_config');
  const pidFile = join(root, 'sshd.pid');
  const log = join(root, 'sshd.log');

  // Fresh keys every start: a key left by an earlier run would make ssh-keygen ask before overwriting.
  await generateKey(keygen, hostKey, 'sim-loopback-sshd-host');
  await generateKey(keygen, identityFile, 'sim-loopback-sshd-client');
  await writeFile(authorizedKeys, await readFile(`${identityFile}.pub`, 'utf8'), { mode: 0o600 });
  const hostPublic = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');

  let lastError = '';
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = await pickFreePort();
    await writeFile(config, sshdConfig({ port, hostKey, pidFile, authorizedKeys }), { mode: 0o600 });
    await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${hostPublic}\n`, { mode: 0o600 });
    await writeFile(log, '');

    const child = await spawnSshd(config, log);
    const outcome = await waitReady(child, port, log);
    if (outcome === 'ready') {
      return {
        port,
        user: 'root',
        identityFile,
        knownHostsFile,
        pid: childPid(child),
        stop: once(() => stopSshd(child)),
      };
    }
    await stopSshd(child);
    lastError = outcome.error;
    // Another process took the port between our probe and sshd's bind: pick another one.
    if (!outcome.portTaken) break;
  }
  throw new Error(`loopback sshd did not start: ${lastError}`);
}

function sshdConfig(c: { port: number; hostKey: string; pidFile: string; authorizedKeys: string }): string {
  return `${[
    'ListenAddress 127.0.0.1',
    `Port ${c.port}`,
    `HostKey ${c.hostKey}`,
    `PidFile ${c.pidFile}`,
    `AuthorizedKeysFile ${c.authorizedKeys}`,
    'AuthenticationMethods publickey',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The key files live under the sim root, whose parent dirs sshd would otherwise insist on owning.
    'StrictModes no',
    // In-process sftp: no dependency on where the distribution puts sftp-server.
    'Subsystem sftp internal-sftp',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'PrintMotd no',
    'UseDNS no',
    // Several units mount at once; the default (10:30:100) drops concurrent handshakes at random.
    'MaxStartups 100',
    // INFO logs "Server listening on ...", the line readiness checks for.
    'LogLevel INFO',
  ].join('\n')}\n`;
}

async function generateKey(keygen: string, path: string, comment: string): Promise<void> {
  await rm(path, { force: true });
  await rm(`${path}.pub`, { force: true });
  await run(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

/** A port the kernel just handed out on 127.0.0.1; sshd may still lose it to someone else, hence the retries. */
async function pickFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not pick a free port');
  return address.port;
}

async function spawnSshd(config: string, log: string): Promise<ChildProcess> {
  // The log file, not a pipe, takes sshd's output: nothing has to drain it, and it outlives a failed start.
  const logHandle = await open(log, 'a');
  try {
    const child = spawn(SSHD_PATH, ['-D', '-e', '-f', config], { stdio: ['ignore', logHandle.fd, logHandle.fd] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    return child;
  } finally {
    await logHandle.close();
  }
}

type StartOutcome = 'ready' | { readonly error: string; readonly portTaken: boolean };

/**
 * Ready when sshd says it listens on our port and a TCP connect there succeeds: the log line proves the socket is
 * sshd's own (not a process that took the port), the connect that it accepts connections.
 */
async function waitReady(child: ChildProcess, port: number, log: string): Promise<StartOutcome> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const listening = `Server listening on 127.0.0.1 port ${port}`;
  for (;;) {
    const text = await readFile(log, 'utf8').catch(() => '');
    if (child.exitCode !== null || child.signalCode !== null) {
      return {
        error: `sshd exited (${child.exitCode ?? child.signalCode}): ${text.trim()}`,
        portTaken: /in use/i.test(text),
      };
    }
    if (text.includes(listening) && (await canConnect(port))) return 'ready';
    if (Date.now() > deadline) {
      return {
        error: `no listener on 127.0.0.1:${port} after ${READY_TIMEOUT_MS} ms: ${text.trim()}`,
        portTaken: false,
      };
    }
    await pause(POLL_MS);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * SIGTERM to the listener does not end the sessions it forked (each calls setsid, by design, so restarting sshd
 * keeps logins alive): find them first, while they are still its descendants, then signal all of them.
 */
async function stopSshd(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const sessions = await descendantsOf(pid);
  for (const p of [pid, ...sessions]) signal(p, 'SIGTERM');
  if (await allGone(child, sessions, Date.now() + STOP_TIMEOUT_MS)) return;
  for (const p of [pid, ...sessions]) signal(p, 'SIGKILL');
  if (await allGone(child, sessions, Date.now() + STOP_TIMEOUT_MS)) return;
  throw new Error(`sshd ${pid} or its sessions (${sessions.join(', ')}) did not exit after SIGKILL`);
}

async function allGone(child: ChildProcess, sessions: readonly number[], deadline: number): Promise<boolean> {
  for (;;) {
    // Our own child is reaped by node; the sessions were reparented and may linger as zombies, which count as gone.
    const listenerGone = child.exitCode !== null || child.signalCode !== null;
    if (listenerGone && (await aliveAmong(sessions)).length === 0) return true;
    if (Date.now() > deadline) return false;
    await pause(POLL_MS);
  }
}

/** Every process below `root` in the parent tree, from /proc. */
export async function descendantsOf(root: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) continue;
    // Field 4 (ppid) follows the command name, which is in parentheses and may itself contain ") ".
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const kids = parents.get(ppid) ?? [];
    kids.push(Number(entry));
    parents.set(ppid, kids);
  }
  const found: number[] = [];
  const queue = [root];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const kid of parents.get(next) ?? []) {
      found.push(kid);
      queue.push(kid);
    }
  }
  return found;
}

/** The pids that still run (zombies, exited but not yet reaped, are not running). */
export async function aliveAmong(pids: readonly number[]): Promise<number[]> {
  const alive: number[] = [];
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) continue;
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    if (state !== 'Z' && state !== 'X') alive.push(pid);
  }
  return alive;
}

function childPid(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('sshd has no pid after spawn');
  return child.pid;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

async function requireExecutable(path: string): Promise<void> {
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new MissingTestDependency(path);
  }
}

/** The first executable `name` on PATH, or undefined. */
export async function findOnPath(name: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of [...dirs, '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

function once(action: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= action();
    return result;
  };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
