// The release store on a real network filesystem: two units' sshfs mounts of one export racing for the volume id
// and for publishing the same release. sftp reports lost races as EPERM, not EEXIST; the store must still converge.

import 'reflect-metadata';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SshfsVolume } from '../../sim/sshfs-volume';
import { FsBinaryStore } from '../../src/adapters/fs-binary-store';

const IS_ROOT = process.getuid?.() === 0;
const tarball = { source: 'test', bytes: 1, sha1: 'a'.repeat(40), sha256: 'b'.repeat(64) };

describe.skipIf(!IS_ROOT)('FsBinaryStore on sshfs (needs root: mounts FUSE)', () => {
  let root: string;
  let volume: SshfsVolume;
  let a: FsBinaryStore;
  let b: FsBinaryStore;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'store-sshfs-'));
    volume = new SshfsVolume('shared', { cacheTimeoutSeconds: 2 });
    await volume.open(root);
    a = new FsBinaryStore(await volume.hostPathFor('app/0'));
    b = new FsBinaryStore(await volume.hostPathFor('app/1'));
  });
  afterAll(async () => {
    await volume?.close();
    await rm(root, { recursive: true, force: true });
  });

  test('volume id created from two mounts at once → one id for both', async () => {
    const ids = await Promise.all([...Array(6)].flatMap(() => [a.ensureVolumeId(), b.ensureVolumeId()]));
    expect(new Set(ids).size).toBe(1);
  });

  test('same release published from two mounts → one published, the other already-published, no staging left', async () => {
    const stage = async (store: FsBinaryStore, unit: string) => {
      const s = await store.openStaging('7.14.2', unit);
      await mkdir(join(s.dir, 'bin'));
      await writeFile(join(s.dir, 'bin/concourse'), `#!/bin/sh\necho ${unit}\n`, { mode: 0o755 });
      return s;
    };
    const [sa, sb] = await Promise.all([stage(a, 'app-0'), stage(b, 'app-1')]);
    const outcomes = await Promise.all([
      a.publish(sa, tarball, 'app/0', new Date()),
      b.publish(sb, tarball, 'app/1', new Date()),
    ]);
    expect(outcomes.sort()).toEqual(['already-published', 'published']);
    expect((await a.checkRelease('7.14.2')).state).toBe('published');
    expect((await b.checkRelease('7.14.2')).state).toBe('published');
    expect(await readdir(join(volume.exportPath ?? '', '.staging'))).toEqual([]);
  });
});
