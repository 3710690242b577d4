// Hooks: removes releases the domain says may go (release-gc), under the install lock so no publish or switch
// runs meanwhile. Best effort: a busy or locked volume leaves them for a later hook.

import { inject, injectable } from 'inversify';
import { releasesToRemove } from '../../domain/release-gc';
import { LOCK, type Lock } from '../../ports/lock';
import { LOGGER, type Logger } from '../../ports/logger';
import { RELEASE_STORE, type ReleaseStore } from '../../ports/release-store';
import { UNIT_STATE_STORE, type UnitStateStore } from '../../ports/unit-state-store';

@injectable()
export class ReleaseCollector {
  constructor(
    @inject(RELEASE_STORE) private readonly store: ReleaseStore,
    @inject(UNIT_STATE_STORE) private readonly unitStates: UnitStateStore,
    @inject(LOCK) private readonly lock: Lock,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  async collect(target: string, keep: number): Promise<void> {
    const releases = await this.store.listReleases();
    if (releases.length <= keep) return;
    const handle = await this.lock.tryAcquire();
    if (handle === undefined) return;
    try {
      const states = await this.unitStates.readAll();
      const doomed = releasesToRemove({
        releases: (await this.store.listReleases()).map((r) => r.version),
        keep,
        target,
        current: await this.store.currentVersion(),
        inUse: [...states.values()].flatMap((s) => [s.runningVersion, s.targetVersion].filter((v) => v !== undefined)),
      });
      for (const version of doomed) {
        if (handle.lost.aborted) return;
        const outcome = await this.store.removeRelease(version);
        this.logger.info('storage.gc', { version, outcome });
      }
    } finally {
      await handle.release();
    }
  }
}
