// Issue 9: storage as real Juju does it. concourse-data is optional, so with no --storage Juju mounts nothing and
// a shared filesystem the operator mounts (before or after deploy) is what the units see; a private Juju volume
// (rootfs bind) sits under a shared mount made later; the new leader's role is published before anything that can
// fail. A mount that disappears is plan.md's scenario 6 (tests/scenarios), run once there.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { BindVolume } from '../../sim/bind-volume';
import { deployWithPostgres, unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { SimModel } from '../../sim/model';
import { packedCharm } from '../support/packed-charm';
import { charmConfig, MiB, publishedReleases } from '../support/store-fixtures';

const APP = 'concourse-ci';
const UNITS = [`${APP}/0`, `${APP}/1`, `${APP}/2`];
let server: ReleaseServer;
let sim: SimModel | undefined;

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 2 * MiB });
});
afterAll(async () => server?.close());
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function model(): Promise<SimModel> {
  sim = await SimModel.create({ charm: await packedCharm() });
  return sim;
}

function volumeIdsInPeerData(s: SimModel): string[] {
  const [peers] = s.relationIds(APP, 'peers');
  if (peers === undefined) throw new Error('no peer relation');
  return UNITS.map((u) => s.relationData(peers, u)['volume-id'] ?? '');
}

function workloads(s: SimModel): Array<[string, string, string]> {
  return unitsOf(s, APP).map((u) => [u.name, u.workload.kind, u.workload.message]);
}

describe('no Juju storage by default', () => {
  test('deployed with no storage → no storage-attached hook, nothing mounted, each unit on its own directory', async () => {
    const s = await model();
    const before = server.downloads('7.14.2');
    await deployWithPostgres(s, APP, { units: 2, volume: null, config: charmConfig(server) });
    await s.settle();
    for (const u of [`${APP}/0`, `${APP}/1`]) {
      expect(s.mountsOf(u)).toEqual([]);
      expect(s.unitLog(u)).not.toContain('storage-attached');
    }
    expect((await s.runAction(`${APP}/0`, 'storage-status')).results.mount).toBe(
      "none: a directory on the machine's disk",
    );
    expect(workloads(s).map(([, kind, message]) => [kind, message.split(' · ')[1]])).toEqual([
      ['active', 'volume not shared'],
      ['active', 'volume not shared'],
    ]);
    // Two machines, two root disks: one download each.
    expect(server.downloads('7.14.2') - before).toBe(2);
  });

  test('3 units deployed, the shared volume mounted over each afterwards → adopted: one volume, one release', async () => {
    const s = await model();
    await deployWithPostgres(s, APP, { units: 3, volume: null, config: charmConfig(server) });
    await s.settle();
    const shared = new BindVolume('shared');
    const callsBefore = UNITS.map((u) => s.systemctlCalls(u).length);
    for (const u of UNITS) await s.mountVolume(u, shared);
    await s.updateStatus();
    await s.updateStatus();
    for (const [name, kind, message] of workloads(s)) {
      expect([name, kind], message).toEqual([name, 'active']);
      expect(message).toMatch(/ · shared volume 3 units$/);
    }
    const ids = volumeIdsInPeerData(s);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBe(readFileSync(join(shared.hostPath ?? '', '.volume-id'), 'utf8').trim());
    expect(await publishedReleases(shared.hostPath ?? '')).toEqual(['7.14.2']);
    expect(s.debugLog().filter((l) => l.includes('storage.adopted'))).toHaveLength(3);
    // Each unit's services moved onto the adopted volume: restarted once, and its own directory is there.
    for (const u of UNITS) {
      expect(readFileSync(join(shared.hostPath ?? '', 'worker', u.replace('/', '-'), 'state.json'), 'utf8')).toContain(
        '"runningVersion": "7.14.2"',
      );
    }
    // A web restarts onto it; a worker is landed (its builds finish) and started again.
    for (const [i, u] of UNITS.entries()) {
      const since = s
        .systemctlCalls(u)
        .slice(callsBefore[i])
        .map((c) => c.argv.join(' '));
      const restarted = since.some((c) => c.startsWith('restart concourse-'));
      const landed = since.findIndex((c) => c.startsWith('kill --kill-who=main --signal=SIGUSR1 concourse-worker'));
      const startedAgain = landed >= 0 && since.slice(landed).some((c) => c === 'start concourse-worker.service');
      expect(restarted || startedAgain, `${u}: ${since.join(', ')}`).toBe(true);
    }
    // storage-status names what is mounted there now.
    const status = await s.runAction(`${APP}/1`, 'storage-status');
    expect(status.results.mount).toMatch(/^\S+ \(\S+\)$/);
    expect(status.results.mount).not.toContain('none');
  });

  test('shared-storage=required, the shared volume mounted after deploy → exactly one download in total', async () => {
    const s = await model();
    const before = server.downloads('7.14.2');
    await deployWithPostgres(s, APP, {
      units: 3,
      volume: null,
      config: charmConfig(server, { 'shared-storage': 'required' }),
    });
    await s.settle();
    for (const [, kind, message] of workloads(s)) {
      expect(kind).toBe('blocked');
      expect(message).toContain('(shared-storage=required)');
    }
    expect(server.downloads('7.14.2') - before).toBe(0);
    const shared = new BindVolume('shared-required');
    for (const u of UNITS) await s.mountVolume(u, shared);
    await s.updateStatus();
    await s.updateStatus();
    expect(workloads(s).map(([, kind]) => kind)).toEqual(['active', 'active', 'active']);
    expect(server.downloads('7.14.2') - before).toBe(1);
    expect(new Set(volumeIdsInPeerData(s)).size).toBe(1);
  });
});

describe('a private Juju volume', () => {
  test('--storage concourse-data=rootfs → Juju binds it before the first hook; a shared mount on top is adopted', async () => {
    const s = await model();
    await deployWithPostgres(s, APP, {
      units: 3,
      volume: null,
      storage: { 'concourse-data': 'rootfs' },
      config: charmConfig(server),
    });
    await s.settle();
    for (const u of UNITS) {
      expect(s.mountsOf(u).map((m) => m.kind)).toEqual(['juju-storage']);
      expect(s.unitLog(u)).toContain('concourse-data-storage-attached');
    }
    expect(workloads(s).every(([, kind, message]) => kind === 'active' && message.endsWith('volume not shared'))).toBe(
      true,
    );
    const shared = new BindVolume('over-juju');
    for (const u of UNITS) await s.mountVolume(u, shared);
    await s.updateStatus();
    await s.updateStatus();
    for (const [, kind, message] of workloads(s)) {
      expect(kind, message).toBe('active');
      expect(message).toMatch(/shared volume 3 units$/);
    }
    expect(await publishedReleases(shared.hostPath ?? '')).toEqual(['7.14.2']);
    // The shared mount removed from one unit: its Juju volume shows through, and is not silently moved onto.
    await s.unmountVolume(`${APP}/2`, shared);
    await s.updateStatus();
    const lost = unitsOf(s, APP).find((u) => u.name === `${APP}/2`)?.workload;
    expect(lost?.kind).toBe('blocked');
    expect(lost?.message).toMatch(
      /^Storage \/var\/lib\/concourse is no longer mounted \(.* beneath it shows through\)/,
    );
  });

  test('a shared mount made before deploy, then --storage → Juju’s bind hides it: each unit uses its own volume', async () => {
    const s = await model();
    const shared = new BindVolume('hidden');
    await deployWithPostgres(s, APP, {
      units: 2,
      volume: shared,
      storage: { 'concourse-data': 'rootfs' },
      config: charmConfig(server),
    });
    await s.settle();
    expect(s.mountsOf(`${APP}/0`).map((m) => m.kind)).toEqual(['operator', 'juju-storage']);
    expect(workloads(s).map(([, , message]) => message.split(' · ')[1])).toEqual([
      'volume not shared',
      'volume not shared',
    ]);
    expect(await publishedReleases(shared.hostPath ?? '')).toEqual([]);
  });
});

describe('leadership hand-off', () => {
  test("leader moved to a unit whose download fails → the old leader's web stops; at most one web runs", async () => {
    const s = await model();
    await server.addRelease({ version: '7.14.4', fillerBytes: 1 * MiB });
    await deployWithPostgres(s, APP, { units: 2, volume: null, config: charmConfig(server, { version: '7.14.4' }) });
    await s.settle();
    expect(s.serviceState(`${APP}/0`, 'concourse-server.service')?.active).toBe('active');
    // A new machine whose download of the release fails: it stays a worker that cannot start.
    server.setFault('7.14.4', { kind: 'status', code: 500 });
    const [added] = await s.addUnit(APP, { volume: null });
    await s.settle();
    expect(unitsOf(s, APP).find((u) => u.name === added)?.workload.kind).toBe('waiting');
    await s.setLeader(added ?? '');
    await s.settle();
    const webs = unitsOf(s, APP).filter((u) => s.serviceState(u.name, 'concourse-server.service')?.active === 'active');
    expect(webs.map((u) => u.name)).toEqual([]);
    expect(s.serviceState(`${APP}/0`, 'concourse-server.service')?.active).not.toBe('active');
    server.setFault('7.14.4', undefined);
  });
});

describe('removal', () => {
  test('a unit whose config is invalid removed → its services stopped and disabled, its own directory gone', async () => {
    const s = await model();
    const shared = new BindVolume('removal');
    await deployWithPostgres(s, APP, { units: 2, volume: shared, config: charmConfig(server) });
    await s.settle();
    await s.config(APP, { mode: 'foo' });
    await s.settle();
    expect(workloads(s).map(([, kind]) => kind)).toEqual(['blocked', 'blocked']);
    await s.removeUnit(`${APP}/1`);
    await s.settle();
    const calls = s.systemctlCalls(`${APP}/1`).map((c) => c.argv.join(' '));
    // Retired (it never comes back), not landed, before the stop: even with the other options invalid.
    expect(calls).toContain('kill --kill-who=main --signal=SIGUSR2 concourse-worker.service');
    expect(calls).not.toContain('kill --kill-who=main --signal=SIGUSR1 concourse-worker.service');
    expect(calls).toContain('stop concourse-worker.service');
    expect(calls).toContain('disable concourse-worker.service');
    expect(await publishedReleases(shared.hostPath ?? '')).toEqual(['7.14.2']);
    expect(readdirSync(join(shared.hostPath ?? '', 'worker'))).toEqual(['concourse-ci-0']);
  });

  test('shared-storage=none, a unit removed → its private release store goes too; the others stay', async () => {
    const s = await model();
    const shared = new BindVolume('private-removal');
    await deployWithPostgres(s, APP, {
      units: 2,
      volume: shared,
      config: charmConfig(server, { 'shared-storage': 'none' }),
    });
    await s.settle();
    const privateRoot = join(shared.hostPath ?? '', '.unit-private');
    expect(readdirSync(privateRoot).sort()).toEqual(['concourse-ci-0', 'concourse-ci-1']);
    await s.removeUnit(`${APP}/1`);
    await s.settle();
    expect(readdirSync(privateRoot)).toEqual(['concourse-ci-0']);
    expect(await publishedReleases(join(privateRoot, 'concourse-ci-0'))).toEqual(['7.14.2']);
  });
});
