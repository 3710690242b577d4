// Hooks: executes the domain's peer-view plan: reads the peers it says to read, keeps the keys this charm uses
// (volume id, roles, TSA offers, worker keys) and remembers them in a file on this unit's disk, so most hooks read no
// peer bag at all while charm state stays the same size however many units there are.

import { randomUUID } from 'node:crypto';
import { inject, injectable } from 'inversify';
import { LINK_KEYS } from '../../domain/concourse-links';
import type { HookContext } from '../../domain/hook-event';
import { ROLES_KEY, RUNNING_VERSION_KEY, VOLUME_ID_KEY } from '../../domain/peer-data';
import {
  PEER_VIEW_CACHE_PATH,
  type PeerBags,
  parsePeerViewCache,
  peerViewCacheFile,
  planPeerRefresh,
  volumesOf,
  withPeerBag,
} from '../../domain/peer-view';
import { HOOK_CONTEXT } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { PEER_RELATION, type PeerRelation } from '../../ports/peer-relation';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { MEMORY_KEYS, UnitMemory } from './unit-memory';

/** Charm state written by earlier revisions (the whole view, ~1.7 KB a peer): removed on the first refresh. */
const LEGACY_PEER_BAGS_KEY = 'peer-bags';

/** The peer bag keys kept in the view. */
const VIEW_KEYS = [
  VOLUME_ID_KEY,
  ROLES_KEY,
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
    @inject(UNIT_FILES) private readonly files: UnitFiles,
    @inject(LOGGER) private readonly logger: Logger,
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
    const token = await this.memory.get(MEMORY_KEYS.peerViewToken);
    const text = await this.readCache();
    const remembered = parsePeerViewCache(text, { unit: this.context.unit.name, token });
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
    await this.remember(view, token ?? randomUUID(), text);
    return view;
  }

  /** A cache that cannot be read is a cache that is not there: this hook reads every peer. */
  private async readCache(): Promise<string | undefined> {
    try {
      return await this.files.read(PEER_VIEW_CACHE_PATH);
    } catch (error) {
      this.logger.warn('peer-view.cache.unreadable', { path: PEER_VIEW_CACHE_PATH, error: String(error) });
      return undefined;
    }
  }

  /**
   * The file first, then the token in charm state (committed only if the hook succeeds: until then the file matches
   * no token and reads as nothing remembered). A file that cannot be written gets a new token in charm state that
   * no file holds, so the stale file on disk is never taken for this view: the next hook reads every peer again.
   */
  private async remember(view: PeerBags, token: string, previousText: string | undefined): Promise<void> {
    let kept = token;
    const file = peerViewCacheFile({ unit: this.context.unit.name, token, peers: view });
    if (file.content !== previousText) {
      try {
        await this.files.write(file);
      } catch (error) {
        this.logger.warn('peer-view.cache.unwritable', { path: file.path, error: String(error) });
        kept = randomUUID();
      }
    }
    const legacy = (await this.memory.get(LEGACY_PEER_BAGS_KEY)) !== undefined;
    await this.memory.remember({
      [MEMORY_KEYS.peerViewToken]: kept,
      ...(legacy ? { [LEGACY_PEER_BAGS_KEY]: '' } : {}),
    });
  }
}
