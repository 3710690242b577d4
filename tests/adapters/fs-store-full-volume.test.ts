// Adapter tests for the four store adapters on a real tmpfs filled to the last block: every write fails with the
// errno the caller maps to a status, and nothing half-written is left for other units to trip over.

import { spawnSync } from 'node:child_process';
import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsDownloadProgressMarker } from '../../src/adapters/fs-download-progress-marker';
import { FsReleaseStore } from '../../src/adapters/fs-release-store';
import { FsUnitStateStore } from '../../src/adapters/fs-unit-state-store';
import { FsVolumeProbe } from '../../src/adapters/fs-volume-probe';
import type { DownloadProgress } from '../../src/domain/download-progress';
import type { UnitStateRecord } from '../../src/domain/unit-state';
import { PUBLISHED_AT, TARBALL } from '../support/release-fixtures';
import { scratchVolume } from '../support/volume-scratch';

const v = scratchVolume();

describe('the store adapters on a full volume', () => {
  /** The errno code of a rejection, or 'resolved'. */
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (err: unknown) => (err as NodeJS.ErrnoException).code,
    );

  it('a 256 KiB tmpfs filled by a download (needs root) → every write rejects with code ENOSPC, no temp files left', async (ctx) => {
    const small = join(v.scratch, 'small');
    await mkdir(small);
    // nr_inodes bounds the number of files too, so openStaging can be made to fail with ENOSPC as well.
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,nr_inodes=64', 'tmpfs', small]);
    if (mounted.status !== 0) ctx.skip('mounting a tmpfs needs root');
    try {
      const full = new FsReleaseStore(small);
      const probe = new FsVolumeProbe(small);
      const marker = new FsDownloadProgressMarker(small);
      const unitStates = new FsUnitStateStore(small);
      const published = await full.openStaging('7.14.2', 'concourse-ci/0');
      await mkdir(join(published.dir, 'bin'));
      await writeFile(join(published.dir, 'bin/concourse'), '#!/bin/sh\necho 7.14.2\n', { mode: 0o755 });
      expect(
        await full.publish(published, { tarball: TARBALL, publishedBy: 'concourse-ci/0', publishedAt: PUBLISHED_AT }),
      ).toBe('published');

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
      expect(
        await codeOf(
          full.publish(staging, { tarball: TARBALL, publishedBy: 'concourse-ci/0', publishedAt: PUBLISHED_AT }),
        ),
      ).toBe('ENOSPC');
      expect(await readdir(staging.dir)).toEqual(['bin']);
      expect(await readdir(join(small, 'releases'))).toEqual(['7.14.2']);

      expect(await codeOf(probe.ensureVolumeId())).toBe('ENOSPC');
      const progress: DownloadProgress = {
        version: '7.14.3',
        unit: 'concourse-ci/0',
        host: 'machine-0',
        pid: 1,
        startedAt: 1,
        updatedAt: 2,
        bytes: 3,
      };
      expect(await codeOf(marker.write(progress))).toBe('ENOSPC');
      const state: UnitStateRecord = { unit: 'concourse-ci/0', roles: [], updatedAt: 'T' };
      expect(await codeOf(unitStates.write('concourse-ci-0', state))).toBe('ENOSPC');
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
