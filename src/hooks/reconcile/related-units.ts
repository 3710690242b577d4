// Hooks: reading the units and applications on the other side of a non-peer relation (tsa, flight, postgresql).
// A relation being broken in this very hook is left out: Juju still lists it, but it is going.

import { inject, injectable } from 'inversify';
import type { HookContext } from '../../domain/hook-event';
import { type Databag, HOOK_TOOLS, type HookTools, RelationNotFoundError } from '../../ports/hook-tools';
import { HOOK_CONTEXT } from '../../ports/peer-relation';

@injectable()
export class RelatedUnits {
  private readonly idCache = new Map<string, Promise<readonly string[]>>();

  constructor(
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
  ) {}

  /** The live relations of an endpoint (one hook-tool call per endpoint and hook). */
  ids(endpoint: string): Promise<readonly string[]> {
    let ids = this.idCache.get(endpoint);
    if (ids === undefined) {
      ids = this.tools.relationIds(endpoint).then((all) => all.filter((id) => !this.isBroken(id)));
      this.idCache.set(endpoint, ids);
    }
    return ids;
  }

  /** Every remote unit's bag on one relation; a relation removed meanwhile reads as empty. */
  async remoteUnits(relationId: string): Promise<ReadonlyMap<string, Databag>> {
    const bags = new Map<string, Databag>();
    try {
      for (const unit of await this.tools.relationList(relationId)) {
        if (this.isDeparting(relationId, unit)) continue;
        bags.set(unit, await this.tools.relationGet(relationId, unit));
      }
    } catch (error) {
      if (!(error instanceof RelationNotFoundError)) throw error;
    }
    return bags;
  }

  /** The remote application's bag, or an empty one when it has none yet (or the relation is gone). */
  async remoteApp(relationId: string): Promise<Databag> {
    try {
      const app = await this.tools.relationRemoteApp(relationId);
      return app === undefined ? {} : await this.tools.relationGet(relationId, app, { app: true });
    } catch (error) {
      if (error instanceof RelationNotFoundError) return {};
      throw error;
    }
  }

  private isBroken(relationId: string): boolean {
    return this.context.relation?.id === relationId && this.context.event.name.endsWith('-relation-broken');
  }

  private isDeparting(relationId: string, unit: string): boolean {
    const r = this.context.relation;
    return r?.id === relationId && r.remoteUnit === unit && this.context.event.name.endsWith('-relation-departed');
  }
}
