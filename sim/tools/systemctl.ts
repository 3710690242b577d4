// Fake `systemctl` for simulated units: no process is started, but unit files are read from the unit's private
// /etc/systemd/system, loaded definitions go stale until daemon-reload, a start that systemd would fail fails
// (missing binary, user, working dir or environment file), state survives across hooks, and every call is
// recorded with a timestamp so tests can count restarts and measure how long a service was stopped.

import { createHash } from 'node:crypto';
import {
  accessSync,
  appendFileSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { EXITS_AT_START_MARKER } from '../sim-markers';
import type { Env } from './hook-context';
import { type MountDefinition, mountUnitStart, mountUnitStop } from './mount-units';
import { serviceLaunch, stopHow } from './service-exec';
import type { ToolIO } from './tool-io';

export const UNIT_DIR = '/etc/systemd/system';

const LoadedUnitSchema = z.object({
  hash: z.string(),
  type: z.string(),
  execStart: z.string(),
  user: z.string(),
  workingDirectory: z.string(),
  environmentFiles: z.array(z.string()),
  group: z.optional(z.string()),
  environment: z.optional(z.array(z.string())),
  killMode: z.optional(z.string()),
  killSignal: z.optional(z.string()),
  timeoutStopSec: z.optional(z.string()),
  badSetting: z.optional(z.string()),
  /** A `.mount` unit's [Mount] section: started by really mounting (mount-units.ts). */
  mount: z.optional(z.object({ what: z.string(), where: z.string(), type: z.string(), options: z.string() })),
});
type LoadedUnit = z.infer<typeof LoadedUnitSchema>;

export const ServiceStateSchema = z.object({
  active: z.enum(['active', 'inactive', 'failed']),
  since: z.number(),
  loaded: z.nullable(LoadedUnitSchema),
  mainPid: z.number(),
  starts: z.number(),
  failure: z.optional(z.string()),
});
export type ServiceState = z.infer<typeof ServiceStateSchema>;

/** One recorded call, as tests read it from `<unit dir>/systemd/calls.jsonl`. */
export const SystemctlCallSchema = z.object({
  argv: z.array(z.string()),
  at: z.string(),
  /** Epoch milliseconds, for measuring how long a service was stopped. */
  t: z.number(),
  /** JUJU_DISPATCH_PATH of the hook that called. */
  hook: z.string(),
  exitCode: z.number(),
  units: z.array(
    z.object({
      name: z.string(),
      execStart: z.optional(z.string()),
      stale: z.optional(z.boolean()),
      failure: z.optional(z.string()),
    }),
  ),
});
export type SystemctlCall = z.infer<typeof SystemctlCallSchema>;

type UnitNote = SystemctlCall['units'][number];

/** Parses a systemd unit file into sections of key/value pairs (repeated keys kept in order). */
export function parseUnitFile(text: string): Map<string, Array<[string, string]>> {
  const sections = new Map<string, Array<[string, string]>>();
  let current: Array<[string, string]> | undefined;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      current = sections.get(header[1]) ?? [];
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq === -1 || current === undefined) continue;
    current.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return sections;
}

function lastValue(section: Array<[string, string]> | undefined, key: string): string {
  const values = (section ?? []).filter(([k]) => k === key).map(([, v]) => v);
  return values[values.length - 1] ?? '';
}

/** The executable of an ExecStart= line, without systemd's `@-:+!` prefixes. */
export function execPath(execStart: string): string {
  return (execStart.replace(/^[@\-:+!]+/, '').split(/\s+/)[0] ?? '').replace(/^"|"$/g, '');
}

function loadUnit(text: string): LoadedUnit {
  const sections = parseUnitFile(text);
  const mount = sections.get('Mount');
  if (mount !== undefined) {
    const [what, where, type, options] = ['What', 'Where', 'Type', 'Options'].map((k) => lastValue(mount, k));
    return {
      hash: createHash('sha256').update(text).digest('hex'),
      type: 'mount',
      execStart: '',
      user: '',
      workingDirectory: '',
      environmentFiles: [],
      badSetting: what === '' || where === '' ? 'Mount unit has no What= or Where=. Refusing.' : undefined,
      mount: { what: what ?? '', where: where ?? '', type: type ?? '', options: options ?? '' },
    };
  }
  const service = sections.get('Service');
  const type = lastValue(service, 'Type') || 'simple';
  const execStart = lastValue(service, 'ExecStart');
  let badSetting: string | undefined;
  if (execStart === '' && type !== 'oneshot') {
    badSetting = 'Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.';
  } else if (execStart !== '' && !execPath(execStart).startsWith('/')) {
    badSetting = `Neither a valid executable name nor an absolute path: ${execPath(execStart)}`;
  }
  return {
    hash: createHash('sha256').update(text).digest('hex'),
    type,
    execStart,
    user: lastValue(service, 'User'),
    workingDirectory: lastValue(service, 'WorkingDirectory'),
    environmentFiles: (service ?? []).filter(([k]) => k === 'EnvironmentFile').map(([, v]) => v),
    group: lastValue(service, 'Group'),
    environment: (service ?? []).filter(([k]) => k === 'Environment').map(([, v]) => v),
    killMode: lastValue(service, 'KillMode'),
    killSignal: lastValue(service, 'KillSignal'),
    timeoutStopSec: lastValue(service, 'TimeoutStopSec'),
    badSetting,
  };
}

/** Why systemd would fail to run this service now, as its status would show; undefined if it would run. */
function runFailure(unit: LoadedUnit, io: ToolIO): string | undefined {
  const at = (p: string) => io.callerPath(p);
  const user = unit.user;
  if (user !== '' && user !== 'root' && !/^\d+$/.test(user)) {
    const passwd = existsSync(at('/etc/passwd')) ? readFileSync(at('/etc/passwd'), 'utf8') : '';
    if (!passwd.split('\n').some((l) => l.split(':')[0] === user)) {
      return `status=217/USER: user "${user}" does not exist`;
    }
  }
  const wd = unit.workingDirectory;
  if (wd !== '' && !wd.startsWith('-') && wd !== '~' && !existsSync(at(wd))) {
    return `status=200/CHDIR: WorkingDirectory=${wd} does not exist`;
  }
  for (const file of unit.environmentFiles) {
    if (!file.startsWith('-') && !existsSync(at(file))) return `Failed to load environment files: ${file}`;
  }
  if (unit.execStart !== '') {
    const path = execPath(unit.execStart);
    try {
      accessSync(at(path), constants.X_OK);
      if (!statSync(at(path)).isFile()) return `status=203/EXEC: ${path} is not a regular file`;
    } catch {
      return `status=203/EXEC: ${path} is not executable: No such file or directory`;
    }
  }
  return undefined;
}

/** A stand-in binary that announces (sim-markers.ts) that its main process exits at start. */
function exitsAtStart(unit: LoadedUnit, io: ToolIO): boolean {
  if (unit.execStart === '') return false;
  try {
    const path = io.callerPath(execPath(unit.execStart));
    return statSync(path).size < 64 * 1024 && readFileSync(path, 'utf8').includes(EXITS_AT_START_MARKER);
  } catch {
    return false;
  }
}

function stateFile(unitDir: string, name: string): string {
  return join(unitDir, 'systemd', 'units', `${name}.json`);
}

export function readServiceState(unitDir: string, name: string): ServiceState {
  try {
    return ServiceStateSchema.parse(JSON.parse(readFileSync(stateFile(unitDir, name), 'utf8')));
  } catch {
    return { active: 'inactive', since: 0, loaded: null, mainPid: 0, starts: 0 };
  }
}

/**
 * A running service's main process ended (services run for real): inactive after a clean exit, failed otherwise.
 * systemd.service(5) SuccessExitStatus=: "By default, only exit code 0 and, except for Type=oneshot, the signals
 * SIGHUP, SIGINT, SIGTERM, and SIGPIPE" are clean; the `-` prefix of ExecStart= makes any exit clean; a stop that
 * needed SIGKILL after TimeoutStopSec= fails with result `timeout`.
 */
export function recordServiceExit(
  unitDir: string,
  name: string,
  exit: { pid: number; code: number | null; signal: string | null; timedOut: boolean; ignoreFailure: boolean },
): void {
  const state = readServiceState(unitDir, name);
  if (state.mainPid !== exit.pid) return; // an older process of a service started again since
  const cleanSignal = exit.signal !== null && ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE'].includes(exit.signal);
  const clean = !exit.timedOut && (exit.code === 0 || cleanSignal || exit.ignoreFailure);
  state.active = clean ? 'inactive' : 'failed';
  state.mainPid = 0;
  state.since = Date.now();
  state.failure = clean
    ? undefined
    : exit.timedOut
      ? 'Failed with result timeout: State stop-sigterm timed out. Killing.'
      : exit.signal !== null
        ? `code=killed, status=${exit.signal.replace(/^SIG/, '')}`
        : `code=exited, status=${exit.code ?? 1}`;
  writeFileSync(stateFile(unitDir, name), JSON.stringify(state));
}

class Systemd {
  private readonly stateDir: string;

  constructor(
    private readonly unitDir: string,
    private readonly io: ToolIO,
    private readonly env: Env,
  ) {
    this.stateDir = join(unitDir, 'systemd', 'units');
    mkdirSync(this.stateDir, { recursive: true });
  }

  state(name: string): ServiceState {
    return readServiceState(this.unitDir, name);
  }

  save(name: string, state: ServiceState): void {
    writeFileSync(stateFile(this.unitDir, name), JSON.stringify(state));
  }

  knownUnits(): string[] {
    return readdirSync(this.stateDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length));
  }

  fileText(name: string): string | undefined {
    try {
      return readFileSync(this.io.callerPath(join(UNIT_DIR, name)), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** The definition systemd would use: the one loaded earlier (stale if the file changed since), or the file. */
  definition(name: string, state: ServiceState, note: UnitNote): LoadedUnit | undefined {
    const text = this.fileText(name);
    if (state.loaded !== null) {
      if (text !== undefined && loadUnit(text).hash !== state.loaded.hash) {
        this.io.err(
          `Warning: The unit file, source configuration file or drop-ins of ${name} changed on disk. Run 'systemctl daemon-reload' to reload units.\n`,
        );
        note.stale = true;
      }
      return state.loaded;
    }
    if (text === undefined) return undefined;
    state.loaded = loadUnit(text);
    return state.loaded;
  }

  daemonReload(): void {
    for (const name of this.knownUnits()) {
      const state = this.state(name);
      const text = this.fileText(name);
      state.loaded = text === undefined ? null : loadUnit(text);
      this.save(name, state);
    }
  }

  async start(name: string, note: UnitNote, restart: boolean, verb: string): Promise<number> {
    let state = this.state(name);
    const unit = this.definition(name, state, note);
    if (unit === undefined) {
      this.io.err(`Failed to ${verb} ${name}: Unit ${name} not found.\n`);
      return 5;
    }
    note.execStart = unit.execStart;
    if (unit.badSetting !== undefined) {
      note.failure = unit.badSetting;
      this.save(name, state);
      this.io.err(`Failed to ${verb} ${name}: Unit ${name} has a bad unit file setting.\n`);
      return 1;
    }
    if (state.active === 'active' && !restart) {
      this.save(name, state);
      return 0;
    }
    if (unit.mount !== undefined) return this.startMount(name, unit.mount, state, note);
    const host = this.io.services;
    if (host !== undefined && host.mainPid(this.unitDir, name) !== undefined) {
      // A restart is a stop (with KillMode=, KillSignal=, TimeoutStopSec=) then a start.
      await host.stop(this.unitDir, name, stopHow(unit));
      state = { ...this.state(name), loaded: state.loaded };
    }
    let failure = runFailure(unit, this.io);
    const now = Date.now();
    state.since = now;
    state.starts += 1;
    if (failure === undefined && exitsAtStart(unit, this.io)) {
      // The exec succeeded (so `start` does), then the main process died: failed, as `systemctl status` shows it.
      note.failure = 'status=1/FAILURE: main process exited right after start';
      state.active = 'failed';
      state.mainPid = 0;
      state.failure = note.failure;
      this.save(name, state);
      return 0;
    }
    if (failure === undefined && host !== undefined) {
      const launch = serviceLaunch(this.unitDir, name, unit, this.io, host.nodePath);
      if ('failure' in launch) failure = launch.failure;
      else {
        state.active = 'active';
        state.failure = undefined;
        state.mainPid = host.start(launch);
        this.save(name, state);
        return 0;
      }
    }
    if (failure === undefined) {
      state.active = 'active';
      state.mainPid = 10_000 + Math.floor(Math.random() * 50_000);
      state.failure = undefined;
      this.save(name, state);
      return 0;
    }
    note.failure = failure;
    state.active = 'failed';
    state.mainPid = 0;
    state.failure = failure;
    this.save(name, state);
    // With Type=simple systemd reports success once it has forked; the failure shows only in the unit's state.
    if (unit.type === 'simple') return 0;
    this.io.err(
      `Job for ${name} failed because the control process exited with error code.\nSee "systemctl status ${name}" and "journalctl -xeu ${name}" for details.\n`,
    );
    return 1;
  }

  /** A mount unit: mounted for real, failed as systemd reports a failed mount helper. */
  private startMount(name: string, mount: MountDefinition, state: ServiceState, note: UnitNote): number {
    const outcome = mountUnitStart(mount, this.env, this.io);
    state.since = Date.now();
    state.starts += 1;
    state.active = outcome.ok ? 'active' : 'failed';
    state.failure = outcome.failure;
    note.failure = outcome.failure;
    this.save(name, state);
    if (outcome.ok) return 0;
    this.io.err(`Job for ${name} failed.\nSee "systemctl status ${name}" and "journalctl -xeu ${name}" for details.\n`);
    return 1;
  }

  async stop(name: string, note: UnitNote): Promise<number> {
    let state = this.state(name);
    if (state.loaded === null && this.fileText(name) === undefined) {
      this.io.err(`Failed to stop ${name}: Unit ${name} not loaded.\n`);
      return 5;
    }
    const unit = this.definition(name, state, note);
    if (unit?.mount !== undefined && state.active === 'active') {
      const outcome = mountUnitStop(unit.mount, this.env, this.io);
      if (!outcome.ok) {
        note.failure = outcome.failure;
        return 1;
      }
    }
    const host = this.io.services;
    if (host !== undefined && unit !== undefined && host.mainPid(this.unitDir, name) !== undefined) {
      // systemd.kill(5): KillSignal= as KillMode= says, SIGKILL after TimeoutStopSec=; the exit decides the state.
      await host.stop(this.unitDir, name, stopHow(unit));
      state = this.state(name);
      if (state.active === 'failed') return 0;
    }
    if (state.active !== 'inactive') state.since = Date.now();
    state.active = 'inactive';
    state.mainPid = 0;
    this.save(name, state);
    return 0;
  }

  wantedBy(name: string): string[] {
    const text = this.fileText(name);
    if (text === undefined) return [];
    const install = parseUnitFile(text).get('Install') ?? [];
    return install
      .filter(([k]) => k === 'WantedBy' || k === 'RequiredBy')
      .flatMap(([k, v]) => v.split(/\s+/).map((t) => `${t}.${k === 'WantedBy' ? 'wants' : 'requires'}`));
  }

  enabledLinks(name: string): string[] {
    let dirs: string[];
    try {
      dirs = readdirSync(this.io.callerPath(UNIT_DIR)).filter((d) => d.endsWith('.wants') || d.endsWith('.requires'));
    } catch {
      return [];
    }
    return dirs.map((d) => join(UNIT_DIR, d, name)).filter((p) => existsSync(this.io.callerPath(p)));
  }

  enable(name: string): number {
    if (this.fileText(name) === undefined) {
      this.io.err(`Failed to enable unit: Unit file ${name} does not exist.\n`);
      return 1;
    }
    const targets = this.wantedBy(name);
    if (targets.length === 0) {
      this.io.err(
        `The unit files have no installation config (WantedBy=, RequiredBy=, Also=,\nAlias= settings in the [Install] section, and DefaultInstance= for template\nunits). This means they are not meant to be enabled or disabled using systemctl.\n`,
      );
      return 0;
    }
    for (const dir of targets) {
      const link = join(UNIT_DIR, dir, name);
      if (existsSync(this.io.callerPath(link))) continue;
      mkdirSync(this.io.callerPath(join(UNIT_DIR, dir)), { recursive: true });
      symlinkSync(join(UNIT_DIR, name), this.io.callerPath(link, 'nofollow'));
      this.io.err(`Created symlink '${link}' → '${join(UNIT_DIR, name)}'.\n`);
    }
    return 0;
  }

  disable(name: string): number {
    for (const link of this.enabledLinks(name)) {
      rmSync(this.io.callerPath(link, 'nofollow'), { force: true });
      this.io.err(`Removed '${link}'.\n`);
    }
    return 0;
  }

  loadState(name: string, state: ServiceState): string {
    if (state.loaded !== null) return state.loaded.badSetting === undefined ? 'loaded' : 'bad-setting';
    return this.fileText(name) === undefined ? 'not-found' : 'loaded';
  }

  properties(name: string): Record<string, string> {
    const state = this.state(name);
    const loadState = this.loadState(name, state);
    const enabled = this.enabledLinks(name).length > 0;
    const sub = { active: 'running', inactive: 'dead', failed: 'failed' }[state.active];
    const loaded = state.loaded ?? (loadState === 'loaded' ? loadUnit(this.fileText(name) ?? '') : null);
    return {
      Id: name,
      Names: name,
      LoadState: loadState,
      ActiveState: state.active,
      SubState: sub,
      UnitFileState: loadState === 'not-found' ? '' : enabled ? 'enabled' : 'disabled',
      FragmentPath: loadState === 'not-found' ? '' : join(UNIT_DIR, name),
      MainPID: String(state.mainPid),
      Type: loaded?.type ?? '',
      User: loaded?.user ?? '',
      ExecStart: loaded?.execStart ?? '',
      NRestarts: '0',
      Result: state.active === 'failed' ? 'exit-code' : 'success',
      ActiveEnterTimestamp: state.active === 'active' && state.since > 0 ? new Date(state.since).toISOString() : '',
    };
  }
}

const BOOL_FLAGS = new Set([
  'q',
  'quiet',
  'now',
  'no-block',
  'no-pager',
  'no-ask-password',
  'value',
  'system',
  'full',
  'l',
  'no-reload',
  'force',
]);

function noMainProcess(io: ToolIO, name: string): void {
  io.err(`Failed to kill unit ${name}: No main process to kill\n`);
}

function normalise(name: string): string {
  return /\.(service|socket|target|timer|mount|path|slice|scope)$/.test(name) ? name : `${name}.service`;
}

export async function systemctl(argv: readonly string[], env: Env, io: ToolIO): Promise<number> {
  const unitDir = env.JUJU_SIM_UNIT_DIR;
  if (unitDir === undefined || unitDir === '') {
    io.err("System has not been booted with systemd as init system (PID 1). Can't operate.\n");
    return 1;
  }
  const flags = new Set<string>();
  let killSignal = 'SIGTERM';
  let killWhom = 'all';
  const props: string[] = [];
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '-p' || a === '--property') {
      props.push(...(argv[++i] ?? '').split(','));
    } else if (a.startsWith('--property=')) props.push(...a.slice('--property='.length).split(','));
    else if (a.startsWith('-p') && a.length > 2) props.push(...a.slice(2).split(','));
    else if (a.startsWith('--type=') || a.startsWith('--state=')) continue;
    else if (a.startsWith('--signal=')) killSignal = a.slice('--signal='.length);
    else if (a === '-s' || a === '--signal') killSignal = argv[++i] ?? '';
    else if (a.startsWith('--kill-who=') || a.startsWith('--kill-whom=')) killWhom = a.slice(a.indexOf('=') + 1);
    else if (a.startsWith('-')) {
      const name = a.replace(/^--?/, '');
      if (!BOOL_FLAGS.has(name)) {
        io.err(`systemctl: unrecognized option '${a}'\n`);
        return 1;
      }
      flags.add(name === 'q' ? 'quiet' : name);
    } else words.push(a);
  }
  const [verb = 'list-units', ...rawUnits] = words;
  const units = rawUnits.map(normalise);
  const sd = new Systemd(unitDir, io, env);
  const notes: UnitNote[] = units.map((name) => ({ name }));
  const quiet = flags.has('quiet');
  let code = 0;
  const each = async (fn: (name: string, note: UnitNote) => number | Promise<number>): Promise<number> => {
    let worst = 0;
    for (const [i, name] of units.entries()) {
      const rc = await fn(name, notes[i] ?? { name });
      if (rc !== 0) worst = rc;
    }
    return worst;
  };
  const needUnits = (): boolean => {
    if (units.length > 0) return true;
    io.err('Too few arguments.\n');
    code = 1;
    return false;
  };
  switch (verb) {
    case 'daemon-reload':
      sd.daemonReload();
      break;
    case 'start':
      if (needUnits()) code = await each((n, note) => sd.start(n, note, false, 'start'));
      break;
    case 'restart':
    case 'reload-or-restart':
      if (needUnits()) code = await each((n, note) => sd.start(n, note, true, 'restart'));
      break;
    case 'reload':
      // systemd runs ExecReload= in the running service; nothing runs here, so only the state is checked.
      if (needUnits()) {
        code = await each((n) => {
          if (sd.state(n).active === 'active') return 0;
          io.err(`Failed to reload ${n}: Unit ${n} is not active.\n`);
          return 1;
        });
      }
      break;
    case 'try-restart':
      if (needUnits()) {
        code = await each((n, note) => (sd.state(n).active === 'active' ? sd.start(n, note, true, 'restart') : 0));
      }
      break;
    case 'stop':
      if (needUnits()) code = await each((n, note) => sd.stop(n, note));
      break;
    case 'kill':
      // systemd (src/systemctl/systemctl-kill.c) sends the signal to the unit's processes and returns at once. No
      // process runs here, and so no build: Concourse's drain signals to the worker's main process (SIGUSR1 land,
      // SIGUSR2 retire) make it exit at once, as the real worker does with nothing running; it exits 0, so
      // Restart=on-failure leaves it stopped. Other signals change nothing (a real service may or may not die).
      if (needUnits()) {
        code = await each((n, note) => {
          const state = sd.state(n);
          if (state.active !== 'active') {
            noMainProcess(io, n);
            return 1;
          }
          const host = io.services;
          if (host !== undefined) {
            // Services run: the signal reaches the process (`--kill-who=main`: the main one; otherwise every one).
            if (host.signal(unitDir, n, killSignal, killWhom === 'main' ? 'main' : 'all')) return 0;
            noMainProcess(io, n);
            return 1;
          }
          if ((killSignal === 'SIGUSR1' || killSignal === 'SIGUSR2') && killWhom === 'main') return sd.stop(n, note);
          return 0;
        });
      }
      break;
    case 'enable':
      if (needUnits()) {
        code = await each((n) => sd.enable(n));
        if (code === 0 && flags.has('now')) code = await each((n, note) => sd.start(n, note, false, 'start'));
      }
      break;
    case 'disable':
      if (needUnits()) {
        code = await each((n) => sd.disable(n));
        if (code === 0 && flags.has('now')) code = await each((n, note) => sd.stop(n, note));
      }
      break;
    case 'reset-failed':
      for (const n of units.length > 0 ? units : sd.knownUnits()) {
        const s = sd.state(n);
        if (s.active === 'failed') sd.save(n, { ...s, active: 'inactive', failure: undefined });
      }
      break;
    case 'is-active':
    case 'is-failed': {
      if (!needUnits()) break;
      const states = units.map((n) => sd.state(n).active);
      if (!quiet) io.out(states.map((s) => `${s}\n`).join(''));
      const wanted = verb === 'is-active' ? 'active' : 'failed';
      code = states.includes(wanted) ? 0 : verb === 'is-active' ? 3 : 1;
      break;
    }
    case 'is-enabled': {
      if (!needUnits()) break;
      code = 1;
      for (const n of units) {
        if (sd.fileText(n) === undefined) {
          io.err(`Failed to get unit file state for ${n}: No such file or directory\n`);
          continue;
        }
        const enabled = sd.enabledLinks(n).length > 0;
        if (!quiet) io.out(enabled ? 'enabled\n' : 'disabled\n');
        if (enabled) code = 0;
      }
      break;
    }
    case 'show': {
      if (!needUnits()) break;
      const blocks = units.map((n) => {
        const all = sd.properties(n);
        const keys = props.length > 0 ? props : Object.keys(all);
        return keys
          .filter((k) => props.length > 0 || all[k] !== '')
          .map((k) => (flags.has('value') ? `${all[k] ?? ''}\n` : `${k}=${all[k] ?? ''}\n`))
          .join('');
      });
      io.out(blocks.join('\n'));
      break;
    }
    case 'status': {
      if (!needUnits()) break;
      for (const n of units) {
        const p = sd.properties(n);
        if (p.LoadState === 'not-found') {
          io.err(`Unit ${n} could not be found.\n`);
          code = 4;
          continue;
        }
        const s = sd.state(n);
        io.out(
          `● ${n}\n     Loaded: ${p.LoadState} (${p.FragmentPath}; ${p.UnitFileState})\n     Active: ${p.ActiveState} (${p.SubState})${s.since > 0 ? ` since ${new Date(s.since).toISOString()}` : ''}\n${s.failure === undefined ? '' : `    Process: ${p.ExecStart} (code=exited, ${s.failure})\n`}${s.mainPid > 0 ? `   Main PID: ${s.mainPid}\n` : ''}`,
        );
        if (s.active !== 'active' && code === 0) code = 3;
      }
      break;
    }
    case 'cat':
      if (!needUnits()) break;
      for (const n of units) {
        const text = sd.fileText(n);
        if (text === undefined) {
          io.err(`No files found for ${n}.\n`);
          code = 1;
        } else io.out(`# ${join(UNIT_DIR, n)}\n${text}`);
      }
      break;
    case 'list-units':
      for (const n of sd.knownUnits()) {
        const p = sd.properties(n);
        io.out(`${n} ${p.LoadState} ${p.ActiveState} ${p.SubState}\n`);
      }
      break;
    default:
      io.err(`Unknown command verb '${verb}'.\n`);
      code = 1;
  }
  const record: SystemctlCall = {
    argv: [...argv],
    at: new Date().toISOString(),
    t: Date.now(),
    hook: env.JUJU_DISPATCH_PATH ?? '',
    exitCode: code,
    units: notes,
  };
  appendFileSync(join(unitDir, 'systemd', 'calls.jsonl'), `${JSON.stringify(record)}\n`);
  return code;
}
