// Hooks: executes the domain's peer-view plan: reads the peers it says to read, keeps the keys this charm uses
// (volume id, roles, TSA offers, worker keys) and remembers them, so most hooks read no peer bag at all.

import { inject, injectable } from 'inversify';
import { LINK_KEYS } from '../../domain/concourse-links';
import type { HookContext } from '../../domain/hook-event';
import { type PeerBags, parsePeerBags, planPeerRefresh, volumesOf, withPeerBag } from '../../domain/peer-view';
import { RUNNING_VERSION_KEY } from '../../domain/upgrade-coordinator';
import { VOLUME_ID_KEY } from '../../domain/volume-sharing';
import { HOOK_CONTEXT, PEER_RELATION, type PeerRelation } from '../../ports/peer-relation';
import { MEMORY_KEYS, UnitMemory } from './unit-memory';

export const ROLES_KEY = 'roles';
export const INSTALLED_VERSION_KEY = 'installed-version';

/** The peer bag keys kept in the view. */
const VIEW_KEYS = [
  VOLUME_ID_KEY,
  ROLES_KEY,
  INSTALLED_VERSION_KEY,
  RUNNING_VERSION_KEY,
  LINK_KEYS.tsaHost,
  LINK_KEYS.tsaPort,
  LINK_KEYS.tsaPublicKey,
  LINK_KEYS.workerPublicKey,
] as const;

@injectable()
export class PeerView {
  private view: Promise<PeerBags> | undefined;

  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(PEER_RELATION) private readonly peers: PeerRelation,
    @inject(UnitMemory) private readonly memory: UnitMemory,
  ) {}

  /** Every peer's kept keys, refreshed as little as Juju's event allows (once per hook). */
  bags(): Promise<PeerBags> {
    this.view ??= this.load();
    return this.view;
  }

  /** Which volume each peer sees. */
  async volumes(): Promise<Readonly<Record<string, string>>> {
    return volumesOf(await this.bags(), VOLUME_ID_KEY);
  }

  private async load(): Promise<PeerBags> {
    if (!(await this.peers.exists())) return {};
    const remembered = parsePeerBags(await this.memory.get(MEMORY_KEYS.peerBags));
    const plan = planPeerRefresh({ hook: this.context.event.name, relation: this.context.relation, remembered });
    let view: PeerBags;
    switch (plan.kind) {
      case 'cached':
        return remembered ?? {};
      case 'drop':
        view = withPeerBag(remembered ?? {}, plan.unit, undefined, VIEW_KEYS);
        break;
      case 'one':
        view = withPeerBag(remembered ?? {}, plan.unit, await this.peers.peerUnit(plan.unit), VIEW_KEYS);
        break;
      case 'full': {
        view = {};
        for (const [unit, bag] of await this.peers.peerUnits()) view = withPeerBag(view, unit, bag, VIEW_KEYS);
        break;
      }
    }
    await this.memory.remember({ [MEMORY_KEYS.peerBags]: JSON.stringify(sortedKeys(view)) });
    return view;
  }
}

function sortedKeys(view: PeerBags): PeerBags {
  return Object.fromEntries(Object.entries(view).sort(([a], [b]) => (a < b ? -1 : 1)));
}
