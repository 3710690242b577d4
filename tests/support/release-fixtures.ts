// Test support: a release in miniature (the files of an extracted Concourse tarball) and the tarball facts it is
// published with, for the store adapters' tests, the in-memory store's tests and the contracts both run.

import type { TarballFacts } from '../../src/ports/release-store';

export const TARBALL: TarballFacts = {
  source: 'https://github.com/concourse/concourse/releases/download/v7.14.2/concourse-7.14.2-linux-amd64.tgz',
  bytes: 4096,
  sha1: 'a'.repeat(40),
  sha256: 'b'.repeat(64),
};
export const PUBLISHED_AT = new Date('2026-01-02T03:04:05.000Z');

/** Files of an extracted Concourse tarball, in miniature; `tag` makes releases distinguishable. */
export function releaseFiles(tag: string): Record<string, string> {
  return {
    'bin/concourse': `#!/bin/sh\necho ${tag}\n`,
    'bin/gdn': 'gdn binary stand-in\n'.repeat(50),
    'resource-types/registry-image/rootfs.tgz': 'x'.repeat(10_000),
    'resource-types/registry-image/resource_metadata.json': '{"type":"registry-image"}\n',
    'fly-assets/fly-linux-amd64.tgz': 'f'.repeat(3_000),
  };
}
