// Adapter tests of the worker's machine facts: the real systemd-detect-virt (and a stand-in script for a VM), the
// container marks when the command is missing, the work dir's filesystem from mountinfo text and from this host's
// own /proc/self/mountinfo (checked against findmnt), and the resolv.conf files read as they are.

import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { filesystemOf } from '../../src/adapters/proc-mount-table';
import { ProcWorkerHost } from '../../src/adapters/proc-worker-host';

const MOUNTINFO = [
  '22 1 0:21 / / rw,relatime shared:1 - zfs default/containers/juju-1 rw,xattr,posixacl',
  '130 22 8:17 /srv /var/lib/concourse rw,relatime shared:60 - ext4 /dev/sdb1 rw',
  '131 130 0:61 / /var/lib/concourse rw,relatime shared:61 master:3 - nfs4 10.0.0.5:/srv/concourse rw,vers=4.2',
  '140 22 0:70 / /var/lib/concourse-worker rw - tmpfs tmpfs rw',
  '141 131 0:71 / /var/lib/concourse/worker/ci-1/work\\040dir rw - fuse.sshfs host:/x rw',
  'garbage line',
].join('\n');

describe('filesystemOf', () => {
  test.each([
    ['/var/lib/concourse/worker/ci-1/work_dir', 'nfs4'],
    ['/var/lib/concourse', 'nfs4'],
    ['/var/lib/concourse-worker/ci-1/work_dir', 'tmpfs'],
    ['/var/lib/concourse-workers/x', 'zfs'],
    ['/var/lib/concourse/worker/ci-1/work dir/volumes', 'fuse.sshfs'],
    ['/', 'zfs'],
  ])('%s → %s (the longest mount point holding it, topmost)', (path, type) => {
    expect(filesystemOf(MOUNTINFO, path)).toBe(type);
  });

  test('this host: the filesystem of a path that does not exist yet → what findmnt says of its nearest parent', async () => {
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    const real = execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '--target', tmpdir()], { encoding: 'utf8' }).trim();
    expect(filesystemOf(mountinfo, join(tmpdir(), 'no-such-dir', 'work_dir'))).toBe(real);
  });
});

describe('ProcWorkerHost', () => {
  let root: string;
  const put = async (path: string, content: string) => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'worker-host-'));
    await put('proc/self/mountinfo', MOUNTINFO);
    await put('etc/resolv.conf', 'nameserver 127.0.0.53\noptions edns0 trust-ad\n');
    await put('run/systemd/resolve/resolv.conf', 'nameserver 10.148.1.1\n');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('files under the root → the work dir filesystem and both resolv.conf texts as they are', async () => {
    const facts = await new ProcWorkerHost(root, join(root, 'no-such-command')).facts('/var/lib/concourse/worker/a');
    expect(facts).toMatchObject({
      workDirFilesystem: 'nfs4',
      resolvConf: 'nameserver 127.0.0.53\noptions edns0 trust-ad\n',
      upstreamResolvConf: 'nameserver 10.148.1.1\n',
    });
  });

  test('no files at all → everything unknown, nothing thrown', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'worker-host-empty-'));
    try {
      expect(await new ProcWorkerHost(empty, join(empty, 'none')).facts('/x')).toEqual({
        virt: { kind: 'none', name: 'none' },
        workDirFilesystem: undefined,
        resolvConf: undefined,
        upstreamResolvConf: undefined,
      });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  test('systemd-detect-virt missing, systemd container mark → that container', async () => {
    await put('run/systemd/container', 'lxc\n');
    expect((await new ProcWorkerHost(root, join(root, 'none')).facts('/')).virt).toEqual({
      kind: 'container',
      name: 'lxc',
    });
  });

  test('systemd-detect-virt missing, container= in PID 1 environment → that container', async () => {
    await put('proc/1/environ', 'PATH=/bin\0container=podman\0');
    expect((await new ProcWorkerHost(root, join(root, 'none')).facts('/')).virt).toEqual({
      kind: 'container',
      name: 'podman',
    });
  });

  test('a command that finds no container but a VM → that VM', async () => {
    const script = join(root, 'detect-virt');
    await writeFile(script, '#!/bin/sh\nif [ "$1" = --vm ]; then echo kvm; exit 0; fi\necho none; exit 1\n');
    await chmod(script, 0o755);
    expect((await new ProcWorkerHost(root, script).facts('/')).virt).toEqual({ kind: 'vm', name: 'kvm' });
  });

  test('a command that finds neither → none, marks not consulted', async () => {
    const script = join(root, 'detect-virt');
    await writeFile(script, '#!/bin/sh\necho none; exit 1\n');
    await chmod(script, 0o755);
    await put('run/systemd/container', 'lxc\n');
    expect((await new ProcWorkerHost(root, script).facts('/')).virt).toEqual({ kind: 'none', name: 'none' });
  });

  test('the real systemd-detect-virt → what it prints for --container (or --vm)', async () => {
    const ask = (flag: string) => {
      try {
        return execFileSync('systemd-detect-virt', [flag], { encoding: 'utf8' }).trim();
      } catch {
        return 'none';
      }
    };
    const container = ask('--container');
    const vm = ask('--vm');
    const expected =
      container !== 'none'
        ? { kind: 'container', name: container }
        : vm !== 'none'
          ? { kind: 'vm', name: vm }
          : { kind: 'none', name: 'none' };
    expect((await new ProcWorkerHost(root).facts('/')).virt).toEqual(expected);
  });
});
