// Hooks: reading the units and applications on the other side of a non-peer relation (tsa, flight, postgresql).
// A relation being broken in this very hook is left out: Juju still lists it, but it is going.
//
// Juju lists a relation being removed (relation-ids) while this unit still has remote members on it, in the last
// -relation-departed too, and no longer in -relation-broken (juju/juju jujuc/relation-ids.go filters only Dead
// relations; runner/context/contextfactory.go getContextRelations leaves out a dying relation with no members).
// Before that, each remote unit departs (-relation-departed, the departing one already gone from relation-list), so a
// listed relation with no remote units may be going away: callers that must tell that from a relation whose units
// have not joined yet use remoteUnitNames and departedHere.

import { inject, injectable } from 'inversify';
import type { HookContext } from '../../domain/hook-event';
import { type Databag, HOOK_TOOLS, type HookTools, RelationNotFoundError } from '../../ports/hook-tools';
import { HOOK_CONTEXT } from '../../ports/hook-values';

@injectable()
export class RelatedUnits {
  private readonly idCache = new Map<string, Promise<readonly string[]>>();
  private readonly appCache = new Map<string, Promise<string | undefined>>();

  constructor(
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
  ) {}

  /** The relations of an endpoint, less the one broken in this hook (one hook-tool call per endpoint and hook). */
  ids(endpoint: string): Promise<readonly string[]> {
    let ids = this.idCache.get(endpoint);
    if (ids === undefined) {
      ids = this.tools.relationIds(endpoint).then((all) => all.filter((id) => !this.isBroken(id)));
      this.idCache.set(endpoint, ids);
    }
    return ids;
  }

  /**
   * The remote units still in the relation for this unit: relation-list, less the unit departing in this hook (Juju
   * already leaves it out; this holds for any runner that does not). A relation removed meanwhile has none.
   */
  async remoteUnitNames(relationId: string): Promise<readonly string[]> {
    try {
      return (await this.tools.relationList(relationId)).filter((unit) => !this.isDeparting(relationId, unit));
    } catch (error) {
      if (error instanceof RelationNotFoundError) return [];
      throw error;
    }
  }

  /** Every remote unit's bag on one relation; a relation removed meanwhile reads as empty. */
  async remoteUnits(relationId: string): Promise<ReadonlyMap<string, Databag>> {
    const bags = new Map<string, Databag>();
    try {
      for (const unit of await this.remoteUnitNames(relationId)) {
        bags.set(unit, await this.tools.relationGet(relationId, unit));
      }
    } catch (error) {
      if (!(error instanceof RelationNotFoundError)) throw error;
    }
    return bags;
  }

  /** The remote application's name (relation-list --app), undefined when it is gone or the relation is. */
  remoteAppName(relationId: string): Promise<string | undefined> {
    let name = this.appCache.get(relationId);
    if (name === undefined) {
      name = this.tools.relationRemoteApp(relationId).catch((error: unknown) => {
        if (error instanceof RelationNotFoundError) return undefined;
        throw error;
      });
      this.appCache.set(relationId, name);
    }
    return name;
  }

  /** The remote application's bag, or an empty one when it has none yet (or the relation is gone). */
  async remoteApp(relationId: string): Promise<Databag> {
    try {
      const app = await this.remoteAppName(relationId);
      return app === undefined ? {} : await this.tools.relationGet(relationId, app, { app: true });
    } catch (error) {
      if (error instanceof RelationNotFoundError) return {};
      throw error;
    }
  }

  /**
   * Whether this hook is the relation's -relation-departed: a remote unit is leaving it now (JUJU_REMOTE_UNIT, which
   * Juju also names in JUJU_DEPARTING_UNIT unless this unit is the one leaving).
   */
  departedHere(relationId: string): boolean {
    return this.context.relation?.id === relationId && this.context.event.name.endsWith('-relation-departed');
  }

  private isBroken(relationId: string): boolean {
    return this.context.relation?.id === relationId && this.context.event.name.endsWith('-relation-broken');
  }

  private isDeparting(relationId: string, unit: string): boolean {
    return this.departedHere(relationId) && this.context.relation?.remoteUnit === unit;
  }
}
