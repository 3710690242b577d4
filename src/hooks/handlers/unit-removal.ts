// Hooks: a unit leaving (concourse-data-storage-detaching, stop, remove). Its Concourse services stop first (the
// worker must not run on a directory about to go); then only this unit's own directory goes: shared releases, the
// volume id and other units' directories are never touched (FR-010).

import { inject, injectable } from 'inversify';
import { WEB_SERVICE, WORKER_SERVICE } from '../../domain/concourse-services';
import type { HookContext } from '../../domain/hook-event';
import { BINARY_STORE, type BinaryStore } from '../../ports/binary-store';
import { LOGGER, type Logger } from '../../ports/logger';
import { HOOK_CONTEXT } from '../../ports/peer-relation';
import { ServiceApplier } from '../reconcile/service-applier';
import type { Handler } from '../tokens';

@injectable()
export class UnitRemovalHandler implements Handler {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(BINARY_STORE) private readonly store: BinaryStore,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(ServiceApplier) private readonly services: ServiceApplier,
  ) {}

  async run(): Promise<void> {
    await this.services.apply(WORKER_SERVICE, undefined);
    await this.services.apply(WEB_SERVICE, undefined);
    const facts = await this.store.inspect();
    // The volume may already be gone (machine removal): nothing of ours is left to clean.
    if (facts.state !== 'ok') {
      this.logger.info('storage.unit.removed', { volume: facts.state });
      return;
    }
    await this.store.removeUnitDir(this.context.unit.dirName);
    this.logger.info('storage.unit.removed', { dir: `worker/${this.context.unit.dirName}` });
  }
}
