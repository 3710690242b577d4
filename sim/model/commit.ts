// Simulator: what Juju applies when a hook succeeds (relation data, charm state within its quotas, ports,
// secrets) and the hooks those changes cause; also the data and secrets the test writes for stand-in applications.

import { randomUUID } from 'node:crypto';
import { SimError } from '../charm-spec';
import { applyBagUpdate, applySecretChange, type Bag, type Change, type Secret, secretUri } from '../model-state';
import { charmStateCommitError, DEFAULT_MAX_CHARM_STATE_SIZE } from '../tools/resource-state-tools';
import { queueEvent, queueRelationEvent } from './event-queue';
import { type Cause, OPERATOR, type UnitRecord } from './records';
import type { Topology } from './topology';
import type { ModelWorld } from './world';

export class Commit {
  constructor(
    private readonly world: ModelWorld,
    private readonly topology: Topology,
  ) {}

  /**
   * Applies a successful hook's buffered changes in one go, or none of them: returns why the controller refused
   * them (the unit's charm state over `max-charm-state-size`), or undefined once they are committed.
   */
  hookChanges(u: UnitRecord, changes: readonly Change[], cause: Cause): string | undefined {
    const maxState = this.world.options.maxCharmStateSize ?? DEFAULT_MAX_CHARM_STATE_SIZE;
    const refused = charmStateCommitError(u.state, changes, maxState);
    if (refused !== undefined) return refused;
    for (const c of changes) {
      switch (c.op) {
        case 'relation-set':
          this.applyRelationSet(u, u.app, c, cause);
          break;
        case 'state-set':
          applyBagUpdate(u.state, c.data);
          break;
        case 'state-delete':
          delete u.state[c.key];
          break;
        case 'open-port':
          u.ports.add(c.port);
          break;
        case 'close-port':
          u.ports.delete(c.port);
          break;
        default: {
          const store = this.world.secretStore;
          const before = store.get(c.id)?.revisions.length ?? 0;
          applySecretChange(store, c, u.name, u.app);
          const s = store.get(c.id);
          if (s !== undefined && c.op === 'secret-set' && s.revisions.length > before)
            this.notifySecretConsumers(s, cause);
        }
      }
    }
    return undefined;
  }

  async setRelationData(relationId: string | number, unitOrApp: string, data: Readonly<Bag>): Promise<void> {
    const w = this.world;
    w.checkOpen();
    const rel = w.relation(relationId);
    const isUnit = unitOrApp.includes('/');
    const app = w.app(isUnit ? w.unit(unitOrApp).app : unitOrApp);
    if (!app.stub) throw new SimError(`${unitOrApp} runs a charm: only stand-in applications' data is set by the test`);
    this.applyRelationSet(
      isUnit ? w.unit(unitOrApp) : undefined,
      app.name,
      { op: 'relation-set', relationId: rel.id, app: !isUnit, data: { ...data } },
      OPERATOR,
    );
  }

  async addSecret(ownerApp: string, content: Readonly<Bag>, opts: { label?: string } = {}): Promise<string> {
    this.world.app(ownerApp);
    const id = randomUUID().replace(/-/g, '').slice(0, 20).replace(/[w-z]/g, 'v');
    this.world.secretStore.set(id, {
      id,
      ownerApp,
      label: opts.label,
      revisions: [{ revision: 1, content: { ...content } }],
      grants: [],
      consumers: {},
    });
    return secretUri(id);
  }

  async grantSecret(uri: string, relationId: string | number, opts: { unit?: string } = {}): Promise<void> {
    const s = this.world.secret(uri);
    const rel = this.world.relation(relationId);
    const app = rel.peer ? s.ownerApp : (rel.ends.find((e) => e.app !== s.ownerApp)?.app ?? s.ownerApp);
    s.grants.push({ relationId: rel.id, app, unit: opts.unit });
  }

  async revokeSecret(uri: string, relationId: string | number): Promise<void> {
    const s = this.world.secret(uri);
    const rel = this.world.relation(relationId);
    s.grants = s.grants.filter((g) => g.relationId !== rel.id);
  }

  async updateSecret(uri: string, content: Readonly<Bag>): Promise<void> {
    const s = this.world.secret(uri);
    s.revisions.push({ revision: (s.revisions[s.revisions.length - 1]?.revision ?? 0) + 1, content: { ...content } });
    this.notifySecretConsumers(s, OPERATOR);
  }

  /** Commits one relation-set and queues relation-changed where Juju would. `writer` is undefined for app data. */
  private applyRelationSet(
    writer: UnitRecord | undefined,
    app: string,
    c: Extract<Change, { op: 'relation-set' }>,
    cause: Cause,
  ): void {
    const rel = this.world.relations.get(c.relationId);
    if (rel === undefined) return;
    const map = c.app ? rel.appData : rel.unitData;
    const key = c.app || writer === undefined ? app : writer.name;
    const bag = map.get(key) ?? {};
    const before = JSON.stringify(Object.entries(bag).sort());
    applyBagUpdate(bag, c.data);
    map.set(key, bag);
    // A Dying relation gets only departed and broken hooks (juju/juju internal/worker/uniter/relation/resolver.go).
    if (JSON.stringify(Object.entries(bag).sort()) === before || rel.dying) return;
    if (!c.app && writer !== undefined) {
      for (const v of this.world.units.values()) {
        if (v.name === writer.name || v.box === undefined) continue;
        if (rel.views.get(v.name)?.has(writer.name) === true) {
          queueRelationEvent(v, rel, 'relation-changed', cause, { remoteUnit: writer.name, remoteApp: app });
        }
      }
      return;
    }
    for (const v of this.topology.otherSideUnits(rel, app)) {
      if (v.box === undefined || (writer !== undefined && v.name === writer.name) || !this.topology.awareOf(v, rel))
        continue;
      queueRelationEvent(v, rel, 'relation-changed', cause, { remoteApp: app });
    }
  }

  /** secret-changed for every consumer tracking an older revision than the latest. */
  private notifySecretConsumers(s: Secret, cause: Cause): void {
    const latest = s.revisions[s.revisions.length - 1]?.revision ?? 0;
    for (const [unit, tracked] of Object.entries(s.consumers)) {
      const v = this.world.units.get(unit);
      if (v === undefined || tracked.revision >= latest) continue;
      queueEvent(
        v,
        {
          type: 'secret-changed',
          hook: 'secret-changed',
          secretId: secretUri(s.id),
          secretLabel: tracked.label,
          secretRevision: latest,
        },
        cause,
      );
    }
  }
}
