// The in-memory store ports hook tests use (tests/support/fake-*.ts) keep the same contracts as the file adapters
// (tests/adapters/fs-*.test.ts run them too), plus the fault injection only the fakes offer.

import { describe, expect, it } from 'vitest';
import { downloadProgressMarkerContract } from '../support/contracts/download-progress-marker-contract';
import { releaseStoreContract } from '../support/contracts/release-store-contract';
import { unitStateStoreContract } from '../support/contracts/unit-state-store-contract';
import { volumeProbeContract } from '../support/contracts/volume-probe-contract';
import { FakeDownloadProgressMarker } from '../support/fake-download-progress-marker';
import { FakeReleaseStore } from '../support/fake-release-store';
import { FakeUnitStateStore } from '../support/fake-unit-state-store';
import { FakeVolumeProbe } from '../support/fake-volume-probe';
import { InMemoryVolume } from '../support/in-memory-volume';
import { PUBLISHED_AT, releaseFiles, TARBALL } from '../support/release-fixtures';

releaseStoreContract('FakeReleaseStore', async () => {
  const store = new FakeReleaseStore(new InMemoryVolume());
  return {
    store,
    stage: async (staging, files) => store.stage(staging, files),
    damage: async (version) => store.damage(version),
  };
});

volumeProbeContract('FakeVolumeProbe', async () => {
  const volume = new InMemoryVolume();
  return {
    probe: new FakeVolumeProbe(volume),
    otherUnit: () => new FakeVolumeProbe(volume),
    lose: async () => {
      volume.state = 'missing';
    },
  };
});

unitStateStoreContract('FakeUnitStateStore', async () => {
  const volume = new InMemoryVolume();
  return {
    store: new FakeUnitStateStore(volume),
    garble: async (unitDir) => {
      volume.unitStates.set(unitDir, '{"unit": 3');
    },
  };
});

downloadProgressMarkerContract('FakeDownloadProgressMarker', async () => {
  const volume = new InMemoryVolume();
  return {
    marker: new FakeDownloadProgressMarker(volume),
    garble: async () => {
      volume.progress = '{"version": "7.14.2", "uni';
    },
  };
});

describe('in-memory volume faults', () => {
  it('read-only volume → inspect says read-only with the id, every write fails with EROFS, reads still work', async () => {
    const volume = new InMemoryVolume();
    const probe = new FakeVolumeProbe(volume);
    const store = new FakeReleaseStore(volume);
    const id = await probe.ensureVolumeId();
    volume.state = 'read-only';

    expect(await probe.inspect()).toMatchObject({ state: 'read-only', volumeId: id });
    await expect(store.openStaging('7.14.2', 'concourse-ci/0')).rejects.toMatchObject({ code: 'EROFS' });
    await expect(
      new FakeUnitStateStore(volume).write('concourse-ci-0', { unit: 'concourse-ci/0', roles: [], updatedAt: 'T' }),
    ).rejects.toMatchObject({ code: 'EROFS' });
    expect(await store.checkRelease('7.14.2')).toEqual({ state: 'absent', version: '7.14.2' });
  });

  it('volume full while publishing → ENOSPC, nothing published, the staging area left to discard', async () => {
    const volume = new InMemoryVolume();
    const store = new FakeReleaseStore(volume);
    const marker = new FakeDownloadProgressMarker(volume);
    const staging = await store.openStaging('7.14.2', 'concourse-ci/0');
    store.stage(staging, releaseFiles('7.14.2'));
    volume.writeError = 'ENOSPC';

    const request = { tarball: TARBALL, publishedBy: 'concourse-ci/0', publishedAt: PUBLISHED_AT };
    await expect(store.publish(staging, request)).rejects.toMatchObject({ code: 'ENOSPC' });
    await expect(
      marker.write({ version: '7.14.2', unit: 'u/0', host: 'h', pid: 1, startedAt: 1, updatedAt: 1, bytes: 0 }),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
    expect((await store.checkRelease('7.14.2')).state).toBe('absent');
    volume.writeError = undefined;
    await store.discardStaging(staging);
    expect(volume.staging.size).toBe(0);
  });

  it('missing private store with a creatable root → ensureRoot makes it ok; without → stays missing', async () => {
    const location = new InMemoryVolume();
    const creatable = location.privateStore('concourse-ci-0');
    creatable.state = 'missing';
    creatable.rootCreatable = true;
    const stuck = location.privateStore('concourse-ci-1');
    stuck.state = 'missing';

    await new FakeVolumeProbe(creatable).ensureRoot();
    await new FakeVolumeProbe(stuck).ensureRoot();

    expect((await new FakeVolumeProbe(creatable).inspect()).state).toBe('ok');
    expect((await new FakeVolumeProbe(stuck).inspect()).state).toBe('missing');
    expect(creatable.root).toBe('/var/lib/concourse/.unit-private/concourse-ci-0');
    await new FakeUnitStateStore(location).removeUnitPrivateStore('concourse-ci-0');
    expect([...location.privateStores.keys()]).toEqual(['concourse-ci-1']);
  });
});
