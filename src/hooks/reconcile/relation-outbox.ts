// Hooks: what this unit tells other units, gathered during the hook and written at its end, whatever the outcome:
// a unit that ends `waiting` must still say what it sees and offers (its volume, its worker key), or nobody could
// ever move. Each bag gets at most one `relation-set`, only for keys whose value differs from what this unit last
// wrote there (remembered per relation; for application bags, which another leader may have written since, what
// the bag holds now); an empty value deletes the key, as in Juju.

import { inject, injectable } from 'inversify';
import type { HookContext } from '../../domain/hook-event';
import { parseStringMap } from '../../domain/peer-view';
import { HOOK_TOOLS, type HookTools, RelationNotFoundError } from '../../ports/hook-tools';
import { HOOK_CONTEXT } from '../../ports/hook-values';
import { PEER_RELATION, type PeerRelation } from '../../ports/peer-relation';
import { MEMORY_KEYS, sentKey, UnitMemory } from './unit-memory';

type Bag = Readonly<Record<string, string>>;

interface Pending {
  readonly relationId: string | 'peers';
  readonly app: boolean;
  data: Record<string, string>;
}

@injectable()
export class RelationOutbox {
  private readonly pending = new Map<string, Pending>();

  constructor(
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(PEER_RELATION) private readonly peers: PeerRelation,
    @inject(UnitMemory) private readonly memory: UnitMemory,
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
  ) {}

  /** This unit's bag on `peers`. */
  toPeers(data: Bag): void {
    this.add('peers', false, data);
  }

  /** The application's bag on `peers` (leader only). */
  toPeerApp(data: Bag): void {
    this.add('peers', true, data);
  }

  /** This unit's bag on a non-peer relation. */
  toUnitBag(relationId: string, data: Bag): void {
    this.add(relationId, false, data);
  }

  /** The application's bag on a non-peer relation (leader only). */
  toAppBag(relationId: string, data: Bag): void {
    this.add(relationId, true, data);
  }

  /** Writes everything gathered; a relation removed meanwhile is skipped. */
  async flush(): Promise<void> {
    const remember: Record<string, string> = {};
    for (const p of this.pending.values()) {
      const key = p.relationId === 'peers' && !p.app ? MEMORY_KEYS.peerData : sentKey(p.relationId, p.app);
      try {
        const last = p.app ? await this.appBag(p.relationId) : (parseStringMap(await this.memory.get(key)) ?? {});
        const changed = Object.fromEntries(Object.entries(p.data).filter(([k, v]) => (last[k] ?? '') !== v));
        if (Object.keys(changed).length === 0 || !(await this.write(p, changed)) || p.app) continue;
        const next = Object.fromEntries(Object.entries({ ...last, ...changed }).filter(([, v]) => v !== ''));
        remember[key] = JSON.stringify(next);
      } catch (error) {
        if (error instanceof RelationNotFoundError) continue;
        throw error;
      }
    }
    this.pending.clear();
    await this.memory.remember(remember);
  }

  /** False when there is nowhere to write yet (no peer relation early in install). */
  private async write(p: Pending, data: Bag): Promise<boolean> {
    if (p.relationId === 'peers') {
      if (!(await this.peers.exists())) return false;
      await (p.app ? this.peers.updateAppData(data) : this.peers.updateLocalUnit(data));
      return true;
    }
    await this.tools.relationSet(p.relationId, data, p.app ? { app: true } : undefined);
    return true;
  }

  private async appBag(relationId: string): Promise<Bag> {
    if (relationId === 'peers') return (await this.peers.exists()) ? this.peers.appData() : {};
    return this.tools.relationGet(relationId, this.context.unit.app, { app: true });
  }

  private add(relationId: string, app: boolean, data: Bag): void {
    const id = `${relationId}\0${app}`;
    const p = this.pending.get(id) ?? { relationId, app, data: {} };
    p.data = { ...p.data, ...data };
    this.pending.set(id, p);
  }
}
