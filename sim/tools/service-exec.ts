// Fake hook tools: how the fake systemd turns a loaded service into a process when the model runs services
// (systemd.exec(5)): its environment (systemd's own variables, Environment=, then EnvironmentFile=), its user and
// group from the unit's own /etc/passwd and /etc/group, its working directory, and how it is stopped.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseCommandLine, parseEnvironmentAssignments, parseEnvironmentFile } from '../services/exec-syntax';
import type { ServiceLaunch, StopHow } from './service-host';
import type { ToolIO } from './tool-io';

/** What of a [Service] section the launch needs (systemctl.ts loads it). */
export interface ExecSettings {
  readonly execStart: string;
  readonly user: string;
  readonly group?: string | undefined;
  readonly workingDirectory: string;
  readonly environment?: readonly string[] | undefined;
  readonly environmentFiles: readonly string[];
  readonly killMode?: string | undefined;
  readonly killSignal?: string | undefined;
  readonly timeoutStopSec?: string | undefined;
}

/**
 * systemd.exec(5) "ENVIRONMENT VARIABLES IN SPAWNED PROCESSES": $PATH is fixed (on a merged-/usr system such as
 * Ubuntu 24.04); $USER, $LOGNAME, $HOME and $SHELL are set for a unit with User=; $INVOCATION_ID names the run.
 */
const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin';

interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

function readAccounts(io: ToolIO): Account[] {
  const path = io.callerPath('/etc/passwd');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7)
    .map(([name = '', , uid = '', gid = '', , home = '/', shell = '/bin/sh']) => ({
      name,
      uid: Number(uid),
      gid: Number(gid),
      home,
      shell,
    }));
}

function groupId(io: ToolIO, group: string): number | undefined {
  if (/^\d+$/.test(group)) return Number(group);
  const path = io.callerPath('/etc/group');
  if (!existsSync(path)) return undefined;
  const line = readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === group);
  return line?.[2] === undefined ? undefined : Number(line[2]);
}

/** The process systemd would fork for this service, or why it cannot (the caller already checked the files exist). */
export function serviceLaunch(
  unitDir: string,
  name: string,
  unit: ExecSettings,
  io: ToolIO,
  nodePath: string,
): ServiceLaunch | { readonly failure: string } {
  const env: Record<string, string> = {
    PATH: SYSTEMD_PATH,
    INVOCATION_ID: randomBytes(16).toString('hex'),
    // Not systemd's: where the stand-in `concourse web` finds Node.js to serve with (units have none on PATH).
    SIM_NODE: nodePath,
  };
  let account: Account | undefined;
  const user = unit.user;
  if (user !== '' && user !== 'root' && user !== '0') {
    account = readAccounts(io).find((a) => a.name === user || String(a.uid) === user);
    if (account === undefined) return { failure: `status=217/USER: user "${user}" does not exist` };
  }
  if (user !== '') {
    const a = account ?? { name: 'root', home: '/root', shell: '/bin/sh' };
    Object.assign(env, { USER: a.name, LOGNAME: a.name, HOME: a.home, SHELL: a.shell });
  }
  // systemd.exec(5) "Environment=" then "EnvironmentFile=": "Settings from these files override settings made with
  // Environment="; files are read in the order given, a later one overriding an earlier one.
  for (const line of unit.environment ?? []) Object.assign(env, parseEnvironmentAssignments(line));
  for (const raw of unit.environmentFiles) {
    const optional = raw.startsWith('-');
    const file = optional ? raw.slice(1) : raw;
    const path = io.callerPath(file);
    if (!existsSync(path)) {
      if (optional) continue;
      return { failure: `Failed to load environment files: ${file}` };
    }
    Object.assign(env, parseEnvironmentFile(readFileSync(path, 'utf8')));
  }
  let command: ReturnType<typeof parseCommandLine>;
  try {
    command = parseCommandLine(unit.execStart, env, name);
  } catch (e) {
    return { failure: `status=203/EXEC: ${e instanceof Error ? e.message : String(e)}` };
  }
  let gid = account?.gid;
  if (unit.group !== undefined && unit.group !== '') {
    gid = groupId(io, unit.group);
    if (gid === undefined) return { failure: `status=216/GROUP: group "${unit.group}" does not exist` };
  }
  const asUser =
    account === undefined || command.privileged
      ? []
      : ['setpriv', `--reuid=${account.uid}`, `--regid=${gid ?? account.gid}`, '--init-groups', '--'];
  // systemd.exec(5) "WorkingDirectory=": default the root directory; `~` the user's home; `-` ignores a missing
  // one. A directory it cannot enter fails the service with 200/CHDIR.
  const wd = unit.workingDirectory;
  const optionalWd = wd.startsWith('-');
  const dir = (optionalWd ? wd.slice(1) : wd) || '/';
  const target = dir === '~' ? (account?.home ?? '/root') : dir;
  const cd = optionalWd ? 'cd -- "$1" 2>/dev/null || cd /' : 'cd -- "$1" || exit 200';
  return {
    unitDir,
    name,
    argv: ['sh', '-c', `${cd}; shift; exec "$@"`, 'sh', target, ...asUser, ...command.argv],
    env,
    ignoreFailure: command.ignoreFailure,
  };
}

/** systemd.kill(5) and systemd.service(5): KillMode= (default control-group), KillSignal= (SIGTERM), TimeoutStopSec= (90 s). */
export function stopHow(unit: ExecSettings): StopHow {
  const mode = unit.killMode ?? '';
  return {
    mode: mode === 'mixed' || mode === 'process' || mode === 'none' ? mode : 'control-group',
    signal: unit.killSignal || 'SIGTERM',
    timeoutMs: timespanMs(unit.timeoutStopSec || '90s'),
  };
}

/** A systemd.time(7) time span (`120s`, `2min`, `1min 30s`, `500ms`, bare seconds); `infinity` waits a day here. */
export function timespanMs(text: string): number {
  if (text.trim() === 'infinity') return 86_400_000;
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    sec: 1000,
    m: 60_000,
    min: 60_000,
    h: 3_600_000,
    hr: 3_600_000,
  };
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]*)/g)) {
    const factor = units[m[2] === '' ? 's' : (m[2] ?? 's')];
    if (factor === undefined) throw new Error(`bad time span ${JSON.stringify(text)}`);
    total += Number(m[1]) * factor;
  }
  return total;
}
