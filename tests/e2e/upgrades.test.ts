// Upgrades and rollback through the packed charm (issue 5): one download per version, web before workers, the
// web's stop only its restart, rollback with no download, failures that change nothing, re-run and re-ordered hooks.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BindVolume } from '../../sim/bind-volume';
import { deployWithPostgres, unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { defaultDbSchema } from '../../sim/concourse/release-tarball';
import { SimModel } from '../../sim/model';
import { EXITS_AT_START_MARKER } from '../../sim/sim-markers';
import { packedCharm } from '../support/packed-charm';

const WEB = 'concourse-server.service';
const WORKER = 'concourse-worker.service';
const UNITS = ['concourse-ci/0', 'concourse-ci/1', 'concourse-ci/2', 'concourse-ci/3', 'concourse-ci/4'];

let server: ReleaseServer;
let sim: SimModel;

beforeAll(async () => {
  server = await startReleaseServer();
  for (const version of ['7.14.2', '7.14.3']) await server.addRelease({ version, fillerBytes: 1024 * 1024 });
  sim = await SimModel.create({ charm: await packedCharm() });
  await deployWithPostgres(sim, 'concourse-ci', {
    units: 5,
    config: { mode: 'auto', version: '7.14.2', 'download-url': server.downloadUrlTemplate },
  });
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
  await server?.close();
});

/** The release each unit's service runs, from the ExecStart the fake systemd loaded. */
function runningReleases(): string[] {
  return UNITS.map((u) => {
    const service = u === 'concourse-ci/0' ? WEB : WORKER;
    return /releases\/([^/]+)\//.exec(sim.serviceState(u, service)?.execStart ?? '')?.[1] ?? 'none';
  });
}

function calls(unit: string, verbs: readonly string[]) {
  return sim.systemctlCalls(unit).filter((c) => verbs.includes(c.argv[0] ?? ''));
}

describe('5 units in mode=auto on one volume', () => {
  test('deployed → every unit active on 7.14.2', () => {
    expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(Array(5).fill('active'));
    expect(runningReleases()).toEqual(Array(5).fill('7.14.2'));
  });

  test('upgrade on a non-leader → fails naming the leader, nothing changes', async () => {
    const r = await sim.runAction('concourse-ci/2', 'upgrade', { version: '7.14.3' });
    expect(r.status).toBe('failed');
    expect(r.message).toBe('Run upgrade on the leader: juju run concourse-ci/leader upgrade');
    expect(server.downloads('7.14.3')).toBe(0);
  });

  test('rollback with no older release on the volume → fails saying so, nothing changes', async () => {
    const r = await sim.runAction('concourse-ci/0', 'rollback', {});
    expect(r.status).toBe('failed');
    expect(r.message).toBe('No release older than 7.14.2 on the volume to roll back to; nothing was changed');
    expect(runningReleases()).toEqual(Array(5).fill('7.14.2'));
  });

  test('upgrade to a release that does not exist → fails with the reason, every unit stays on 7.14.2', async () => {
    const r = await sim.runAction('concourse-ci/0', 'upgrade', { version: '7.99.0' });
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/7\.99\.0 not found/);
    await sim.settle();
    expect(runningReleases()).toEqual(Array(5).fill('7.14.2'));
  });

  test('upgrade version=7.14.3 → one download, web switched before any worker, all 5 on 7.14.3', async () => {
    const since = Date.now();
    const r = await sim.runAction('concourse-ci/0', 'upgrade', { version: '7.14.3' });
    expect(r.status).toBe('completed');
    expect(r.results).toMatchObject({ version: '7.14.3', previous: '7.14.2' });
    expect(r.results.units).toMatchObject({
      'concourse-ci-0': '7.14.3 (switched)',
      'concourse-ci-1': '7.14.2 (switches to 7.14.3 next)',
    });
    // The leader tells the progress while the others switch.
    expect(unitsOf(sim, 'concourse-ci')[0]?.workload).toEqual({
      kind: 'maintenance',
      message: 'Upgrading to v7.14.3: 1/5 units · shared volume 5 units',
    });
    await sim.settle();
    expect(server.downloads('7.14.3')).toBe(1);
    expect(runningReleases()).toEqual(Array(5).fill('7.14.3'));
    for (const u of unitsOf(sim, 'concourse-ci')) expect(u.workload.message).toContain('(v7.14.3)');
    expect(sim.status().apps.find((a) => a.name === 'concourse-ci')?.version).toBe('7.14.3');

    const webRestart = calls('concourse-ci/0', ['restart']).filter((c) => c.t >= since);
    expect(webRestart.map((c) => c.argv.join(' '))).toEqual([`restart ${WEB}`]);
    for (const u of UNITS.slice(1)) {
      // The worker is landed first (its builds would finish; the fake runs none, so it exits at once), then started
      // on the new release: never restarted with SIGTERM under running builds.
      const workerSwitch = calls(u, ['kill', 'restart', 'start']).filter((c) => c.t >= since);
      expect(workerSwitch.map((c) => c.argv.join(' '))).toEqual([
        `kill --kill-who=main --signal=SIGUSR1 ${WORKER}`,
        `start ${WORKER}`,
      ]);
      expect(workerSwitch[0]?.t).toBeGreaterThan(webRestart[0]?.t ?? Number.POSITIVE_INFINITY);
    }
    // The web was never stopped: its only downtime is the restart onto the new release.
    expect(calls('concourse-ci/0', ['stop']).filter((c) => c.t >= since)).toEqual([]);
  });

  test('hooks re-run twice after the upgrade → nothing restarts, nothing downloads', async () => {
    const before = UNITS.map((u) => calls(u, ['start', 'restart', 'stop']).length);
    for (let i = 0; i < 2; i++) {
      for (const u of UNITS) await sim.runHook(u, 'config-changed');
    }
    await sim.settle();
    expect(UNITS.map((u) => calls(u, ['start', 'restart', 'stop']).length)).toEqual(before);
    expect(server.downloads('7.14.3')).toBe(1);
  });

  test('rollback → back on 7.14.2 with zero downloads', async () => {
    const downloads = server.downloads('7.14.2');
    const r = await sim.runAction('concourse-ci/0', 'rollback', {});
    expect(r.status).toBe('completed');
    expect(r.results).toMatchObject({ version: '7.14.2', previous: '7.14.3' });
    await sim.settle();
    expect(runningReleases()).toEqual(Array(5).fill('7.14.2'));
    expect(server.downloads('7.14.2')).toBe(downloads);
    expect(server.downloads('7.14.3')).toBe(1);
    // The database went back to 7.14.2's schema first, migrated by the newer binary, on the leader only.
    expect(readFileSync(sim.unitPath('concourse-ci/0', '/var/lib/concourse-stand-in/migrations.log'), 'utf8')).toBe(
      `7.14.3 ${defaultDbSchema('7.14.3')} -> ${defaultDbSchema('7.14.2')} on 10.20.30.40/concourse_ci\n`,
    );
    expect(existsSync(sim.unitPath('concourse-ci/1', '/var/lib/concourse-stand-in/migrations.log'))).toBe(false);
  });

  test('rollback to a release not on the volume → fails saying so, nothing changes', async () => {
    const r = await sim.runAction('concourse-ci/0', 'rollback', { version: '7.13.0' });
    expect(r.status).toBe('failed');
    expect(r.message).toContain('Concourse 7.13.0 is not on the volume');
    expect(runningReleases()).toEqual(Array(5).fill('7.14.2'));
  });

  test('leader changes in the middle of an upgrade → converges on the target, no second download', async () => {
    const r = await sim.runAction('concourse-ci/0', 'upgrade', { version: '7.14.3' });
    expect(r.status).toBe('completed');
    await sim.setLeader('concourse-ci/3');
    await sim.settle();
    await sim.updateStatus();
    expect(server.downloads('7.14.3')).toBe(1);
    const byUnit = Object.fromEntries(
      UNITS.map((u) => {
        const service = u === 'concourse-ci/3' ? WEB : WORKER;
        return [u, /releases\/([^/]+)\//.exec(sim.serviceState(u, service)?.execStart ?? '')?.[1]];
      }),
    );
    expect(Object.values(byUnit)).toEqual(Array(5).fill('7.14.3'));
    expect(sim.serviceState('concourse-ci/3', WEB)?.active).toBe('active');
    expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(Array(5).fill('active'));
  });

  test('config version set to a release that does not exist → the web says why, every unit keeps 7.14.3', async () => {
    const restarts = UNITS.map((u) => calls(u, ['start', 'restart', 'stop']).length);
    await sim.config('concourse-ci', { version: '7.14.9' });
    await sim.settle();
    const leader = unitsOf(sim, 'concourse-ci').find((u) => u.name === 'concourse-ci/3');
    expect(leader?.workload.kind).toBe('blocked');
    expect(leader?.workload.message).toMatch(/7\.14\.9 not found/);
    for (const u of unitsOf(sim, 'concourse-ci').filter((x) => x.name !== 'concourse-ci/3')) {
      expect(u.workload.kind).toBe('active');
      expect(u.workload.message).toContain('Worker ready (v7.14.3) · waiting for a web unit to run 7.14.9 first');
    }
    expect(UNITS.map((u) => calls(u, ['start', 'restart', 'stop']).length)).toEqual(restarts);
    // Fixed by the operator: back to a real release, nothing restarts that runs it already.
    await sim.config('concourse-ci', { version: '7.14.3' });
    await sim.settle();
    expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(Array(5).fill('active'));
    expect(UNITS.map((u) => calls(u, ['start', 'restart', 'stop']).length)).toEqual(restarts);
  });

  test('keep-releases=1 after a completed roll-out → releases no unit runs are removed from the volume', async () => {
    const volume = sim.volumeHostPath('concourse-ci/0');
    expect(readdirSync(join(volume, 'releases')).sort()).toEqual(['7.14.2', '7.14.3']);
    await sim.config('concourse-ci', { 'keep-releases': 1 });
    await sim.settle();
    expect(readdirSync(join(volume, 'releases'))).toEqual(['7.14.3']);
    for (const u of UNITS) {
      const service = u === 'concourse-ci/3' ? WEB : WORKER;
      expect(sim.serviceState(u, service)?.execStart).toContain('/releases/7.14.3/');
    }
    expect(unitsOf(sim, 'concourse-ci').map((u) => u.workload.kind)).toEqual(Array(5).fill('active'));
  });

  test('a release that does not start → the web goes back to 7.14.3, the workers never leave it', async () => {
    await server.addRelease({ version: '7.14.4', fillerBytes: 1024 * 1024, exitsAtStart: true });
    const r = await sim.runAction('concourse-ci/3', 'upgrade', { version: '7.14.4' });
    expect(r.status).toBe('completed');
    expect(r.results.message).toContain('but the leader cannot switch yet: Concourse 7.14.4 did not start');
    await sim.settle();
    // The hook that failed said why (the service's error); from the next hook on, the status is the steady one.
    await sim.updateStatus();
    const byUnit = UNITS.map((u) => {
      const service = u === 'concourse-ci/3' ? WEB : WORKER;
      return [
        sim.serviceState(u, service)?.active,
        /releases\/([^/]+)\//.exec(sim.serviceState(u, service)?.execStart ?? '')?.[1],
      ];
    });
    expect(byUnit).toEqual(Array(5).fill(['active', '7.14.3']));
    const leader = unitsOf(sim, 'concourse-ci').find((u) => u.name === 'concourse-ci/3');
    expect(leader?.workload.kind).toBe('blocked');
    expect(leader?.workload.message).toMatch(
      /^Concourse 7\.14\.4 did not start here: fix it, then run upgrade again · shared volume 5 units$/,
    );
    for (const u of unitsOf(sim, 'concourse-ci').filter((x) => x.name !== 'concourse-ci/3')) {
      expect(u.workload.message).toContain('Worker ready (v7.14.3) · waiting for a web unit to run 7.14.4 first');
    }
    // Not retried on every hook: the failed attempt is remembered until the operator asks again.
    const restarts = UNITS.map((u) => calls(u, ['start', 'restart']).length);
    await sim.updateStatus();
    expect(UNITS.map((u) => calls(u, ['start', 'restart']).length)).toEqual(restarts);
    expect(unitsOf(sim, 'concourse-ci').find((u) => u.name === 'concourse-ci/3')?.workload.message).toContain(
      'Concourse 7.14.4 did not start here: fix it, then run upgrade again',
    );
  });

  test('upgrade run again after that failed start → really tried again, and back on 7.14.3 again', async () => {
    const failures = () =>
      sim
        .debugLog({ unit: 'concourse-ci/3' })
        .filter((l) => l.includes('concourse.switch.failed') && l.includes('7.14.4'));
    const before = failures().length;
    const r = await sim.runAction('concourse-ci/3', 'upgrade', { version: '7.14.4' });
    expect(r.status).toBe('completed');
    await sim.settle();
    // One more switch to 7.14.4 was attempted on the leader (a new attempt, not the remembered failure)...
    expect(failures().length).toBe(before + 1);
    // ...and it failed the same way: everything still runs 7.14.3, the leader says so.
    const byUnit = UNITS.map((u) => {
      const service = u === 'concourse-ci/3' ? WEB : WORKER;
      return [
        sim.serviceState(u, service)?.active,
        /releases\/([^/]+)\//.exec(sim.serviceState(u, service)?.execStart ?? '')?.[1],
      ];
    });
    expect(byUnit).toEqual(Array(5).fill(['active', '7.14.3']));
    await sim.updateStatus();
    expect(unitsOf(sim, 'concourse-ci').find((u) => u.name === 'concourse-ci/3')?.workload.message).toContain(
      'Concourse 7.14.4 did not start here: fix it, then run upgrade again',
    );
  });

  test('the previous release failing to start too → blocked naming both, not retried on every hook', async () => {
    // The release that ran stops starting as well (a broken host library, say): its binary keeps its size, so the
    // store still sees it published, but the stand-in systemd now refuses it.
    const binary = join(sim.volumeHostPath('concourse-ci/3'), 'releases/7.14.3/bin/concourse');
    const text = readFileSync(binary, 'utf8');
    const header = text.split('\n')[1] ?? '';
    expect(header.length).toBeGreaterThanOrEqual(EXITS_AT_START_MARKER.length);
    writeFileSync(binary, text.replace(header, EXITS_AT_START_MARKER.padEnd(header.length, ' ')));
    try {
      const r = await sim.runAction('concourse-ci/3', 'upgrade', { version: '7.14.4' });
      expect(r.status).toBe('completed');
      await sim.settle();
      const leader = () => unitsOf(sim, 'concourse-ci').find((u) => u.name === 'concourse-ci/3');
      expect(leader()?.workload.kind).toBe('blocked');
      expect(leader()?.workload.message).toMatch(
        /^Concourse 7\.14\.4 did not start .*, and going back to 7\.14\.3 failed too .*: fix the unit, then run upgrade or rollback$/,
      );
      expect(leader()?.agent).not.toBe('error');
      // The next hooks hold on 7.14.3 (trying to start it again) instead of switching to 7.14.4 on every hook.
      const switches = () =>
        sim.debugLog({ unit: 'concourse-ci/3' }).filter((l) => l.includes('concourse.switch.failed')).length;
      const tried = switches();
      await sim.updateStatus();
      expect(switches()).toBe(tried);
      expect(leader()?.workload.kind).toBe('blocked');
    } finally {
      writeFileSync(binary, text);
    }
  });
});

describe('separate web and worker applications sharing one volume', () => {
  let two: SimModel;

  beforeAll(async () => {
    two = await SimModel.create({ charm: await packedCharm() });
    const volume = new BindVolume('shared');
    const config = { 'download-url': server.downloadUrlTemplate };
    await deployWithPostgres(two, 'web', { units: 1, volume, config: { ...config, mode: 'web', version: '7.14.2' } });
    await two.deploy('worker', { units: 3, volume, config: { ...config, mode: 'worker' } });
    await two.integrate('worker:flight', 'web:tsa');
    await two.settle();
  });
  afterAll(async () => two?.close());

  function releaseOf(unit: string, service: string): string | undefined {
    return /releases\/([^/]+)\//.exec(two.serviceState(unit, service)?.execStart ?? '')?.[1];
  }

  test('workers without a version follow the web’s, from the shared release', () => {
    expect(releaseOf('web/0', WEB)).toBe('7.14.2');
    for (const u of ['worker/0', 'worker/1', 'worker/2']) {
      expect(releaseOf(u, WORKER)).toBe('7.14.2');
      expect(unitsOf(two, 'worker').find((x) => x.name === u)?.workload.message).toBe(
        'Worker ready (v7.14.2) · shared volume 3 units',
      );
    }
  });

  test('the web application upgraded → one download, the workers follow over flight after it', async () => {
    const downloads = server.downloads('7.14.3');
    const since = Date.now();
    const r = await two.runAction('web/0', 'upgrade', { version: '7.14.3' });
    expect(r.status).toBe('completed');
    await two.settle();
    // This model has its own volume: exactly one more download, shared by the web and the three workers.
    expect(server.downloads('7.14.3') - downloads).toBe(1);
    expect(releaseOf('web/0', WEB)).toBe('7.14.3');
    const webRestart = two.systemctlCalls('web/0').find((c) => c.argv[0] === 'restart' && c.t >= since);
    for (const u of ['worker/0', 'worker/1', 'worker/2']) {
      expect(releaseOf(u, WORKER)).toBe('7.14.3');
      // Landed (SIGUSR1), then started on the new release, after the web switched.
      const land = two.systemctlCalls(u).find((c) => c.argv[0] === 'kill' && c.t >= since);
      expect(land?.argv).toEqual(['kill', '--kill-who=main', '--signal=SIGUSR1', WORKER]);
      expect(land?.t).toBeGreaterThan(webRestart?.t ?? Number.POSITIVE_INFINITY);
    }
  });

  test('rollback of the web application → the workers follow back, no download', async () => {
    const downloads = server.downloads('7.14.2');
    const r = await two.runAction('web/0', 'rollback', {});
    expect(r.status).toBe('completed');
    await two.settle();
    expect(server.downloads('7.14.2')).toBe(downloads);
    for (const u of ['worker/0', 'worker/1', 'worker/2']) expect(releaseOf(u, WORKER)).toBe('7.14.2');
  });
});

describe('empty version: the latest release, resolved once and pinned', () => {
  let latest: SimModel;

  let github: ReleaseServer;

  beforeAll(async () => {
    // A release server of its own: GitHub's "latest" is the newest release it holds.
    github = await startReleaseServer();
    for (const version of ['7.14.2', '7.14.3']) await github.addRelease({ version, fillerBytes: 1024 * 1024 });
    latest = await SimModel.create({
      charm: await packedCharm(),
      extraEnv: { CONCOURSE_CHARM_GITHUB_API: `${github.baseUrl}/api` },
    });
    await deployWithPostgres(latest, 'concourse-ci', {
      units: 2,
      config: { mode: 'auto', 'download-url': github.downloadUrlTemplate },
    });
    await latest.settle();
  });
  afterAll(async () => {
    await latest?.close();
    await github?.close();
  });

  test('deployed without a version → every unit on the newest release GitHub names', () => {
    expect(unitsOf(latest, 'concourse-ci').map((u) => u.workload.message)).toEqual([
      'Web ready (v7.14.3) http://127.0.1.1:8080 · shared volume 2 units',
      'Worker ready (v7.14.3) · shared volume 2 units',
    ]);
  });

  test('a newer release appears → nothing moves (pinned); upgrade without a version takes it', async () => {
    await github.addRelease({ version: '7.15.0', fillerBytes: 1024 * 1024 });
    await latest.updateStatus();
    expect(unitsOf(latest, 'concourse-ci')[0]?.workload.message).toContain('(v7.14.3)');
    const r = await latest.runAction('concourse-ci/0', 'upgrade', {});
    expect(r.status).toBe('completed');
    expect(r.results).toMatchObject({ version: '7.15.0', previous: '7.14.3' });
    await latest.settle();
    expect(unitsOf(latest, 'concourse-ci').map((u) => u.workload.message)).toEqual([
      'Web ready (v7.15.0) http://127.0.1.1:8080 · shared volume 2 units',
      'Worker ready (v7.15.0) · shared volume 2 units',
    ]);
  });
});
