// Hooks: a unit leaving (stop, remove) or its Juju volume being detached (concourse-data-storage-detaching). Its
// Concourse services stop first (the worker must not run on a directory about to go); then only this unit's own
// data goes: its worker directory and, with shared-storage=none, its private release store. Shared releases, the
// volume id and other units' directories are never touched (FR-010). Nothing here needs parsed config: a unit
// with invalid config must still leave cleanly.

import { inject, injectable } from 'inversify';
import { drainTimeoutMs } from '../../domain/charm-config';
import { releaseDir, WEB_SERVICE, WORKER_SERVICE } from '../../domain/concourse-services';
import type { HookContext } from '../../domain/hook-event';
import { ConcourseVersion } from '../../domain/version';
import { privateStoreRoot } from '../../domain/volume-layout';
import { WORKER_HOLD_FILE } from '../../domain/worker-hold';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { HOOK_CONTEXT } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { LOCATION_UNIT_STATE_STORE, type UnitStateStore } from '../../ports/unit-state-store';
import { LOCATION_VOLUME_PROBE, type VolumeProbe } from '../../ports/volume-probe';
import { ServiceApplier } from '../reconcile/service-applier';
import { MEMORY_KEYS, UnitMemory, volumeIdentityKey } from '../reconcile/unit-memory';
import type { DrainRequest } from '../reconcile/worker-drainer';
import type { Handler } from '../tokens';

@injectable()
export class UnitRemovalHandler implements Handler {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(LOCATION_VOLUME_PROBE) private readonly volume: VolumeProbe,
    @inject(LOCATION_UNIT_STATE_STORE) private readonly unitStates: UnitStateStore,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(ServiceApplier) private readonly services: ServiceApplier,
    @inject(UnitMemory) private readonly memory: UnitMemory,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(UNIT_FILES) private readonly files: UnitFiles,
  ) {}

  async run(): Promise<void> {
    // The worker goes away for good: it retires (its builds finish first, within worker-drain-timeout).
    await this.services.apply(WORKER_SERVICE, undefined, { drain: await this.retire() });
    await this.services.apply(WEB_SERVICE, undefined);
    // A hold (land-worker, retire-worker) ends with the unit: a later unit on this machine starts its worker.
    if (this.context.event.name === 'remove') await this.files.remove(WORKER_HOLD_FILE);
    if (this.context.event.name.endsWith('-storage-detaching')) {
      // Juju unmounts the volume after this hook: what shows through next is a new start, not a lost mount.
      await this.memory.remember({
        [volumeIdentityKey(this.volume.root)]: '',
        [volumeIdentityKey(privateStoreRoot(this.context.unit.dirName))]: '',
      });
    }
    const facts = await this.volume.inspect();
    // The volume may already be gone (machine removal): nothing of ours is left to clean.
    if (facts.state !== 'ok') {
      this.logger.info('storage.unit.removed', { volume: facts.state });
      return;
    }
    const dir = this.context.unit.dirName;
    await this.unitStates.removeUnitDir(dir);
    await this.unitStates.removeUnitPrivateStore(dir);
    this.logger.info('storage.unit.removed', { dir: `worker/${dir}`, privateStore: `.unit-private/${dir}` });
  }

  private async retire(): Promise<DrainRequest | undefined> {
    const running = await this.memory.get(MEMORY_KEYS.workloadVersion);
    if (running === undefined || !ConcourseVersion.isValid(running)) return undefined;
    return {
      kind: 'retire',
      version: running,
      releaseDir: releaseDir(this.volume.root, ConcourseVersion.parse(running)),
      // Read on its own: a unit whose other options are invalid must still leave, and still drain.
      timeoutMs: drainTimeoutMs(await this.tools.configGet()),
    };
  }
}
