// Port: the `peers` relation as the charm uses it: this unit's own bag, every peer's bag, and the application bag
// the leader owns. Writes are buffered by Juju and seen by others only after the hook exits 0.

import type { Databag } from './hook-tools';

export interface PeerRelation {
  /** False before the peer relation exists (early install): callers treat that as "no peers yet". */
  exists(): Promise<boolean>;
  /** Every other unit's bag, by unit name. */
  peerUnits(): Promise<ReadonlyMap<string, Databag>>;
  /** One peer's bag: what a `peers-relation-changed` for that unit needs, without reading every peer. */
  peerUnit(unit: string): Promise<Databag>;
  localUnit(): Promise<Databag>;
  /** Merges keys into this unit's bag (empty string deletes). */
  updateLocalUnit(data: Databag): Promise<void>;
  appData(): Promise<Databag>;
  /** Leader only; Juju refuses other units. */
  updateAppData(data: Databag): Promise<void>;
}

export const PEER_RELATION = Symbol.for('concourse-ci-machine/PeerRelation');
