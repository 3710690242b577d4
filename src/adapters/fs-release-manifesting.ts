// Adapter helper: turns a staging area into a manifested one before its publishing rename: one walk digests bin/,
// totals every byte and fsyncs every file and directory, then MANIFEST.json (built by the domain) is written last.

import { join } from 'node:path';
import {
  buildReleaseManifest,
  isDigestedFile,
  type ManifestFileEntry,
  type ReleaseManifest,
} from '../domain/release-manifest';
import { CONCOURSE_BINARY, VOLUME_LAYOUT } from '../domain/volume-layout';
import type { PublishRequest } from '../ports/release-store';
import { fsyncDir, fsyncFile, writeAtomic } from './fs-durable';
import { errorCode } from './fs-errors';
import { describeEntry, digestFile, walk } from './fs-tree';

/**
 * Writes `dir/MANIFEST.json` durably after making everything else in `dir` durable, so that what the rename makes
 * visible is also on disk (a power cut must not leave a manifested but empty binary).
 */
export async function manifestStagingArea(
  dir: string,
  version: string,
  request: PublishRequest,
): Promise<ReleaseManifest> {
  const files: Record<string, ManifestFileEntry> = {};
  let extractedBytes = 0;
  // Strict: an entry that vanishes mid-walk means someone is deleting this staging area (a unit that took the
  // lock over); manifesting what is left would publish a half-deleted release.
  const vanished = (relative: string, cause: unknown) =>
    new Error(
      `Refusing to publish ${version}: ${relative || dir} vanished from the staging area while it was being ` +
        'manifested (removed by another unit?)',
      { cause },
    );
  await walk(
    dir,
    async (absolute, relative, entryStat) => {
      if (relative === VOLUME_LAYOUT.manifest) return;
      try {
        if (entryStat.isDirectory()) {
          await fsyncDir(absolute);
          return;
        }
        if (!entryStat.isFile()) return;
        extractedBytes += entryStat.size;
        if (isDigestedFile(relative)) {
          const { sha256, bytes } = await digestFile(absolute, true);
          files[relative] = { bytes, sha256 };
        } else {
          await fsyncFile(absolute);
        }
      } catch (err) {
        throw errorCode(err) === 'ENOENT' ? vanished(relative, err) : err;
      }
    },
    { onVanished: vanished },
  );
  // Defence in depth (the domain checks the layout earlier): never manifest a release without its binary. The walk
  // saw `bin/concourse` as a regular file only if it digested it; a link, directory or nothing is refused.
  if (files[CONCOURSE_BINARY] === undefined) {
    throw new Error(
      `Refusing to publish ${version}: ${CONCOURSE_BINARY} in ${dir} is ${await describeEntry(join(dir, CONCOURSE_BINARY))}, not a regular file`,
    );
  }
  const manifest = buildReleaseManifest({
    version,
    tarball: request.tarball,
    files,
    extractedBytes,
    publishedBy: request.publishedBy,
    publishedAt: request.publishedAt,
  });
  await writeAtomic(join(dir, VOLUME_LAYOUT.manifest), `${JSON.stringify(manifest, null, 2)}\n`, { durable: true });
  await fsyncDir(dir);
  return manifest;
}
