// Hook tests of the storage-status action (read-only: what the volume holds, who shares it, the lock and any
// download in progress) and of a unit leaving (stop, remove, storage detaching): its own data only.
import { describe, expect, test } from 'vitest';
import { Cluster, deployedCluster, LOCATION } from './harness';

const WEB = 'concourse-server.service';
const WORKER = 'concourse-worker.service';
const UNITS = ['concourse-ci/0', 'concourse-ci/1', 'concourse-ci/2'];

function deployed(config: Readonly<Record<string, unknown>> = {}): Promise<Cluster> {
  return deployedCluster(UNITS, config);
}

describe('storage-status', () => {
  test('a converged volume → volume, mount, releases, units sharing it, lock free; nothing written, no lock taken', async () => {
    const cluster = await deployed();
    const lock = cluster.world.lock;
    const attempts = lock.attempts;
    const volume = cluster.world.volume;
    const before = JSON.stringify([...volume.unitStates]);
    const run = await cluster.action('concourse-ci/1', 'storage-status');
    expect(run.tools.actionFailure).toBeUndefined();
    expect(run.tools.actionResults).toMatchObject({
      location: LOCATION,
      'volume-id': 'vol-a',
      mount: "none: a directory on the machine's disk",
      current: '7.14.2',
      'units-sharing': 'concourse-ci/0, concourse-ci/1, concourse-ci/2',
      'releases.v7-14-2.version': '7.14.2',
      'releases.v7-14-2.state': 'published',
      'releases.v7-14-2.published-by': 'concourse-ci/0',
      'lock.held': 'false',
      'units.concourse-ci-1.unit': 'concourse-ci/1',
      'units.concourse-ci-1.roles': 'worker',
      'units.concourse-ci-1.version': '7.14.2',
    });
    expect(lock.attempts).toBe(attempts);
    expect(JSON.stringify([...volume.unitStates])).toBe(before);
  });

  test('another unit mid-download → the lock held, who downloads which version and how far', async () => {
    const cluster = await deployed();
    cluster.world.lock.heldElsewhere = true;
    cluster.world.volume.progress = JSON.stringify({
      version: '7.14.3',
      unit: 'concourse-ci/2',
      host: 'machine-2',
      pid: 4242,
      startedAt: Date.parse('2026-12-07T20:00:00Z'),
      updatedAt: Date.parse('2026-12-07T20:00:30Z'),
      bytes: 42,
      total: 100,
    });
    const run = await cluster.action('concourse-ci/0', 'storage-status');
    expect(run.tools.actionResults).toMatchObject({
      'lock.held': 'true',
      'lock.holder': 'concourse-ci/2',
      'download.version': '7.14.3',
      'download.unit': 'concourse-ci/2',
      'download.progress': '42%',
      'download.started-at': '2026-12-07T20:00:00.000Z',
    });
  });

  test('the volume is missing → the action fails saying so', async () => {
    const cluster = await deployed();
    cluster.world.volume.state = 'missing';
    const run = await cluster.action('concourse-ci/0', 'storage-status');
    expect(run.tools.actionFailure).toBe(`Storage ${LOCATION} is missing: nothing to report`);
  });
});

describe('a unit leaving', () => {
  test.each(['stop', 'remove'])(
    '%s on a worker → its services stopped and disabled, its own directory removed, nothing else',
    async (hook) => {
      const cluster = await deployed();
      const volume = cluster.world.volume;
      volume.privateStore('concourse-ci-2');
      volume.privateStore('concourse-ci-1');
      const run = await cluster.run('concourse-ci/2', hook);
      expect(run.exitCode).toBe(0);
      // Retired first (SIGUSR2: running builds finish and the worker leaves the cluster), then stopped.
      expect(cluster.machine('concourse-ci/2').changes()).toEqual([
        `start ${WORKER}`,
        `kill --kill-who=main --signal=SIGUSR2 ${WORKER}`,
        `stop ${WORKER}`,
        `disable ${WORKER}`,
      ]);
      expect([...volume.unitStates.keys()].sort()).toEqual(['concourse-ci-0', 'concourse-ci-1']);
      expect([...volume.privateStores.keys()]).toEqual(['concourse-ci-1']);
      expect([...volume.releases.keys()]).toEqual(['7.14.2']);
      expect(volume.current).toBe('7.14.2');
      expect(volume.volumeId).toBe('vol-a');
    },
  );

  test('the web unit removed with invalid config → still stops its web and leaves cleanly', async () => {
    const cluster = await deployed();
    cluster.update('concourse-ci/0', (s) => ({ config: { ...s.config, mode: 'foo' } }));
    const run = await cluster.run('concourse-ci/0', 'remove');
    expect(run.exitCode).toBe(0);
    expect(cluster.machine('concourse-ci/0').changes().slice(-2)).toEqual([`stop ${WEB}`, `disable ${WEB}`]);
  });

  test('the volume already gone (machine removal) → services stopped, nothing to clean, exit 0', async () => {
    const cluster = await deployed();
    cluster.world.volume.state = 'missing';
    const run = await cluster.run('concourse-ci/1', 'remove');
    expect(run.exitCode).toBe(0);
    expect([...cluster.world.volume.unitStates.keys()].sort()).toEqual([
      'concourse-ci-0',
      'concourse-ci-1',
      'concourse-ci-2',
    ]);
    expect(run.logger.events.find((e) => e.event === 'storage.unit.removed')?.fields).toEqual({ volume: 'missing' });
  });

  test('concourse-data-storage-detaching → forgets the volume it used, so what shows through next is a new start', async () => {
    const cluster = await deployed();
    expect(cluster.state('concourse-ci/1').charmState[`volume-id@${LOCATION}`]).toBeDefined();
    const run = await cluster.run('concourse-ci/1', 'concourse-data-storage-detaching');
    expect(run.exitCode).toBe(0);
    expect(run.state.charmState[`volume-id@${LOCATION}`]).toBeUndefined();
  });
});
