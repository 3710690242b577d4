// Hooks: removes releases the domain says may go (release-gc), under the install lock so no publish or switch
// runs meanwhile. Best effort: a busy or locked volume leaves them for a later hook.

import { inject, injectable } from 'inversify';
import { releasesToRemove } from '../../domain/release-gc';
import { BINARY_STORE, type BinaryStore } from '../../ports/binary-store';
import { LOCK, type Lock } from '../../ports/lock';
import { LOGGER, type Logger } from '../../ports/logger';

@injectable()
export class ReleaseCollector {
  constructor(
    @inject(BINARY_STORE) private readonly store: BinaryStore,
    @inject(LOCK) private readonly lock: Lock,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  async collect(target: string, keep: number): Promise<void> {
    const releases = await this.store.listReleases();
    if (releases.length <= keep) return;
    const handle = await this.lock.tryAcquire();
    if (handle === undefined) return;
    try {
      const states = await this.store.readUnitStates();
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
