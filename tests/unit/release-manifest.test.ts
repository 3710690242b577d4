// Domain tests: building MANIFEST.json for a staging area and judging a release against it, the rules the store
// adapter and the in-memory store share.

import { describe, expect, it } from 'vitest';
import {
  buildReleaseManifest,
  fileMismatch,
  isDigestedFile,
  judgeManifest,
  unsafeManifestPath,
} from '../../src/domain/release-manifest';
import { isSafeVersion, stagingName } from '../../src/domain/store-names';

const entry = { bytes: 3, sha256: 'c'.repeat(64) };
const input = {
  version: '7.14.2',
  tarball: { source: 'resource:concourse-release', bytes: 10, sha1: 'A'.repeat(40), sha256: 'B'.repeat(64) },
  files: { 'bin/gdn': entry, 'bin/concourse': entry },
  extractedBytes: 6,
  publishedBy: 'concourse-ci/0',
  publishedAt: new Date('2026-01-02T03:04:05.000Z'),
};

describe('buildReleaseManifest', () => {
  it('tarball digests in capitals, files unsorted → lower-case digests, files sorted, time as ISO text', () => {
    const manifest = buildReleaseManifest(input);
    expect(manifest.tarball).toEqual({ bytes: 10, sha1: 'a'.repeat(40), sha256: 'b'.repeat(64) });
    expect(Object.keys(manifest.files)).toEqual(['bin/concourse', 'bin/gdn']);
    expect(manifest).toMatchObject({ schema: 1, version: '7.14.2', publishedAt: '2026-01-02T03:04:05.000Z' });
    expect(judgeManifest('7.14.2', JSON.parse(JSON.stringify(manifest)))).toEqual({ manifest });
  });

  it.each([
    ['no bin/concourse', { ...input, files: { 'bin/gdn': entry } }],
    ['a sha1 that is not hex', { ...input, tarball: { ...input.tarball, sha1: 'z'.repeat(40) } }],
    ['no publisher', { ...input, publishedBy: '' }],
  ])('%s → refused before anything is written', (_what, bad) => {
    expect(() => buildReleaseManifest(bad)).toThrow(/Refusing to publish 7\.14\.2: manifest would be invalid/);
  });
});

describe('judging a release against its manifest', () => {
  it.each([
    ['not JSON', undefined, 'MANIFEST.json is not a valid manifest'],
    ['another version', { ...buildReleaseManifest(input), version: '7.14.3' }, 'MANIFEST.json is for version 7.14.3'],
  ])('manifest %s → damaged with the reason', (_what, raw, reason) => {
    expect(judgeManifest('7.14.2', raw)).toEqual({ reason });
  });

  it.each([
    [{ kind: 'missing' } as const, 'bin/concourse missing'],
    [{ kind: 'not-file' } as const, 'bin/concourse is not a regular file'],
    [{ kind: 'file', bytes: 2 } as const, 'bin/concourse is 2 bytes, manifest says 3'],
    [{ kind: 'file', bytes: 3, sha256: 'd'.repeat(64) } as const, 'bin/concourse sha256 differs from the manifest'],
    [{ kind: 'file', bytes: 3 } as const, undefined],
    [{ kind: 'file', bytes: 3, sha256: 'c'.repeat(64) } as const, undefined],
  ])('listed file seen as %j → %j', (observed, reason) => {
    expect(fileMismatch('bin/concourse', entry, observed)).toBe(reason);
  });

  it.each(['/etc/passwd', '../x', 'bin/../../x', 'bin//concourse', './bin', 'bin\\x', ''])(
    'manifest path %j → unsafe, never looked at',
    (path) => {
      expect(unsafeManifestPath(path)).toMatch(/manifest lists an unsafe path/);
    },
  );

  it('only bin/ is digested (resource-type tarballs are hundreds of MB)', () => {
    expect([isDigestedFile('bin/concourse'), isDigestedFile('resource-types/x/rootfs.tgz')]).toEqual([true, false]);
  });
});

describe('store names', () => {
  it.each([
    ['7.14.2', true],
    ['7.14.3-rc.1', true],
    ['7.14.2-custom+build', true],
    ['..', false],
    ['.hidden', false],
    ['7.14.2/../x', false],
    ['7.14.2;rm', false],
    ['', false],
  ])('version %j as a path component → %s', (version, safe) => {
    expect(isSafeVersion(version)).toBe(safe);
  });

  it('staging name → version, the unit with safe characters only, the random part', () => {
    expect(stagingName('7.14.2', 'concourse-ci/0', 'abc')).toBe('7.14.2.concourse-ci-0.abc');
    expect(stagingName('7.14.2', '///', 'abc')).toBe('7.14.2.-.abc');
    expect(() => stagingName('../x', 'u/0', 'abc')).toThrow(/Refusing release version/);
  });
});
