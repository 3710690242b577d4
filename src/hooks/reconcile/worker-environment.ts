// Hooks: the worker settings chosen from the machine (worker-defaults.ts): reads the facts, decides, and says what
// was chosen and why in the log (mirrored to juju-log) once per change, remembering it for storage-status.

import { inject, injectable } from 'inversify';
import type { CharmConfig } from '../../domain/charm-config';
import type { OperatorFlag } from '../../domain/concourse-options';
import { chooseWorkerDefaults, formatWorkerDefaults } from '../../domain/worker-defaults';
import { CHARM_CONFIG } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { WORKER_HOST, type WorkerHost } from '../../ports/worker-host';
import { MEMORY_KEYS, UnitMemory } from './unit-memory';

@injectable()
export class WorkerEnvironment {
  constructor(
    @inject(WORKER_HOST) private readonly host: WorkerHost,
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(UnitMemory) private readonly memory: UnitMemory,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The settings the worker whose work dir is `workDir` gets on top of the operator's. */
  async flags(workDir: string): Promise<readonly OperatorFlag[]> {
    const defaults = chooseWorkerDefaults(await this.host.facts(workDir), this.config.workerDefaults);
    const remembered = formatWorkerDefaults(defaults);
    if ((await this.memory.get(MEMORY_KEYS.workerDefaults)) !== remembered) {
      this.logger.info('worker.defaults.chosen', {
        host: defaults.host,
        'baggageclaim-driver': defaults.driver.value,
        'driver-reason': defaults.driver.reason,
        dns: defaults.dns.value,
        'dns-reason': defaults.dns.reason,
      });
      await this.memory.remember({ [MEMORY_KEYS.workerDefaults]: remembered });
    }
    return defaults.flags;
  }
}
