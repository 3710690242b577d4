// Simulator: one process in a unit's namespace (a hook, an action, `juju exec`): its hook dir and snapshot, its
// output, timeout and kill, and, once it exits, its effects applied and its buffered changes committed or dropped.

import type { ChildProcess } from 'node:child_process';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SimError } from '../charm-spec';
import { signalGroup } from '../machine';
import { ChangeSchema, EffectSchema, HOOK_FILES, parseJsonLines } from '../model-state';
import type { SimEvent } from '../sim-event';
import type { Commit } from './commit';
import { causeOf } from './event-queue';
import type { HookSetup } from './hook-setup';
import type { HookRun, StartedHook } from './options';
import { type Finished, type Launch, NOW, type UnitRecord } from './records';
import type { ModelWorld } from './world';

export type LaunchedHook = StartedHook & { readonly finished: Promise<Finished> };

export class HookRunner {
  constructor(
    private readonly world: ModelWorld,
    private readonly setup: HookSetup,
    private readonly commit: Commit,
  ) {}

  /** Starts one process in the unit's namespace; `finished` settles after its changes are committed. */
  async launch(u: UnitRecord, launch: Launch): Promise<LaunchedHook> {
    const w = this.world;
    const box = u.box;
    if (box === undefined) throw new SimError(`${u.name} runs no hooks`);
    await w.slots.acquire();
    let child: ChildProcess;
    let hookDir: string;
    try {
      w.checkOpen();
      if (launch.event !== undefined) this.setup.beforeHook(u, launch.event);
      u.hookSeq += 1;
      hookDir = join(u.dir, 'hooks', `${String(u.hookSeq).padStart(5, '0')}-${launch.label}`);
      await mkdir(hookDir, { recursive: true });
      await writeFile(join(hookDir, HOOK_FILES.snapshot), JSON.stringify(this.setup.snapshot(u, launch)));
      child = box.spawn({
        argv: launch.argv ?? [join(box.charmDir, 'dispatch')],
        env: this.setup.env(u, box, hookDir, launch),
        cwd: box.charmDir,
      });
    } catch (e) {
      w.slots.release();
      throw e;
    }
    w.hookStarted(launch.label);
    const dir = hookDir;
    const startedAt = Date.now();
    u.running = { hookDir: dir, label: launch.label, child };
    const trackAgent = launch.dispatchPath !== 'juju-exec';
    if (trackAgent) {
      u.agent = 'executing';
      u.agentMessage = `running ${launch.label} hook`;
    }
    let stdout = '';
    let stderr = '';
    const chunks: string[] = [];
    let resolveStop: (event: string) => void = () => {};
    let rejectStop: (e: Error) => void = () => {};
    const stoppedAt = new Promise<string>((res, rej) => {
      resolveStop = res;
      rejectStop = rej;
    });
    stoppedAt.catch(() => {}); // a test that never asks must not see an unhandled rejection
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (t: string) => {
      stdout += t;
      chunks.push(t);
    });
    child.stderr?.on('data', (t: string) => {
      stderr += t;
      chunks.push(t);
      const m = /CHARM-STOPPED-AT (\S+)/.exec(stderr);
      if (m?.[1] !== undefined) resolveStop(m[1]);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child, 'SIGKILL');
    }, w.options.hookTimeoutMs ?? 180_000);
    const closed = new Promise<void>((res) => child.once('close', () => res()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      child.once('error', (err) => {
        stderr += `\nspawn failed: ${err.message}\n`;
        res({ code: 127, signal: null });
      });
      child.once('exit', (code, signal) => {
        // Nothing a hook started may outlive it: a leftover would keep the unit's namespace (and overlay) alive.
        signalGroup(child, 'SIGKILL');
        res({ code, signal });
      });
    });
    const finished = exited.then(async ({ code, signal }) => {
      w.hookEnded(launch.label);
      clearTimeout(timer);
      // Output still in the pipes arrives before 'close'; a spawn error never closes, so bound the wait.
      await Promise.race([closed, new Promise<void>((res) => setTimeout(res, 2_000).unref())]);
      w.slots.release();
      const m = /CHARM-STOPPED-AT/.test(stderr);
      if (!m)
        rejectStop(
          new Error(
            `${u.name} ${launch.label} ended (exit ${code ?? signal}) before CHARM-STOPPED-AT:\n${stderr.slice(-2000)}`,
          ),
        );
      const run: HookRun = {
        unit: u.name,
        hook: launch.label,
        exitCode: code,
        signal,
        ok: code === 0,
        stdout,
        stderr,
        durationMs: Date.now() - startedAt,
        timedOut,
      };
      return this.finish(u, launch, dir, run, chunks.join(''));
    });
    const tracked = finished.finally(() => w.inflight.delete(tracked));
    w.inflight.add(tracked);
    tracked.catch(() => {});
    return {
      pid: child.pid ?? -1,
      stoppedAt,
      kill: (signal: NodeJS.Signals = 'SIGKILL') => {
        signalGroup(child, signal);
        if (signal !== 'SIGKILL' && signal !== 'SIGCONT') signalGroup(child, 'SIGCONT');
      },
      done: finished.then((f) => f.run),
      finished,
    };
  }

  /** Applies what the hook did: immediate effects always, buffered changes only if it exited 0. */
  private async finish(u: UnitRecord, launch: Launch, dir: string, run: HookRun, output: string): Promise<Finished> {
    const w = this.world;
    await writeFile(join(dir, HOOK_FILES.closed), '');
    u.running = undefined;
    const effects = parseJsonLines(await readText(join(dir, HOOK_FILES.effects)), (v) => EffectSchema.parse(v));
    const a = w.app(u.app);
    for (const e of effects) {
      if (e.op === 'status') {
        const s = { kind: e.kind, message: e.message, since: e.at };
        if (e.application) a.status = s;
        else {
          u.workload = s;
          u.charmSetStatus = true;
        }
      }
      if (e.op === 'log') w.logs.push({ unit: u.name, level: e.level, message: e.message, at: e.at });
      if (e.op === 'workload-version') u.workloadVersion = e.version;
    }
    if (run.ok) {
      const changes = parseJsonLines(await readText(join(dir, HOOK_FILES.changes)), (v) => ChangeSchema.parse(v));
      // Juju commits a hook's changes in one transaction (CommitHookChanges) when the uniter flushes the context; a
      // charm-state quota refusal fails it whole, and the hook is reported failed though its process exited 0
      // (internal/worker/uniter/runner/context/context.go: Flush, doFlush "cannot apply changes"). An action fails
      // with that message instead (finalizeAction) and the agent is not put in error.
      const refused = this.commit.hookChanges(u, changes, causeOf(u, launch.event));
      if (refused !== undefined) {
        const message = `cannot apply changes: ${refused}`;
        w.logs.push({ unit: u.name, level: 'ERROR', message, at: NOW() });
        if (launch.action !== undefined) effects.push({ op: 'action-fail', message });
        run = { ...run, ok: false };
        output += `${output.endsWith('\n') || output === '' ? '' : '\n'}ERROR ${message}\n`;
      }
    }
    if (launch.dispatchPath !== 'juju-exec' && u.failed === undefined) {
      u.agent = 'idle';
      u.agentMessage = '';
    }
    const verdict = run.timedOut
      ? `killed after ${w.options.hookTimeoutMs ?? 180_000} ms`
      : run.exitCode === null
        ? `killed by ${run.signal}`
        : `exit ${run.exitCode}`;
    await appendFile(
      join(u.dir, 'hooks.log'),
      `--- ${new Date().toISOString()} ${launch.dispatchPath} (${verdict}, ${run.durationMs} ms)\n${output}${output.endsWith('\n') || output === '' ? '' : '\n'}`,
    );
    return { run, effects };
  }
}

/** The launch of the hook `event` stands for (`hooks/<hook>`), with extra environment for this run. */
export function hookLaunch(event: SimEvent, env: Readonly<Record<string, string>> | undefined): Launch {
  return { event, action: undefined, dispatchPath: `hooks/${event.hook}`, label: event.hook, argv: undefined, env };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}
