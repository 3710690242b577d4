// Hooks: drains the local worker before the applier stops or restarts it: sends land or retire once, records it on
// the unit, then waits in this hook (status saying how many containers and how long) until the worker exited or the
// drain timeout passed, never longer. A drain recorded by an earlier hook goes on with its own deadline.

import { inject, injectable } from 'inversify';
import { CONCOURSE_CONFIG_DIR, WORKER_SERVICE } from '../../domain/concourse-services';
import {
  DRAIN_SIGNALS,
  type DrainKind,
  drainStatus,
  formatDrainRecord,
  nextDrainStep,
  parseDrainRecord,
} from '../../domain/worker-drain';
import type { DrainOutcome } from '../../domain/worker-hold';
import { CLOCK, type Clock } from '../../ports/clock';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { LOGGER, type Logger } from '../../ports/logger';
import { SERVICE_MANAGER, type ServiceManager } from '../../ports/service-manager';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { WORKER_CONTAINERS, type WorkerContainers } from '../../ports/worker-containers';

/** Where the drain in progress is recorded: beside the applied markers, on the unit. */
export const DRAIN_MARKER = `${CONCOURSE_CONFIG_DIR}/.drain-${WORKER_SERVICE}`;
/** How often the worker is looked at while it drains (ms). */
export const DRAIN_POLL_MS = Symbol.for('concourse-ci-machine/DrainPollMs');

export interface DrainRequest {
  readonly kind: DrainKind;
  /** The release the worker runs now, for the status. */
  readonly version: string;
  /** Where that release is (its `ctr` counts the containers). */
  readonly releaseDir: string;
  readonly timeoutMs: number;
}

@injectable()
export class WorkerDrainer {
  constructor(
    @inject(SERVICE_MANAGER) private readonly systemd: ServiceManager,
    @inject(UNIT_FILES) private readonly files: UnitFiles,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(WORKER_CONTAINERS) private readonly containers: WorkerContainers,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(DRAIN_POLL_MS) private readonly pollMs: number,
  ) {}

  /** Returns once the worker exited or the timeout passed; the caller's stop or restart then does the rest. */
  async drain(request: DrainRequest): Promise<DrainOutcome> {
    for (;;) {
      const record = parseDrainRecord(await this.files.read(DRAIN_MARKER));
      const step = nextDrainStep({
        wanted: request.kind,
        active: await this.systemd.isActive(WORKER_SERVICE),
        record,
        now: this.clock.now(),
        timeoutMs: request.timeoutMs,
        version: request.version,
      });
      switch (step.kind) {
        case 'signal':
          await this.systemd.signal(WORKER_SERVICE, DRAIN_SIGNALS[step.record.kind]);
          await this.files.write(marker(formatDrainRecord(step.record)));
          this.logger.info('worker.drain.start', { kind: step.record.kind, version: step.record.version });
          break;
        case 'wait': {
          const containers = await this.containers.count(request.releaseDir);
          await this.tools.statusSet('maintenance', drainStatus(step.record, containers, step.leftMs));
          await this.clock.sleep(Math.min(this.pollMs, step.leftMs));
          break;
        }
        case 'drained': {
          if (record === undefined) return { kind: 'not-running' };
          const ms = this.clock.now() - record.startedAt;
          await this.files.write(marker(''));
          this.logger.info('worker.drain.done', { kind: record.kind, ms });
          return { kind: 'finished', ms };
        }
        case 'timed-out': {
          const containers = await this.containers.count(request.releaseDir);
          await this.files.write(marker(''));
          this.logger.warn('worker.drain.timeout', {
            kind: step.record.kind,
            version: step.record.version,
            containers: containers ?? 'unknown',
          });
          return { kind: 'timed-out', ms: this.clock.now() - step.record.startedAt, containers };
        }
      }
    }
  }
}

function marker(content: string) {
  return { path: DRAIN_MARKER, content, mode: 0o600, owner: 'root', group: 'root' };
}
