// Domain: each unit's view of its peers' bags (volume id, roles, offers), kept incrementally. Reading every peer's bag in every
// hook costs O(units) hook-tool calls per hook and O(units^3) in all; Juju already tells which peer changed.

import { z } from 'zod';
import type { RenderedFile } from './concourse-services';
import type { RelationContext } from './hook-event';
import { PEER_ENDPOINT } from './peer-data';
import { parseRememberedJson } from './remembered-json';

/** Peer unit name -> the volume id it publishes. */
export type PeerVolumes = Readonly<Record<string, string>>;

export type PeerRefresh =
  | { readonly kind: 'full' }
  | { readonly kind: 'one'; readonly unit: string }
  | { readonly kind: 'drop'; readonly unit: string }
  | { readonly kind: 'cached' };

/**
 * What to read this hook. `update-status` re-reads everything (the safety net against any drift); a peer's joined or
 * changed event re-reads that peer only, its departure drops it; other hooks use the view as remembered.
 */
export function planPeerRefresh(input: {
  readonly hook: string;
  readonly relation: RelationContext | undefined;
  readonly remembered: object | undefined;
}): PeerRefresh {
  if (input.remembered === undefined || input.hook === 'update-status') return { kind: 'full' };
  const { relation, hook } = input;
  if (relation?.endpoint !== PEER_ENDPOINT) return { kind: 'cached' };
  const remote = relation.remoteUnit;
  if (remote !== undefined && hook.endsWith('-relation-departed')) return { kind: 'drop', unit: remote };
  if (remote !== undefined && (hook.endsWith('-relation-joined') || hook.endsWith('-relation-changed'))) {
    return { kind: 'one', unit: remote };
  }
  return { kind: 'full' };
}

const stringMapSchema = z.record(z.string(), z.string());

/** A remembered JSON object of strings (last data written to a bag); undefined when absent or unreadable. */
export function parseStringMap(text: string | undefined): Readonly<Record<string, string>> | undefined {
  return parseRememberedJson(stringMapSchema, text);
}

/** Peer unit name -> the keys of its bag this charm reads (volume id, roles, TSA offer, worker key). */
export type PeerBags = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The view with one peer's bag set to the given keys of `bag` (or the peer removed when it has none of them). */
export function withPeerBag(
  view: PeerBags,
  unit: string,
  bag: Readonly<Record<string, string>> | undefined,
  keys: readonly string[],
): PeerBags {
  const { [unit]: _previous, ...rest } = view;
  const picked = Object.fromEntries(keys.flatMap((k) => (bag?.[k] ? [[k, bag[k]] as const] : [])));
  return Object.keys(picked).length === 0 ? rest : { ...rest, [unit]: picked };
}

/**
 * Where the view is remembered between hooks: on the unit's own disk, not in charm state. It grows with the number
 * of peers (two public keys each, ~1.7 KB a peer), and Juju caps a charm-state value at 64 KiB and a unit's whole
 * state at 2 MiB. It is a read cache of what peers committed, so it needs none of charm state's transactions: a hook
 * that fails and is retried reads again.
 */
export const PEER_VIEW_CACHE_PATH = '/var/lib/concourse-charm/peer-view.json';

/**
 * What the cache file holds. `token` ties it to one incarnation of the unit: the same token is kept in the unit's
 * charm state, which Juju creates empty for a new unit, so a file an earlier unit left on this machine (or a copy
 * from another machine) never passes for this unit's view.
 */
export interface PeerViewCache {
  readonly unit: string;
  readonly token: string;
  readonly peers: PeerBags;
}

const CACHE_FORMAT = 1;

const cacheSchema = z.object({
  format: z.literal(CACHE_FORMAT),
  unit: z.string(),
  token: z.string().min(1),
  peers: z.record(z.string(), z.record(z.string(), z.string())),
});

/**
 * The remembered view, when the file is this unit's (same unit name and token) and of this format; undefined when
 * it is missing, unreadable, another unit's, another incarnation's, or of another shape: "nothing remembered".
 */
export function parsePeerViewCache(
  text: string | undefined,
  expected: { readonly unit: string; readonly token: string | undefined },
): PeerBags | undefined {
  if (expected.token === undefined) return undefined;
  const cache = parseRememberedJson(cacheSchema, text);
  if (cache === undefined || cache.unit !== expected.unit || cache.token !== expected.token) return undefined;
  return cache.peers;
}

/** The cache file for a view: root-only, peers sorted so the same view is the same bytes (no rewrite). */
export function peerViewCacheFile(cache: PeerViewCache): RenderedFile {
  const peers = Object.fromEntries(Object.entries(cache.peers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const content = `${JSON.stringify({ format: CACHE_FORMAT, unit: cache.unit, token: cache.token, peers })}\n`;
  return { path: PEER_VIEW_CACHE_PATH, content, mode: 0o600, owner: 'root', group: 'root' };
}

/** Which volume each peer sees, from the bags. */
export function volumesOf(bags: PeerBags, volumeKey: string): PeerVolumes {
  return Object.fromEntries(
    Object.entries(bags).flatMap(([unit, bag]) => (bag[volumeKey] ? [[unit, bag[volumeKey]] as const] : [])),
  );
}
