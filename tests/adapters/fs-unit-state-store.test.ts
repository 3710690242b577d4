// Adapter tests for FsUnitStateStore: state.json files of several units in a real volume directory.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FsUnitStateStore } from '../../src/adapters/fs-unit-state-store';
import type { UnitStateRecord } from '../../src/domain/unit-state';
import { unitStateStoreContract } from '../support/contracts/unit-state-store-contract';
import { scratchVolume } from '../support/volume-scratch';

const v = scratchVolume();
let root: string;
let scratch: string;
let unitStates: FsUnitStateStore;

beforeEach(() => {
  root = v.root;
  scratch = v.scratch;
  unitStates = new FsUnitStateStore(root);
});

unitStateStoreContract('FsUnitStateStore', async () => {
  const dir = await mkdtemp(join(v.scratch, 'contract-'));
  return {
    store: new FsUnitStateStore(dir),
    garble: async (unitDir) => {
      await mkdir(join(dir, 'worker', unitDir), { recursive: true });
      await writeFile(join(dir, 'worker', unitDir, 'state.json'), '{"unit": 3');
    },
  };
});

describe('FsUnitStateStore', () => {
  it('unit states written by several units → read back by unit dir, unparsable ones skipped, removal is per unit', async () => {
    const web: UnitStateRecord = { unit: 'concourse-ci/0', roles: ['web'], runningVersion: '7.14.2', updatedAt: 'T0' };
    const worker: UnitStateRecord = { unit: 'concourse-ci/1', roles: ['worker'], updatedAt: 'T1' };
    await unitStates.write('concourse-ci-0', web);
    await unitStates.write('concourse-ci-1', worker);
    await mkdir(join(root, 'worker/concourse-ci-2'), { recursive: true });
    await writeFile(join(root, 'worker/concourse-ci-2/state.json'), '{"unit": 3');
    await mkdir(join(root, 'worker/concourse-ci-1/work_dir'));

    const states = await unitStates.readAll();
    expect([...states.entries()].sort()).toEqual([
      ['concourse-ci-0', web],
      ['concourse-ci-1', worker],
    ]);

    await unitStates.removeUnitDir('concourse-ci-1');
    expect(existsSync(join(root, 'worker/concourse-ci-1'))).toBe(false);
    expect(existsSync(join(root, 'worker/concourse-ci-0/state.json'))).toBe(true);
    expect(existsSync(join(root, 'worker/concourse-ci-2'))).toBe(true);
  });

  it('unit dirs that are not one safe path component → rejected, nothing written', async () => {
    const record: UnitStateRecord = { unit: 'x/0', roles: [], updatedAt: 'T' };
    for (const bad of ['../x', 'a/b', '..', 'concourse-ci', 'Concourse-0', 'concourse-ci-0/..', '../../etc-1']) {
      await expect(unitStates.write(bad, record), bad).rejects.toThrow(/Refusing unit directory/);
      await expect(unitStates.removeUnitDir(bad), bad).rejects.toThrow(/Refusing unit directory/);
    }
    expect(await readdir(root)).toEqual([]);
    expect(await readdir(scratch)).toEqual(['volume']);
  });

  it('private store removed → only .unit-private/<unit> goes, the shared releases and other units stay', async () => {
    await mkdir(join(root, '.unit-private/concourse-ci-0/releases'), { recursive: true });
    await mkdir(join(root, '.unit-private/concourse-ci-1'), { recursive: true });
    await mkdir(join(root, 'releases/7.14.2'), { recursive: true });

    await unitStates.removeUnitPrivateStore('concourse-ci-0');

    expect(await readdir(join(root, '.unit-private'))).toEqual(['concourse-ci-1']);
    expect(existsSync(join(root, 'releases/7.14.2'))).toBe(true);
  });
});
