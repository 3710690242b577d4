// Simulator: what a test runs on a unit by hand, outside the queues: one hook now (or started, to stop and kill
// it), `juju run <action>`, `juju exec`. Each waits for the unit's running hook, as Juju's uniter would.

import { randomUUID } from 'node:crypto';
import { SimError, validateActionParams } from '../charm-spec';
import { classifyHook, type SimEvent } from '../sim-event';
import { type HookRunner, hookLaunch, type LaunchedHook } from './hook-runner';
import type { ActionResult, ExecResult, HookOptions, StartedHook } from './options';
import { type Launch, remoteAppOf, type UnitRecord } from './records';
import type { Scheduler } from './scheduler';
import type { ModelWorld } from './world';

export class DirectRuns {
  constructor(
    private readonly world: ModelWorld,
    private readonly scheduler: Scheduler,
    private readonly runner: HookRunner,
  ) {}

  async startHook(unit: string, hook: string, opts: HookOptions = {}): Promise<StartedHook> {
    this.world.checkOpen();
    const u = this.world.charmUnit(unit);
    const event = this.eventForHook(u, hook, opts);
    await u.lock.acquire();
    try {
      const started = await this.runner.launch(u, hookLaunch(event, opts.env));
      const done = started.finished.then(async ({ run }) => {
        if (run.ok) await this.scheduler.afterSuccess(u, event);
        else this.scheduler.fail(u, event);
        return run;
      });
      done.finally(() => u.lock.release()).catch(() => {});
      return { pid: started.pid, stoppedAt: started.stoppedAt, kill: started.kill, done };
    } catch (e) {
      u.lock.release();
      throw e;
    }
  }

  async runAction(unit: string, name: string, params: Readonly<Record<string, unknown>> = {}): Promise<ActionResult> {
    this.world.checkOpen();
    const u = this.world.charmUnit(unit);
    const full = validateActionParams(this.world.app(u.app).spec, unit, name, params);
    const { run, effects } = await this.launchLocked(u, {
      event: undefined,
      action: { name, uuid: randomUUID(), params: full },
      dispatchPath: `actions/${name}`,
      label: `action-${name}`,
      argv: undefined,
      env: undefined,
    });
    const results: Record<string, unknown> = {};
    const log: string[] = [];
    let failMessage: string | undefined;
    for (const e of effects) {
      if (e.op === 'action-set') setNested(results, e.key, e.value);
      if (e.op === 'action-log') log.push(e.message);
      if (e.op === 'action-fail') failMessage = e.message;
    }
    const failed = failMessage !== undefined || !run.ok;
    const message =
      failMessage ??
      (run.ok ? undefined : run.exitCode === null ? `killed by ${run.signal}` : `exit status ${run.exitCode}`);
    return {
      status: failed ? 'failed' : 'completed',
      results,
      ...(message === undefined ? {} : { message }),
      log,
      exitCode: run.exitCode,
      stdout: run.stdout,
      stderr: run.stderr,
    };
  }

  async exec(
    unit: string,
    argv: readonly string[],
    opts: { env?: Readonly<Record<string, string>> } = {},
  ): Promise<ExecResult> {
    this.world.checkOpen();
    const u = this.world.charmUnit(unit);
    const { run } = await this.launchLocked(u, {
      event: undefined,
      action: undefined,
      dispatchPath: 'juju-exec',
      label: 'juju-exec',
      argv,
      env: opts.env,
    });
    return { exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr };
  }

  /** Runs one process on the unit once its current hook is done and waits for it to finish. */
  private async launchLocked(u: UnitRecord, launch: Launch): Promise<Awaited<LaunchedHook['finished']>> {
    await u.lock.acquire();
    try {
      const started = await this.runner.launch(u, launch);
      return await started.finished;
    } finally {
      u.lock.release();
    }
  }

  /** The event a hook name stands for on this unit (its relation, its storage), as Juju would have queued it. */
  private eventForHook(u: UnitRecord, hook: string, opts: HookOptions): SimEvent {
    const a = this.world.app(u.app);
    const c = classifyHook(hook, Object.keys(a.spec.endpoints), Object.keys(a.spec.storage));
    if (c.endpoint !== undefined) {
      const rel =
        opts.relationId !== undefined
          ? this.world.relation(opts.relationId)
          : [...this.world.relations.values()].find((r) =>
              r.ends.some((e) => e.app === u.app && e.endpoint === c.endpoint),
            );
      if (rel === undefined) throw new SimError(`${u.name} has no relation on endpoint "${c.endpoint}"`);
      return {
        type: c.type,
        hook,
        relationId: rel.id,
        endpoint: c.endpoint,
        remoteApp: opts.remoteApp ?? remoteAppOf(rel, u.app),
        remoteUnit: opts.remoteUnit,
        generation: 0,
        chain: [],
      };
    }
    if (c.storage !== undefined) {
      return {
        type: c.type,
        hook,
        storageId: u.storage.find((s) => s.name === c.storage)?.id,
        generation: 0,
        chain: [],
      };
    }
    return { type: c.type, hook, generation: 0, chain: [] };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** action-set's dotted keys become nested maps (`a.b=1` → `{a: {b: '1'}}`). */
function setNested(target: Record<string, unknown>, keys: readonly string[], value: string): void {
  let node = target;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) {
      node[k] = value;
      return;
    }
    const next = node[k];
    if (isRecord(next)) node = next;
    else {
      const fresh: Record<string, unknown> = {};
      node[k] = fresh;
      node = fresh;
    }
  });
}
