// Simulator: the operator's relation commands (`juju integrate`, `juju remove-relation`): which endpoints match,
// the limits Juju checks, and the hooks each unit is queued.

import { SimError } from '../charm-spec';
import { queueRelationEvent } from './event-queue';
import { OPERATOR, type RelationEnd } from './records';
import type { Topology } from './topology';
import type { ModelWorld } from './world';

export class RelationCommands {
  constructor(
    private readonly world: ModelWorld,
    private readonly topology: Topology,
  ) {}

  async integrate(a: string, b: string): Promise<string> {
    this.world.checkOpen();
    const [endA, endB] = this.matchEndpoints(a, b);
    const rel = this.topology.createRelation(
      [endA, endB],
      this.world.app(endA.app).spec.endpoints[endA.endpoint]?.interface ?? '',
      false,
    );
    for (const end of rel.ends) {
      for (const u of this.world.unitsOf(end.app)) {
        if (u.box === undefined) {
          // Stand-ins are in scope at once; charm units enter after their relation-created (and start).
          this.topology.enterRelationScope(u, rel, OPERATOR);
        } else queueRelationEvent(u, rel, 'relation-created', OPERATOR, {});
      }
    }
    return `${endA.endpoint}:${rel.id}`;
  }

  async removeRelation(id: string | number): Promise<void> {
    this.world.checkOpen();
    const rel = this.world.relation(id);
    if (rel.peer) throw new SimError('cannot remove a peer relation');
    if (rel.dying) return;
    rel.dying = true;
    for (const end of rel.ends) {
      for (const u of this.world.unitsOf(end.app)) {
        if (u.box === undefined || !this.topology.awareOf(u, rel)) continue;
        // Once a relation is Dying, Juju's uniter runs only departed and broken hooks for it: a joined or changed
        // still pending never runs (juju/juju internal/worker/uniter/relation/resolver.go NextOp: a Dying relation's
        // remote snapshot is emptied, so nextHookForRelation yields departed for known members, then broken).
        const keep = u.queue.filter(
          (e, i) =>
            (i === 0 && u.headRunning) ||
            e.relationId !== rel.id ||
            (e.type !== 'relation-joined' && e.type !== 'relation-changed'),
        );
        u.queue.splice(0, u.queue.length, ...keep);
        for (const member of this.topology.expectedView(u, rel)) {
          // The remote unit is the one departing (resolver.go: DepartingUnit is the local unit only when it is the
          // one dying), so Juju sets JUJU_DEPARTING_UNIT to it.
          queueRelationEvent(u, rel, 'relation-departed', OPERATOR, { remoteUnit: member, departingUnit: member });
        }
        queueRelationEvent(u, rel, 'relation-broken', OPERATOR, {});
        rel.brokenPending.add(u.name);
      }
    }
    if (rel.brokenPending.size === 0) this.topology.finalizeRelation(rel);
  }

  /** The one provides/requires pair `a` and `b` name (`app` or `app:endpoint`), as `juju integrate` finds it. */
  private matchEndpoints(a: string, b: string): [RelationEnd, RelationEnd] {
    const parse = (s: string): { app: string; endpoint: string | undefined } => {
      const [app = '', endpoint] = s.split(':');
      this.world.app(app);
      return { app, endpoint };
    };
    const pa = parse(a);
    const pb = parse(b);
    const ends = (p: { app: string; endpoint: string | undefined }): RelationEnd[] => {
      const spec = this.world.app(p.app).spec;
      if (p.endpoint !== undefined) {
        const e = spec.endpoints[p.endpoint];
        if (e === undefined) throw new SimError(`application "${p.app}" has no "${p.endpoint}" relation`);
        if (e.role === 'peers') throw new SimError(`cannot integrate peer endpoint "${p.app}:${p.endpoint}"`);
        return [{ app: p.app, endpoint: p.endpoint, role: e.role }];
      }
      return Object.entries(spec.endpoints)
        .filter(([, e]) => e.role !== 'peers')
        .map(([endpoint, e]) => ({ app: p.app, endpoint, role: e.role }));
    };
    const iface = (e: RelationEnd) => this.world.app(e.app).spec.endpoints[e.endpoint]?.interface;
    const pairs: Array<[RelationEnd, RelationEnd]> = [];
    for (const x of ends(pa)) {
      for (const y of ends(pb)) {
        const roles = new Set([x.role, y.role]);
        if (roles.has('provides') && roles.has('requires') && iface(x) === iface(y)) pairs.push([x, y]);
      }
    }
    if (pairs.length === 0) throw new SimError(`no relations found between "${a}" and "${b}"`);
    if (pairs.length > 1) {
      const options = pairs.map(([x, y]) => `${x.app}:${x.endpoint} ${y.app}:${y.endpoint}`).join(', ');
      throw new SimError(`ambiguous relation: "${a} ${b}" could refer to ${options}`);
    }
    const [x, y] = pairs[0] ?? [];
    if (x === undefined || y === undefined) throw new SimError('no relations found');
    const relations = [...this.world.relations.values()];
    for (const rel of relations) {
      const same = (e: RelationEnd) => rel.ends.some((r) => r.app === e.app && r.endpoint === e.endpoint);
      if (same(x) && same(y))
        throw new SimError(`relation ${x.app}:${x.endpoint} ${y.app}:${y.endpoint} already exists`);
    }
    for (const e of [x, y]) {
      const limit = this.world.app(e.app).spec.endpoints[e.endpoint]?.limit;
      const count = relations.filter((r) => r.ends.some((r2) => r2.app === e.app && r2.endpoint === e.endpoint)).length;
      if (limit !== undefined && count >= limit) {
        throw new SimError(
          `establishing a new relation for ${e.app}:${e.endpoint} would exceed its maximum relation limit of ${limit}`,
        );
      }
    }
    return [x, y];
  }
}
