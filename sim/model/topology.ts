// Simulator: the model's topology as Juju keeps it: relations between applications, which units are in a
// relation's scope and who has seen whom join, leadership, and what is left when a unit or a relation goes.

import { queueEvent, queueRelationEvent } from './event-queue';
import {
  type AppRecord,
  byUnitOrder,
  type Cause,
  type RelationEnd,
  type RelationRecord,
  remoteAppOf,
  type UnitRecord,
} from './records';
import type { ModelWorld } from './world';

export class Topology {
  constructor(private readonly world: ModelWorld) {}

  createRelation(ends: RelationEnd[], iface: string, peer: boolean): RelationRecord {
    const rel: RelationRecord = {
      id: this.world.nextRelation++,
      peer,
      interface: iface,
      ends,
      unitData: new Map(),
      appData: new Map(),
      views: new Map(),
      scope: new Set(),
      dying: false,
      brokenPending: new Set(),
    };
    this.world.relations.set(rel.id, rel);
    return rel;
  }

  /** The units on the other side of a relation from `app` (for a peer relation: the app's own units). */
  otherSideUnits(rel: RelationRecord, app: string): UnitRecord[] {
    return this.world.unitsOf(remoteAppOf(rel, app));
  }

  /** Whether the unit knows the relation or will once its queued relation-created runs. */
  awareOf(u: UnitRecord, rel: RelationRecord): boolean {
    return (
      u.knownRelations.has(rel.id) || u.queue.some((e) => e.type === 'relation-created' && e.relationId === rel.id)
    );
  }

  /** The members the unit will have seen once its queued joined/departed events have run, in unit order. */
  expectedView(u: UnitRecord, rel: RelationRecord): string[] {
    const view = new Set(rel.views.get(u.name) ?? []);
    for (const e of u.queue) {
      if (e.relationId !== rel.id || e.remoteUnit === undefined) continue;
      if (e.type === 'relation-joined') view.add(e.remoteUnit);
      if (e.type === 'relation-departed') view.delete(e.remoteUnit);
    }
    return [...view].sort(byUnitOrder);
  }

  enterRelationScope(u: UnitRecord, rel: RelationRecord, cause: Cause): void {
    if (rel.scope.has(u.name) || rel.dying) return;
    rel.scope.add(u.name);
    // Juju puts a unit's addresses in its bag when it joins.
    const bag = rel.unitData.get(u.name) ?? {};
    bag['private-address'] ??= u.address;
    bag['ingress-address'] ??= u.address;
    bag['egress-subnets'] ??= `${u.address}/32`;
    rel.unitData.set(u.name, bag);
    const remoteApp = remoteAppOf(rel, u.app);
    for (const v of this.world.unitsOf(remoteApp)) {
      if (v.name === u.name || !rel.scope.has(v.name)) continue;
      for (const [me, them] of [
        [u, v],
        [v, u],
      ] as const) {
        if (me.box === undefined) {
          const view = rel.views.get(me.name) ?? new Set();
          view.add(them.name);
          rel.views.set(me.name, view);
          continue;
        }
        queueRelationEvent(me, rel, 'relation-joined', cause, { remoteUnit: them.name });
        queueRelationEvent(me, rel, 'relation-changed', cause, { remoteUnit: them.name });
      }
    }
  }

  /**
   * Only the new leader hears of a leadership change. The unit that lost it runs no hook: resigning is an internal
   * operation (juju/juju internal/worker/uniter/operation/leader.go, resignLeadership: no hook), and whether a deposed
   * unit later sees leader-settings-changed depends on a settings version, so the strictest reading is modelled:
   * nothing, so that the charm never comes to rely on it.
   */
  announceLeader(a: AppRecord, cause: Cause): void {
    for (const u of this.world.appUnits(a)) {
      if (u.name === a.leader) queueEvent(u, { type: 'leader-elected', hook: 'leader-elected' }, cause);
    }
  }

  /** The unit is gone: out of every relation, its mounts released, a new leader chosen if it led. */
  async finalizeUnit(u: UnitRecord, cause: Cause): Promise<void> {
    const a = this.world.app(u.app);
    a.units.splice(a.units.indexOf(u.name), 1);
    this.world.units.delete(u.name);
    for (const rel of this.world.relations.values()) {
      rel.scope.delete(u.name);
      rel.views.delete(u.name);
      rel.brokenPending.delete(u.name);
    }
    if (a.leader === u.name) {
      a.leader = this.world.unitsOf(a.name).find((v) => v.life === 'alive')?.name;
      if (a.leader !== undefined) this.announceLeader(a, cause);
    }
    // The machine goes with its unit: nothing it ran is left.
    await this.world.services?.killUnit(u.dir);
    const providers = new Set(u.layers.flatMap((l) => (l.provider === undefined ? [] : [l.provider])));
    for (const p of providers) await p.release(u.name);
  }

  /** Every unit has run its broken hook: the relation and the secret grants made on it are gone. */
  finalizeRelation(rel: RelationRecord): void {
    this.world.relations.delete(rel.id);
    for (const u of this.world.units.values()) u.knownRelations.delete(rel.id);
    for (const s of this.world.secretStore.values()) s.grants = s.grants.filter((g) => g.relationId !== rel.id);
  }
}
