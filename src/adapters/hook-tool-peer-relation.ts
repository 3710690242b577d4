// Adapter (PeerRelation): the `peers` endpoint read and written through HookTools. One instance lives for one hook,
// so it reads each bag at most once and keeps its cache in step with its own writes.

import { inject, injectable } from 'inversify';
import type { HookContext } from '../domain/hook-event';
import { PEER_ENDPOINT } from '../domain/peer-data';
import { type Databag, HOOK_TOOLS, type HookTools } from '../ports/hook-tools';
import { HOOK_CONTEXT } from '../ports/hook-values';
import { type PeerRelation } from '../ports/peer-relation';

@injectable()
export class HookToolPeerRelation implements PeerRelation {
  private readonly relationId = new Memo(() => this.tools.relationIds(PEER_ENDPOINT).then((ids) => ids[0]));
  private readonly peers = new Memo(() => this.readPeers());
  private readonly local = new Memo(() => this.readBag(this.context.unit.name, false));
  private readonly app = new Memo(() => this.readBag(this.context.unit.app, true));

  constructor(
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
  ) {}

  async exists(): Promise<boolean> {
    return (await this.relationId.get()) !== undefined;
  }

  peerUnits(): Promise<ReadonlyMap<string, Databag>> {
    return this.peers.get();
  }

  peerUnit(unit: string): Promise<Databag> {
    return this.readBag(unit, false);
  }

  localUnit(): Promise<Databag> {
    return this.local.get();
  }

  async updateLocalUnit(data: Databag): Promise<void> {
    if (Object.keys(data).length === 0) return;
    await this.tools.relationSet(await this.requireId(), data);
    this.local.update((bag) => merged(bag, data));
  }

  appData(): Promise<Databag> {
    return this.app.get();
  }

  async updateAppData(data: Databag): Promise<void> {
    if (Object.keys(data).length === 0) return;
    await this.tools.relationSet(await this.requireId(), data, { app: true });
    this.app.update((bag) => merged(bag, data));
  }

  private async requireId(): Promise<string> {
    const id = await this.relationId.get();
    if (id === undefined) {
      throw new Error(`the ${PEER_ENDPOINT} relation does not exist yet: nothing can be written to it in this hook`);
    }
    return id;
  }

  private async readPeers(): Promise<ReadonlyMap<string, Databag>> {
    const id = await this.relationId.get();
    const bags = new Map<string, Databag>();
    if (id === undefined) return bags;
    for (const unit of await this.tools.relationList(id)) {
      if (unit === this.context.unit.name) continue;
      bags.set(unit, await this.tools.relationGet(id, unit));
    }
    return bags;
  }

  private async readBag(name: string, app: boolean): Promise<Databag> {
    const id = await this.relationId.get();
    if (id === undefined) return {};
    return this.tools.relationGet(id, name, app ? { app: true } : undefined);
  }
}

/**
 * One read shared by every caller in this hook (concurrent callers share the tool run). A failed read is forgotten,
 * so the next caller tries again; writes are applied to the cached value rather than re-reading.
 */
class Memo<T> {
  private value: Promise<T> | undefined;

  constructor(private readonly load: () => Promise<T>) {}

  get(): Promise<T> {
    if (this.value === undefined) this.value = this.settle(this.load());
    return this.value;
  }

  update(change: (value: T) => T): void {
    if (this.value !== undefined) this.value = this.settle(this.value.then(change));
  }

  private settle(pending: Promise<T>): Promise<T> {
    // The extra handler also marks the rejection handled when no caller awaits this promise.
    pending.catch(() => {
      if (this.value === pending) this.value = undefined;
    });
    return pending;
  }
}

/** Juju's relation-set semantics: given keys replace, empty values delete. */
function merged(bag: Databag, changes: Databag): Databag {
  const next: Record<string, string> = { ...bag };
  for (const [key, value] of Object.entries(changes)) {
    if (value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}
