// Simulator: when hooks run. settle() drains the units' queues as Juju's uniters do (units in parallel, each one
// hook at a time), retries a failed hook after a back-off, catches loops by causal depth, and does Juju's
// bookkeeping once a hook has run.

import { SimError } from '../charm-spec';
import { describeEvent, type SimEvent } from '../sim-event';
import { causeOf, queueEvent } from './event-queue';
import { type HookRunner, hookLaunch } from './hook-runner';
import { type Finished, NOW, OPERATOR, type UnitRecord } from './records';
import type { Topology } from './topology';
import type { ModelWorld } from './world';

export class Scheduler {
  constructor(
    private readonly world: ModelWorld,
    private readonly topology: Topology,
    private readonly runner: HookRunner,
  ) {}

  async settle(opts: { maxRounds?: number } = {}): Promise<void> {
    this.world.checkOpen();
    const maxRounds = opts.maxRounds ?? 50;
    const active = new Map<string, Promise<void>>();
    const problems: unknown[] = [];
    const looping: UnitRecord[] = [];
    for (;;) {
      if (problems.length === 0 && looping.length === 0) {
        this.retryDueHooks();
        for (const u of this.world.units.values()) {
          const head = u.queue[0];
          if (active.has(u.name) || u.box === undefined || u.failed !== undefined || head === undefined) continue;
          if (head.generation > maxRounds) {
            looping.push(u);
            continue;
          }
          if (!u.lock.tryAcquire()) continue; // busy with a runHook/runAction from the test: left for later
          const p = this.runHead(u)
            .catch((e: unknown) => {
              problems.push(e);
            })
            .finally(() => {
              u.lock.release();
              active.delete(u.name);
            });
          active.set(u.name, p);
        }
      }
      if (active.size === 0) {
        const wait = problems.length === 0 && looping.length === 0 ? this.nextRetryIn() : undefined;
        if (wait === undefined) break;
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      await Promise.race(active.values());
    }
    if (problems.length > 0) throw problems[0];
    if (looping.length > 0) {
      const lines = looping.map((u) => {
        const head = u.queue[0];
        return head === undefined ? u.name : `${describeEvent(u.name, head)} after ${head.chain.join(' → ')}`;
      });
      throw new SimError(`model did not settle after ${maxRounds} rounds; still looping:\n${lines.join('\n')}`);
    }
  }

  async updateStatus(): Promise<void> {
    this.world.checkOpen();
    for (const a of this.world.apps.values()) {
      for (const u of this.world.appUnits(a)) queueEvent(u, { type: 'update-status', hook: 'update-status' }, OPERATOR);
    }
    await this.settle();
  }

  async resolve(unit: string, opts: { retry?: boolean } = {}): Promise<void> {
    const u = this.world.unit(unit);
    const failed = u.failed;
    if (failed === undefined) throw new SimError(`unit "${unit}" is not in an error state`);
    u.failed = undefined;
    u.retryAt = undefined;
    u.retries = 0;
    u.agent = 'idle';
    u.agentMessage = '';
    if (opts.retry ?? true) u.queue.unshift(failed);
    else await this.afterSuccess(u, failed);
  }

  /** The hook failed: the agent is in error and the unit's queue waits for a retry or resolve(). */
  fail(u: UnitRecord, event: SimEvent): void {
    u.failed = event;
    u.agent = 'error';
    u.agentMessage = `hook failed: "${event.hook}"`;
    const retry = this.world.options.hookRetry ?? { firstDelayMs: 50, maxDelayMs: 400, attempts: 3 };
    u.retryAt =
      retry === false || u.retries >= retry.attempts
        ? undefined
        : Date.now() + Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** u.retries);
  }

  /** Juju's bookkeeping once a hook has run (or was resolved without retry). */
  async afterSuccess(u: UnitRecord, event: SimEvent): Promise<void> {
    u.retries = 0;
    const cause = causeOf(u, event);
    const t = this.topology;
    const relations = this.world.relations;
    const rel = event.relationId === undefined ? undefined : relations.get(event.relationId);
    switch (event.type) {
      case 'start':
        u.started = true;
        if (!u.charmSetStatus) u.workload = { kind: 'unknown', message: '', since: NOW() };
        for (const r of relations.values()) if (u.knownRelations.has(r.id)) t.enterRelationScope(u, r, cause);
        break;
      case 'relation-created':
        if (rel !== undefined && u.started) t.enterRelationScope(u, rel, cause);
        break;
      case 'relation-broken':
        if (rel !== undefined) {
          u.knownRelations.delete(rel.id);
          rel.brokenPending.delete(u.name);
          if (rel.dying && rel.brokenPending.size === 0) t.finalizeRelation(rel);
        }
        break;
      case 'remove':
        await t.finalizeUnit(u, cause);
        break;
      default:
        break;
    }
  }

  /** Runs the head of the unit's queue (the caller holds the unit's lock). */
  private async runHead(u: UnitRecord): Promise<void> {
    const event = u.queue[0];
    if (event === undefined) return;
    u.headRunning = true;
    let finished: Finished;
    try {
      const started = await this.runner.launch(u, hookLaunch(event, undefined));
      finished = await started.finished;
    } finally {
      u.headRunning = false;
    }
    u.queue.shift();
    if (finished.run.ok) await this.afterSuccess(u, event);
    else this.fail(u, event);
  }

  /** The failed hooks whose automatic retry is due now are queued again (Juju's uniter re-runs the same hook). */
  private retryDueHooks(): void {
    for (const u of this.world.units.values()) {
      if (u.failed === undefined || u.retryAt === undefined || u.retryAt > Date.now()) continue;
      const failed = u.failed;
      u.failed = undefined;
      u.retryAt = undefined;
      u.retries += 1;
      u.agent = 'idle';
      u.agentMessage = '';
      u.queue.unshift(failed);
    }
  }

  /** Milliseconds until the next automatic retry, or undefined when none is pending. */
  private nextRetryIn(): number | undefined {
    const due = [...this.world.units.values()].flatMap((u) =>
      u.failed !== undefined && u.retryAt !== undefined ? [u.retryAt] : [],
    );
    return due.length === 0 ? undefined : Math.max(0, Math.min(...due) - Date.now());
  }
}
