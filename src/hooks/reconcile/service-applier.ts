// Hooks: brings one systemd service to what the domain's plan says: files written (atomically, with their modes),
// daemon-reload only when a unit file changed, enabled, started, restarted once for any number of changed files,
// reloaded when only the worker keys changed, or stopped and disabled when the unit no longer has the role. The
// fingerprint is remembered only after every step succeeded, so a failed step is retried by the next hook.

import { inject, injectable } from 'inversify';
import type { ConcourseServiceName } from '../../domain/concourse-services';
import { CharmProblem } from '../../domain/errors';
import { type DesiredService, planService, planSteps, serviceFiles } from '../../domain/service-plan';
import { LOGGER, type Logger } from '../../ports/logger';
import { SERVICE_MANAGER, type ServiceManager } from '../../ports/service-manager';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { appliedKey, UnitMemory } from './unit-memory';

export interface ApplyOutcome {
  /** The service is running now (or, with `desired` undefined, stopped). */
  readonly running: boolean;
  readonly restarted: boolean;
}

@injectable()
export class ServiceApplier {
  constructor(
    @inject(SERVICE_MANAGER) private readonly systemd: ServiceManager,
    @inject(UNIT_FILES) private readonly files: UnitFiles,
    @inject(UnitMemory) private readonly memory: UnitMemory,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  async apply(name: ConcourseServiceName, desired: DesiredService | undefined): Promise<ApplyOutcome> {
    const key = appliedKey(name);
    const applied = await this.memory.get(key);
    // A service this unit never ran and should not run costs no systemctl call.
    if (desired === undefined && applied === undefined) return { running: false, restarted: false };
    const active = await this.systemd.isActive(name);
    const plan = planService({ desired, applied, active });
    const steps = planSteps(plan);
    for (const step of steps) {
      switch (step) {
        case 'write':
          for (const file of desired === undefined ? [] : serviceFiles(desired)) {
            if (await this.files.write(file))
              this.logger.info('service.file.written', { service: name, path: file.path });
          }
          break;
        case 'daemon-reload':
          await this.systemd.daemonReload();
          break;
        case 'enable':
          await this.systemd.enable(name);
          break;
        case 'start':
          await this.startOrExplain(name, () => this.systemd.start(name), 'start');
          break;
        case 'restart':
          await this.startOrExplain(name, () => this.systemd.restart(name), 'restart');
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
    await this.memory.remember({ [key]: plan.fingerprint ?? '' });
    return { running: desired !== undefined, restarted: plan.restart };
  }

  /** A service that does not come up is the operator's to look at: blocked, naming where to look; retried later. */
  private async startOrExplain(name: string, run: () => Promise<void>, verb: string): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.logger.error('service.start.failed', { service: name, verb, error: String(error) });
      throw new CharmProblem(
        'blocked',
        `${name} failed to ${verb}: see systemctl status ${name} and journalctl -u ${name} (retried on the next hook)`,
        { cause: error },
      );
    }
  }
}
