// Hooks: gathers the one frozen snapshot the reconcile planner decides from (domain: reconcile-plan): the peer
// application bag, the peers' bags, the web units related over `flight`, and what this unit remembers running.

import { inject, injectable } from 'inversify';
import type { CharmConfig } from '../../domain/charm-config';
import { FLIGHT_ENDPOINT } from '../../domain/concourse-links';
import type { HookContext } from '../../domain/hook-event';
import { RUNNING_VERSION_KEY } from '../../domain/peer-data';
import { type PeerBags, parseStringMap } from '../../domain/peer-view';
import type { ReconcileSnapshot } from '../../domain/reconcile-plan';
import { ConcourseVersion } from '../../domain/version';
import { CHARM_CONFIG, HOOK_CONTEXT } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { PEER_RELATION, type PeerRelation } from '../../ports/peer-relation';
import { UNIT_STATE_STORE, type UnitStateStore } from '../../ports/unit-state-store';
import { PeerView } from './peer-view';
import { RelatedUnits } from './related-units';
import { MEMORY_KEYS, UnitMemory } from './unit-memory';

@injectable()
export class ReconcileSnapshotReader {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(PEER_RELATION) private readonly peers: PeerRelation,
    @inject(PeerView) private readonly peerView: PeerView,
    @inject(RelatedUnits) private readonly related: RelatedUnits,
    @inject(UnitMemory) private readonly memory: UnitMemory,
    @inject(UNIT_STATE_STORE) private readonly unitStates: UnitStateStore,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  async read(leader: boolean, volume: ReconcileSnapshot['volume']): Promise<ReconcileSnapshot> {
    const flightIds = await this.related.ids(FLIGHT_ENDPOINT);
    const webs: Record<string, Readonly<Record<string, string>>> = {};
    for (const id of flightIds) {
      for (const [unit, bag] of await this.related.remoteUnits(id)) webs[unit] = bag;
    }
    return {
      unit: this.context.unit.name,
      config: this.config,
      leader,
      peerApp: (await this.peers.exists()) ? await this.peers.appData() : undefined,
      peers: await this.peerView.bags(),
      flight: { related: flightIds.length > 0, webs },
      running: await this.running(),
      startFailed: await this.memory.get(MEMORY_KEYS.startFailed),
      volume,
      publishedRunning: parseStringMap(await this.memory.get(MEMORY_KEYS.peerData))?.[RUNNING_VERSION_KEY],
      // Only the leader reports progress, so only it reads the other units' state files.
      ...(leader ? { volumeRunning: await this.volumeRunning() } : {}),
    };
  }

  /**
   * What each unit's state file on this unit's volume says it runs, by unit name. Unreadable files (a root-squashed
   * NFS...) read as nothing: a unit then counts as not reporting, as before it had published.
   */
  async volumeRunning(): Promise<Readonly<Record<string, string | undefined>>> {
    try {
      return Object.fromEntries([...(await this.unitStates.readAll()).values()].map((s) => [s.unit, s.runningVersion]));
    } catch (error) {
      this.logger.warn('storage.unit-states.unreadable', { error: String(error) });
      return {};
    }
  }

  /** What this unit's services run, as remembered once they ran it. */
  async running(): Promise<ConcourseVersion | undefined> {
    return ConcourseVersion.tryParse(await this.memory.get(MEMORY_KEYS.workloadVersion));
  }

  /** The other units' bags, as the peer view keeps them. */
  peerBags(): Promise<PeerBags> {
    return this.peerView.bags();
  }
}
