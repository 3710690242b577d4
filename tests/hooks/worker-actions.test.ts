// Hook tests of the restart-services, land-worker and retire-worker actions: the drain (signal, how long, what was
// left at the timeout), the hold that keeps a landed or retired worker stopped through later hooks until
// restart-services, the forced restart, the web restarted and checked, and a unit without the worker role refused.
import { describe, expect, test } from 'vitest';
import { type Cluster, deployedCluster } from './harness';

const WEB = 'concourse-server.service';
const WORKER = 'concourse-worker.service';
const HOLD = `/etc/concourse/.hold-${WORKER}`;
const UNITS = ['concourse-ci/0', 'concourse-ci/1'];
const W = 'concourse-ci/1';

/** mode=auto (concourse-ci/0 the web, concourse-ci/1 a worker), deployed and seeing each other. */
function deployed(config: Readonly<Record<string, unknown>> = {}): Promise<Cluster> {
  return deployedCluster(UNITS, config, { settle: true });
}

/** The systemctl calls that change something, after the deployment's own. */
function changesSince(cluster: Cluster, unit: string, before: number): string[] {
  return cluster.machine(unit).changes().slice(before);
}

describe('land-worker and retire-worker', () => {
  test('land-worker → landed (SIGUSR1), stopped, disabled and held; later hooks leave it stopped', async () => {
    const cluster = await deployed();
    const before = cluster.machine(W).changes().length;
    const run = await cluster.action(W, 'land-worker');
    expect(run.tools.actionFailure).toBeUndefined();
    expect(run.tools.actionResults).toEqual({
      worker: 'landed',
      held: 'stopped until restart-services',
      drain: 'finished: every build ended',
      'drain-seconds': '0',
      message: 'Worker landed and stopped; run restart-services to start it again',
    });
    // The stop of a worker that already exited is a no-op; the disable keeps it stopped across reboots.
    expect(changesSince(cluster, W, before)).toEqual([
      `kill --kill-who=main --signal=SIGUSR1 ${WORKER}`,
      `stop ${WORKER}`,
      `disable ${WORKER}`,
    ]);
    expect(await cluster.machine(W).isActive(WORKER)).toBe(false);
    expect(JSON.parse(cluster.machine(W).files.get(HOLD)?.content ?? '{}')).toMatchObject({ kind: 'land' });

    for (const hook of ['update-status', 'config-changed', 'leader-settings-changed']) {
      const later = await cluster.run(W, hook);
      expect(later.state.unitStatus, hook).toEqual({
        status: 'maintenance',
        message: 'Worker landed (land-worker): run restart-services to start it · shared volume 2 units',
      });
    }
    expect(changesSince(cluster, W, before)).toHaveLength(3);
  });

  test('retire-worker with builds outlasting worker-drain-timeout → SIGUSR2, timed out with what was left, then stopped', async () => {
    const cluster = await deployed({ 'worker-drain-timeout': 60 });
    cluster.machine(W).builds = 2;
    const before = cluster.machine(W).changes().length;
    const run = await cluster.action(W, 'retire-worker');
    expect(run.tools.actionResults).toMatchObject({
      worker: 'retired',
      drain: 'timed out (worker-drain-timeout): the builds still running were interrupted',
      'drain-seconds': '60',
      'containers-left': '2',
    });
    expect(changesSince(cluster, W, before)).toEqual([
      `kill --kill-who=main --signal=SIGUSR2 ${WORKER}`,
      `stop ${WORKER}`,
      `disable ${WORKER}`,
    ]);
    // While it drained, the status said so.
    expect(run.tools.statusHistory.map((s) => s.message)).toContain(
      'Retiring worker for 7.14.2 (2 containers, 60 s left)',
    );
    expect(run.state.unitStatus).toEqual({
      status: 'maintenance',
      message: 'Worker retired (retire-worker): run restart-services to start it',
    });
  });

  test('land-worker on the web unit of mode=auto → fails saying where to run it, nothing changed', async () => {
    const cluster = await deployed();
    const before = cluster.machine('concourse-ci/0').systemctl.length;
    const run = await cluster.action('concourse-ci/0', 'land-worker');
    expect(run.tools.actionFailure).toBe(
      'concourse-ci/0 runs no worker (mode=auto, roles: web): run land-worker on a unit with the worker role',
    );
    expect(
      cluster
        .machine('concourse-ci/0')
        .systemctl.slice(before)
        .filter((c) => !c.startsWith('is-active')),
    ).toEqual([]);
  });

  test('the held unit removed → the hold goes with it', async () => {
    const cluster = await deployed();
    await cluster.action(W, 'retire-worker');
    await cluster.run(W, 'stop');
    await cluster.run(W, 'remove');
    expect(cluster.machine(W).files.has(HOLD)).toBe(false);
  });
});

describe('restart-services', () => {
  test('on a held worker → hold lifted, worker started, no second restart by the next hook', async () => {
    const cluster = await deployed();
    await cluster.action(W, 'land-worker');
    const before = cluster.machine(W).changes().length;
    const run = await cluster.action(W, 'restart-services');
    expect(run.tools.actionResults).toEqual({
      'hold-lifted': 'landed',
      worker: 'started',
      'worker-drain': 'not running: nothing to drain',
      message: 'Restarted: worker (see juju status)',
    });
    expect(changesSince(cluster, W, before)).toEqual([`start ${WORKER}`]);
    expect(cluster.machine(W).files.has(HOLD)).toBe(false);
    expect(run.state.unitStatus).toEqual({
      status: 'active',
      message: 'Worker ready (v7.14.2) · shared volume 2 units',
    });
    await cluster.run(W, 'update-status');
    expect(changesSince(cluster, W, before)).toEqual([`start ${WORKER}`]);
  });

  test('on a running worker → landed first, then started again; how long the drain took', async () => {
    const cluster = await deployed();
    const before = cluster.machine(W).changes().length;
    const run = await cluster.action(W, 'restart-services');
    expect(run.tools.actionResults).toMatchObject({
      worker: 'landed, then started again',
      'worker-drain': 'finished: every build ended',
      'worker-drain-seconds': '0',
    });
    expect(changesSince(cluster, W, before)).toEqual([
      `kill --kill-who=main --signal=SIGUSR1 ${WORKER}`,
      `start ${WORKER}`,
    ]);
  });

  test('builds outlasting worker-drain-timeout → landed, then restarted at the timeout, what was left said', async () => {
    const cluster = await deployed({ 'worker-drain-timeout': 30 });
    cluster.machine(W).builds = 1;
    const before = cluster.machine(W).changes().length;
    const run = await cluster.action(W, 'restart-services');
    expect(run.tools.actionResults).toMatchObject({
      worker: 'restarted',
      'worker-drain': 'timed out (worker-drain-timeout): the builds still running were interrupted',
      'worker-drain-seconds': '30',
      'worker-containers-left': '1',
    });
    expect(changesSince(cluster, W, before)).toEqual([
      `kill --kill-who=main --signal=SIGUSR1 ${WORKER}`,
      `restart ${WORKER}`,
    ]);
  });

  test('force=true → restarted at once, no drain signal', async () => {
    const cluster = await deployed();
    cluster.machine(W).builds = 3;
    const before = cluster.machine(W).changes().length;
    const run = await cluster.action(W, 'restart-services', { force: true });
    expect(run.tools.actionResults).toMatchObject({
      worker: 'restarted',
      'worker-drain': 'skipped (force=true or worker-drain-timeout=0): running builds interrupted',
    });
    expect(changesSince(cluster, W, before)).toEqual([`restart ${WORKER}`]);
  });

  test('on the web unit → the web restarted (and checked serving), nothing else', async () => {
    const cluster = await deployed();
    const before = cluster.machine('concourse-ci/0').changes().length;
    const run = await cluster.action('concourse-ci/0', 'restart-services');
    expect(run.tools.actionResults).toEqual({ web: 'restarted', message: 'Restarted: web (see juju status)' });
    expect(changesSince(cluster, 'concourse-ci/0', before)).toEqual([`restart ${WEB}`]);
  });

  test('a parameter that is not a boolean → fails naming it, nothing restarted', async () => {
    const cluster = await deployed();
    const before = cluster.machine(W).changes().length;
    const run = await cluster.action(W, 'restart-services', { force: 'yes' });
    expect(run.tools.actionFailure).toMatch(/force/);
    expect(changesSince(cluster, W, before)).toEqual([]);
  });
});
