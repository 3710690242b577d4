// Hooks: executes the domain's peer-view plan: reads the peers it says to read, and remembers the result.

import { inject, injectable } from 'inversify';
import type { HookContext } from '../../domain/hook-event';
import { type PeerVolumes, parsePeerVolumes, planPeerRefresh, withoutPeer, withPeer } from '../../domain/peer-view';
import { VOLUME_ID_KEY } from '../../domain/volume-sharing';
import { HOOK_CONTEXT, PEER_RELATION, type PeerRelation } from '../../ports/peer-relation';
import { MEMORY_KEYS, UnitMemory } from './unit-memory';

@injectable()
export class PeerVolumeView {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(PEER_RELATION) private readonly peers: PeerRelation,
    @inject(UnitMemory) private readonly memory: UnitMemory,
  ) {}

  /** Which volume each peer sees, refreshed as little as Juju's event allows. */
  async current(): Promise<PeerVolumes> {
    if (!(await this.peers.exists())) return {};
    const remembered = parsePeerVolumes(await this.memory.get(MEMORY_KEYS.peerVolumes));
    const plan = planPeerRefresh({ hook: this.context.event.name, relation: this.context.relation, remembered });
    let view: PeerVolumes;
    switch (plan.kind) {
      case 'cached':
        return remembered ?? {};
      case 'drop':
        view = withoutPeer(remembered ?? {}, plan.unit);
        break;
      case 'one':
        view = withPeer(remembered ?? {}, plan.unit, (await this.peers.peerUnit(plan.unit))[VOLUME_ID_KEY]);
        break;
      case 'full': {
        view = {};
        for (const [unit, bag] of await this.peers.peerUnits()) view = withPeer(view, unit, bag[VOLUME_ID_KEY]);
        break;
      }
    }
    await this.memory.remember({ [MEMORY_KEYS.peerVolumes]: JSON.stringify(sortedKeys(view)) });
    return view;
  }
}

function sortedKeys(view: PeerVolumes): PeerVolumes {
  return Object.fromEntries(Object.entries(view).sort(([a], [b]) => (a < b ? -1 : 1)));
}
