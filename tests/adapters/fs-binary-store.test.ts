// Adapter tests for FsBinaryStore: a real volume directory, real child processes racing on it, a real read-only bind
// mount (in a private mount namespace) for the probe and a real full tmpfs. Nothing is mocked; one test interposes on
// readdir only to run a real removal at a known step of the publish walk.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import {
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  statfs,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeFilesystemType, FsBinaryStore, PublishAbortedError } from '../../src/adapters/fs-binary-store';
import { releaseBinary } from '../../src/domain/concourse-services';
import type { DownloadProgress } from '../../src/domain/download-progress';
import type { UnitStateRecord } from '../../src/domain/unit-state';
import { ConcourseVersion } from '../../src/domain/version';
import { VOLUME_LAYOUT } from '../../src/domain/volume-layout';
import type { StagingArea, TarballFacts } from '../../src/ports/binary-store';
import { PROJECT_ROOT, type Spawned, watch } from '../support/processes';

const ADAPTER = join(PROJECT_ROOT, 'src/adapters/fs-binary-store.ts');
const TARBALL: TarballFacts = {
  source: 'https://github.com/concourse/concourse/releases/download/v7.14.2/concourse-7.14.2-linux-amd64.tgz',
  bytes: 4096,
  sha1: 'a'.repeat(40),
  sha256: 'b'.repeat(64),
};
const PUBLISHED_AT = new Date('2026-01-02T03:04:05.000Z');

/** Mount namespaces need root and an unconfined runtime; probed once so the test can say why it is skipped. */
const canUnshare =
  spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { stdio: 'ignore' }).status === 0 &&
  process.getuid?.() === 0;

let root: string;
let scratch: string;
let store: FsBinaryStore;
const children: ChildProcess[] = [];

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'store-test-'));
  root = join(scratch, 'volume');
  await mkdir(root);
  store = new FsBinaryStore(root);
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await rm(scratch, { recursive: true, force: true });
});

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Files of an extracted Concourse tarball, in miniature; `tag` makes releases distinguishable. */
function releaseFiles(tag: string): Record<string, string> {
  return {
    'bin/concourse': `#!/bin/sh\necho ${tag}\n`,
    'bin/gdn': 'gdn binary stand-in\n'.repeat(50),
    'resource-types/registry-image/rootfs.tgz': 'x'.repeat(10_000),
    'resource-types/registry-image/resource_metadata.json': '{"type":"registry-image"}\n',
    'fly-assets/fly-linux-amd64.tgz': 'f'.repeat(3_000),
  };
}

async function stageRelease(version: string, unit: string, tag = version): Promise<StagingArea> {
  const staging = await store.openStaging(version, unit);
  for (const [relative, content] of Object.entries(releaseFiles(tag))) {
    const file = join(staging.dir, relative);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, content, { mode: 0o755 });
  }
  return staging;
}

async function publishRelease(version: string, unit = 'concourse-ci/0', tag = version): Promise<void> {
  const staging = await stageRelease(version, unit, tag);
  expect(await store.publish(staging, TARBALL, unit, PUBLISHED_AT)).toBe('published');
}

async function writeScript(name: string, source: string): Promise<string> {
  const file = join(scratch, name);
  await writeFile(file, source);
  return file;
}

function run(command: string, args: readonly string[]): Spawned {
  const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return watch(child);
}

describe('FsBinaryStore.inspect', () => {
  it('volume path absent → missing, no space reported', async () => {
    const facts = await new FsBinaryStore(join(scratch, 'nowhere')).inspect();
    expect(facts).toMatchObject({ state: 'missing', freeBytes: 0, totalBytes: 0, volumeId: undefined });
  });

  it('volume path is a regular file → not-directory', async () => {
    const file = join(scratch, 'a-file');
    await writeFile(file, 'not a volume');
    expect((await new FsBinaryStore(file).inspect()).state).toBe('not-directory');
    expect((await new FsBinaryStore(join(file, 'below')).inspect()).state).toBe('not-directory');
  });

  it('fresh writable directory → ok with free space, no volume id yet, and no probe file left', async () => {
    const facts = await store.inspect();
    expect(facts.state).toBe('ok');
    expect(facts.freeBytes).toBeGreaterThan(0);
    expect(facts.totalBytes).toBeGreaterThanOrEqual(facts.freeBytes);
    expect(facts.volumeId).toBeUndefined();
    expect(facts.filesystemType).not.toBe('');
    expect(await readdir(root)).toEqual([]);

    const id = await store.ensureVolumeId();
    expect((await store.inspect()).volumeId).toBe(id);
  });

  it.skipIf(!existsSync('/dev/shm'))('volume on tmpfs (/dev/shm) → filesystem type tmpfs, not network', async () => {
    const shmRoot = await mkdtemp('/dev/shm/store-test-');
    try {
      expect((await statfs(shmRoot)).type).toBe(0x01021994);
      const facts = await new FsBinaryStore(shmRoot).inspect();
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
      await store.ensureVolumeId();
      const script = await writeScript(
        'inspect.mts',
        `import { FsBinaryStore } from ${JSON.stringify(ADAPTER)};
         console.log(JSON.stringify(await new FsBinaryStore(process.argv[2]).inspect()));`,
      );
      const inner = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" --import tsx "$3" "$1"`;
      const child = run('unshare', [
        ...['-m', '--propagation', 'private', 'sh', '-c', inner],
        ...['sh', root, process.execPath, script],
      ]);
      expect(await child.closed, child.stderr()).toBe(0);
      const facts: unknown = JSON.parse(child.stdout());
      expect(facts).toMatchObject({ state: 'read-only', volumeId: await store.ensureVolumeId() });
      expect(facts).toHaveProperty('detail', expect.stringContaining('EROFS'));
      // The mount lived only in the child's namespace: here the volume is still writable.
      expect((await store.inspect()).state).toBe('ok');
    },
  );
});

describe('FsBinaryStore.ensureVolumeId', () => {
  it('20 processes creating the volume id at once → all get the same id, written once', async () => {
    const go = join(scratch, 'go');
    const script = await writeScript(
      'volume-id.mts',
      `import { existsSync } from 'node:fs';
       import { FsBinaryStore } from ${JSON.stringify(ADAPTER)};
       const [root, go] = process.argv.slice(2);
       console.log('READY');
       // Spin on the start file so that all 20 call ensureVolumeId within the same instant.
       while (!existsSync(go)) await new Promise((r) => setImmediate(r));
       console.log('ID ' + (await new FsBinaryStore(root).ensureVolumeId()));`,
    );
    const procs = Array.from({ length: 20 }, () => run(process.execPath, ['--import', 'tsx', script, root, go]));
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

describe('FsBinaryStore releases', () => {
  it('publish then check → published, manifest has bin/ digests and total bytes, staging gone', async () => {
    const staging = await stageRelease('7.14.2', 'concourse-ci/0');
    expect(staging.dir.startsWith(join(root, '.staging', '7.14.2.concourse-ci-0.'))).toBe(true);

    expect(await store.publish(staging, TARBALL, 'concourse-ci/0', PUBLISHED_AT)).toBe('published');

    expect(existsSync(staging.dir)).toBe(false);
    const check = await store.checkRelease('7.14.2', { deep: true });
    if (check.state !== 'published') throw new Error(`expected published, got ${JSON.stringify(check)}`);
    // Published exactly where the unit files' ExecStart points (one layout module for both).
    const binary = releaseBinary(root, ConcourseVersion.parse('7.14.2'));
    expect(binary).toBe(join(root, 'releases/7.14.2/bin/concourse'));
    const concourse = await readFile(binary);
    expect(check.manifest).toMatchObject({
      schema: 1,
      version: '7.14.2',
      source: TARBALL.source,
      tarball: { bytes: TARBALL.bytes, sha1: TARBALL.sha1, sha256: TARBALL.sha256 },
      publishedBy: 'concourse-ci/0',
      publishedAt: PUBLISHED_AT.toISOString(),
    });
    expect(Object.keys(check.manifest.files)).toEqual(['bin/concourse', 'bin/gdn']);
    expect(check.manifest.files['bin/concourse']).toEqual({ bytes: concourse.length, sha256: sha256(concourse) });
    const allBytes = Object.values(releaseFiles('7.14.2')).reduce((sum, c) => sum + Buffer.byteLength(c), 0);
    expect(check.manifest.extractedBytes).toBe(allBytes);

    expect(await store.listReleases()).toEqual([
      {
        version: '7.14.2',
        state: 'published',
        bytes: check.manifest.extractedBytes,
        publishedBy: 'concourse-ci/0',
        publishedAt: PUBLISHED_AT.toISOString(),
      },
    ]);
    expect(await store.checkRelease('7.99.0')).toEqual({ state: 'absent', version: '7.99.0' });
  });

  it('two units publish the same version → second gets already-published, its staging removed, first kept', async () => {
    const first = await stageRelease('7.14.2', 'concourse-ci/0', 'first');
    const second = await stageRelease('7.14.2', 'concourse-ci/1', 'second');

    expect(await store.publish(first, TARBALL, 'concourse-ci/0', PUBLISHED_AT)).toBe('published');
    expect(await store.publish(second, TARBALL, 'concourse-ci/1', PUBLISHED_AT)).toBe('already-published');

    expect(existsSync(second.dir)).toBe(false);
    expect(await readdir(join(root, '.staging'))).toEqual([]);
    expect(await readFile(join(root, 'releases/7.14.2/bin/concourse'), 'utf8')).toContain('first');
    expect((await store.checkRelease('7.14.2')).state).toBe('published');
  });

  it('binary truncated after publish → damaged naming the file', async () => {
    await publishRelease('7.14.2');
    await truncate(join(root, 'releases/7.14.2/bin/gdn'), 10);
    expect(await store.checkRelease('7.14.2')).toMatchObject({
      state: 'damaged',
      reason: expect.stringMatching(/gdn/),
    });
  });

  it('binary rewritten with the same size → shallow check passes, deep check finds the digest mismatch', async () => {
    await publishRelease('7.14.2');
    const file = join(root, 'releases/7.14.2/bin/concourse');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('7', '8'));
    expect((await store.checkRelease('7.14.2')).state).toBe('published');
    expect(await store.checkRelease('7.14.2', { deep: true })).toMatchObject({
      state: 'damaged',
      reason: expect.stringMatching(/bin\/concourse sha256/),
    });
  });

  it('manifest missing, not JSON, or for another version → damaged', async () => {
    await publishRelease('7.14.2');
    const manifest = join(root, 'releases/7.14.2/MANIFEST.json');
    const text = await readFile(manifest, 'utf8');

    await writeFile(manifest, text.replace('"version": "7.14.2"', '"version": "7.14.3"'));
    expect(await store.checkRelease('7.14.2')).toMatchObject({
      state: 'damaged',
      reason: expect.stringMatching(/7.14.3/),
    });
    await writeFile(manifest, '{"schema": 1, "vers');
    expect((await store.checkRelease('7.14.2')).state).toBe('damaged');
    await rm(manifest);
    expect(await store.checkRelease('7.14.2')).toMatchObject({ state: 'damaged', reason: 'MANIFEST.json missing' });
    expect(await store.listReleases()).toMatchObject([{ version: '7.14.2', state: 'damaged' }]);
  });

  it('leftover release without manifest → publish moves it aside and publishes; sweep removes the leftover', async () => {
    await mkdir(join(root, 'releases/7.14.2/bin'), { recursive: true });
    await writeFile(join(root, 'releases/7.14.2/bin/concourse'), 'half a binary');
    expect((await store.checkRelease('7.14.2')).state).toBe('damaged');

    await publishRelease('7.14.2', 'concourse-ci/1', 'fresh');

    expect(await store.checkRelease('7.14.2', { deep: true })).toMatchObject({ state: 'published' });
    expect(await readFile(join(root, 'releases/7.14.2/bin/concourse'), 'utf8')).toContain('fresh');
    const leftovers = await readdir(join(root, '.staging'));
    expect(leftovers).toEqual([expect.stringMatching(/^7\.14\.2\.damaged\./)]);
    expect(await store.removeAbandonedStaging()).toBe(1);
    expect(await readdir(join(root, '.staging'))).toEqual([]);
  });

  it('abandoned staging areas → all removed and counted; discard outside .staging → refused', async () => {
    await stageRelease('7.14.2', 'concourse-ci/0');
    await stageRelease('7.14.2', 'concourse-ci/1');
    const kept = await store.openStaging('7.14.3', 'concourse-ci/2');
    await store.discardStaging(kept);
    expect(existsSync(kept.dir)).toBe(false);
    await store.openStaging('7.14.3', 'concourse-ci/2');

    expect(await store.removeAbandonedStaging()).toBe(3);
    expect(await readdir(join(root, '.staging'))).toEqual([]);
    expect(await new FsBinaryStore(join(scratch, 'empty')).removeAbandonedStaging()).toBe(0);

    await mkdir(join(root, 'releases'), { recursive: true });
    await expect(store.discardStaging({ version: '7.14.2', dir: join(root, 'releases') })).rejects.toThrow(
      /Not a staging directory/,
    );
    await expect(
      store.discardStaging({ version: '7.14.2', dir: join(root, '.staging/../releases') }),
    ).rejects.toThrow();
    expect(existsSync(join(root, 'releases'))).toBe(true);
  });
});

describe('FsBinaryStore publish refuses a staging area it cannot trust', () => {
  it('install lock lost (signal fired) → PublishAbortedError before the rename, nothing published, staging kept', async () => {
    const staging = await stageRelease('7.14.2', 'concourse-ci/0');
    const lost = new AbortController();
    lost.abort(new Error('lock compromised'));

    const err = await store.publish(staging, TARBALL, 'concourse-ci/0', PUBLISHED_AT, lost.signal).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(PublishAbortedError);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('install lock lost before publishing 7.14.2');
    // It got as far as the manifest (the check is the last step before the rename), but did not rename.
    expect(existsSync(join(staging.dir, VOLUME_LAYOUT.manifest))).toBe(true);
    expect(existsSync(join(root, 'releases/7.14.2'))).toBe(false);
    expect(await store.checkRelease('7.14.2')).toEqual({ state: 'absent', version: '7.14.2' });
    // Discarding is the caller's job.
    expect(existsSync(staging.dir)).toBe(true);

    // The signal not fired → published as usual.
    const again = await stageRelease('7.14.2', 'concourse-ci/0');
    expect(await store.publish(again, TARBALL, 'concourse-ci/0', PUBLISHED_AT, new AbortController().signal)).toBe(
      'published',
    );
  });

  /**
   * A store whose readdir, right after listing `listed`, really removes `victim`: what another unit's
   * removeAbandonedStaging does when it runs during this unit's publish walk, placed at a known step.
   */
  async function storeSweptDuringWalk(listed: string, victim: string): Promise<FsBinaryStore> {
    vi.resetModules();
    vi.doMock('node:fs/promises', async (importOriginal) => {
      const real = await importOriginal<typeof import('node:fs/promises')>();
      const realReaddir = real.readdir as (path: unknown, options?: unknown) => Promise<unknown>;
      return {
        ...real,
        readdir: async (path: unknown, options?: unknown) => {
          const entries = await realReaddir(path, options);
          if (path === listed) rmSync(victim, { recursive: true, force: true });
          return entries;
        },
      };
    });
    try {
      const fresh = await import('../../src/adapters/fs-binary-store');
      return new fresh.FsBinaryStore(root);
    } finally {
      vi.doUnmock('node:fs/promises');
      vi.resetModules();
    }
  }

  it.each([
    ['a file', 'bin', 'bin/gdn'],
    ['a directory tree', '', 'resource-types'],
  ])(
    '%s removed from staging during the publish walk → publish throws naming it, nothing published',
    async (_what, listedRelative, victimRelative) => {
      const staging = await stageRelease('7.14.2', 'concourse-ci/0');
      const swept = await storeSweptDuringWalk(join(staging.dir, listedRelative), join(staging.dir, victimRelative));

      await expect(swept.publish(staging, TARBALL, 'concourse-ci/0', PUBLISHED_AT)).rejects.toThrow(
        `Refusing to publish 7.14.2: ${victimRelative} vanished`,
      );
      expect(existsSync(join(staging.dir, VOLUME_LAYOUT.manifest))).toBe(false);
      expect(await store.checkRelease('7.14.2')).toEqual({ state: 'absent', version: '7.14.2' });
    },
  );

  it.each([
    ['missing', async (dir: string) => rm(join(dir, 'bin/concourse'))],
    [
      'a symbolic link',
      async (dir: string) => {
        await rm(join(dir, 'bin/concourse'));
        await symlink('gdn', join(dir, 'bin/concourse'));
      },
    ],
    [
      'a directory',
      async (dir: string) => {
        await rm(join(dir, 'bin/concourse'));
        await mkdir(join(dir, 'bin/concourse/inner'), { recursive: true });
        await writeFile(join(dir, 'bin/concourse/inner/x'), 'x');
      },
    ],
  ])('bin/concourse %s → publish refuses naming it, no manifest written, nothing published', async (what, damage) => {
    const staging = await stageRelease('7.14.2', 'concourse-ci/0');
    await damage(staging.dir);

    await expect(store.publish(staging, TARBALL, 'concourse-ci/0', PUBLISHED_AT)).rejects.toThrow(
      `bin/concourse in ${staging.dir} is ${what}, not a regular file`,
    );
    expect(existsSync(join(staging.dir, VOLUME_LAYOUT.manifest))).toBe(false);
    expect(existsSync(join(root, 'releases/7.14.2'))).toBe(false);
  });
});

describe('FsBinaryStore on a full volume', () => {
  /** The errno code of a rejection, or 'resolved'. */
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (err: unknown) => (err as NodeJS.ErrnoException).code,
    );

  it('a 256 KiB tmpfs filled by a download (needs root) → every write rejects with code ENOSPC, no temp files left', async (ctx) => {
    const small = join(scratch, 'small');
    await mkdir(small);
    // nr_inodes bounds the number of files too, so openStaging can be made to fail with ENOSPC as well.
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,nr_inodes=64', 'tmpfs', small]);
    if (mounted.status !== 0) ctx.skip('mounting a tmpfs needs root');
    try {
      const full = new FsBinaryStore(small);
      const published = await full.openStaging('7.14.2', 'concourse-ci/0');
      await mkdir(join(published.dir, 'bin'));
      await writeFile(join(published.dir, 'bin/concourse'), '#!/bin/sh\necho 7.14.2\n', { mode: 0o755 });
      expect(await full.publish(published, TARBALL, 'concourse-ci/0', PUBLISHED_AT)).toBe('published');

      // The download of the next release fills the volume to the last block.
      const staging = await full.openStaging('7.14.3', 'concourse-ci/0');
      await mkdir(join(staging.dir, 'bin'));
      await writeFile(join(staging.dir, 'bin/concourse'), '#!/bin/sh\necho 7.14.3\n', { mode: 0o755 });
      const filler = await open(join(staging.dir, 'bin/.filler'), 'w');
      try {
        const chunk = Buffer.alloc(16 * 1024, 1);
        for (;;) await filler.write(chunk);
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        await filler.close();
      }

      // The manifest cannot be written: the errno error comes through with its code, so the caller can map it.
      expect(await codeOf(full.publish(staging, TARBALL, 'concourse-ci/0', PUBLISHED_AT))).toBe('ENOSPC');
      expect(await readdir(staging.dir)).toEqual(['bin']);
      expect(await readdir(join(small, 'releases'))).toEqual(['7.14.2']);

      expect(await codeOf(full.ensureVolumeId())).toBe('ENOSPC');
      const progress: DownloadProgress = {
        version: '7.14.3',
        unit: 'concourse-ci/0',
        host: 'machine-0',
        pid: 1,
        startedAt: 1,
        updatedAt: 2,
        bytes: 3,
      };
      expect(await codeOf(full.writeProgress(progress))).toBe('ENOSPC');
      const state: UnitStateRecord = { unit: 'concourse-ci/0', roles: [], updatedAt: 'T' };
      expect(await codeOf(full.writeUnitState('concourse-ci-0', state))).toBe('ENOSPC');
      expect(await codeOf(full.switchCurrent('7.14.2'))).toBe('ENOSPC');
      // Nothing half-written: no temp files, and no empty .volume-id for other units to trip over.
      expect((await readdir(small)).filter((n) => n !== 'current').sort()).toEqual(['.staging', 'releases', 'worker']);
      expect(await readdir(join(small, 'worker/concourse-ci-0'))).toEqual([]);

      // Out of inodes as well: opening a staging area fails the same way.
      for (let i = 0; ; i++) {
        const code = await codeOf(writeFile(join(small, `.inode-${i}`), ''));
        if (code === 'ENOSPC') break;
        expect(code).toBe('resolved');
      }
      expect(await codeOf(full.openStaging('7.14.4', 'concourse-ci/0'))).toBe('ENOSPC');
    } finally {
      spawnSync('umount', [small]);
    }
  });
});

describe('FsBinaryStore current', () => {
  it('switch to a published release → current, .installed_version and bin link all point at it', async () => {
    await publishRelease('7.14.2');
    expect(await store.currentVersion()).toBeUndefined();

    await store.switchCurrent('7.14.2');

    expect(await readlink(join(root, 'current'))).toBe('releases/7.14.2');
    expect(await readlink(join(root, 'bin'))).toBe('current/bin');
    expect(await readFile(join(root, '.installed_version'), 'utf8')).toBe('7.14.2\n');
    expect(await readFile(join(root, 'bin/concourse'), 'utf8')).toContain('7.14.2');
    expect(await store.currentVersion()).toBe('7.14.2');
  });

  it('switch to an absent or damaged release → refused, current unchanged', async () => {
    await publishRelease('7.14.2');
    await store.switchCurrent('7.14.2');
    await expect(store.switchCurrent('7.14.3')).rejects.toThrow(/7\.14\.3.*not on the volume/);
    await mkdir(join(root, 'releases/7.14.4'), { recursive: true });
    await writeFile(join(root, 'releases/7.14.4/junk'), '');
    await expect(store.switchCurrent('7.14.4')).rejects.toThrow(/damaged/);
    expect(await store.currentVersion()).toBe('7.14.2');
  });

  it('no current link but .installed_version recorded → that version; neither → undefined', async () => {
    await writeFile(join(root, '.installed_version'), '7.13.0\n');
    expect(await store.currentVersion()).toBe('7.13.0');
    await writeFile(join(root, '.installed_version'), '../../etc\n');
    expect(await store.currentVersion()).toBeUndefined();
  });

  it('200 switches while another process reads current/bin/concourse → the reader never sees it missing', async () => {
    await publishRelease('7.14.2');
    await publishRelease('7.14.3');
    await store.switchCurrent('7.14.2');
    const stop = join(scratch, 'stop');
    const reader = await writeScript(
      'reader.mjs',
      `import { existsSync, readFileSync } from 'node:fs';
       const [root, stop] = process.argv.slice(2);
       const seen = new Set();
       let reads = 0;
       const errors = [];
       const readOnce = () => {
         for (const path of [root + '/current/bin/concourse', root + '/bin/concourse']) {
           try { seen.add(readFileSync(path, 'utf8').trim()); reads++; } catch (err) { errors.push(err.code); }
         }
       };
       readOnce();
       console.log('READY');
       while (!existsSync(stop)) {
         for (let i = 0; i < 50; i++) readOnce();
         await new Promise((r) => setImmediate(r));
       }
       console.log(JSON.stringify({ reads, errors: errors.slice(0, 10), errorCount: errors.length, seen: [...seen] }));`,
    );
    const child = run(process.execPath, [reader, root, stop]);
    await child.line(/^READY$/);

    for (let i = 0; i < 200; i++) await store.switchCurrent(i % 2 === 0 ? '7.14.3' : '7.14.2');
    await writeFile(stop, '');

    expect(await child.closed, child.stderr()).toBe(0);
    const report: unknown = JSON.parse(await child.line(/^\{/));
    expect(report).toMatchObject({ errorCount: 0, errors: [] });
    expect(report).toHaveProperty('reads', expect.any(Number));
    expect(await store.currentVersion()).toBe('7.14.2');
    expect((await readdir(root)).filter((n) => n.includes('.tmp.'))).toEqual([]);
  });
});

describe('FsBinaryStore removal, units, progress, usage', () => {
  it('remove the current release → refused; remove another → gone with nothing left in .staging', async () => {
    await publishRelease('7.14.2');
    await publishRelease('7.14.3');
    await store.switchCurrent('7.14.3');

    await expect(store.removeRelease('7.14.3')).rejects.toThrow(/current/);
    expect(await store.removeRelease('7.14.2')).toBe('removed');

    expect(await store.checkRelease('7.14.2')).toEqual({ state: 'absent', version: '7.14.2' });
    expect(await readdir(join(root, '.staging'))).toEqual([]);
    expect((await store.checkRelease('7.14.3')).state).toBe('published');
    expect(await store.removeRelease('7.14.2')).toBe('removed');
    expect((await store.listReleases()).map((r) => r.version)).toEqual(['7.14.3']);
  });

  it('unit states written by several units → read back by unit dir, unparsable ones skipped, removal is per unit', async () => {
    const web: UnitStateRecord = { unit: 'concourse-ci/0', roles: ['web'], runningVersion: '7.14.2', updatedAt: 'T0' };
    const worker: UnitStateRecord = { unit: 'concourse-ci/1', roles: ['worker'], updatedAt: 'T1' };
    await store.writeUnitState('concourse-ci-0', web);
    await store.writeUnitState('concourse-ci-1', worker);
    await mkdir(join(root, 'worker/concourse-ci-2'), { recursive: true });
    await writeFile(join(root, 'worker/concourse-ci-2/state.json'), '{"unit": 3');
    await mkdir(join(root, 'worker/concourse-ci-1/work_dir'));

    const states = await store.readUnitStates();
    expect([...states.entries()].sort()).toEqual([
      ['concourse-ci-0', web],
      ['concourse-ci-1', worker],
    ]);

    await store.removeUnitDir('concourse-ci-1');
    expect(existsSync(join(root, 'worker/concourse-ci-1'))).toBe(false);
    expect(existsSync(join(root, 'worker/concourse-ci-0/state.json'))).toBe(true);
    expect(existsSync(join(root, 'worker/concourse-ci-2'))).toBe(true);
  });

  it('versions or unit dirs that are not one safe path component → rejected, nothing written', async () => {
    const record: UnitStateRecord = { unit: 'x/0', roles: [], updatedAt: 'T' };
    for (const bad of ['../x', 'a/b', '..', '.', '', '7.14.2/../../etc', '7.14.2;rm -rf /']) {
      await expect(store.checkRelease(bad), bad).rejects.toThrow(/Refusing release version/);
      await expect(store.openStaging(bad, 'concourse-ci/0'), bad).rejects.toThrow(/Refusing/);
      await expect(store.switchCurrent(bad), bad).rejects.toThrow(/Refusing/);
      await expect(store.removeRelease(bad), bad).rejects.toThrow(/Refusing/);
    }
    for (const bad of ['../x', 'a/b', '..', 'concourse-ci', 'Concourse-0', 'concourse-ci-0/..', '../../etc-1']) {
      await expect(store.writeUnitState(bad, record), bad).rejects.toThrow(/Refusing unit directory/);
      await expect(store.removeUnitDir(bad), bad).rejects.toThrow(/Refusing unit directory/);
    }
    expect(await readdir(root)).toEqual([]);
    expect(await readdir(scratch)).toEqual(['volume']);
  });

  it('progress marker written, read, garbled and cleared → round trip, garbage reads as none', async () => {
    const progress: DownloadProgress = {
      version: '7.14.2',
      unit: 'concourse-ci/0',
      host: 'machine-0',
      pid: 1234,
      startedAt: 1,
      updatedAt: 2,
      bytes: 100,
      total: 400,
    };
    expect(await store.readProgress()).toBeUndefined();
    await store.writeProgress(progress);
    expect(await store.readProgress()).toEqual(progress);
    await writeFile(join(root, '.download_in_progress'), '{"version": "7.14.2", "uni');
    expect(await store.readProgress()).toBeUndefined();
    await store.clearProgress();
    await store.clearProgress();
    expect(existsSync(join(root, '.download_in_progress'))).toBe(false);
  });

  it('usage with current, bin and a link pointing outside the volume → counts files once, follows no link', async () => {
    await publishRelease('7.14.2');
    await store.switchCurrent('7.14.2');
    const id = await store.ensureVolumeId();
    await symlink('/usr', join(root, 'escape'));

    const { releaseBytes, volumeBytes } = await store.usage();

    const check = await store.checkRelease('7.14.2');
    if (check.state !== 'published') throw new Error('expected published');
    const manifestBytes = (await stat(join(root, 'releases/7.14.2/MANIFEST.json'))).size;
    expect(releaseBytes).toBe(check.manifest.extractedBytes + manifestBytes);
    expect(volumeBytes).toBe(releaseBytes + `${id}\n`.length + '7.14.2\n'.length);
    expect((await lstat(join(root, 'current'))).isSymbolicLink()).toBe(true);
  });
});
