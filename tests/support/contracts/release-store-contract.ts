// Contract of the ReleaseStore port, run against the file adapter (tests/adapters) and the in-memory one
// (tests/unit): what a hook may rely on, so a hook test passing on the fake says something about the real store.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, StorageProblem } from '../../../src/domain/errors';
import { PublishAbortedError, type ReleaseStore, type StagingArea } from '../../../src/ports/release-store';
import { PUBLISHED_AT, releaseFiles, TARBALL } from '../release-fixtures';

export interface ReleaseStoreSubject {
  readonly store: ReleaseStore;
  /** Puts files into a staging area, as the downloader's extraction does. */
  stage(staging: StagingArea, files: Readonly<Record<string, string>>): Promise<void>;
  /** Damages a published release the way a truncated bin/concourse does. */
  damage(version: string): Promise<void>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function releaseStoreContract(name: string, make: () => Promise<ReleaseStoreSubject>): void {
  describe(`${name} keeps the ReleaseStore contract`, () => {
    async function published(subject: ReleaseStoreSubject, version: string, unit = 'concourse-ci/0', tag = version) {
      const staging = await subject.store.openStaging(version, unit);
      await subject.stage(staging, releaseFiles(tag));
      return subject.store.publish(staging, { tarball: TARBALL, publishedBy: unit, publishedAt: PUBLISHED_AT });
    }

    it('empty store → every version absent, no releases, no current', async () => {
      const { store } = await make();
      expect(await store.checkRelease('7.14.2')).toEqual({ state: 'absent', version: '7.14.2' });
      expect(await store.listReleases()).toEqual([]);
      expect(await store.currentVersion()).toBeUndefined();
      expect(await store.removeAbandonedStaging()).toBe(0);
    });

    it('release staged and published → published with bin/ digests and every byte counted, listed', async () => {
      const subject = await make();
      const staging = await subject.store.openStaging('7.14.2', 'concourse-ci/0');
      await subject.stage(staging, releaseFiles('7.14.2'));
      expect(await subject.store.stagedBinaries(staging)).toEqual(['bin/concourse', 'bin/gdn']);
      const onManifested: string[] = [];
      const request = { tarball: TARBALL, publishedBy: 'concourse-ci/0', publishedAt: PUBLISHED_AT };
      const outcome = await subject.store.publish(staging, { ...request, onManifested: () => onManifested.push('x') });

      expect(outcome).toBe('published');
      expect(onManifested).toEqual(['x']);
      const check = await subject.store.checkRelease('7.14.2', { deep: true });
      if (check.state !== 'published') throw new Error(`expected published, got ${JSON.stringify(check)}`);
      const files = releaseFiles('7.14.2');
      const concourse = files['bin/concourse'] ?? '';
      expect(check.manifest.files['bin/concourse']).toEqual({ bytes: concourse.length, sha256: sha256(concourse) });
      expect(Object.keys(check.manifest.files)).toEqual(['bin/concourse', 'bin/gdn']);
      expect(check.manifest.extractedBytes).toBe(Object.values(files).reduce((sum, c) => sum + c.length, 0));
      expect(check.manifest).toMatchObject({
        version: '7.14.2',
        source: TARBALL.source,
        publishedBy: 'concourse-ci/0',
      });
      expect(await subject.store.listReleases()).toEqual([
        {
          version: '7.14.2',
          state: 'published',
          bytes: check.manifest.extractedBytes,
          publishedBy: 'concourse-ci/0',
          publishedAt: PUBLISHED_AT.toISOString(),
        },
      ]);
      expect(await subject.store.removeAbandonedStaging()).toBe(0);
    });

    it('same version published by a second unit → already-published, the first one kept', async () => {
      const subject = await make();
      expect(await published(subject, '7.14.2', 'concourse-ci/0', 'first')).toBe('published');
      expect(await published(subject, '7.14.2', 'concourse-ci/1', 'second')).toBe('already-published');
      const check = await subject.store.checkRelease('7.14.2', { deep: true });
      expect(check).toMatchObject({ state: 'published', manifest: { publishedBy: 'concourse-ci/0' } });
      expect(await subject.store.removeAbandonedStaging()).toBe(0);
    });

    it('staging area without bin/concourse → publish refuses, nothing published', async () => {
      const subject = await make();
      const staging = await subject.store.openStaging('7.14.2', 'concourse-ci/0');
      await subject.stage(staging, { 'bin/gdn': 'gdn' });
      await expect(
        subject.store.publish(staging, { tarball: TARBALL, publishedBy: 'u/0', publishedAt: PUBLISHED_AT }),
      ).rejects.toThrow(/Refusing to publish 7\.14\.2: bin\/concourse .* is missing, not a regular file/);
      expect((await subject.store.checkRelease('7.14.2')).state).toBe('absent');
    });

    it('install lock lost before the rename → PublishAbortedError, nothing published, staging left to the caller', async () => {
      const subject = await make();
      const staging = await subject.store.openStaging('7.14.2', 'concourse-ci/0');
      await subject.stage(staging, releaseFiles('7.14.2'));
      const lost = new AbortController();
      lost.abort();
      const request = { tarball: TARBALL, publishedBy: 'u/0', publishedAt: PUBLISHED_AT, signal: lost.signal };
      await expect(subject.store.publish(staging, request)).rejects.toBeInstanceOf(PublishAbortedError);
      expect((await subject.store.checkRelease('7.14.2')).state).toBe('absent');
      await subject.store.discardStaging(staging);
      await subject.store.discardStaging(staging);
      expect(await subject.store.removeAbandonedStaging()).toBe(0);
    });

    it('damaged release → reads damaged, switching to it refused, publishing again replaces it', async () => {
      const subject = await make();
      await published(subject, '7.14.2');
      await subject.damage('7.14.2');
      expect(await subject.store.checkRelease('7.14.2')).toMatchObject({
        state: 'damaged',
        reason: expect.stringMatching(/bin\/concourse/),
      });
      expect(await subject.store.listReleases()).toMatchObject([{ version: '7.14.2', state: 'damaged' }]);
      await expect(subject.store.switchCurrent('7.14.2')).rejects.toThrow(/Cannot switch to 7\.14\.2.*damaged/);

      expect(await published(subject, '7.14.2', 'concourse-ci/1')).toBe('published');
      expect((await subject.store.checkRelease('7.14.2', { deep: true })).state).toBe('published');
      // The damaged one was moved aside into .staging, swept under the lock.
      expect(await subject.store.removeAbandonedStaging()).toBe(1);
    });

    it('current switched, then removal → current moves, the current release cannot be removed, others can', async () => {
      const subject = await make();
      const { store } = subject;
      await published(subject, '7.14.3');
      await published(subject, '7.14.3-rc.1');
      await published(subject, '7.14.2');
      expect((await store.listReleases()).map((r) => r.version)).toEqual(['7.14.2', '7.14.3-rc.1', '7.14.3']);
      await expect(store.switchCurrent('7.15.0')).rejects.toThrow(/7\.15\.0.*not on the volume/);
      await expect(store.switchCurrent('7.15.0')).rejects.toBeInstanceOf(StorageProblem);

      await store.switchCurrent('7.14.2');
      await store.switchCurrent('7.14.3');
      expect(await store.currentVersion()).toBe('7.14.3');
      await expect(store.removeRelease('7.14.3')).rejects.toThrow(/current/);
      expect(await store.removeRelease('7.14.2')).toBe('removed');
      expect(await store.removeRelease('7.14.2')).toBe('removed');
      expect((await store.listReleases()).map((r) => r.version)).toEqual(['7.14.3-rc.1', '7.14.3']);
    });

    it('version that is not one safe path component → InvalidInputError from every operation', async () => {
      const { store } = await make();
      for (const bad of ['../x', '..', '', '7.14.2/../../etc']) {
        await expect(store.checkRelease(bad), bad).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.openStaging(bad, 'concourse-ci/0'), bad).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.switchCurrent(bad), bad).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.removeRelease(bad), bad).rejects.toBeInstanceOf(InvalidInputError);
      }
      expect(await store.listReleases()).toEqual([]);
    });

    it('abandoned staging areas → all removed and counted; a directory outside .staging is refused', async () => {
      const subject = await make();
      const { store } = subject;
      await store.openStaging('7.14.2', 'concourse-ci/0');
      await subject.stage(await store.openStaging('7.14.2', 'concourse-ci/1'), releaseFiles('x'));
      const discarded = await store.openStaging('7.14.3', 'concourse-ci/2');
      await store.discardStaging(discarded);
      await expect(store.discardStaging({ version: '7.14.2', dir: `${store.root}/releases` })).rejects.toThrow(
        /Not a staging directory/,
      );
      expect(await store.removeAbandonedStaging()).toBe(2);
      expect(await store.removeAbandonedStaging()).toBe(0);
    });
  });
}
