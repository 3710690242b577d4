// Hooks: the one reconcile path most hooks take (install, config-changed, start, upgrade-charm, update-status,
// leader, relation and secret events): check the volume, publish what this unit sees, install the target release,
// run the Concourse components this unit's roles call for, report. Hook-tool calls are kept few (each is a round
// trip to the Juju agent): memory and relation data are written only on change.

import { inject, injectable } from 'inversify';
import type { CharmConfig } from '../../domain/charm-config';
import { ServiceStartFailed } from '../../domain/errors';
import type { HookContext } from '../../domain/hook-event';
import type { InstallPolicy } from '../../domain/install-policy';
import { ROLES_KEY, RUNNING_VERSION_KEY, VOLUME_ID_KEY } from '../../domain/peer-data';
import {
  type ConvergePlan,
  failedStartProblem,
  planReconcile,
  type ReconcileSnapshot,
} from '../../domain/reconcile-plan';
import { formatRoles, rolesFor } from '../../domain/roles';
import { joinStatus, unitStatus } from '../../domain/status';
import { ConcourseVersion } from '../../domain/version';
import type { VolumeFacts } from '../../domain/volume';
import {
  formatRememberedVolume,
  judgeVolume,
  parseRememberedVolume,
  rememberVolume,
} from '../../domain/volume-identity';
import { STORAGE_LOCATION } from '../../domain/volume-layout';
import { holdStatus } from '../../domain/worker-hold';
import { workerLayout } from '../../domain/worker-layout';
import { CLOCK, type Clock } from '../../ports/clock';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { CHARM_CONFIG, HOOK_CONTEXT } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { MOUNT_TABLE, type MountTable } from '../../ports/mount-table';
import { RELEASE_RESOLVER, type ReleaseResolver } from '../../ports/release-resolver';
import { RELEASE_STORE, type ReleaseStore } from '../../ports/release-store';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { UNIT_STATE_STORE, type UnitStateStore } from '../../ports/unit-state-store';
import { VOLUME_PROBE, type VolumeProbe } from '../../ports/volume-probe';
import { ConcourseRoles } from '../reconcile/concourse-roles';
import { MetricsLink } from '../reconcile/metrics-link';
import { ReconcileSnapshotReader } from '../reconcile/reconcile-snapshot';
import { RelationOutbox } from '../reconcile/relation-outbox';
import type { ReleaseCollector } from '../reconcile/release-collector';
import { quietly, type ReleaseInstaller } from '../reconcile/release-installer';
import { SharedFsMount } from '../reconcile/shared-fs';
import { MEMORY_KEYS, UnitMemory, volumeIdentityKey } from '../reconcile/unit-memory';
import { type Handler, INSTALL_POLICY, RELEASE_COLLECTOR, RELEASE_INSTALLER } from '../tokens';

@injectable()
export class ReconcileHandler implements Handler {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(VOLUME_PROBE) private readonly volume: VolumeProbe,
    @inject(RELEASE_STORE) private readonly releases: ReleaseStore,
    @inject(UNIT_STATE_STORE) private readonly unitStates: UnitStateStore,
    @inject(INSTALL_POLICY) private readonly policy: InstallPolicy,
    @inject(RELEASE_INSTALLER) private readonly installer: ReleaseInstaller,
    @inject(RELEASE_COLLECTOR) private readonly collector: ReleaseCollector,
    @inject(UnitMemory) private readonly memory: UnitMemory,
    @inject(RelationOutbox) private readonly outbox: RelationOutbox,
    @inject(ConcourseRoles) private readonly concourse: ConcourseRoles,
    @inject(ReconcileSnapshotReader) private readonly snapshots: ReconcileSnapshotReader,
    @inject(RELEASE_RESOLVER) private readonly resolver: ReleaseResolver,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(MOUNT_TABLE) private readonly mounts: MountTable,
    @inject(UNIT_FILES) private readonly files: UnitFiles,
    @inject(SharedFsMount) private readonly sharedFs: SharedFsMount,
    @inject(MetricsLink) private readonly metrics: MetricsLink,
  ) {}

  async run(): Promise<void> {
    // What other units should learn from this unit is written even when the hook ends blocked or waiting, so they
    // can still count who shares the volume and authorize this unit's worker.
    try {
      await this.reconcile();
    } catch (error) {
      // Never let a failed write hide why the hook stopped.
      await quietly(() => this.outbox.flush(), this.logger, 'relations.publish.failed');
      throw error;
    }
    await this.outbox.flush();
  }

  private async reconcile(): Promise<void> {
    const leader = await this.tools.isLeader();
    // Published before anything that can fail or wait (a volume check, a download, a storage wait): Juju tells a
    // deposed leader nothing, so in mode=auto this write is how the old leader learns to stop its web, and it is
    // committed even when this hook ends blocked or waiting.
    this.outbox.toPeers({ [ROLES_KEY]: formatRoles(rolesFor(this.config.mode, leader)) });
    // shared-fs relation: mount, remount or release NFS/CephFS at the location; attachVolume then adopts it.
    await this.sharedFs.converge();
    const { facts, volumeId } = await this.attachVolume();
    const plan = await this.plan(await this.snapshots.read(leader, { id: volumeId, root: this.volume.root }));
    // Offered whatever happens next (a database still to come, a start to retry): it depends on config alone.
    const metricsHint = await this.metrics.offer(plan.roles, leader);
    const layout = workerLayout({
      unit: this.context.unit,
      volumeRoot: this.volume.root,
      volumeIsNetworkFilesystem: facts.networkFilesystem,
      workDirOverride: this.config.workerWorkDir,
    });
    const record = (running: ConcourseVersion | undefined) =>
      this.unitStates.write(layout.unitDirName, {
        unit: this.unit,
        roles: [...plan.roles],
        runningVersion: running?.toString(),
        targetVersion: plan.target.toString(),
        workDir: layout.workDir,
        updatedAt: new Date(this.clock.now()).toISOString(),
      });
    if (plan.beforeInstall.record) await record(plan.previous);
    if (plan.beforeInstall.collect) await this.collect(plan.target);
    await this.installer.ensure(plan.run, { quiet: plan.quietInstall });
    if (plan.switchCurrent) await this.switchCurrent(plan.target);
    const input = { roles: plan.roles, leader, volumeRoot: this.volume.root, volumeId, layout };
    let url: string | undefined;
    let paused: string | undefined;
    try {
      const outcome = await this.concourse.converge({ ...input, version: plan.run });
      url = outcome.url;
      paused = outcome.workerHold === undefined ? undefined : holdStatus(outcome.workerHold);
    } catch (error) {
      if (!(error instanceof ServiceStartFailed) || plan.fallback === undefined) throw error;
      const fallback = plan.fallback;
      // The new release does not start here: back onto the release that ran, and stay there for this attempt, so
      // the workers (which wait for a web on the target) stay on it too.
      this.logger.error('concourse.switch.failed', {
        version: plan.run.toString(),
        previous: fallback.toString(),
        error: error.message,
      });
      // Remembered first: if the previous release fails too, the next hooks still hold on it instead of trying the
      // target again on every hook.
      await this.memory.remember({ [MEMORY_KEYS.startFailed]: plan.attempt });
      try {
        await this.concourse.converge({ ...input, version: fallback });
      } catch (back) {
        if (!(back instanceof ServiceStartFailed)) throw back;
        this.logger.error('concourse.revert.failed', { version: fallback.toString(), error: back.message });
        throw failedStartProblem({ run: plan.run, fallback }, error.message, back.message);
      }
      await this.switchCurrent(fallback);
      await record(fallback);
      this.outbox.toPeers({ [RUNNING_VERSION_KEY]: fallback.toString() });
      throw failedStartProblem({ run: plan.run, fallback }, error.message);
    }
    const v = plan.run.toString();
    await record(plan.run);
    if (plan.publishRunning) this.outbox.toPeers({ [RUNNING_VERSION_KEY]: v });
    if (plan.afterStart.announce) {
      this.logger.info('concourse.version.running', { version: v, previous: plan.previous?.toString() ?? 'none' });
      await this.tools.applicationVersionSet(v);
      await this.memory.remember({ [MEMORY_KEYS.workloadVersion]: v });
    }
    if (plan.afterStart.collect) await this.collect(plan.target);
    const { status, message } = unitStatus({ ...plan.status, url, paused });
    await this.tools.statusSet(status, joinStatus(message, metricsHint));
  }

  /**
   * The planner's decision; when it asks for the latest release (the leader, with no version anywhere), that is
   * resolved once and the plan made again with it. A plan that stops writes the target it chose, then says why.
   */
  private async plan(snapshot: ReconcileSnapshot): Promise<ConvergePlan> {
    let plan = planReconcile(snapshot);
    if (plan.kind === 'resolve-latest') {
      const latest = ConcourseVersion.parse(await this.resolver.latest(), 'target version');
      this.logger.info('release.latest.resolved', { version: latest.toString() });
      plan = planReconcile({ ...snapshot, latest });
    }
    if (plan.kind === 'resolve-latest') throw new Error('the planner asked for the latest release twice');
    if (Object.keys(plan.peerAppWrites).length > 0) this.outbox.toPeerApp(plan.peerAppWrites);
    if (plan.kind === 'stop') throw plan.problem;
    return plan;
  }

  /**
   * The volume this unit uses: the one it used before, or a new one mounted at the location, which it adopts (the
   * release is reused or installed once on it, its worker dir and services move onto it). A mount that went away
   * blocks. With no mount and no Juju storage, the plain directory is created and used.
   */
  private async attachVolume(): Promise<{ facts: VolumeFacts; volumeId: string }> {
    const location = STORAGE_LOCATION;
    const mount = await this.mounts.mountAt(location);
    // Keyed by the store's root: switching shared-storage moves the unit to another store, not to a wrong volume.
    const identityKey = volumeIdentityKey(this.volume.root);
    const remembered = parseRememberedVolume(await this.memory.get(identityKey));
    const mountLost = mount === undefined && remembered?.attachment.kind === 'mounted';
    if (this.config.sharedStorage === 'none' && !mountLost) await this.volume.ensureRoot();
    let facts = await this.volume.inspect();
    if (facts.state === 'missing' && mount === undefined && !mountLost) {
      // No Juju storage and nothing mounted: the charm's own directory on the machine's disk.
      await this.files.ensureDirectory({ path: location, mode: 0o755, owner: 'root', group: 'root' });
      if (this.config.sharedStorage === 'none') await this.volume.ensureRoot();
      facts = await this.volume.inspect();
    }
    // A lost mount is said as such (judgeVolume), not as the bare directory's state.
    if (!mountLost) this.policy.assessVolume(facts);
    const verdict = judgeVolume({ remembered, seenId: facts.volumeId, mount, location });
    if (mountLost) this.policy.assessVolume(facts);
    if (verdict.kind === 'adopt') {
      this.logger.info('storage.adopted', { previous: verdict.previous, reason: verdict.reason, location });
      await this.tools.statusSet('maintenance', `Adopting the volume at ${location}: ${verdict.reason}`);
    }
    const volumeId = await this.volume.ensureVolumeId();
    await this.memory.remember({ [identityKey]: formatRememberedVolume(rememberVolume(volumeId, mount)) });
    this.outbox.toPeers({ [VOLUME_ID_KEY]: volumeId });
    return { facts, volumeId };
  }

  /** `current` (and `bin`, `.installed_version`) follow what this application runs: the target, once switched to. */
  private async switchCurrent(version: ConcourseVersion): Promise<void> {
    const v = version.toString();
    if ((await this.releases.currentVersion()) === v) return;
    await this.releases.switchCurrent(v);
    this.logger.info('storage.current.switched', { version: v });
  }

  /** Garbage collection is housekeeping: its failure (EACCES on a root-squashed NFS...) must not fail the hook. */
  private async collect(target: ConcourseVersion): Promise<void> {
    await quietly(
      () => this.collector.collect(target.toString(), this.config.keepReleases),
      this.logger,
      'storage.gc.failed',
    );
  }

  private get unit(): string {
    return this.context.unit.name;
  }
}
