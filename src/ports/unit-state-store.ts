// Port: each unit's own directory on the volume, `worker/<app>-<n>/` with its `state.json` (roles, running
// version: what release collection must not remove), and its private store with shared-storage=none.

import type { UnitStateRecord } from '../domain/unit-state';

export interface UnitStateStore {
  /** Writes `worker/<unitDir>/state.json` durably (temp file, fsync, rename). */
  write(unitDir: string, state: UnitStateRecord): Promise<void>;
  /** Every readable state, by unit directory; unparsable files are skipped. */
  readAll(): Promise<ReadonlyMap<string, UnitStateRecord>>;
  /** Removes a unit's own directory (worker/<app>-<n>), nothing else. */
  removeUnitDir(unitDir: string): Promise<void>;
  /** Removes a unit's private release store (shared-storage=none: .unit-private/<app>-<n>), nothing else. */
  removeUnitPrivateStore(unitDir: string): Promise<void>;
}

/** The unit states of this unit's store root. */
export const UNIT_STATE_STORE = Symbol.for('concourse-ci-machine/UnitStateStore');
/** The unit directories at the storage location itself (removal needs no parsed config). */
export const LOCATION_UNIT_STATE_STORE = Symbol.for('concourse-ci-machine/LocationUnitStateStore');
