// Test support: the UnitStateStore port over an InMemoryVolume: unit directory names checked as the adapter checks
// them, states stored as JSON text (a garbled one is skipped on read), private stores removed per unit.

import { assertSafeUnitDir } from '../../src/domain/store-names';
import { parseUnitState, type UnitStateRecord } from '../../src/domain/unit-state';
import type { UnitStateStore } from '../../src/ports/unit-state-store';
import type { InMemoryVolume } from './in-memory-volume';

export class FakeUnitStateStore implements UnitStateStore {
  constructor(readonly volume: InMemoryVolume) {}

  async write(unitDir: string, state: UnitStateRecord): Promise<void> {
    assertSafeUnitDir(unitDir);
    this.volume.assertWritable(`worker/${unitDir}/state.json`);
    this.volume.unitStates.set(unitDir, `${JSON.stringify(state, null, 2)}\n`);
  }

  async readAll(): Promise<ReadonlyMap<string, UnitStateRecord>> {
    this.volume.assertReadable('worker/');
    const states = new Map<string, UnitStateRecord>();
    if (this.volume.absent) return states;
    for (const [unitDir, text] of this.volume.unitStates) {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        continue;
      }
      const record = parseUnitState(raw);
      if (record !== undefined) states.set(unitDir, record);
    }
    return states;
  }

  async removeUnitDir(unitDir: string): Promise<void> {
    assertSafeUnitDir(unitDir);
    if (this.volume.absent) return;
    if (this.volume.unitStates.has(unitDir)) this.volume.assertWritable(`worker/${unitDir}`);
    this.volume.unitStates.delete(unitDir);
  }

  async removeUnitPrivateStore(unitDir: string): Promise<void> {
    assertSafeUnitDir(unitDir);
    if (this.volume.absent) return;
    if (this.volume.privateStores.has(unitDir)) this.volume.assertWritable(`.unit-private/${unitDir}`);
    this.volume.privateStores.delete(unitDir);
  }
}
