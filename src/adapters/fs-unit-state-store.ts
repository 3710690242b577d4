// Adapter (UnitStateStore): `worker/<app>-<n>/state.json` files on the volume, each written durably by its own unit
// and read by every unit (release collection keeps what any unit runs).

import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { inject, injectable } from 'inversify';
import { assertSafeUnitDir, isSafeUnitDir } from '../domain/store-names';
import { parseUnitState, type UnitStateRecord } from '../domain/unit-state';
import { STORE_PATHS, VOLUME_LAYOUT } from '../domain/volume-layout';
import { STORE_ROOT } from '../ports/store-root';
import type { UnitStateStore } from '../ports/unit-state-store';
import { readDirIfExists, readJsonIfExists, writeAtomic } from './fs-durable';

@injectable()
export class FsUnitStateStore implements UnitStateStore {
  readonly root: string;

  constructor(@inject(STORE_ROOT) root: string) {
    this.root = resolve(root);
  }

  async write(unitDir: string, state: UnitStateRecord): Promise<void> {
    const safe = assertSafeUnitDir(unitDir);
    await mkdir(join(this.root, STORE_PATHS.unitDir(safe)), { recursive: true });
    await writeAtomic(join(this.root, STORE_PATHS.unitState(safe)), `${JSON.stringify(state, null, 2)}\n`, {
      durable: true,
    });
  }

  async readAll(): Promise<ReadonlyMap<string, UnitStateRecord>> {
    const states = new Map<string, UnitStateRecord>();
    for (const entry of await readDirIfExists(join(this.root, VOLUME_LAYOUT.worker))) {
      if (!entry.isDirectory() || !isSafeUnitDir(entry.name)) continue;
      const raw = await readJsonIfExists(join(this.root, STORE_PATHS.unitState(entry.name)));
      const record = raw === undefined ? undefined : parseUnitState(raw);
      if (record !== undefined) states.set(entry.name, record);
    }
    return states;
  }

  async removeUnitDir(unitDir: string): Promise<void> {
    await rm(join(this.root, STORE_PATHS.unitDir(assertSafeUnitDir(unitDir))), { recursive: true, force: true });
  }

  async removeUnitPrivateStore(unitDir: string): Promise<void> {
    await rm(join(this.root, STORE_PATHS.privateStore(assertSafeUnitDir(unitDir))), { recursive: true, force: true });
  }
}
