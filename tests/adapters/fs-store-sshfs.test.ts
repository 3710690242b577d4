// The release store on a real network filesystem: two units' sshfs mounts of one export racing for the volume id
// and for publishing the same release. sftp reports lost races as EPERM, not EEXIST; the store must still converge.

import 'reflect-metadata';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SshfsVolume } from '../../sim/sshfs-volume';
import { FsReleaseStore } from '../../src/adapters/fs-release-store';
import { FsVolumeProbe } from '../../src/adapters/fs-volume-probe';

const IS_ROOT = process.getuid?.() === 0;
const tarball = { source: 'test', bytes: 1, sha1: 'a'.repeat(40), sha256: 'b'.repeat(64) };

describe.skipIf(!IS_ROOT)('FsVolumeProbe and FsReleaseStore on sshfs (needs root: mounts FUSE)', () => {
  let root: string;
  let volume: SshfsVolume;
  let a: FsReleaseStore;
  let b: FsReleaseStore;
  let probeA: FsVolumeProbe;
  let probeB: FsVolumeProbe;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'store-sshfs-'));
    volume = new SshfsVolume('shared', { cacheTimeoutSeconds: 2 });
    await volume.open(root);
    const pathA = await volume.hostPathFor('app/0');
    const pathB = await volume.hostPathFor('app/1');
    a = new FsReleaseStore(pathA);
    b = new FsReleaseStore(pathB);
    probeA = new FsVolumeProbe(pathA);
    probeB = new FsVolumeProbe(pathB);
  });
  afterAll(async () => {
    await volume?.close();
    await rm(root, { recursive: true, force: true });
  });

  test('volume id created from two mounts at once → one id for both', async () => {
    const ids = await Promise.all([...Array(6)].flatMap(() => [probeA.ensureVolumeId(), probeB.ensureVolumeId()]));
    expect(new Set(ids).size).toBe(1);
  });

  test('same release published from two mounts → one published, the other already-published, no staging left', async () => {
    const stage = async (store: FsReleaseStore, unit: string) => {
      const s = await store.openStaging('7.14.2', unit);
      await mkdir(join(s.dir, 'bin'));
      await writeFile(join(s.dir, 'bin/concourse'), `#!/bin/sh\necho ${unit}\n`, { mode: 0o755 });
      return s;
    };
    const [sa, sb] = await Promise.all([stage(a, 'app-0'), stage(b, 'app-1')]);
    const outcomes = await Promise.all([
      a.publish(sa, { tarball, publishedBy: 'app/0', publishedAt: new Date() }),
      b.publish(sb, { tarball, publishedBy: 'app/1', publishedAt: new Date() }),
    ]);
    expect(outcomes.sort()).toEqual(['already-published', 'published']);
    expect((await a.checkRelease('7.14.2')).state).toBe('published');
    expect((await b.checkRelease('7.14.2')).state).toBe('published');
    expect(await readdir(join(volume.exportPath ?? '', '.staging'))).toEqual([]);
  });
});
