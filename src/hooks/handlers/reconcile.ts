// Hooks: the one reconcile path most hooks take (install, config-changed, start, upgrade-charm, update-status,
// leader and peer events): check the volume, publish what this unit sees, install the target release, report.

import { inject, injectable } from 'inversify';
import type { CharmConfig } from '../../domain/charm-config';
import { InvalidInputError } from '../../domain/errors';
import type { HookContext } from '../../domain/hook-event';
import type { InstallPolicy } from '../../domain/install-policy';
import { describeRoles, rolesFor } from '../../domain/roles';
import { joinStatus } from '../../domain/status';
import type { ConcourseVersion } from '../../domain/version';
import { checkVolumeIdentity, REMEMBERED_VOLUME_KEY } from '../../domain/volume-identity';
import { detectSharing, enforceSharingMode, type Sharing, VOLUME_ID_KEY } from '../../domain/volume-sharing';
import { workerLayout } from '../../domain/worker-layout';
import { BINARY_STORE, type BinaryStore } from '../../ports/binary-store';
import { CLOCK, type Clock } from '../../ports/clock';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { LOGGER, type Logger } from '../../ports/logger';
import { CHARM_CONFIG, HOOK_CONTEXT, PEER_RELATION, type PeerRelation } from '../../ports/peer-relation';
import type { ReleaseCollector } from '../reconcile/release-collector';
import type { ReleaseInstaller } from '../reconcile/release-installer';
import { type Handler, INSTALL_POLICY, RELEASE_COLLECTOR, RELEASE_INSTALLER } from '../tokens';

export const INSTALLED_VERSION_KEY = 'installed-version';
export const ROLES_KEY = 'roles';

@injectable()
export class ReconcileHandler implements Handler {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(PEER_RELATION) private readonly peers: PeerRelation,
    @inject(BINARY_STORE) private readonly store: BinaryStore,
    @inject(INSTALL_POLICY) private readonly policy: InstallPolicy,
    @inject(RELEASE_INSTALLER) private readonly installer: ReleaseInstaller,
    @inject(RELEASE_COLLECTOR) private readonly collector: ReleaseCollector,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(): Promise<void> {
    if (this.config.sharedStorage === 'none') await this.store.ensureRoot();
    const facts = await this.store.inspect();
    this.policy.assessVolume(facts);
    const remembered = await this.tools.stateGet(REMEMBERED_VOLUME_KEY);
    checkVolumeIdentity({ remembered, seen: facts.volumeId, location: facts.path });
    const volumeId = await this.store.ensureVolumeId();
    if (remembered !== volumeId) await this.tools.stateSet({ [REMEMBERED_VOLUME_KEY]: volumeId });
    const peersReady = await this.peers.exists();
    // Publish what this unit sees first, so peers can count sharers even if this hook ends blocked or waiting.
    if (peersReady) await this.peers.updateLocalUnit({ [VOLUME_ID_KEY]: volumeId });
    const sharing = detectSharing(this.unit, volumeId, peersReady ? await this.peers.peerUnits() : new Map());
    enforceSharingMode(this.config.sharedStorage, sharing, this.store.root);

    const leader = await this.tools.isLeader();
    const roles = rolesFor(this.config.mode, leader);
    const version = this.targetVersion();
    const v = version.toString();
    await this.installer.ensure(version);
    if ((await this.store.currentVersion()) !== v) {
      await this.store.switchCurrent(v);
      this.logger.info('storage.current.switched', { version: v });
    }

    const layout = workerLayout({
      unit: this.context.unit,
      volumeRoot: this.store.root,
      volumeIsNetworkFilesystem: facts.networkFilesystem,
      workDirOverride: this.config.workerWorkDir,
    });
    await this.store.writeUnitState(layout.unitDirName, {
      unit: this.unit,
      roles: [...roles],
      runningVersion: v,
      updatedAt: new Date(this.clock.now()).toISOString(),
    });
    if (peersReady) {
      await this.peers.updateLocalUnit({ [INSTALLED_VERSION_KEY]: v, [ROLES_KEY]: roles.join(',') });
    }
    if (leader) await this.collector.collect(v, this.config.keepReleases);
    await this.tools.applicationVersionSet(v);
    await this.tools.statusSet(
      'active',
      joinStatus(`${describeRoles(roles)} role, Concourse ${v} installed`, describeSharing(sharing, this.config)),
    );
  }

  private targetVersion(): ConcourseVersion {
    if (this.config.version === undefined) {
      throw new InvalidInputError(
        'No Concourse version set: run juju config <application> version=7.14.2 (following the latest release is not supported yet)',
      );
    }
    return this.config.version;
  }

  private get unit(): string {
    return this.context.unit.name;
  }
}

function describeSharing(sharing: Sharing, config: CharmConfig): string {
  if (config.sharedStorage === 'none') return 'private release store';
  return sharing.units.length > 1 ? `shared volume ${sharing.units.length} units` : 'volume not shared';
}
