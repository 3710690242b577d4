import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ProcMountTable, topMountAt } from '../../src/adapters/proc-mount-table';

// Lines in the shape proc(5) documents, as an LXD container with a disk device and a later NFS mount shows them.
const MOUNTINFO = [
  '22 1 0:21 / / rw,relatime shared:1 - zfs default/containers/juju-1 rw,xattr,posixacl',
  '101 22 0:50 / /var/lib rw,relatime - overlay overlay rw,lowerdir=/var/lib',
  '130 101 8:17 /srv/concourse\\040data /var/lib/concourse rw,relatime shared:60 - ext4 /dev/sdb1 rw',
  '131 130 0:61 / /var/lib/concourse rw,relatime shared:61 master:3 - nfs4 10.0.0.5:/srv/concourse rw,vers=4.2',
  '140 22 0:70 / /var/lib/concourse-worker rw - tmpfs tmpfs rw',
  'garbage line',
].join('\n');

test('two mounts stacked at the location → the topmost one', () => {
  expect(topMountAt(MOUNTINFO, '/var/lib/concourse')).toEqual({
    source: '10.0.0.5:/srv/concourse',
    filesystemType: 'nfs4',
    depth: 2,
  });
});

test('a path with a trailing slash → the same mount point', () => {
  expect(topMountAt(MOUNTINFO, '/var/lib/concourse/')?.filesystemType).toBe('nfs4');
});

test('a directory inside a mount, not a mount point itself → not mounted', () => {
  expect(topMountAt(MOUNTINFO, '/var/lib/concourse/releases')).toBeUndefined();
  expect(topMountAt(MOUNTINFO, '/var/lib/juju')).toBeUndefined();
});

test('a prefix of another mount point → not confused with it', () => {
  expect(topMountAt(MOUNTINFO, '/var/lib/concourse-worker')?.filesystemType).toBe('tmpfs');
});

test('octal escapes in paths → decoded', () => {
  const info = '7 1 0:1 / /mnt/with\\040space rw - ext4 /dev/my\\134disk rw';
  expect(topMountAt(info, '/mnt/with space')).toEqual({ source: '/dev/my\\disk', filesystemType: 'ext4', depth: 1 });
});

test("this process's real mount table → / is a mount point", async () => {
  expect(await new ProcMountTable().mountAt('/')).toBeDefined();
});

test('a mountinfo file that lists nothing at a path → undefined', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mountinfo-'));
  try {
    await writeFile(join(dir, 'mountinfo'), MOUNTINFO);
    expect(await new ProcMountTable(join(dir, 'mountinfo')).mountAt('/srv')).toBeUndefined();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
