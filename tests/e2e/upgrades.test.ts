// Upgrades and rollback through the packed charm (issue 5): one download per version, web before workers, the
// web's stop only its restart, rollback with no download, a leader change mid-upgrade, garbage collection. What
// needs no real volume or process (refused actions, failed starts, re-run hooks) is in tests/hooks.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BindVolume } from '../../sim/bind-volume';
import { deployWithPostgres, unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { defaultDbSchema } from '../../sim/concourse/release-tarball';
import { SimModel } from '../../sim/model';
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

  test('upgrade version=7.14.3 → one download, web switched before any worker, all 5 on 7.14.3', async () => {
    const SWITCHES = ['kill', 'start', 'restart', 'stop'];
    const before = UNITS.map((u) => calls(u, SWITCHES).length);
    const since = (u: string) => calls(u, SWITCHES).slice(before[UNITS.indexOf(u)]);
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
    // Order from the recorded calls: when the action ends, the web has restarted and no worker has moved yet.
    expect(since('concourse-ci/0').map((c) => c.argv.join(' '))).toEqual([`restart ${WEB}`]);
    for (const u of UNITS.slice(1)) expect(since(u)).toEqual([]);
    await sim.settle();
    expect(server.downloads('7.14.3')).toBe(1);
    expect(runningReleases()).toEqual(Array(5).fill('7.14.3'));
    for (const u of unitsOf(sim, 'concourse-ci')) expect(u.workload.message).toContain('(v7.14.3)');
    expect(sim.status().apps.find((a) => a.name === 'concourse-ci')?.version).toBe('7.14.3');
    // The web was never stopped (its only downtime is the restart); each worker, after it, was landed (SIGUSR1: its
    // builds would finish; the fake runs none, so it exits at once), then started on the new release: never
    // restarted with SIGTERM under running builds.
    expect(since('concourse-ci/0').map((c) => c.argv.join(' '))).toEqual([`restart ${WEB}`]);
    for (const u of UNITS.slice(1)) {
      expect(since(u).map((c) => c.argv.join(' '))).toEqual([
        `kill --kill-who=main --signal=SIGUSR1 ${WORKER}`,
        `start ${WORKER}`,
      ]);
    }
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
    const workers = ['worker/0', 'worker/1', 'worker/2'];
    const switchesOf = (u: string) =>
      two.systemctlCalls(u).filter((c) => ['kill', 'start', 'restart', 'stop'].includes(c.argv[0] ?? ''));
    const before = new Map(workers.map((u) => [u, switchesOf(u).length]));
    const r = await two.runAction('web/0', 'upgrade', { version: '7.14.3' });
    expect(r.status).toBe('completed');
    // Order from the recorded calls: the web runs 7.14.3 when the action ends, and no worker has restarted yet.
    expect(releaseOf('web/0', WEB)).toBe('7.14.3');
    for (const u of workers) expect(switchesOf(u).length).toBe(before.get(u));
    await two.settle();
    // This model has its own volume: exactly one more download, shared by the web and the three workers.
    expect(server.downloads('7.14.3') - downloads).toBe(1);
    for (const u of workers) {
      expect(releaseOf(u, WORKER)).toBe('7.14.3');
      // Landed (SIGUSR1), then started on the new release: once each, after the web switched.
      expect(
        switchesOf(u)
          .slice(before.get(u))
          .map((c) => c.argv.join(' ')),
      ).toEqual([`kill --kill-who=main --signal=SIGUSR1 ${WORKER}`, `start ${WORKER}`]);
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
