// Simulator, services: the driver's side of the fake systemd when a model runs services (SimModelOptions.services =
// 'run'): each service's main process runs in its unit's namespace, its output in a journal file, its exit recorded.
//
// systemd behaviours modelled (man pages cited where used): the main process is the one forked for ExecStart=
// (systemd.service(5) "Type="); it is its own process group here, standing in for the unit's cgroup, so "all
// processes of the unit" is the group; a stop sends KillSignal= per KillMode= then SIGKILL once TimeoutStopSec=
// passed (systemd.kill(5)); once the main process exited, whatever is left of the group is killed (KillMode=
// control-group and mixed end with the whole cgroup gone). Restart= is not modelled: a process that died stays dead.

import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { SimMachine } from '../machine';
import type { ServiceHost, ServiceLaunch, StopHow } from '../tools/service-host';

/** How a main process ended, as the fake systemd records it. */
export interface ServiceExit {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** It was stopped by `systemctl stop` and needed SIGKILL after the timeout. */
  readonly timedOut: boolean;
  readonly ignoreFailure: boolean;
}

interface Running {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
  readonly ignoreFailure: boolean;
  timedOut: boolean;
}

export class ServiceRunner implements ServiceHost {
  private readonly running = new Map<string, Running>();

  constructor(
    /** The machine of a unit dir, while the unit exists. */
    private readonly machineOf: (unitDir: string) => SimMachine | undefined,
    /** Called when a main process ended (the fake systemd's state then says inactive or failed). */
    private readonly onExit: (unitDir: string, name: string, exit: ServiceExit) => void,
    readonly nodePath: string,
  ) {}

  /** Where a service's stdout and stderr go: `<unit dir>/systemd/journal/<service>.log`. */
  static journalPath(unitDir: string, name: string): string {
    return join(unitDir, 'systemd', 'journal', `${name}.log`);
  }

  start(launch: ServiceLaunch): number {
    const key = keyOf(launch.unitDir, launch.name);
    if (this.running.has(key)) throw new Error(`${launch.name} already runs on ${launch.unitDir}`);
    const box = this.machineOf(launch.unitDir);
    if (box === undefined) throw new Error(`no machine for ${launch.unitDir}`);
    const journal = ServiceRunner.journalPath(launch.unitDir, launch.name);
    mkdirSync(join(launch.unitDir, 'systemd', 'journal'), { recursive: true });
    const fd = openSync(journal, 'a');
    let child: ChildProcess;
    try {
      child = box.spawn({ argv: [...launch.argv], env: launch.env, cwd: '/', output: fd });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not fork ${launch.name}`);
    const exited = new Promise<void>((resolve) => {
      child.once('error', () => resolve());
      child.once('exit', (code, signal) => {
        // Nothing of the service outlives its main process (the cgroup is emptied when the unit stops).
        killGroup(pid, 'SIGKILL');
        const entry = this.running.get(key);
        if (entry?.pid === pid) this.running.delete(key);
        this.onExit(launch.unitDir, launch.name, {
          pid,
          code,
          signal,
          timedOut: entry?.timedOut ?? false,
          ignoreFailure: launch.ignoreFailure,
        });
        resolve();
      });
    });
    this.running.set(key, { child, pid, exited, ignoreFailure: launch.ignoreFailure, timedOut: false });
    return pid;
  }

  signal(unitDir: string, name: string, signal: string, who: 'main' | 'all'): boolean {
    const r = this.running.get(keyOf(unitDir, name));
    if (r === undefined) return false;
    const sig = signalName(signal);
    try {
      process.kill(who === 'main' ? r.pid : -r.pid, sig);
    } catch {
      return false;
    }
    return true;
  }

  async stop(unitDir: string, name: string, how: StopHow): Promise<void> {
    const r = this.running.get(keyOf(unitDir, name));
    if (r === undefined) return;
    const sig = signalName(how.signal);
    // systemd.kill(5) KillMode=: control-group signals every process, mixed and process the main one only.
    if (how.mode === 'control-group') killGroup(r.pid, sig);
    else if (how.mode !== 'none') killPid(r.pid, sig);
    if (sig !== 'SIGKILL') {
      // systemd.kill(5) SendSIGCONT=yes (the default): a stopped process must see the signal.
      killPid(r.pid, 'SIGCONT');
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), how.timeoutMs);
    });
    const outcome = await Promise.race([r.exited.then(() => 'exited' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      // systemd.service(5) TimeoutStopSec=: "If a service is asked to stop, but does not terminate in the
      // specified time, it will be terminated forcibly via SIGTERM, and after another delay of this time
      // subsequently via SIGKILL" (FinalKillSignal=); the unit then fails with result 'timeout'.
      r.timedOut = true;
      killGroup(r.pid, 'SIGKILL');
      await r.exited;
    }
  }

  mainPid(unitDir: string, name: string): number | undefined {
    return this.running.get(keyOf(unitDir, name))?.pid;
  }

  /** Kills every service of a unit (the machine goes away) and waits for them. */
  async killUnit(unitDir: string): Promise<void> {
    const mine = [...this.running.entries()].filter(([k]) => k.startsWith(`${unitDir}\0`)).map(([, r]) => r);
    for (const r of mine) killGroup(r.pid, 'SIGKILL');
    await Promise.all(mine.map((r) => r.exited));
  }

  /** Kills every service of the model (teardown). */
  async close(): Promise<void> {
    const all = [...this.running.values()];
    for (const r of all) killGroup(r.pid, 'SIGKILL');
    await Promise.all(all.map((r) => r.exited));
  }

  /** Main pids of every service running now (for tests that check nothing is left). */
  pids(): number[] {
    return [...this.running.values()].map((r) => r.pid);
  }
}

function keyOf(unitDir: string, name: string): string {
  return `${unitDir}\0${name}`;
}

/** `SIGUSR1`, `USR1` or `10` as Node's signal name. */
export function signalName(signal: string): NodeJS.Signals {
  const upper = signal.toUpperCase();
  const named = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (/^\d+$/.test(signal)) {
    const found = Object.entries(osSignals()).find(([, n]) => n === Number(signal));
    if (found !== undefined) return found[0] as NodeJS.Signals;
  }
  if (named in osSignals()) return named as NodeJS.Signals;
  throw new Error(`Failed to parse signal string ${signal}.`);
}

function osSignals(): Readonly<Record<string, number>> {
  return constants.signals;
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
