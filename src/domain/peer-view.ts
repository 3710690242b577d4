// Domain: each unit's view of its peers' bags (volume id, roles, offers), kept incrementally. Reading every peer's bag in every
// hook costs O(units) hook-tool calls per hook and O(units^3) in all; Juju already tells which peer changed.

import { z } from 'zod';
import type { RelationContext } from './hook-event';
import { parseRememberedJson } from './remembered-json';

/** Peer unit name -> the volume id it publishes. */
export type PeerVolumes = Readonly<Record<string, string>>;

export type PeerRefresh =
  | { readonly kind: 'full' }
  | { readonly kind: 'one'; readonly unit: string }
  | { readonly kind: 'drop'; readonly unit: string }
  | { readonly kind: 'cached' };

export const PEER_ENDPOINT = 'peers';

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

const bagsSchema = z.record(z.string(), z.record(z.string(), z.string()));

export function parsePeerBags(text: string | undefined): PeerBags | undefined {
  return parseRememberedJson(bagsSchema, text);
}

/** Which volume each peer sees, from the bags. */
export function volumesOf(bags: PeerBags, volumeKey: string): PeerVolumes {
  return Object.fromEntries(
    Object.entries(bags).flatMap(([unit, bag]) => (bag[volumeKey] ? [[unit, bag[volumeKey]] as const] : [])),
  );
}
