// Adapter tests for FsReleaseStore: a real volume directory, real child processes reading `current` while it moves.
// Nothing is mocked; one test interposes on readdir only to run a real removal at a known step of the publish walk.

import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FsReleaseStore } from '../../src/adapters/fs-release-store';
import { releaseBinary } from '../../src/domain/concourse-services';
import { ConcourseVersion } from '../../src/domain/version';
import { VOLUME_LAYOUT } from '../../src/domain/volume-layout';
import { PublishAbortedError, type StagingArea } from '../../src/ports/release-store';
import { releaseStoreContract } from '../support/contracts/release-store-contract';
import { PUBLISHED_AT, releaseFiles, TARBALL } from '../support/release-fixtures';
import { scratchVolume, writeFiles } from '../support/volume-scratch';

const v = scratchVolume();
let root: string;
let scratch: string;
let store: FsReleaseStore;

beforeEach(() => {
  root = v.root;
  scratch = v.scratch;
  store = new FsReleaseStore(root);
});

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

async function stageRelease(version: string, unit: string, tag = version): Promise<StagingArea> {
  const staging = await store.openStaging(version, unit);
  await writeFiles(staging.dir, releaseFiles(tag));
  return staging;
}

async function publishRelease(version: string, unit = 'concourse-ci/0', tag = version): Promise<void> {
  const staging = await stageRelease(version, unit, tag);
  expect(await store.publish(staging, { tarball: TARBALL, publishedBy: unit, publishedAt: PUBLISHED_AT })).toBe(
    'published',
  );
}

releaseStoreContract('FsReleaseStore', async () => {
  const dir = await mkdtemp(join(v.scratch, 'contract-'));
  return {
    store: new FsReleaseStore(dir),
    stage: (staging, files) => writeFiles(staging.dir, files),
    damage: (version) => truncate(join(dir, 'releases', version, 'bin/concourse'), 1),
  };
});

describe('FsReleaseStore releases', () => {
  it('publish then check → published, manifest has bin/ digests and total bytes, staging gone', async () => {
    const staging = await stageRelease('7.14.2', 'concourse-ci/0');
    expect(staging.dir.startsWith(join(root, '.staging', '7.14.2.concourse-ci-0.'))).toBe(true);

    expect(
      await store.publish(staging, { tarball: TARBALL, publishedBy: 'concourse-ci/0', publishedAt: PUBLISHED_AT }),
    ).toBe('published');

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

    expect(
      await store.publish(first, { tarball: TARBALL, publishedBy: 'concourse-ci/0', publishedAt: PUBLISHED_AT }),
    ).toBe('published');
    expect(
      await store.publish(second, { tarball: TARBALL, publishedBy: 'concourse-ci/1', publishedAt: PUBLISHED_AT }),
    ).toBe('already-published');

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
    expect(await new FsReleaseStore(join(scratch, 'empty')).removeAbandonedStaging()).toBe(0);

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

describe('FsReleaseStore publish refuses a staging area it cannot trust', () => {
  it('install lock lost (signal fired) → PublishAbortedError before the rename, nothing published, staging kept', async () => {
    const staging = await stageRelease('7.14.2', 'concourse-ci/0');
    const lost = new AbortController();
    lost.abort(new Error('lock compromised'));

    const err = await store
      .publish(staging, {
        tarball: TARBALL,
        publishedBy: 'concourse-ci/0',
        publishedAt: PUBLISHED_AT,
        signal: lost.signal,
      })
      .then(
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
    expect(
      await store.publish(again, {
        tarball: TARBALL,
        publishedBy: 'concourse-ci/0',
        publishedAt: PUBLISHED_AT,
        signal: new AbortController().signal,
      }),
    ).toBe('published');
  });

  /**
   * A store whose readdir, right after listing `listed`, really removes `victim`: what another unit's
   * removeAbandonedStaging does when it runs during this unit's publish walk, placed at a known step.
   */
  async function storeSweptDuringWalk(listed: string, victim: string): Promise<FsReleaseStore> {
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
      const fresh = await import('../../src/adapters/fs-release-store');
      return new fresh.FsReleaseStore(root);
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

      await expect(
        swept.publish(staging, { tarball: TARBALL, publishedBy: 'concourse-ci/0', publishedAt: PUBLISHED_AT }),
      ).rejects.toThrow(`Refusing to publish 7.14.2: ${victimRelative} vanished`);
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

    await expect(
      store.publish(staging, { tarball: TARBALL, publishedBy: 'concourse-ci/0', publishedAt: PUBLISHED_AT }),
    ).rejects.toThrow(`bin/concourse in ${staging.dir} is ${what}, not a regular file`);
    expect(existsSync(join(staging.dir, VOLUME_LAYOUT.manifest))).toBe(false);
    expect(existsSync(join(root, 'releases/7.14.2'))).toBe(false);
  });
});

describe('FsReleaseStore current', () => {
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
    const reader = await v.writeScript(
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
    const child = v.run(process.execPath, [reader, root, stop]);
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

describe('FsReleaseStore removal', () => {
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

  it('versions that are not one safe path component → rejected, nothing written', async () => {
    for (const bad of ['../x', 'a/b', '..', '.', '', '7.14.2/../../etc', '7.14.2;rm -rf /']) {
      await expect(store.checkRelease(bad), bad).rejects.toThrow(/Refusing release version/);
      await expect(store.openStaging(bad, 'concourse-ci/0'), bad).rejects.toThrow(/Refusing/);
      await expect(store.switchCurrent(bad), bad).rejects.toThrow(/Refusing/);
      await expect(store.removeRelease(bad), bad).rejects.toThrow(/Refusing/);
    }
    expect(await readdir(root)).toEqual([]);
    expect(await readdir(scratch)).toEqual(['volume']);
  });
});
