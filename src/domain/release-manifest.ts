// Domain: MANIFEST.json, the record that makes `releases/<version>/` a release. A directory without a valid
// manifest is not a release, whatever it contains; the manifest is written last, before the publishing rename.

import { z } from 'zod';
import { CONCOURSE_BINARY } from './volume-layout';

const hex = (length: number) => z.string().regex(new RegExp(`^[0-9a-f]{${length}}$`));

export const fileEntrySchema = z.object({ bytes: z.number().int().nonnegative(), sha256: hex(64) });

/** Files every Concourse release holds; a manifest without them describes no usable release. */
export const REQUIRED_RELEASE_FILES: readonly string[] = [CONCOURSE_BINARY];

export const releaseManifestSchema = z
  .object({
    schema: z.literal(1),
    version: z.string().min(1),
    /** Where the tarball came from: a URL, or `resource:concourse-release`. */
    source: z.string().min(1),
    tarball: z.object({ bytes: z.number().int().nonnegative(), sha1: hex(40), sha256: hex(64) }),
    /** Path relative to the release directory (`bin/concourse`) to size and digest. */
    files: z.record(z.string(), fileEntrySchema),
    /** Bytes of everything extracted (all files, not only `bin/`). */
    extractedBytes: z.number().int().nonnegative(),
    publishedBy: z.string().min(1),
    publishedAt: z.string().min(1),
  })
  .refine((m) => REQUIRED_RELEASE_FILES.every((f) => f in m.files), { error: 'manifest lists no bin/concourse' });

export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;
export type ManifestFileEntry = z.infer<typeof fileEntrySchema>;

export function parseReleaseManifest(raw: unknown): ReleaseManifest | undefined {
  const r = releaseManifestSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}
