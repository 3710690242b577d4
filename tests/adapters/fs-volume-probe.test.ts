// Adapter tests for FsVolumeProbe: a real volume directory, real child processes racing for its id, a real
// read-only bind mount (in a private mount namespace) and a real tmpfs for the probe. Nothing is mocked.

import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, rm, stat, statfs, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FsReleaseStore } from '../../src/adapters/fs-release-store';
import { describeFilesystemType, FsVolumeProbe } from '../../src/adapters/fs-volume-probe';
import { VOLUME_LAYOUT } from '../../src/domain/volume-layout';
import { volumeProbeContract } from '../support/contracts/volume-probe-contract';
import { PROJECT_ROOT } from '../support/processes';
import { PUBLISHED_AT, releaseFiles, TARBALL } from '../support/release-fixtures';
import { canUnshare, scratchVolume, writeFiles } from '../support/volume-scratch';

const ADAPTER = join(PROJECT_ROOT, 'src/adapters/fs-volume-probe.ts');
const v = scratchVolume();
let root: string;
let scratch: string;
let probe: FsVolumeProbe;
let store: FsReleaseStore;

beforeEach(() => {
  root = v.root;
  scratch = v.scratch;
  probe = new FsVolumeProbe(root);
  store = new FsReleaseStore(root);
});

async function publishRelease(version: string): Promise<void> {
  const staging = await store.openStaging(version, 'concourse-ci/0');
  await writeFiles(staging.dir, releaseFiles(version));
  await store.publish(staging, { tarball: TARBALL, publishedBy: 'concourse-ci/0', publishedAt: PUBLISHED_AT });
}

volumeProbeContract('FsVolumeProbe', async () => {
  const dir = await mkdtemp(join(v.scratch, 'contract-'));
  return {
    probe: new FsVolumeProbe(dir),
    lose: () => rm(dir, { recursive: true, force: true }),
    otherUnit: () => new FsVolumeProbe(dir),
  };
});

describe('FsVolumeProbe.inspect', () => {
  it('volume path absent → missing, no space reported', async () => {
    const facts = await new FsVolumeProbe(join(scratch, 'nowhere')).inspect();
    expect(facts).toMatchObject({ state: 'missing', freeBytes: 0, totalBytes: 0, volumeId: undefined });
  });

  it('volume path is a regular file → not-directory', async () => {
    const file = join(scratch, 'a-file');
    await writeFile(file, 'not a volume');
    expect((await new FsVolumeProbe(file).inspect()).state).toBe('not-directory');
    expect((await new FsVolumeProbe(join(file, 'below')).inspect()).state).toBe('not-directory');
  });

  it('fresh writable directory → ok with free space, no volume id yet, and no probe file left', async () => {
    const facts = await probe.inspect();
    expect(facts.state).toBe('ok');
    expect(facts.freeBytes).toBeGreaterThan(0);
    expect(facts.totalBytes).toBeGreaterThanOrEqual(facts.freeBytes);
    expect(facts.volumeId).toBeUndefined();
    expect(facts.filesystemType).not.toBe('');
    expect(await readdir(root)).toEqual([]);

    const id = await probe.ensureVolumeId();
    expect((await probe.inspect()).volumeId).toBe(id);
  });

  it.skipIf(!existsSync('/dev/shm'))('volume on tmpfs (/dev/shm) → filesystem type tmpfs, not network', async () => {
    const shmRoot = await mkdtemp('/dev/shm/store-test-');
    try {
      expect((await statfs(shmRoot)).type).toBe(0x01021994);
      const facts = await new FsVolumeProbe(shmRoot).inspect();
      expect(facts).toMatchObject({ state: 'ok', filesystemType: 'tmpfs', networkFilesystem: false });
    } finally {
      await rm(shmRoot, { recursive: true, force: true });
    }
  });

  it('statfs magic numbers → NFS, FUSE (sshfs), CephFS and CIFS count as network filesystems', () => {
    expect(describeFilesystemType(0x6969)).toEqual({ name: 'nfs', network: true });
    expect(describeFilesystemType(0x65735546)).toEqual({ name: 'fuse', network: true });
    expect(describeFilesystemType(0x00c36400)).toEqual({ name: 'ceph', network: true });
    expect(describeFilesystemType(0xff534d42)).toEqual({ name: 'cifs', network: true });
    expect(describeFilesystemType(0xef53)).toEqual({ name: 'ext4', network: false });
    expect(describeFilesystemType(0x12345)).toEqual({ name: '0x12345', network: false });
  });

  it.skipIf(!canUnshare)(
    'volume bind-mounted read-only (private mount namespace; skipped unless root may unshare -m) → read-only',
    async () => {
      await probe.ensureVolumeId();
      const script = await v.writeScript(
        'inspect.mts',
        `import { FsVolumeProbe } from ${JSON.stringify(ADAPTER)};
         console.log(JSON.stringify(await new FsVolumeProbe(process.argv[2]).inspect()));`,
      );
      const inner = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" --import tsx "$3" "$1"`;
      const child = v.run('unshare', [
        ...['-m', '--propagation', 'private', 'sh', '-c', inner],
        ...['sh', root, process.execPath, script],
      ]);
      expect(await child.closed, child.stderr()).toBe(0);
      const facts: unknown = JSON.parse(child.stdout());
      expect(facts).toMatchObject({ state: 'read-only', volumeId: await probe.ensureVolumeId() });
      expect(facts).toHaveProperty('detail', expect.stringContaining('EROFS'));
      // The mount lived only in the child's namespace: here the volume is still writable.
      expect((await probe.inspect()).state).toBe('ok');
    },
  );
});

describe('FsVolumeProbe.ensureVolumeId', () => {
  it('20 processes creating the volume id at once → all get the same id, written once', async () => {
    const go = join(scratch, 'go');
    const script = await v.writeScript(
      'volume-id.mts',
      `import { existsSync } from 'node:fs';
       import { FsVolumeProbe } from ${JSON.stringify(ADAPTER)};
       const [root, go] = process.argv.slice(2);
       console.log('READY');
       // Spin on the start file so that all 20 call ensureVolumeId within the same instant.
       while (!existsSync(go)) await new Promise((r) => setImmediate(r));
       console.log('ID ' + (await new FsVolumeProbe(root).ensureVolumeId()));`,
    );
    const procs = Array.from({ length: 20 }, () => v.run(process.execPath, ['--import', 'tsx', script, root, go]));
    await Promise.all(procs.map((p) => p.line(/^READY$/)));
    await writeFile(go, '');

    const ids = new Set<string>();
    for (const proc of procs) {
      expect(await proc.closed, proc.stderr()).toBe(0);
      const id = /^ID (\S+)$/m.exec(proc.stdout())?.[1];
      expect(id).toBeDefined();
      if (id !== undefined) ids.add(id);
    }
    expect(ids.size).toBe(1);
    expect((await readFile(join(root, VOLUME_LAYOUT.volumeId), 'utf8')).trim()).toBe([...ids][0]);
    // Temp files used to create it atomically are all gone.
    expect((await readdir(root)).filter((n) => n.startsWith('.volume-id.'))).toEqual([]);
  });
});

describe('FsVolumeProbe.usage', () => {
  it('usage with current, bin and a link pointing outside the volume → counts files once, follows no link', async () => {
    await publishRelease('7.14.2');
    await store.switchCurrent('7.14.2');
    const id = await probe.ensureVolumeId();
    await symlink('/usr', join(root, 'escape'));

    const { releaseBytes, volumeBytes } = await probe.usage();

    const check = await store.checkRelease('7.14.2');
    if (check.state !== 'published') throw new Error('expected published');
    const manifestBytes = (await stat(join(root, 'releases/7.14.2/MANIFEST.json'))).size;
    expect(releaseBytes).toBe(check.manifest.extractedBytes + manifestBytes);
    expect(volumeBytes).toBe(releaseBytes + `${id}\n`.length + '7.14.2\n'.length);
    expect((await lstat(join(root, 'current'))).isSymbolicLink()).toBe(true);
  });
});
