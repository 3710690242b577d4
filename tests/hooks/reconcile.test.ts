// Hook tests of the reconcile path (install, config-changed, leader-elected, peers-relation-changed,
// update-status) through the real container with in-memory Juju, volume, lock and systemd: state in, state out.
import { describe, expect, test } from 'vitest';
import { Cluster, HookWorld, POSTGRES_READY, peers } from './harness';

const WEB = 'concourse-server.service';
const WORKER = 'concourse-worker.service';
const UNITS = ['concourse-ci/0', 'concourse-ci/1', 'concourse-ci/2'];

/** mode=auto on one volume, PostgreSQL ready, config `version` set; concourse-ci/0 leads. */
function autoCluster(world = new HookWorld()): Cluster {
  return new Cluster(world, UNITS, {
    leader: 'concourse-ci/0',
    config: { mode: 'auto', version: '7.14.2' },
    relations: [peers({}), POSTGRES_READY.relation],
    secrets: [POSTGRES_READY.secret],
  });
}

/** Every unit installs, then a round of update-status (which reads every peer) so each sees the others' bags. */
async function deployed(cluster: Cluster): Promise<void> {
  for (const u of UNITS) await cluster.run(u, 'install');
  for (const u of UNITS) await cluster.run(u, 'update-status');
  await cluster.run(UNITS[0] ?? '', 'update-status');
}

function peerBag(cluster: Cluster, unit: string) {
  return cluster.state(unit).relations.find((r) => r.peer === true);
}

describe('install and config-changed in mode=auto', () => {
  test('the leader installs → web active, one download, the target and its roles published', async () => {
    const cluster = autoCluster();
    const run = await cluster.run('concourse-ci/0', 'install');
    expect(run.exitCode).toBe(0);
    expect(run.state.unitStatus).toEqual({
      status: 'active',
      message: 'Web ready (v7.14.2) http://10.0.0.10:8080 · volume not shared',
    });
    expect(cluster.world.mirror.count('7.14.2')).toBe(1);
    expect(peerBag(cluster, 'concourse-ci/0')?.localAppData).toMatchObject({
      'target-version': '7.14.2',
      'target-serial': '1',
      'config-version': '7.14.2',
    });
    expect(peerBag(cluster, 'concourse-ci/0')?.localUnitData).toMatchObject({
      roles: 'web',
      'running-version': '7.14.2',
      'volume-id': 'vol-a',
    });
    expect(cluster.machine('concourse-ci/0').changes()).toEqual([`start ${WEB}`]);
    expect(cluster.machine('concourse-ci/0').releaseOf(WEB)).toBe('7.14.2');
    expect(run.state.workloadVersion).toBe('7.14.2');
    expect(run.state.openedPorts).toEqual(['8080/tcp']);
    // Recorded before the install and after the start: the release it runs is protected from garbage collection.
    expect(JSON.parse(cluster.world.volume.unitStates.get('concourse-ci-0') ?? '{}')).toMatchObject({
      unit: 'concourse-ci/0',
      roles: ['web'],
      runningVersion: '7.14.2',
      targetVersion: '7.14.2',
    });
  });

  test('units after the first → reuse the release: no lock taken (the lock’s own record), no download', async () => {
    const cluster = autoCluster();
    await cluster.run('concourse-ci/0', 'install');
    const lock = cluster.world.lock;
    const before = { attempts: lock.attempts, acquisitions: lock.acquisitions };
    await cluster.run('concourse-ci/1', 'install');
    const run = await cluster.run('concourse-ci/1', 'config-changed');
    expect({ attempts: lock.attempts, acquisitions: lock.acquisitions }).toEqual(before);
    expect(cluster.world.mirror.count('7.14.2')).toBe(1);
    expect(run.logger.names()).toContain('storage.reuse');
    expect(run.state.unitStatus).toEqual({
      status: 'active',
      message: 'Worker ready (v7.14.2) · shared volume 2 units',
    });
    expect(cluster.machine('concourse-ci/1').releaseOf(WORKER)).toBe('7.14.2');
  });

  test('a worker before the leader’s web offers its TSA → waiting for it, its key offered all the same', async () => {
    const cluster = autoCluster();
    const run = await cluster.run('concourse-ci/1', 'install');
    expect(run.state.unitStatus).toEqual({
      status: 'waiting',
      message: 'Worker waiting for the leader’s web to start',
    });
    // Said even though the hook ends waiting: the web needs the key to authorize this worker.
    expect(peerBag(cluster, 'concourse-ci/1')?.localUnitData).toMatchObject({
      roles: 'worker',
      'volume-id': 'vol-a',
      'worker-public-key': expect.stringMatching(/^ssh-ed25519 /),
    });
    expect(await cluster.machine('concourse-ci/1').isActive(WORKER)).toBe(false);
  });

  test('version empty, a non-leader before the leader pinned one → waits for it, downloads nothing', async () => {
    const cluster = autoCluster();
    cluster.update('concourse-ci/1', () => ({ config: { mode: 'auto' } }));
    const run = await cluster.run('concourse-ci/1', 'install');
    expect(run.state.unitStatus).toEqual({
      status: 'waiting',
      message: 'Waiting for the leader to resolve the latest Concourse release',
    });
    expect(cluster.world.mirror.downloads.size).toBe(0);
    // Roles and the volume are said all the same, for the others to count.
    expect(peerBag(cluster, 'concourse-ci/1')?.localUnitData).toEqual({ roles: 'worker', 'volume-id': 'vol-a' });
  });

  test('version empty, the leader → resolves the latest once and pins it; a newer release later moves nothing', async () => {
    const world = new HookWorld({ versions: ['7.14.2', '7.14.3', '7.15.0'] });
    const cluster = autoCluster(world);
    cluster.update('concourse-ci/0', () => ({ config: { mode: 'auto' } }));
    world.latest = '7.14.3';
    const run = await cluster.run('concourse-ci/0', 'install');
    expect(run.state.unitStatus.message).toBe('Web ready (v7.14.3) http://10.0.0.10:8080 · volume not shared');
    const app = peerBag(cluster, 'concourse-ci/0')?.localAppData ?? {};
    expect(app['target-version']).toBe('7.14.3');
    // No config version turned into this target: an operator's `juju config version=` later re-targets.
    expect(app['config-version']).toBeUndefined();
    world.latest = '7.15.0';
    const later = await cluster.run('concourse-ci/0', 'update-status');
    expect(later.state.unitStatus.message).toContain('(v7.14.3)');
    expect(world.mirror.count('7.15.0')).toBe(0);
  });

  test('relation events, config-changed and update-status on a converged cluster → no start, restart, stop or reload, no relation-set', async () => {
    const cluster = autoCluster();
    await deployed(cluster);
    const before = UNITS.map((u) => cluster.machine(u).changes().length);
    const events: readonly (readonly [string, string, Parameters<Cluster['run']>[2]])[] = [
      ['concourse-ci/0', 'peers-relation-changed', { relation: { id: 'peers:0', remoteUnit: 'concourse-ci/1' } }],
      ['concourse-ci/1', 'peers-relation-changed', { relation: { id: 'peers:0', remoteUnit: 'concourse-ci/0' } }],
      ['concourse-ci/0', 'postgresql-relation-changed', { relation: { id: 'postgresql:1', remoteApp: 'postgresql' } }],
      ...UNITS.flatMap((u) => [
        [u, 'config-changed', {}] as const,
        [u, 'update-status', {}] as const,
        [u, 'config-changed', {}] as const,
      ]),
    ];
    for (const [unit, hook, options] of events) {
      const run = await cluster.run(unit, hook, options);
      expect(run.tools.callsOf('relationSet'), `${unit} ${hook}`).toEqual([]);
      expect(run.state.unitStatus.status, `${unit} ${hook}`).toBe('active');
    }
    expect(UNITS.map((u) => cluster.machine(u).changes().length)).toEqual(before);
    expect(cluster.world.mirror.count('7.14.2')).toBe(1);
  });
});

describe('leadership in mode=auto', () => {
  test('leader-elected on a worker → roles published first, web started, worker stopped', async () => {
    const cluster = autoCluster();
    await deployed(cluster);
    cluster.setLeader('concourse-ci/1');
    const run = await cluster.run('concourse-ci/1', 'leader-elected');
    expect(run.exitCode).toBe(0);
    expect(peerBag(cluster, 'concourse-ci/1')?.localUnitData).toMatchObject({ roles: 'web' });
    const machine = cluster.machine('concourse-ci/1');
    // The web starts first; the worker it no longer runs is retired (SIGUSR2: its builds finish, it leaves the
    // cluster), then stopped and disabled.
    expect(machine.changes().slice(-4)).toEqual([
      `start ${WEB}`,
      `kill --kill-who=main --signal=SIGUSR2 ${WORKER}`,
      `stop ${WORKER}`,
      `disable ${WORKER}`,
    ]);
    expect(run.state.unitStatus.message).toBe('Web ready (v7.14.2) http://10.0.0.11:8080 · shared volume 3 units');
  });

  test('the new leader’s hook ends blocked (its download fails) → its role is still committed', async () => {
    const cluster = autoCluster();
    await deployed(cluster);
    cluster.update('concourse-ci/1', (s) => ({ config: { ...s.config, version: '7.99.0' } }));
    cluster.setLeader('concourse-ci/1');
    const run = await cluster.run('concourse-ci/1', 'leader-elected');
    expect(run.exitCode).toBe(0);
    expect(run.state.unitStatus.status).toBe('blocked');
    expect(run.state.unitStatus.message).toMatch(/Concourse 7\.99\.0 not found/);
    expect(peerBag(cluster, 'concourse-ci/1')?.localUnitData).toMatchObject({ roles: 'web' });
  });

  test('the old leader’s next peers-relation-changed → stops its web and becomes a worker of the new one', async () => {
    const cluster = autoCluster();
    await deployed(cluster);
    cluster.setLeader('concourse-ci/1');
    await cluster.run('concourse-ci/1', 'leader-elected');
    const run = await cluster.run('concourse-ci/0', 'peers-relation-changed', {
      relation: { id: 'peers:0', remoteUnit: 'concourse-ci/1', remoteApp: 'concourse-ci' },
    });
    expect(run.exitCode).toBe(0);
    const machine = cluster.machine('concourse-ci/0');
    expect(machine.changes().slice(-3)).toEqual([`stop ${WEB}`, `disable ${WEB}`, `start ${WORKER}`]);
    expect(await machine.isActive(WEB)).toBe(false);
    expect(run.state.unitStatus).toEqual({
      status: 'active',
      message: 'Worker ready (v7.14.2) · shared volume 3 units',
    });
    expect(machine.files.get('/etc/concourse/worker.env')?.content).toContain('CONCOURSE_TSA_HOST="10.0.0.11:2222"');
  });
});

describe('a hook that fails', () => {
  test('a hook tool failing mid-hook → exit 1, its buffered relation and charm-state writes dropped', async () => {
    const cluster = autoCluster();
    const run = await cluster.run('concourse-ci/0', 'install', {
      failNext: ['applicationVersionSet', new Error('connection to the unit agent lost')],
    });
    expect(run.exitCode).toBe(1);
    expect(run.logger.names()).toContain('hook.failed');
    const bag = peerBag(cluster, 'concourse-ci/0');
    expect(bag?.localUnitData).toEqual({});
    expect(bag?.localAppData).toEqual({});
    expect(run.state.charmState).toEqual({});
    // What took effect on the machine at once stays (the started web); Juju retries the hook, which commits.
    expect(cluster.machine('concourse-ci/0').changes()).toEqual([`start ${WEB}`]);
    const retried = await cluster.run('concourse-ci/0', 'install');
    expect(retried.exitCode).toBe(0);
    expect(peerBag(cluster, 'concourse-ci/0')?.localUnitData).toMatchObject({
      roles: 'web',
      'running-version': '7.14.2',
    });
  });
});
