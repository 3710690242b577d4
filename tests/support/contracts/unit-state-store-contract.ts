// Contract of the UnitStateStore port, run against the file adapter (tests/adapters) and the in-memory one
// (tests/unit): per-unit states written and read back, garbage skipped, unit directory names checked.

import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/domain/errors';
import type { UnitStateRecord } from '../../../src/domain/unit-state';
import type { UnitStateStore } from '../../../src/ports/unit-state-store';

export interface UnitStateStoreSubject {
  readonly store: UnitStateStore;
  /** Leaves an unparsable state.json for `unitDir` (a unit killed mid-write by an older charm, a hand edit). */
  garble(unitDir: string): Promise<void>;
}

export function unitStateStoreContract(name: string, make: () => Promise<UnitStateStoreSubject>): void {
  describe(`${name} keeps the UnitStateStore contract`, () => {
    const web: UnitStateRecord = { unit: 'concourse-ci/0', roles: ['web'], runningVersion: '7.14.2', updatedAt: 'T0' };
    const worker: UnitStateRecord = { unit: 'concourse-ci/1', roles: ['worker'], updatedAt: 'T1' };

    it('no unit wrote yet → no states', async () => {
      const { store } = await make();
      expect((await store.readAll()).size).toBe(0);
    });

    it('two units write, one rewrites, one is garbled → the latest of each readable one', async () => {
      const subject = await make();
      await subject.store.write('concourse-ci-0', { ...web, runningVersion: '7.14.1' });
      await subject.store.write('concourse-ci-0', web);
      await subject.store.write('concourse-ci-1', worker);
      await subject.garble('concourse-ci-2');
      const states = await subject.store.readAll();
      expect([...states.entries()].sort()).toEqual([
        ['concourse-ci-0', web],
        ['concourse-ci-1', worker],
      ]);
    });

    it('unit directory removed → only that unit is gone; removing it again is no error', async () => {
      const { store } = await make();
      await store.write('concourse-ci-0', web);
      await store.write('concourse-ci-1', worker);
      await store.removeUnitDir('concourse-ci-1');
      await store.removeUnitDir('concourse-ci-1');
      await store.removeUnitPrivateStore('concourse-ci-1');
      expect([...(await store.readAll()).keys()]).toEqual(['concourse-ci-0']);
    });

    it('unit directory that is not <application>-<number> → InvalidInputError, nothing written', async () => {
      const { store } = await make();
      for (const bad of ['../x', 'a/b', 'concourse-ci', 'Concourse-0', 'concourse-ci-0/..']) {
        await expect(store.write(bad, web), bad).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.removeUnitDir(bad), bad).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.removeUnitPrivateStore(bad), bad).rejects.toBeInstanceOf(InvalidInputError);
      }
      expect((await store.readAll()).size).toBe(0);
    });
  });
}
