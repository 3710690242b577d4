// Hooks: brings one systemd service to what the domain's plan says: files written (atomically, with their modes),
// daemon-reload only when a unit file changed, enabled, started, restarted once for any number of changed files,
// reloaded when only the worker keys changed, or stopped and disabled when the unit no longer has the role.
//
// What was applied is a fingerprint in a file next to the env files (/etc/concourse/.applied-<service>), written only
// after every step succeeded and cleared as soon as the service's files change: a failed step is retried by the next
// hook, and a hook that fails *after* a successful restart (Juju then retries it) does not restart again. Juju's unit
// state would not do: Juju keeps it only when the whole hook succeeds, while a restart takes effect at once.

import { inject, injectable } from 'inversify';
import {
  CONCOURSE_CONFIG_DIR,
  type ConcourseServiceName,
  type RenderedFile,
  WEB_SERVICE,
  WEB_UNIT_FILE,
  WORKER_UNIT_FILE,
} from '../../domain/concourse-services';
import { ServiceStartFailed } from '../../domain/errors';
import { type DesiredService, planService, planSteps, type ServiceStep, serviceFiles } from '../../domain/service-plan';
import { nonEmpty } from '../../domain/text';
import { infoUrl, judgeInfo, notServingMessage } from '../../domain/web-readiness';
import type { DrainOutcome } from '../../domain/worker-hold';
import { CLOCK, type Clock } from '../../ports/clock';
import { LOGGER, type Logger } from '../../ports/logger';
import { SERVICE_MANAGER, type ServiceManager } from '../../ports/service-manager';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { WEB_PROBE, type WebProbe } from '../../ports/web-probe';
import { type DrainRequest, WorkerDrainer } from './worker-drainer';

/** How long a started service must stay up before it counts as started (ms). */
export const START_SETTLE_MS = Symbol.for('concourse-ci-machine/StartSettleMs');
/** How long a started web may take to serve /api/v1/info, and how often to ask; undefined: do not ask. */
export const WEB_READY_TIMING = Symbol.for('concourse-ci-machine/WebReadyTiming');
export interface WebReadyTiming {
  readonly timeoutMs: number;
  readonly pollMs: number;
}

/** What apply did: the systemd steps taken, and how the drain before them ended (when there was one). */
export interface Applied {
  readonly steps: readonly ServiceStep[];
  readonly drain: DrainOutcome | undefined;
}

/** What a started service must answer before it counts as started: the web's API, with the version it runs. */
export interface ServingCheck {
  readonly webPort: number;
  readonly version: string;
}

@injectable()
export class ServiceApplier {
  constructor(
    @inject(SERVICE_MANAGER) private readonly systemd: ServiceManager,
    @inject(UNIT_FILES) private readonly files: UnitFiles,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(START_SETTLE_MS) private readonly settleMs: number,
    @inject(WEB_PROBE) private readonly probe: WebProbe,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(WEB_READY_TIMING) private readonly readyTiming: WebReadyTiming | undefined,
    @inject(WorkerDrainer) private readonly drainer: WorkerDrainer,
  ) {}

  /**
   * `serving`: the started web must answer /api/v1/info with that version. `drain`: a running worker is drained
   * (landed or retired) before it is restarted or stopped.
   */
  async apply(
    name: ConcourseServiceName,
    desired: DesiredService | undefined,
    options: { readonly serving?: ServingCheck; readonly drain?: DrainRequest; readonly restart?: boolean } = {},
  ): Promise<Applied> {
    const { serving, drain, restart } = options;
    const marker = appliedMarker(name);
    const applied = await this.applied(name);
    let onDisk = applied;
    // A service this unit never ran and should not run costs no systemctl call; its unit file tells (a service
    // started in a hook that then failed has a file but no remembered fingerprint, and must still be stopped).
    if (desired === undefined && applied === undefined && (await this.files.read(unitFileOf(name))) === undefined) {
      return { steps: [], drain: undefined };
    }
    let active = await this.systemd.isActive(name);
    let plan = planService({ desired, applied, active, restart });
    let drained: DrainOutcome | undefined;
    if (drain !== undefined && active && (plan.restart || plan.stop)) {
      drained = await this.drainer.drain(drain);
      // A worker that landed has exited: started again rather than restarted.
      active = await this.systemd.isActive(name);
      plan = planService({ desired, applied, active, restart });
    }
    const steps = planSteps(plan);
    for (const step of steps) {
      switch (step) {
        case 'write':
          for (const file of desired === undefined ? [] : serviceFiles(desired)) {
            if (await this.files.write(file))
              this.logger.info('service.file.written', { service: name, path: file.path });
          }
          // The files on disk are no longer what the remembered fingerprint describes: forget it until every step
          // succeeded, so a later apply (a revert in this hook, or the next hook) rewrites and restarts.
          if (onDisk !== undefined) {
            await this.files.write(marker(''));
            onDisk = undefined;
          }
          break;
        case 'daemon-reload':
          await this.systemd.daemonReload();
          break;
        case 'enable':
          await this.systemd.enable(name);
          break;
        case 'start':
          await this.startOrExplain(name, () => this.systemd.start(name), 'start', serving);
          break;
        case 'restart':
          await this.startOrExplain(name, () => this.systemd.restart(name), 'restart', serving);
          break;
        case 'reload':
          await this.systemd.reload(name);
          break;
        case 'stop':
          await this.systemd.stop(name);
          break;
        case 'disable':
          await this.systemd.disable(name);
          break;
      }
    }
    if (steps.length > 0) this.logger.info('service.applied', { service: name, steps: steps.join(',') });
    if (plan.fingerprint !== onDisk) await this.files.write(marker(plan.fingerprint ?? ''));
    return { steps, drain: drained };
  }

  /** The fingerprint of what was last applied to the service, undefined when nothing is (or it was cleared). */
  async applied(name: ConcourseServiceName): Promise<string | undefined> {
    return nonEmpty((await this.files.read(appliedMarkerPath(name)))?.trim());
  }

  /**
   * Starts (or restarts), then checks the service is still running a moment later: `systemctl start` of a Type=exec
   * service succeeds once the binary was executed, even if it exits right after. A service that does not come up
   * is the operator's to look at: blocked, naming where to look; retried by the next hook.
   */
  private async startOrExplain(
    name: string,
    run: () => Promise<void>,
    verb: string,
    serving: ServingCheck | undefined,
  ): Promise<void> {
    const explain = (cause: unknown) => {
      this.logger.error('service.start.failed', { service: name, verb, error: String(cause) });
      return new ServiceStartFailed(
        name,
        `${name} failed to ${verb}: see systemctl status ${name} and journalctl -u ${name}`,
        { cause },
      );
    };
    try {
      await run();
    } catch (error) {
      throw explain(error);
    }
    if (this.settleMs > 0) await new Promise((resolve) => setTimeout(resolve, this.settleMs));
    if (!(await this.systemd.isActive(name))) throw explain(new Error(`${name} is not active after ${verb}`));
    if (serving !== undefined) await this.waitServing(name, serving);
  }

  /**
   * Asks /api/v1/info until it answers with the expected version, the process dies, or the bound passes; only then
   * is the web started (and the unit publishes running-version, letting workers follow).
   */
  private async waitServing(name: string, check: ServingCheck): Promise<void> {
    const timing = this.readyTiming;
    if (timing === undefined) return;
    const started = this.clock.now();
    const url = infoUrl(check.webPort);
    let last = 'no answer yet';
    for (;;) {
      const left = started + timing.timeoutMs - this.clock.now();
      const verdict = judgeInfo(check.version, await this.probe.info(url, Math.max(1, Math.min(left, 10_000))));
      if (verdict.kind === 'serving') {
        this.logger.info('service.serving', { service: name, version: check.version, ms: this.clock.now() - started });
        return;
      }
      last = verdict.reason;
      const waited = this.clock.now() - started;
      const dead = !(await this.systemd.isActive(name));
      if (dead || waited >= timing.timeoutMs) {
        const message = notServingMessage(
          check.webPort,
          check.version,
          dead ? `${last}, then it stopped` : last,
          waited,
        );
        this.logger.error('service.not-serving', { service: name, version: check.version, reason: last, ms: waited });
        throw new ServiceStartFailed(name, `${message}: see journalctl -u ${name}`);
      }
      await this.clock.sleep(Math.min(timing.pollMs, timing.timeoutMs - waited));
    }
  }
}

function unitFileOf(name: ConcourseServiceName): string {
  return name === WEB_SERVICE ? WEB_UNIT_FILE : WORKER_UNIT_FILE;
}

function appliedMarkerPath(name: ConcourseServiceName): string {
  return `${CONCOURSE_CONFIG_DIR}/.applied-${name}`;
}

function appliedMarker(name: ConcourseServiceName): (fingerprint: string) => RenderedFile {
  return (fingerprint) => ({
    path: appliedMarkerPath(name),
    content: fingerprint === '' ? '' : `${fingerprint}\n`,
    mode: 0o600,
    owner: 'root',
    group: 'root',
  });
}
