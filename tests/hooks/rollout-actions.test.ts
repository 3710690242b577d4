// Hook tests of the `upgrade` and `rollback` actions and the roll-out they start: the leader's action result and
// status, one download, web before workers (from the order of the systemctl calls), a release that does not start.
import { describe, expect, test } from 'vitest';
import { Cluster, HookWorld, POSTGRES_READY, peers } from './harness';

const WEB = 'concourse-server.service';
const WORKER = 'concourse-worker.service';
const LEADER = 'concourse-ci/0';
const UNITS = [LEADER, 'concourse-ci/1', 'concourse-ci/2'];
const PEERS = { id: 'peers:0', remoteApp: 'concourse-ci' };

/** Three units in mode=auto on 7.14.2, converged (each has seen the others). */
async function deployed(versions = ['7.14.2', '7.14.3']): Promise<Cluster> {
  const cluster = new Cluster(new HookWorld({ versions }), UNITS, {
    leader: LEADER,
    config: { mode: 'auto', version: '7.14.2' },
    relations: [peers({}), POSTGRES_READY.relation],
    secrets: [POSTGRES_READY.secret],
  });
  for (const u of UNITS) await cluster.run(u, 'install');
  for (const u of [...UNITS, LEADER]) await cluster.run(u, 'update-status');
  return cluster;
}

/**
 * Each non-leader's peers-relation-changed about the leader, as Juju delivers after the leader's action commits,
 * then the leader's about each of them (it learns what they run).
 */
async function followLeader(cluster: Cluster): Promise<void> {
  for (const u of UNITS.slice(1)) {
    await cluster.run(u, 'peers-relation-changed', { relation: { ...PEERS, remoteUnit: LEADER } });
  }
  for (const u of UNITS.slice(1)) {
    await cluster.run(LEADER, 'peers-relation-changed', { relation: { ...PEERS, remoteUnit: u } });
  }
}

/** How each unit switched release after deploy: a restart (web), or a land (SIGUSR1) and a start (worker). */
function restarts(cluster: Cluster): string[] {
  return UNITS.flatMap((u) => {
    const changes = cluster.machine(u).changes();
    const deployed = changes.findIndex((c) => c.startsWith('start '));
    return changes
      .slice(deployed + 1)
      .filter((c) => /^(restart|kill|start) /.test(c))
      .map((c) => `${u} ${c}`);
  });
}

describe('upgrade', () => {
  test('on a non-leader → fails naming the leader, nothing downloaded or changed', async () => {
    const cluster = await deployed();
    const run = await cluster.action('concourse-ci/2', 'upgrade', { version: '7.14.3' });
    expect(run.tools.actionFailure).toBe('Run upgrade on the leader: juju run concourse-ci/leader upgrade');
    expect(cluster.world.mirror.count('7.14.3')).toBe(0);
    expect(run.state.relations.find((r) => r.peer === true)?.localAppData?.['target-version']).toBe('7.14.2');
  });

  test.each([
    ['7.99.0', /^Concourse 7\.99\.0 not found at .*: check version and download-url$/],
    ['7.14.2; rm -rf /', /^Invalid version parameter "7\.14\.2; rm -rf \/": use a release number such as 7\.14\.2$/],
  ])('to %j → fails with the reason, the target stays 7.14.2', async (version, message) => {
    const cluster = await deployed();
    const run = await cluster.action(LEADER, 'upgrade', { version });
    expect(run.exitCode).toBe(0);
    expect(run.tools.actionFailure).toMatch(message);
    expect(run.state.relations.find((r) => r.peer === true)?.localAppData?.['target-version']).toBe('7.14.2');
    expect(
      cluster
        .machine(LEADER)
        .changes()
        .filter((c) => c.startsWith('restart ')),
    ).toEqual([]);
  });

  test('to 7.14.3 → one download; the web restarts first, each worker only once a web runs 7.14.3', async () => {
    const cluster = await deployed();
    const run = await cluster.action(LEADER, 'upgrade', { version: '7.14.3' });
    expect(run.tools.actionFailure).toBeUndefined();
    expect(run.tools.actionResults).toEqual({
      version: '7.14.3',
      previous: '7.14.2',
      message: '1/3 units run 7.14.3; the others follow (web first): watch juju status',
      'units.concourse-ci-0': '7.14.3 (switched)',
      'units.concourse-ci-1': '7.14.2 (switches to 7.14.3 next)',
      'units.concourse-ci-2': '7.14.2 (switches to 7.14.3 next)',
    });
    expect(run.state.unitStatus).toEqual({
      status: 'maintenance',
      message: 'Upgrading to v7.14.3: 1/3 units · shared volume 3 units',
    });
    // The leader's web was restarted onto the new release, never stopped; no worker moved yet.
    expect(restarts(cluster)).toEqual([`${LEADER} restart ${WEB}`]);
    expect(
      cluster
        .machine(LEADER)
        .changes()
        .filter((c) => c.startsWith('stop ')),
    ).toEqual([]);

    await followLeader(cluster);
    expect(restarts(cluster)).toEqual([
      `${LEADER} restart ${WEB}`,
      `concourse-ci/1 kill --kill-who=main --signal=SIGUSR1 ${WORKER}`,
      `concourse-ci/1 start ${WORKER}`,
      `concourse-ci/2 kill --kill-who=main --signal=SIGUSR1 ${WORKER}`,
      `concourse-ci/2 start ${WORKER}`,
    ]);
    expect(cluster.world.mirror.count('7.14.3')).toBe(1);
    for (const u of UNITS.slice(1)) expect(cluster.machine(u).releaseOf(WORKER)).toBe('7.14.3');
    const done = await cluster.run(LEADER, 'update-status');
    expect(done.state.unitStatus.message).toBe('Web ready (v7.14.3) http://10.0.0.10:8080 · shared volume 3 units');
  });

  test('workers that never published running-version (first start on the web volume) → reported from their state files; a switch publishes it', async () => {
    const cluster = await deployed();
    const peerBag = async (u: string) =>
      (await cluster.run(u, 'update-status')).state.relations.find((r) => r.peer === true)?.localUnitData ?? {};
    for (const u of UNITS.slice(1)) expect(await peerBag(u)).not.toHaveProperty('running-version');
    expect((await peerBag(LEADER))['running-version']).toBe('7.14.2');
    const run = await cluster.action(LEADER, 'upgrade', { version: '7.14.3' });
    expect(run.tools.actionResults?.['units.concourse-ci-1']).toBe('7.14.2 (switches to 7.14.3 next)');
    await followLeader(cluster);
    for (const u of UNITS.slice(1)) expect((await peerBag(u))['running-version']).toBe('7.14.3');
  });

  test('config version set to a release that does not exist → the web says why, the workers hold on 7.14.2', async () => {
    const cluster = await deployed();
    for (const u of UNITS) cluster.update(u, (s) => ({ config: { ...s.config, version: '7.14.9' } }));
    const leader = await cluster.run(LEADER, 'config-changed');
    expect(leader.state.unitStatus.status).toBe('blocked');
    expect(leader.state.unitStatus.message).toMatch(/^Concourse 7\.14\.9 not found at /);
    for (const u of UNITS.slice(1)) {
      const run = await cluster.run(u, 'config-changed');
      expect(run.state.unitStatus).toEqual({
        status: 'active',
        message: 'Worker ready (v7.14.2) · waiting for a web unit to run 7.14.9 first · shared volume 3 units',
      });
    }
    // The workers left the download to the web: one failed attempt, nothing restarted anywhere.
    expect(restarts(cluster)).toEqual([]);
    for (const u of UNITS)
      expect(
        cluster
          .machine(u)
          .changes()
          .filter((c) => c.startsWith('stop ')),
      ).toEqual([]);
    // Fixed by the operator: back to 7.14.2, which every unit runs: nothing restarts.
    for (const u of UNITS) cluster.update(u, (s) => ({ config: { ...s.config, version: '7.14.2' } }));
    for (const u of UNITS) {
      expect((await cluster.run(u, 'config-changed')).state.unitStatus.status, u).toBe('active');
    }
    expect(restarts(cluster)).toEqual([]);
  });

  test('a release that does not start → the web goes back to 7.14.2, blocked; not retried until upgrade again', async () => {
    const cluster = await deployed();
    cluster.machine(LEADER).brokenReleases.add('7.14.3');
    const run = await cluster.action(LEADER, 'upgrade', { version: '7.14.3' });
    expect(run.tools.actionResults.message).toMatch(
      /^Target set to 7\.14\.3, but the leader cannot switch yet: Concourse 7\.14\.3 did not start \(.*\): back on 7\.14\.2; fix it, then run upgrade again$/,
    );
    expect(cluster.machine(LEADER).releaseOf(WEB)).toBe('7.14.2');
    expect(await cluster.machine(LEADER).isActive(WEB)).toBe(true);
    expect(run.state.relations.find((r) => r.peer === true)?.localUnitData?.['running-version']).toBe('7.14.2');
    await followLeader(cluster);
    for (const u of UNITS.slice(1)) expect(cluster.machine(u).releaseOf(WORKER)).toBe('7.14.2');

    const before = cluster.machine(LEADER).changes().length;
    const next = await cluster.run(LEADER, 'update-status');
    expect(next.state.unitStatus).toEqual({
      status: 'blocked',
      message: 'Concourse 7.14.3 did not start here: fix it, then run upgrade again · shared volume 3 units',
    });
    expect(cluster.machine(LEADER).changes().length).toBe(before);

    // Asked again while still broken: really tried again (one more failed switch), and back on 7.14.2 again.
    const retry = await cluster.action(LEADER, 'upgrade', { version: '7.14.3' });
    expect(retry.exitCode).toBe(0);
    expect(retry.logger.names().filter((e) => e === 'concourse.switch.failed')).toEqual(['concourse.switch.failed']);
    expect(cluster.machine(LEADER).releaseOf(WEB)).toBe('7.14.2');
    await followLeader(cluster);
    for (const u of UNITS) {
      const service = u === LEADER ? WEB : WORKER;
      expect([u, cluster.machine(u).releaseOf(service), await cluster.machine(u).isActive(service)]).toEqual([
        u,
        '7.14.2',
        true,
      ]);
    }

    // Fixed, and asked again: a new attempt at the same version really switches.
    cluster.machine(LEADER).brokenReleases.clear();
    const again = await cluster.action(LEADER, 'upgrade', { version: '7.14.3' });
    expect(again.tools.actionResults['units.concourse-ci-0']).toBe('7.14.3 (switched)');
    expect(cluster.machine(LEADER).releaseOf(WEB)).toBe('7.14.3');
    expect(cluster.world.mirror.count('7.14.3')).toBe(1);
  });

  test('the previous release failing to start too → blocked naming both; the next hook holds on 7.14.2', async () => {
    const cluster = await deployed();
    const machine = cluster.machine(LEADER);
    machine.brokenReleases.add('7.14.3');
    machine.brokenReleases.add('7.14.2');
    const run = await cluster.action(LEADER, 'upgrade', { version: '7.14.3' });
    expect(run.exitCode).toBe(0);
    expect(run.state.unitStatus.status).toBe('blocked');
    expect(run.state.unitStatus.message).toMatch(
      /^Concourse 7\.14\.3 did not start \(.*\), and going back to 7\.14\.2 failed too \(.*\): fix the unit, then run upgrade or rollback$/,
    );
    const next = await cluster.run(LEADER, 'update-status');
    expect(next.exitCode).toBe(0);
    // Held on 7.14.2 (tried again: it is what ran), never on 7.14.3 again.
    expect(machine.releaseOf(WEB)).toBe('7.14.2');
    expect(next.logger.names()).not.toContain('concourse.switch.failed');
    expect(next.state.unitStatus.status).toBe('blocked');
  });
});

describe('rollback', () => {
  test('with no older release on the volume → fails saying so, nothing changes', async () => {
    const cluster = await deployed();
    const run = await cluster.action(LEADER, 'rollback');
    expect(run.tools.actionFailure).toBe(
      'No release older than 7.14.2 on the volume to roll back to; nothing was changed',
    );
  });

  test('after an upgrade → back on 7.14.2 with no download, the database migrated down first by the newer release', async () => {
    const cluster = await deployed();
    cluster.world.schemas.set('7.14.2', 100).set('7.14.3', 101);
    await cluster.action(LEADER, 'upgrade', { version: '7.14.3' });
    await followLeader(cluster);
    const downloads = cluster.world.mirror.count('7.14.2');
    const run = await cluster.action(LEADER, 'rollback');
    expect(run.tools.actionResults).toMatchObject({ version: '7.14.2', previous: '7.14.3' });
    expect(cluster.world.migrations).toEqual(['7.14.3 -> 100']);
    expect(cluster.world.mirror.count('7.14.2')).toBe(downloads);
    expect(run.state.unitStatus.message).toBe('Rolling back to v7.14.2: 1/3 units · shared volume 3 units');
    await followLeader(cluster);
    for (const u of UNITS.slice(1)) expect(cluster.machine(u).releaseOf(WORKER)).toBe('7.14.2');
  });

  test('to a release not on the volume → fails saying so, nothing changes', async () => {
    const cluster = await deployed();
    const run = await cluster.action(LEADER, 'rollback', { version: '7.13.0' });
    expect(run.tools.actionFailure).toBe(
      'Concourse 7.13.0 is not on the volume (there: 7.14.2): rollback needs no download, use upgrade to fetch it; nothing was changed',
    );
    expect(cluster.world.migrations).toEqual([]);
  });
});
