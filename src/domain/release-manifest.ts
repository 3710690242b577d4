// Domain: MANIFEST.json, the record that makes `releases/<version>/` a release. A directory without a valid
// manifest is not a release, whatever it contains; the manifest is written last, before the publishing rename.

import { z } from 'zod';
import { isSafeRelativePath } from './store-names';
import { CONCOURSE_BINARY, VOLUME_LAYOUT } from './volume-layout';

const MANIFEST_FILE = VOLUME_LAYOUT.manifest;

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

/** Files whose digests the manifest records: `bin/` (resource-type rootfs tarballs are hundreds of MB). */
export function isDigestedFile(relative: string): boolean {
  return relative.startsWith('bin/');
}

export interface ManifestInput {
  readonly version: string;
  readonly tarball: { readonly source: string; readonly bytes: number; readonly sha1: string; readonly sha256: string };
  /** Digests of the files isDigestedFile picked, in any order. */
  readonly files: Readonly<Record<string, ManifestFileEntry>>;
  readonly extractedBytes: number;
  readonly publishedBy: string;
  readonly publishedAt: Date;
}

/**
 * The manifest a staging area is published with: digests lower-cased, files sorted (the same staging area always
 * gives the same bytes). Throws when the result would not parse back: a release must never be published with a
 * manifest that makes it read as damaged.
 */
export function buildReleaseManifest(input: ManifestInput): ReleaseManifest {
  const manifest = parseReleaseManifest({
    schema: 1,
    version: input.version,
    source: input.tarball.source,
    tarball: {
      bytes: input.tarball.bytes,
      sha1: input.tarball.sha1.toLowerCase(),
      sha256: input.tarball.sha256.toLowerCase(),
    },
    files: Object.fromEntries(Object.entries(input.files).sort(([a], [b]) => (a < b ? -1 : 1))),
    extractedBytes: input.extractedBytes,
    publishedBy: input.publishedBy,
    publishedAt: input.publishedAt.toISOString(),
  });
  if (manifest === undefined) {
    throw new Error(
      `Refusing to publish ${input.version}: manifest would be invalid (check tarball digests and names)`,
    );
  }
  return manifest;
}

/** What a store saw of a file a manifest lists: `sha256` only when it was asked to digest (a deep check). */
export type ObservedFile =
  | { readonly kind: 'missing' }
  | { readonly kind: 'not-file' }
  | { readonly kind: 'file'; readonly bytes: number; readonly sha256?: string };

/** Why a listed file does not match its manifest entry (the reason a release reads as damaged), or undefined. */
export function fileMismatch(
  relative: string,
  expected: ManifestFileEntry,
  observed: ObservedFile,
): string | undefined {
  if (observed.kind === 'missing') return `${relative} missing`;
  if (observed.kind === 'not-file') return `${relative} is not a regular file`;
  if (observed.bytes !== expected.bytes)
    return `${relative} is ${observed.bytes} bytes, manifest says ${expected.bytes}`;
  if (observed.sha256 !== undefined && observed.sha256 !== expected.sha256) {
    return `${relative} sha256 differs from the manifest`;
  }
  return undefined;
}

/** A MANIFEST.json as read from `releases/<version>` (JSON-parsed, or undefined when not JSON): usable, or why not. */
export function judgeManifest(
  version: string,
  raw: unknown,
): { readonly manifest: ReleaseManifest } | { readonly reason: string } {
  const manifest = parseReleaseManifest(raw);
  if (manifest === undefined) return { reason: `${MANIFEST_FILE} is not a valid manifest` };
  if (manifest.version !== version) return { reason: `${MANIFEST_FILE} is for version ${manifest.version}` };
  return { manifest };
}

/** A listed path a store must not even look at (absolute, `..`): the release reads as damaged. */
export function unsafeManifestPath(relative: string): string | undefined {
  return isSafeRelativePath(relative) ? undefined : `manifest lists an unsafe path ${JSON.stringify(relative)}`;
}
