// Issue 11: the shared-fs relation with an NFS provider. This kernel has no NFS client, so the simulator's
// `mount.nfs` stand-in records what systemd would run and binds the export's directory; everything the charm does
// (the mount unit, its options, the remount on a new endpoint, the unmount on broken) goes through the real charm.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { deployWithPostgres, unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { offerEndpoint, offerNfs, relateFilesystemProvider } from '../../sim/filesystem-provider';
import { SimModel } from '../../sim/model';
import { packedCharm } from '../support/packed-charm';
import { charmConfig, MiB, publishedReleases } from '../support/store-fixtures';

const APP = 'concourse-ci';
const UNITS = [`${APP}/0`, `${APP}/1`];
const MOUNT_UNIT = '/etc/systemd/system/var-lib-concourse.mount';
let server: ReleaseServer;
let sim: SimModel | undefined;

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 1 * MiB });
});
afterAll(async () => server?.close());
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function workloads(s: SimModel): Array<[string, string]> {
  return unitsOf(s, APP).map((u) => [u.workload.kind, u.workload.message]);
}

function helperCalls(s: SimModel, unit: string): string[][] {
  const file = join(s.unitRoot(unit), 'systemd', 'mount-helpers.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).argv);
}

/** Every status the unit set, in order (the hooks' effects journals). */
function statusHistory(s: SimModel, unit: string): string[] {
  const hooks = join(s.unitRoot(unit), 'hooks');
  return readdirSync(hooks)
    .sort()
    .flatMap((h) => {
      const file = join(hooks, h, 'effects.jsonl');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l))
        .filter((e) => e.op === 'status')
        .map((e) => `${e.kind}: ${e.message}`);
    });
}

async function deployed(units = 2): Promise<SimModel> {
  const s = await SimModel.create({ charm: await packedCharm() });
  sim = s;
  await deployWithPostgres(s, APP, { units, volume: null, config: charmConfig(server) });
  return s;
}

describe('shared-fs with NFS', () => {
  test('related at deploy → the export mounted on every unit and downloaded to once, remount on a new endpoint, unmount on broken', async () => {
    const s = await deployed();
    const before = server.downloads('7.14.2');
    const nfs = await relateFilesystemProvider(s, APP, 'nfs-server-proxy');
    const exportDir = await offerNfs(s, nfs, { host: '10.0.0.5', port: 2049, path: '/srv/concourse' });
    await s.settle();
    for (const [kind, message] of workloads(s)) {
      expect(kind, message).toBe('active');
      expect(message).toMatch(/ · shared volume 2 units$/);
    }
    // shared-storage=auto: each unit installed on its own disk in its install hook (Juju runs relation-created
    // after install), then the export got the release once.
    expect(server.downloads('7.14.2') - before).toBe(3);
    expect(await publishedReleases(exportDir)).toEqual(['7.14.2']);
    for (const u of UNITS) {
      const unit = readFileSync(s.unitPath(u, MOUNT_UNIT), 'utf8');
      expect(unit).toContain(
        'What=10.0.0.5:/srv/concourse\nWhere=/var/lib/concourse\nType=nfs\nOptions=_netdev,port=2049\n',
      );
      expect(helperCalls(s, u)).toEqual([['10.0.0.5:/srv/concourse', '/var/lib/concourse', '-o', '_netdev,port=2049']]);
      expect(statusHistory(s, u)).toContain('maintenance: Mounting nfs://(10.0.0.5:2049)/srv/concourse');
    }
    const status = await s.runAction(`${APP}/1`, 'storage-status');
    expect(status.results['shared-fs']).toEqual({
      endpoint: 'nfs://(10.0.0.5:2049)/srv/concourse',
      source: '10.0.0.5:/srv/concourse',
      type: 'nfs',
      client: 'kernel (nfs-kernel)',
      options: '_netdev,port=2049',
    });

    // The provider moves the share: services stop, the old export is unmounted, the new one mounted and adopted.
    const moved = await offerNfs(s, nfs, { host: '10.0.0.6', path: '/srv/moved' });
    await s.settle();
    for (const [kind, message] of workloads(s))
      expect([kind, message]).toEqual(['active', expect.stringMatching(/shared volume 2 units$/)]);
    expect(await publishedReleases(moved)).toEqual(['7.14.2']);
    for (const u of UNITS) {
      expect(readFileSync(s.unitPath(u, MOUNT_UNIT), 'utf8')).toContain('What=10.0.0.6:/srv/moved\n');
      expect(helperCalls(s, u).map((argv) => argv[0])).toEqual(['10.0.0.5:/srv/concourse', '10.0.0.6:/srv/moved']);
      const calls = s.systemctlCalls(u).map((c) => c.argv.join(' '));
      const stopMount = calls.lastIndexOf('stop var-lib-concourse.mount');
      expect(stopMount).toBeGreaterThan(calls.lastIndexOf('stop concourse-worker.service'));
      expect(calls.lastIndexOf('start var-lib-concourse.mount')).toBeGreaterThan(stopMount);
    }
    // The old export keeps what it had: nothing is removed from a volume the unit leaves.
    expect(await publishedReleases(exportDir)).toEqual(['7.14.2']);

    // Relation removed: unmounted, unit file gone, each unit back on its own directory.
    await s.removeRelation(nfs.relationId);
    await s.settle();
    for (const u of UNITS) {
      expect(existsSync(s.unitPath(u, MOUNT_UNIT))).toBe(false);
      expect(statusHistory(s, u)).toContain(
        'maintenance: Unmounted nfs://(10.0.0.6)/srv/moved (shared-fs relation removed): back on the local directory /var/lib/concourse',
      );
      expect((await s.runAction(u, 'storage-status')).results.mount).toBe("none: a directory on the machine's disk");
    }
    for (const [kind, message] of workloads(s))
      expect([kind, message]).toEqual(['active', expect.stringMatching(/volume not shared$/)]);
  });

  test('an export the server refuses → blocked with mount.nfs’s own words; a good endpoint recovers it', async () => {
    const s = await deployed();
    const nfs = await relateFilesystemProvider(s, APP, 'nfs-server-proxy');
    await offerEndpoint(s, nfs, 'nfs://(10.0.0.9)/nope');
    await s.settle();
    for (const [kind, message] of workloads(s)) {
      expect([kind, message]).toEqual([
        'blocked',
        'Mounting nfs://(10.0.0.9)/nope failed: mount.nfs: access denied by server while mounting 10.0.0.9:/nope',
      ]);
    }
    const dir = await offerNfs(s, nfs, { host: '10.0.0.5', path: '/srv/ok' });
    await s.settle();
    expect(workloads(s).map(([kind]) => kind)).toEqual(['active', 'active']);
    expect(await publishedReleases(dir)).toEqual(['7.14.2']);
  });

  test.each([
    ['lustre', 'lustre://(10.0.0.1%40tcp)/?fs-name=lfs', /offers Lustre, which this charm does not mount/],
    ['a path with a newline', 'nfs://(10.0.0.5)/srv%0AWhat=/etc', /cannot be used: a percent-encoded part/],
  ])('%s offered → blocked saying why, nothing mounted', async (_, endpoint, message) => {
    const s = await deployed(1);
    const nfs = await relateFilesystemProvider(s, APP, 'fs-provider');
    await offerEndpoint(s, nfs, endpoint);
    await s.settle();
    for (const [kind, text] of workloads(s)) {
      expect(kind).toBe('blocked');
      expect(text).toMatch(message);
    }
    expect(existsSync(s.unitPath(`${APP}/0`, MOUNT_UNIT))).toBe(false);
  });
});
