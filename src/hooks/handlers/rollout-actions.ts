// Hooks: the `upgrade` and `rollback` actions, run on the leader. Each fetches or finds the release first (upgrade,
// to the given version or the latest release on GitHub, downloads it once through the store; rollback only accepts a release already on the volume, so it needs no
// download), and only then sets the application's target version: a failure changes nothing and every unit stays
// where it is. The leader then switches itself in the same action; the other units follow on the peer event the
// new target causes (web units first, workers once a web runs it), and the leader's status tracks the progress.

import { inject, injectable } from 'inversify';
import { z } from 'zod';
import type { CharmConfig } from '../../domain/charm-config';
import { releaseDir } from '../../domain/concourse-services';
import { CharmProblem, InvalidInputError } from '../../domain/errors';
import type { HookContext } from '../../domain/hook-event';
import { TARGET_VERSION_KEY } from '../../domain/peer-data';
import { parsePeerReports } from '../../domain/reconcile-plan';
import {
  downMigrationFor,
  newTarget,
  rollbackTarget,
  rolloutProgress,
  type UnitReport,
} from '../../domain/upgrade-coordinator';
import { ConcourseVersion } from '../../domain/version';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { CHARM_CONFIG, HOOK_CONTEXT } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { PEER_RELATION, type PeerRelation } from '../../ports/peer-relation';
import { RELEASE_RESOLVER, type ReleaseResolver } from '../../ports/release-resolver';
import { RELEASE_STORE, type ReleaseStore } from '../../ports/release-store';
import { SCHEMA_MIGRATOR, type SchemaMigrator } from '../../ports/schema-migrator';
import { VOLUME_PROBE, type VolumeProbe } from '../../ports/volume-probe';
import { PostgresLink } from '../reconcile/postgres-link';
import { ReconcileSnapshotReader } from '../reconcile/reconcile-snapshot';
import { RelationOutbox } from '../reconcile/relation-outbox';
import type { ReleaseInstaller } from '../reconcile/release-installer';
import { type Handler, RELEASE_INSTALLER } from '../tokens';
import { parseActionParams } from './action-params';
import { ReconcileHandler } from './reconcile';

const versionParams = z.object({ version: z.string().optional() }).strict();

@injectable()
export class RolloutAction implements Handler {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(PEER_RELATION) private readonly peers: PeerRelation,
    @inject(RELEASE_STORE) private readonly store: ReleaseStore,
    @inject(RELEASE_INSTALLER) private readonly installer: ReleaseInstaller,
    @inject(RelationOutbox) private readonly outbox: RelationOutbox,
    @inject(ReconcileSnapshotReader) private readonly snapshots: ReconcileSnapshotReader,
    @inject(ReconcileHandler) private readonly reconcile: ReconcileHandler,
    @inject(RELEASE_RESOLVER) private readonly resolver: ReleaseResolver,
    @inject(SCHEMA_MIGRATOR) private readonly migrator: SchemaMigrator,
    @inject(PostgresLink) private readonly postgres: PostgresLink,
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(VOLUME_PROBE) private readonly volume: VolumeProbe,
  ) {}

  private chooseTarget(requested: ConcourseVersion | undefined): Promise<ConcourseVersion> {
    return this.context.event.name === 'rollback' ? this.rollbackTarget(requested) : this.upgradeTarget(requested);
  }

  async run(): Promise<void> {
    const { version } = parseActionParams(versionParams, await this.tools.actionGet());
    const requested =
      version === undefined || version.trim() === '' ? undefined : ConcourseVersion.parse(version, 'version parameter');
    const name = this.context.event.name;
    if (!(await this.tools.isLeader())) {
      throw new InvalidInputError(`Run ${name} on the leader: juju run ${this.context.unit.app}/leader ${name}`);
    }
    const previous = (await this.peers.appData())[TARGET_VERSION_KEY];
    const target = await this.chooseTarget(requested);
    const t = target.toString();
    // Fetched (or found) before anything changes: a failed download fails the action and leaves every unit as is.
    await this.installer.ensure(target);
    if (name === 'rollback') await this.migrateDatabaseDown(target);
    // A new attempt even for the same version: running upgrade again is how an operator retries a failed switch.
    this.outbox.toPeerApp(newTarget(await this.peers.appData(), target));
    await this.outbox.flush();
    await this.tools.actionLog(`Target set to ${t}; switching the leader, then the other units (web first)`);
    // The target is set (committed with this action): from here on the action reports, it does not fail.
    let leaderProblem: string | undefined;
    try {
      await this.reconcile.run();
    } catch (error) {
      if (!(error instanceof CharmProblem)) throw error;
      leaderProblem = error.message;
      await this.tools.statusSet(error.status, error.message);
    }

    const self: UnitReport = { unit: this.context.unit.name, roles: [], running: await this.snapshots.running() };
    const volumeId = (await this.volume.inspect()).volumeId;
    const onVolume = volumeId === undefined ? undefined : { volumeId, running: await this.snapshots.volumeRunning() };
    const reports = [self, ...parsePeerReports(await this.snapshots.peerBags(), onVolume)];
    const progress = rolloutProgress(target, reports);
    const units: Record<string, string> = {};
    for (const u of reports) {
      units[`units.${u.unit.replace('/', '-')}`] =
        u.running?.equals(target) === true
          ? `${t} (switched)`
          : `${u.running?.toString() ?? 'not running'} (switches to ${t} next)`;
    }
    await this.tools.actionSet({
      version: t,
      previous: previous ?? '',
      message:
        leaderProblem !== undefined
          ? `Target set to ${t}, but the leader cannot switch yet: ${leaderProblem}`
          : progress.complete
            ? `All ${progress.total} units run ${t}`
            : `${progress.done}/${progress.total} units run ${t}; the others follow (web first): watch juju status`,
      ...units,
    });
  }

  /**
   * Before an older release runs, the database goes back to the schema it knows, migrated by the newer (running)
   * binary: Concourse only migrates forward by itself. A worker-only application has no database.
   */
  private async migrateDatabaseDown(target: ConcourseVersion): Promise<void> {
    if (this.config.mode === 'worker') return;
    const running = await this.runningVersion();
    if (running === undefined) return;
    const runningDir = releaseDir(this.store.root, running);
    const schema = downMigrationFor(
      await this.migrator.supportedSchema(runningDir),
      await this.migrator.supportedSchema(releaseDir(this.store.root, target)),
    );
    if (schema === undefined) return;
    const db = await this.postgres.connection();
    await this.tools.actionLog(`Migrating the database down to schema ${schema} (for ${target.toString()})`);
    this.logger.info('database.migrate.down', { from: running.toString(), to: target.toString(), schema });
    try {
      await this.migrator.migrateTo(runningDir, schema, db);
    } catch (error) {
      throw new CharmProblem(
        'blocked',
        `Migrating the database down to schema ${schema} for ${target.toString()} failed (${error instanceof Error ? error.message : String(error)}): nothing was switched`,
        { cause: error },
      );
    }
  }

  private async upgradeTarget(requested: ConcourseVersion | undefined): Promise<ConcourseVersion> {
    return requested ?? ConcourseVersion.parse(await this.resolver.latest(), 'latest release');
  }

  private async rollbackTarget(requested: ConcourseVersion | undefined): Promise<ConcourseVersion> {
    const available = (await this.store.listReleases()).filter((r) => r.state === 'published').map((r) => r.version);
    if (requested !== undefined) {
      if (!available.includes(requested.toString())) {
        throw new InvalidInputError(
          `Concourse ${requested.toString()} is not on the volume (there: ${available.join(', ') || 'none'}): rollback needs no download, use upgrade to fetch it; nothing was changed`,
        );
      }
      return requested;
    }
    const running = await this.runningVersion();
    const target = running === undefined ? undefined : rollbackTarget(running, available);
    if (target === undefined) {
      throw new InvalidInputError(
        `No release older than ${running?.toString() ?? 'the running one'} on the volume to roll back to; nothing was changed`,
      );
    }
    return target;
  }

  /** What this unit runs (remembered), or else what `current` points to. */
  private async runningVersion(): Promise<ConcourseVersion | undefined> {
    return (await this.snapshots.running()) ?? ConcourseVersion.tryParse(await this.store.currentVersion());
  }
}
