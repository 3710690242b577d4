// Hooks: the restart-services, land-worker and retire-worker actions, on one unit. land-worker and retire-worker
// drain the worker (SIGUSR1 / SIGUSR2, bounded by worker-drain-timeout), stop it and hold it stopped
// (worker-hold.ts) until restart-services, which lifts the hold and runs the reconcile path asking it to restart
// this unit's services: the worker landed first (not with force=true), the web counted only once it serves.

import { inject, injectable } from 'inversify';
import { z } from 'zod';
import type { CharmConfig } from '../../domain/charm-config';
import { releaseDir, WEB_SERVICE, WORKER_SERVICE } from '../../domain/concourse-services';
import { InvalidInputError } from '../../domain/errors';
import type { HookContext } from '../../domain/hook-event';
import { formatRoles, rolesFor } from '../../domain/roles';
import type { ServiceStep } from '../../domain/service-plan';
import { ConcourseVersion } from '../../domain/version';
import type { DrainKind } from '../../domain/worker-drain';
import {
  type DrainOutcome,
  drainResult,
  formatWorkerHold,
  holdStatus,
  parseWorkerHold,
  WORKER_HOLD_FILE,
} from '../../domain/worker-hold';
import { CLOCK, type Clock } from '../../ports/clock';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { CHARM_CONFIG, HOOK_CONTEXT } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { SERVICE_MANAGER, type ServiceManager } from '../../ports/service-manager';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { VOLUME_PROBE, type VolumeProbe } from '../../ports/volume-probe';
import { ServiceApplier } from '../reconcile/service-applier';
import { ServiceRestarts } from '../reconcile/service-restarts';
import { MEMORY_KEYS, UnitMemory } from '../reconcile/unit-memory';
import { WorkerDrainer } from '../reconcile/worker-drainer';
import type { Handler } from '../tokens';
import { parseActionParams } from './action-params';
import { ReconcileHandler } from './reconcile';

const restartParams = z.object({ force: z.boolean().default(false) }).strict();
const noParams = z.object({}).strict();

@injectable()
export class WorkerActions implements Handler {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(UNIT_FILES) private readonly files: UnitFiles,
    @inject(SERVICE_MANAGER) private readonly systemd: ServiceManager,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(VOLUME_PROBE) private readonly volume: VolumeProbe,
    @inject(WorkerDrainer) private readonly drainer: WorkerDrainer,
    @inject(ServiceApplier) private readonly applier: ServiceApplier,
    @inject(UnitMemory) private readonly memory: UnitMemory,
    @inject(ServiceRestarts) private readonly restarts: ServiceRestarts,
    @inject(ReconcileHandler) private readonly reconcile: ReconcileHandler,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(): Promise<void> {
    const name = this.context.event.name;
    if (name === 'restart-services') {
      const { force } = parseActionParams(restartParams, await this.tools.actionGet());
      return this.restartServices(force);
    }
    parseActionParams(noParams, await this.tools.actionGet());
    return this.drainAndHold(name === 'land-worker' ? 'land' : 'retire');
  }

  /** land-worker, retire-worker: drain within worker-drain-timeout, stop, and keep it stopped. */
  private async drainAndHold(kind: DrainKind): Promise<void> {
    const roles = rolesFor(this.config.mode, await this.tools.isLeader());
    if (!roles.includes('worker')) {
      throw new InvalidInputError(
        `${this.context.unit.name} runs no worker (mode=${this.config.mode}, roles: ${formatRoles(roles)}): run ${this.context.event.name} on a unit with the worker role`,
      );
    }
    const outcome = await this.drain(kind);
    const hold = { kind, since: this.clock.now() };
    // Recorded before the stop: a hook running meanwhile must not start the worker again.
    await this.files.write({
      path: WORKER_HOLD_FILE,
      content: formatWorkerHold(hold),
      mode: 0o600,
      owner: 'root',
      group: 'root',
    });
    // Stops what is left (a drain that timed out: SIGTERM interrupts its builds) and disables it across reboots.
    await this.applier.apply(WORKER_SERVICE, undefined);
    this.logger.info('worker.held', { kind, drain: outcome.kind });
    await this.tools.statusSet('maintenance', holdStatus(hold));
    const done = kind === 'land' ? 'landed' : 'retired';
    await this.tools.actionSet({
      worker: done,
      held: 'stopped until restart-services',
      ...drainResult(outcome),
      message: `Worker ${done} and stopped; run restart-services to start it again`,
    });
  }

  private async drain(kind: DrainKind): Promise<DrainOutcome> {
    if (!(await this.systemd.isActive(WORKER_SERVICE))) return { kind: 'not-running' };
    if (this.config.workerDrainTimeoutMs === 0) return { kind: 'skipped' };
    const running = await this.memory.get(MEMORY_KEYS.workloadVersion);
    const version = ConcourseVersion.tryParse(running);
    return this.drainer.drain({
      kind,
      version: running ?? 'its release',
      releaseDir: version === undefined ? '' : releaseDir(this.volume.root, version),
      timeoutMs: this.config.workerDrainTimeoutMs,
    });
  }

  /** Lifts a hold, then the reconcile path restarts every service of the unit (the worker landed first). */
  private async restartServices(force: boolean): Promise<void> {
    const hold = parseWorkerHold(await this.files.read(WORKER_HOLD_FILE));
    if (hold !== undefined) {
      await this.files.remove(WORKER_HOLD_FILE);
      this.logger.info('worker.hold.lifted', { kind: hold.kind });
    }
    this.restarts.ask({ force });
    await this.reconcile.run();
    const out: Record<string, string> = {};
    if (hold !== undefined) out['hold-lifted'] = hold.kind === 'land' ? 'landed' : 'retired';
    const web = this.restarts.outcome(WEB_SERVICE);
    if (web !== undefined) out.web = describeSteps(web.steps);
    const worker = this.restarts.outcome(WORKER_SERVICE);
    if (worker !== undefined) {
      out.worker = worker.drain?.kind === 'finished' ? 'landed, then started again' : describeSteps(worker.steps);
      const restarted = worker.steps.includes('restart') || worker.drain !== undefined;
      const drain: DrainOutcome = worker.drain ?? (force && restarted ? { kind: 'skipped' } : { kind: 'not-running' });
      for (const [key, value] of Object.entries(drainResult(drain))) out[`worker-${key}`] = value;
    }
    const names = [web && 'web', worker && 'worker'].filter((n) => typeof n === 'string');
    out.message =
      names.length === 0 ? 'No Concourse service on this unit' : `Restarted: ${names.join(' and ')} (see juju status)`;
    await this.tools.actionSet(out);
  }
}

function describeSteps(steps: readonly ServiceStep[]): string {
  if (steps.includes('restart')) return 'restarted';
  if (steps.includes('start')) return 'started';
  return 'unchanged';
}
