// Hook tests of the shared-fs relation (filesystem_info): what a unit mounts, installs, says and stops when the
// provider's endpoint arrives, changes, is refused or goes away; real mounts are the e2e tests' (shared-fs-*.test.ts).
import { describe, expect, test } from 'vitest';
import type { FakeRelation } from '../support/in-memory-hook-tools';
import { Cluster, HookWorld, POSTGRES_READY, peers } from './harness';

const UNIT = 'concourse-ci/0';
const MOUNT = 'var-lib-concourse.mount';
const MOUNT_FILE = `/etc/systemd/system/${MOUNT}`;
const NFS = 'nfs://(10.0.0.5:2049)/srv/concourse';
const CEPHFS =
  'cephfs://fsuser@(10.0.0.1,10.0.0.2)/volumes/concourse?fsid=7c4a6f1e-9d3b-4c2a-8f61-0d2e5b9a1c33&name=cephfs&auth=secret:cs1nhb3lho4s73b8jd6g';
const CEPH_KEY = 'AQBzc2VjcmV0LWtleS1mb3ItY29uY291cnNlLXRlc3RzPT0=';

function sharedFs(endpoint: string | undefined): FakeRelation {
  return {
    id: 'shared-fs:7',
    endpoint: 'shared-fs',
    remoteApp: 'nfs-share',
    remoteUnitsData: { 'nfs-share/0': {} },
    remoteAppData: endpoint === undefined ? {} : { endpoint },
  };
}

async function deployed(): Promise<Cluster> {
  const cluster = new Cluster(new HookWorld(), [UNIT], {
    leader: UNIT,
    config: { mode: 'all', version: '7.14.2' },
    relations: [peers({}), POSTGRES_READY.relation],
    secrets: [POSTGRES_READY.secret],
  });
  await cluster.run(UNIT, 'install');
  return cluster;
}

function relate(cluster: Cluster, endpoint: string | undefined): void {
  cluster.update(UNIT, (s) => ({
    relations: [...s.relations.filter((r) => r.endpoint !== 'shared-fs'), sharedFs(endpoint)],
  }));
}

/** `a` and `b` both happened, `a` first. */
function expectOrder(changes: readonly string[], a: string, b: string): void {
  expect(changes, a).toContain(a);
  expect(changes, b).toContain(b);
  expect(changes.indexOf(a), `${a} before ${b}`).toBeLessThan(changes.lastIndexOf(b));
}

async function changed(cluster: Cluster) {
  return cluster.run(UNIT, 'shared-fs-relation-changed', {
    relation: { id: 'shared-fs:7', remoteUnit: 'nfs-share/0', remoteApp: 'nfs-share' },
  });
}

describe('shared-fs relation', () => {
  test('an NFS endpoint arrives → the client installed, the mount unit written, enabled and mounted, said first', async () => {
    const cluster = await deployed();
    const machine = cluster.machine(UNIT);
    const before = machine.systemctl.length;
    relate(cluster, NFS);
    const run = await changed(cluster);
    expect(run.exitCode).toBe(0);
    expect(run.tools.statusHistory[0]).toEqual({ target: 'unit', status: 'maintenance', message: `Mounting ${NFS}` });
    expect(run.state.unitStatus.status).toBe('active');
    expect(machine.sharedFs.installed).toEqual(['nfs-common']);
    expect(machine.sharedFs.calls).toEqual([`mount ${MOUNT} at /var/lib/concourse`]);
    expect(machine.systemctl.slice(before)).toEqual(['daemon-reload', `enable ${MOUNT}`, `start ${MOUNT}`]);
    const unit = machine.files.get(MOUNT_FILE)?.content ?? '';
    expect(unit).toMatch(/^What=10\.0\.0\.5:\/srv\/concourse$/m);
    expect(unit).toMatch(/^Where=\/var\/lib\/concourse$/m);
    expect(unit).toMatch(/^Type=nfs$/m);
  });

  test('the same endpoint again → nothing installed, unmounted or remounted', async () => {
    const cluster = await deployed();
    relate(cluster, NFS);
    await changed(cluster);
    const machine = cluster.machine(UNIT);
    const calls = machine.sharedFs.calls.length;
    const run = await changed(cluster);
    expect(run.exitCode).toBe(0);
    expect(machine.sharedFs.calls.length).toBe(calls);
    expect(machine.sharedFs.installed).toEqual(['nfs-common']);
    expect(run.tools.statusHistory.map((s) => s.message)).not.toContain(`Mounting ${NFS}`);
  });

  test('the endpoint changes → services stopped, the old export unmounted, the new one mounted', async () => {
    const cluster = await deployed();
    relate(cluster, NFS);
    await changed(cluster);
    const machine = cluster.machine(UNIT);
    const before = machine.changes().length;
    relate(cluster, 'nfs://(10.0.0.6:2049)/srv/other');
    const run = await changed(cluster);
    expect(run.exitCode).toBe(0);
    expect(machine.sharedFs.calls.slice(-2)).toEqual([`unmount ${MOUNT}`, `mount ${MOUNT} at /var/lib/concourse`]);
    const changes = machine.changes().slice(before);
    // Nothing may hold the old mount while it goes: both services stop before the unmount, then start again.
    expectOrder(changes, 'stop concourse-server.service', `stop ${MOUNT}`);
    expectOrder(changes, 'stop concourse-worker.service', `stop ${MOUNT}`);
    expectOrder(changes, `stop ${MOUNT}`, `start ${MOUNT}`);
    expectOrder(changes, `start ${MOUNT}`, 'start concourse-server.service');
    expect(machine.files.get(MOUNT_FILE)?.content).toMatch(/^What=10\.0\.0\.6:\/srv\/other$/m);
    expect(run.logger.names()).toContain('shared-fs.remount');
  });

  test('the mount fails → blocked with the helper’s own words, the hook exits 0', async () => {
    const cluster = await deployed();
    cluster.machine(UNIT).sharedFs.mountFailure = 'mount.nfs: access denied by server while mounting 10.0.0.5:/srv';
    relate(cluster, NFS);
    const run = await changed(cluster);
    expect(run.exitCode).toBe(0);
    expect(run.state.unitStatus).toEqual({
      status: 'blocked',
      message: `Mounting ${NFS} failed: mount.nfs: access denied by server while mounting 10.0.0.5:/srv`,
    });
  });

  test('apt cannot install the client → blocked naming the package and apt’s reason', async () => {
    const cluster = await deployed();
    cluster.machine(UNIT).sharedFs.installFailure = 'E: Unable to locate package nfs-common';
    relate(cluster, NFS);
    const run = await changed(cluster);
    expect(run.exitCode).toBe(0);
    expect(run.state.unitStatus).toEqual({
      status: 'blocked',
      message: 'Installing nfs-common for the shared-fs mount failed: E: Unable to locate package nfs-common',
    });
    expect(cluster.machine(UNIT).sharedFs.calls).toEqual([]);
  });

  test.each([
    ['lustre://(10.0.0.7@tcp)/?fs-name=scratch', /lustre/i],
    ['nfs://(10.0.0.5:2049)/srv/concourse,rw', /./],
    ['nfs://(10.0.0.5:2049)/srv/con\ncourse', /./],
    ['ftp://(10.0.0.5)/srv', /./],
  ])('endpoint %j → blocked with the reason, nothing written or mounted', async (endpoint, reason) => {
    const cluster = await deployed();
    relate(cluster, endpoint);
    const run = await changed(cluster);
    expect(run.exitCode).toBe(0);
    expect(run.state.unitStatus.status).toBe('blocked');
    expect(run.state.unitStatus.message).toMatch(reason);
    const machine = cluster.machine(UNIT);
    expect(machine.files.has(MOUNT_FILE)).toBe(false);
    expect(machine.sharedFs.calls).toEqual([]);
  });

  test('no endpoint yet → waiting for the provider, nothing mounted', async () => {
    const cluster = await deployed();
    relate(cluster, undefined);
    const run = await changed(cluster);
    expect(run.exitCode).toBe(0);
    expect(run.state.unitStatus).toEqual({
      status: 'waiting',
      message: 'Waiting for nfs-share to share its filesystem endpoint (shared-fs)',
    });
    expect(cluster.machine(UNIT).sharedFs.calls).toEqual([]);
  });

  test('a CephFS key in a granted secret → ceph-fuse in a container, the key only in root-only files', async () => {
    const cluster = await deployed();
    cluster.update(UNIT, (s) => ({
      secrets: [...s.secrets, { id: 'secret:cs1nhb3lho4s73b8jd6g', owner: 'remote', content: { key: CEPH_KEY } }],
    }));
    relate(cluster, CEPHFS);
    const run = await changed(cluster);
    expect(run.exitCode).toBe(0);
    expect(run.state.unitStatus.status).toBe('active');
    const machine = cluster.machine(UNIT);
    expect(machine.sharedFs.installed).toEqual(['ceph-fuse']);
    expect(machine.files.get(MOUNT_FILE)?.content).toMatch(/^Type=fuse\.ceph$/m);
    const holding = [...machine.files.values()].filter((f) => f.content.includes(CEPH_KEY));
    expect(holding.length).toBeGreaterThan(0);
    for (const f of holding)
      expect({ path: f.path, mode: f.mode, owner: f.owner }).toEqual({ path: f.path, mode: 0o600, owner: 'root' });
    const said = JSON.stringify([run.tools.statusHistory, run.tools.logs, run.logger.events, machine.systemctl]);
    expect(said).not.toContain(CEPH_KEY);
  });

  test('a CephFS key in a secret not granted → blocked with the way out, nothing mounted', async () => {
    const cluster = await deployed();
    relate(cluster, CEPHFS);
    const run = await changed(cluster);
    expect(run.exitCode).toBe(0);
    expect(run.state.unitStatus.status).toBe('blocked');
    expect(run.state.unitStatus.message).toMatch(/juju remove-relation concourse-ci nfs-share, then integrate again/);
    expect(cluster.machine(UNIT).sharedFs.calls).toEqual([]);
  });

  test('the relation broken → services stopped, unmounted, the unit and its files removed, said in the status', async () => {
    const cluster = await deployed();
    relate(cluster, NFS);
    await changed(cluster);
    const machine = cluster.machine(UNIT);
    const before = machine.changes().length;
    cluster.update(UNIT, (s) => ({ relations: s.relations.filter((r) => r.endpoint !== 'shared-fs') }));
    const run = await cluster.run(UNIT, 'shared-fs-relation-broken', {
      relation: { id: 'shared-fs:7', remoteApp: 'nfs-share' },
    });
    expect(run.exitCode).toBe(0);
    expect(machine.sharedFs.calls.at(-1)).toBe(`unmount ${MOUNT}`);
    const changes = machine.changes().slice(before);
    expectOrder(changes, 'stop concourse-server.service', `stop ${MOUNT}`);
    expectOrder(changes, 'stop concourse-worker.service', `stop ${MOUNT}`);
    expectOrder(changes, `stop ${MOUNT}`, `disable ${MOUNT}`);
    expect(machine.files.has(MOUNT_FILE)).toBe(false);
    expect(run.tools.statusHistory).toContainEqual({
      target: 'unit',
      status: 'maintenance',
      message: `Unmounted ${NFS} (shared-fs relation removed): back on the local directory /var/lib/concourse`,
    });
    expect(run.logger.names()).toContain('shared-fs.released');
  });
});
