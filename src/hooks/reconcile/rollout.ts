// Hooks: the roll-out state of the application as this unit sees it: the target version (the leader sets it in the
// peer application bag; a worker application without a version follows the web it is related to over `flight`),
// whether this unit may switch to it now, and the leader's progress over all units (domain: upgrade-coordinator).

import { inject, injectable } from 'inversify';
import type { CharmConfig } from '../../domain/charm-config';
import { FLIGHT_ENDPOINT, LINK_KEYS } from '../../domain/concourse-links';
import { CharmProblem } from '../../domain/errors';
import type { HookContext } from '../../domain/hook-event';
import { CONFIG_VERSION_KEY, ROLES_KEY, RUNNING_VERSION_KEY, TARGET_VERSION_KEY } from '../../domain/peer-data';
import type { Role } from '../../domain/roles';
import { nonEmpty } from '../../domain/text';
import {
  decideSwitch,
  leaderTarget,
  newTarget,
  type RolloutProgress,
  rolloutProgress,
  type SwitchDecision,
  targetAttempt,
  type UnitReport,
} from '../../domain/upgrade-coordinator';
import { ConcourseVersion } from '../../domain/version';
import { CHARM_CONFIG, HOOK_CONTEXT } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { PEER_RELATION, type PeerRelation } from '../../ports/peer-relation';
import { RELEASE_RESOLVER, type ReleaseResolver } from '../../ports/release-resolver';
import { PeerView } from './peer-view';
import { RelatedUnits } from './related-units';
import { RelationOutbox } from './relation-outbox';

@injectable()
export class Rollout {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(PEER_RELATION) private readonly peers: PeerRelation,
    @inject(PeerView) private readonly peerView: PeerView,
    @inject(RelatedUnits) private readonly related: RelatedUnits,
    @inject(RelationOutbox) private readonly outbox: RelationOutbox,
    @inject(RELEASE_RESOLVER) private readonly resolver: ReleaseResolver,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The version every unit should end on. The leader turns a changed config `version` into the target here; with
   * none anywhere it resolves the latest release once and pins it. A worker application without a version follows
   * the web it is related to over `flight`.
   */
  async target(leader: boolean): Promise<ConcourseVersion> {
    const configVersion = this.config.version?.toString();
    if (configVersion === undefined && this.config.mode === 'worker') {
      const followed = await this.webVersionOverFlight();
      if (followed !== undefined) return ConcourseVersion.parse(followed, 'web version');
    }
    const app = (await this.peers.exists()) ? await this.peers.appData() : {};
    let target = nonEmpty(app[TARGET_VERSION_KEY]) ?? configVersion;
    if (leader) {
      const next = leaderTarget({
        configVersion,
        lastConfigVersion: nonEmpty(app[CONFIG_VERSION_KEY]),
        currentTarget: nonEmpty(app[TARGET_VERSION_KEY]),
      });
      const changed = next.target !== nonEmpty(app[TARGET_VERSION_KEY]);
      target = next.target;
      if (next.target !== undefined) {
        this.outbox.toPeerApp({
          ...(changed ? newTarget(app, next.target) : { [TARGET_VERSION_KEY]: next.target }),
          [CONFIG_VERSION_KEY]: next.configVersion ?? '',
        });
      }
    }
    if (target === undefined) {
      if (!leader || !(await this.peers.exists())) {
        throw new CharmProblem('waiting', 'Waiting for the leader to resolve the latest Concourse release');
      }
      target = await this.resolver.latest();
      this.logger.info('release.latest.resolved', { version: target });
      this.outbox.toPeerApp({ ...newTarget(app, target), [CONFIG_VERSION_KEY]: '' });
    }
    return ConcourseVersion.parse(target, 'target version');
  }

  /** What identifies this attempt at `target`: a failed start is remembered against it, and a new attempt differs. */
  async attempt(target: ConcourseVersion): Promise<string> {
    const app = (await this.peers.exists()) ? await this.peers.appData() : {};
    return targetAttempt(app, target.toString());
  }

  /** Whether this unit runs the target now, or keeps `running` until a web runs the target. */
  async decide(
    target: ConcourseVersion,
    roles: readonly Role[],
    running: string | undefined,
    failedHere = false,
  ): Promise<SwitchDecision> {
    const others = [...(await this.peerReports()), ...(await this.flightWebs())];
    const webExpected =
      this.config.mode === 'worker'
        ? (await this.related.ids(FLIGHT_ENDPOINT)).length > 0
        : others.some((u) => u.roles.includes('web'));
    return decideSwitch({
      target: target.toString(),
      self: { unit: this.context.unit.name, roles, running },
      others,
      webExpected,
      failedHere,
    });
  }

  /** The leader's view of the roll-out over every unit of the application (itself included). */
  async progress(target: ConcourseVersion, self: UnitReport): Promise<RolloutProgress> {
    return rolloutProgress(target.toString(), [self, ...(await this.peerReports())]);
  }

  /** What the other units of this application run, as they last published it. */
  async peerReports(): Promise<UnitReport[]> {
    return Object.entries(await this.peerView.bags()).map(([unit, bag]) => ({
      unit,
      roles: (bag[ROLES_KEY] ?? '').split(',').filter((r): r is Role => r === 'web' || r === 'worker'),
      running: nonEmpty(bag[RUNNING_VERSION_KEY]),
    }));
  }

  /** Web units of related applications, with the version they run (offered over `flight`). */
  private async flightWebs(): Promise<UnitReport[]> {
    const reports: UnitReport[] = [];
    for (const id of await this.related.ids(FLIGHT_ENDPOINT)) {
      for (const [unit, bag] of await this.related.remoteUnits(id)) {
        const version = nonEmpty(bag[LINK_KEYS.concourseVersion]);
        if (version !== undefined) reports.push({ unit, roles: ['web'], running: version });
      }
    }
    return reports;
  }

  /** The newest version the related web units run (a worker application with no version of its own follows it). */
  private async webVersionOverFlight(): Promise<string | undefined> {
    const versions = (await this.flightWebs()).flatMap((u) => {
      try {
        return u.running === undefined ? [] : [ConcourseVersion.parse(u.running, 'web version')];
      } catch {
        return [];
      }
    });
    return versions
      .sort((a, b) => a.compare(b))
      .pop()
      ?.toString();
  }
}
