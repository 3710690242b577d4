import { expect, test } from 'vitest';
import { releaseBinary, releaseDir } from '../../src/domain/concourse-services';
import { InvalidInputError } from '../../src/domain/errors';
import { parseUnitName } from '../../src/domain/hook-event';
import { ConcourseVersion } from '../../src/domain/version';
import { inStore, privateStoreRoot, STORE_PATHS } from '../../src/domain/volume-layout';
import {
  collectsGarbage,
  compareUnits,
  describeSharing,
  detectSharing,
  enforceSharingMode,
} from '../../src/domain/volume-sharing';
import { workerLayout } from '../../src/domain/worker-layout';

const unit = parseUnitName('concourse-ci/3');

test('local volume → work dir in the unit dir the store writes state.json to (one layout)', () => {
  const l = workerLayout({
    unit,
    volumeRoot: '/var/lib/concourse/',
    volumeIsNetworkFilesystem: false,
    workDirOverride: undefined,
  });
  expect(l).toEqual({ unitDirName: 'concourse-ci-3', workDir: '/var/lib/concourse/worker/concourse-ci-3/work_dir' });
  // The store writes `worker/<dir>/state.json` through the same module: both live in one directory.
  expect(inStore('/var/lib/concourse', STORE_PATHS.unitState(l.unitDirName))).toBe(
    '/var/lib/concourse/worker/concourse-ci-3/state.json',
  );
});

test('network volume → work dir on the local disk (containerd cannot run on NFS or FUSE)', () => {
  const l = workerLayout({
    unit,
    volumeRoot: '/var/lib/concourse',
    volumeIsNetworkFilesystem: true,
    workDirOverride: undefined,
  });
  expect(l.workDir).toBe('/var/lib/concourse-worker/concourse-ci-3/work_dir');
});

test('operator override → used as given, on any filesystem', () => {
  for (const network of [true, false]) {
    const l = workerLayout({ unit, volumeRoot: '/v', volumeIsNetworkFilesystem: network, workDirOverride: '/srv/w' });
    expect(l.workDir).toBe('/srv/w');
  }
});

test('store paths: one release, its binary, a private store; the unit file runs where the store publishes', () => {
  expect(STORE_PATHS.release('8.0.1')).toBe('releases/8.0.1');
  expect(STORE_PATHS.releaseBinary('8.0.1')).toBe('releases/8.0.1/bin/concourse');
  expect(STORE_PATHS.currentBin).toBe('current/bin');
  expect(privateStoreRoot('web-0')).toBe('/var/lib/concourse/.unit-private/web-0');
  const v = ConcourseVersion.parse('8.0.1');
  expect(releaseBinary('/var/lib/concourse/', v)).toBe(
    inStore('/var/lib/concourse', STORE_PATHS.releaseBinary('8.0.1')),
  );
  expect(releaseDir('/srv/store', v)).toBe('/srv/store/releases/8.0.1');
});

test.each([
  'concourse-ci/../0',
  '../x/0',
  'a/b/0',
  'app/01',
  'App/0',
  'app-/0',
  'app',
  '/0',
  'app/-1',
  'a.b/0',
  'app-1/0',
])('unit name %j → rejected before any path is built', (name) => {
  expect(() => parseUnitName(name)).toThrow(InvalidInputError);
});

test('unit names Juju allows → accepted', () => {
  expect(parseUnitName('concourse-ci-machine/12').dirName).toBe('concourse-ci-machine-12');
  expect(parseUnitName('web2/0').dirName).toBe('web2-0');
});

test('peers publishing the same volume id → counted as sharing, others not', () => {
  const peers = { 'concourse-ci/10': 'v1', 'concourse-ci/2': 'v1', 'concourse-ci/1': 'other' };
  expect(detectSharing('concourse-ci/0', 'v1', peers).units).toEqual([
    'concourse-ci/0',
    'concourse-ci/2',
    'concourse-ci/10',
  ]);
});

test('shared-storage=required and no other unit on the volume → blocked with guidance', () => {
  const alone = { volumeId: 'v', units: ['a/0'] };
  expect(() => enforceSharingMode('required', alone, '/var/lib/concourse')).toThrow(/No other unit shares the volume/);
  expect(() => enforceSharingMode('auto', alone, '/var/lib/concourse')).not.toThrow();
  expect(() => enforceSharingMode('required', { volumeId: 'v', units: ['a/0', 'a/1'] }, '/x')).not.toThrow();
});

test('unit ordering → by app then number', () => {
  expect(['b/0', 'a/10', 'a/9'].sort(compareUnits)).toEqual(['a/9', 'a/10', 'b/0']);
});

test('garbage collection → the leader for the shared store, every unit for its private one', () => {
  expect(collectsGarbage(true, 'auto')).toBe(true);
  expect(collectsGarbage(false, 'auto')).toBe(false);
  expect(collectsGarbage(false, 'required')).toBe(false);
  expect(collectsGarbage(false, 'none')).toBe(true);
});

test('status sharing part → counts sharers, says when not shared or private', () => {
  expect(describeSharing({ volumeId: 'v', units: ['a/0', 'a/1', 'a/2'] }, 'auto')).toBe('shared volume 3 units');
  expect(describeSharing({ volumeId: 'v', units: ['a/0'] }, 'auto')).toBe('volume not shared');
  expect(describeSharing({ volumeId: 'v', units: ['a/0', 'a/1'] }, 'none')).toBe('private release store');
});
