// Adapter tests for mounting a shared filesystem: host facts from real files under a scratch root, apt-get and
// systemctl/journalctl as real processes (recording stand-ins first on PATH), the mount table from a mountinfo file.

import 'reflect-metadata';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { AptPackageInstaller } from '../../src/adapters/apt-package-installer';
import { ProcHostFacts } from '../../src/adapters/proc-host-facts';
import { ProcMountTable } from '../../src/adapters/proc-mount-table';
import { SystemctlMountUnits } from '../../src/adapters/systemctl-mount-units';
import { ExecSystemctlRunner } from '../../src/adapters/systemctl-service-manager';
import { MountFailedError } from '../../src/ports/shared-fs-host';

let dir: string;
const originalPath = process.env.PATH ?? '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shared-fs-host-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  process.env.PATH = originalPath;
});

async function script(path: string, body: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
}

describe('ProcHostFacts', () => {
  test.each([
    [
      'a machine whose kernel has ceph → ceph listed, not a container',
      'nodev\tproc\n\text4\nnodev\tceph\n',
      {},
      ['proc', 'ext4', 'ceph'],
      false,
    ],
    [
      'systemd marks a container in /run/systemd/container → container',
      '\text4\n',
      { 'run/systemd/container': 'lxc\n' },
      ['ext4'],
      true,
    ],
    [
      'PID 1 has container= in its environment → container',
      '\text4\n',
      { 'proc/1/environ': 'PATH=/bin\0container=lxc\0' },
      ['ext4'],
      true,
    ],
    ['an empty container marker → not a container', '\text4\n', { 'run/systemd/container': '' }, ['ext4'], false],
  ])('%s', async (name, filesystems, extra, expected, container) => {
    const root = join(dir, name.replace(/\W+/g, '-'));
    await mkdir(join(root, 'proc', '1'), { recursive: true });
    await writeFile(join(root, 'proc', 'filesystems'), filesystems);
    for (const [path, content] of Object.entries(extra)) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), content);
    }
    expect(await new ProcHostFacts(root).filesystemFacts()).toEqual({
      kernelFilesystems: expected,
      inContainer: container,
    });
  });
});

describe('AptPackageInstaller', () => {
  async function fakeApt(name: string, failInstall = false) {
    const bin = join(dir, name, 'bin');
    const record = join(dir, name, 'apt.record');
    await script(
      join(bin, 'apt-get'),
      `printf '%s|http=%s|https=%s|no=%s|front=%s\\n' "$*" "$http_proxy" "$https_proxy" "$no_proxy" "$DEBIAN_FRONTEND" >> ${record}
${failInstall ? `[ "$1" = install ] && { echo "E: Unable to locate package nfs-common" >&2; exit 100; }` : ''}
exit 0`,
    );
    await script(join(bin, 'present-helper'), 'exit 0');
    return { bin, record };
  }

  test('the command is already on PATH → apt-get never runs', async () => {
    const { bin, record } = await fakeApt('present');
    const apt = new AptPackageInstaller({ path: bin });
    expect(await apt.ensure([{ command: 'present-helper', pkg: 'present' }])).toEqual([]);
    await expect(readFile(record, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  test('a missing command → update then install, through the model proxy', async () => {
    const { bin, record } = await fakeApt('missing');
    const apt = new AptPackageInstaller({
      path: bin,
      httpProxy: 'http://proxy.internal:3128',
      httpsProxy: 'http://proxy.internal:3129',
      noProxy: '10.0.0.0/8',
    });
    expect(
      await apt.ensure([
        { command: 'present-helper', pkg: 'present' },
        { command: 'no-such-mount-helper', pkg: 'nfs-common' },
      ]),
    ).toEqual(['nfs-common']);
    const proxy = 'http=http://proxy.internal:3128|https=http://proxy.internal:3129|no=10.0.0.0/8|front=noninteractive';
    expect((await readFile(record, 'utf8')).trim().split('\n')).toEqual([
      `update -q|${proxy}`,
      `install -y -q --no-install-recommends nfs-common|${proxy}`,
    ]);
  });

  test('apt-get fails → its own E: line in the error', async () => {
    const { bin } = await fakeApt('failing', true);
    const apt = new AptPackageInstaller({ path: bin });
    await expect(apt.ensure([{ command: 'no-such-mount-helper', pkg: 'nfs-common' }])).rejects.toThrow(
      'apt-get install failed: E: Unable to locate package nfs-common',
    );
  });
});

describe('SystemctlMountUnits', () => {
  const where = '/var/lib/concourse';
  const mounted = `36 25 0:52 / ${where} rw,relatime shared:1 - fuse.ceph-fuse ceph-fuse rw\n`;

  async function setup(name: string, systemctlBody: string, journal: string, mountinfo: string) {
    const bin = join(dir, name, 'bin');
    const record = join(dir, name, 'systemctl.record');
    const info = join(dir, name, 'mountinfo');
    await script(join(bin, 'systemctl'), `printf '%s\\n' "$*" >> ${record}\n${systemctlBody}`);
    await script(join(bin, 'journalctl'), `cat <<'J'\n${journal}\nJ`);
    await writeFile(info, mountinfo);
    process.env.PATH = `${bin}${delimiter}${originalPath}`;
    return { units: new SystemctlMountUnits(new ExecSystemctlRunner(), new ProcMountTable(info)), record, info };
  }

  test('start succeeds and the filesystem is mounted → resolves', async () => {
    const { units, record } = await setup('ok', 'exit 0', '', mounted);
    await units.mount('var-lib-concourse.mount', where);
    expect(await readFile(record, 'utf8')).toBe('start var-lib-concourse.mount\n');
  });

  test('start fails → the mount helper’s words from the journal, not systemd’s', async () => {
    const journal = [
      'Mounting Concourse shared release store (nfs://(10.0.0.5)/srv)...',
      'mount.nfs: access denied by server while mounting 10.0.0.5:/srv',
      'var-lib-concourse.mount: Mount process exited, code=exited, status=32/n/a',
      'Failed to mount Concourse shared release store (nfs://(10.0.0.5)/srv).',
    ].join('\n');
    const { units } = await setup('denied', 'echo "Job for var-lib-concourse.mount failed." >&2; exit 1', journal, '');
    const error = await units.mount('var-lib-concourse.mount', where).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MountFailedError);
    expect((error as MountFailedError).detail).toBe('mount.nfs: access denied by server while mounting 10.0.0.5:/srv');
  });

  test('start fails and the journal is empty → what systemctl said', async () => {
    const { units } = await setup('nojournal', 'echo "Job for var-lib-concourse.mount failed." >&2; exit 1', '', '');
    await expect(units.mount('var-lib-concourse.mount', where)).rejects.toThrow(
      'Job for var-lib-concourse.mount failed.',
    );
  });

  test('no journal, the helper’s words on systemctl’s stderr → those words without systemd’s', async () => {
    const said =
      'echo "mount.nfs: access denied by server" >&2; echo "Job for var-lib-concourse.mount failed." >&2; exit 1';
    const { units } = await setup('stderr', said, '', '');
    await expect(units.mount('var-lib-concourse.mount', where)).rejects.toThrow(
      /^mount\.nfs: access denied by server$/,
    );
  });

  test('start exits 0 but nothing is mounted (mount.fuse.ceph) → stopped again and refused', async () => {
    const journal = 'ceph-fuse[123]: fuse failed to start\nMount failed with status code: 1';
    const { units, record } = await setup('silent', 'exit 0', journal, '');
    await expect(units.mount('var-lib-concourse.mount', where)).rejects.toThrow(
      'ceph-fuse[123]: fuse failed to start; Mount failed with status code: 1',
    );
    expect(await readFile(record, 'utf8')).toBe('start var-lib-concourse.mount\nstop var-lib-concourse.mount\n');
  });

  test('unmount → systemctl stop of the unit', async () => {
    const { units, record } = await setup('stop', 'exit 0', '', mounted);
    await units.unmount('var-lib-concourse.mount');
    expect(await readFile(record, 'utf8')).toBe('stop var-lib-concourse.mount\n');
  });
});
