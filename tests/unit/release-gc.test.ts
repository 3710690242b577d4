import { expect, test } from 'vitest';
import { releasesToRemove } from '../../src/domain/release-gc';

const base = { keep: 2, target: '7.14.3', current: '7.14.3', inUse: [] as string[] };

test('more releases than keep-releases → oldest unpinned go first', () => {
  expect(releasesToRemove({ ...base, releases: ['7.13.0', '7.14.3', '7.14.2', '7.12.1'] })).toEqual([
    '7.13.0',
    '7.12.1',
  ]);
});

test('release a unit still runs → kept whatever its age', () => {
  expect(releasesToRemove({ ...base, releases: ['7.12.1', '7.13.0', '7.14.2', '7.14.3'], inUse: ['7.12.1'] })).toEqual([
    '7.13.0',
  ]);
});

test('target and current → never removed, even with keep 1', () => {
  const out = releasesToRemove({
    ...base,
    keep: 1,
    target: '7.14.2',
    current: '7.14.3',
    releases: ['7.14.2', '7.14.3', '7.1.0'],
  });
  expect(out).toEqual(['7.1.0']);
});

test('within keep-releases → nothing removed', () => {
  expect(releasesToRemove({ ...base, releases: ['7.14.2', '7.14.3'] })).toEqual([]);
});

test('pre-release beside its release → the pre-release is older (one order for GC and listings)', () => {
  expect(releasesToRemove({ ...base, keep: 1, releases: ['7.14.3-rc.1', '7.14.3', '7.14.2'] })).toEqual([
    '7.14.3-rc.1',
    '7.14.2',
  ]);
});

test('URL credentials → redacted for logs, statuses and manifests', async () => {
  const { redactUrl } = await import('../../src/domain/redact');
  expect(redactUrl('https://bob:s3cret@mirror.example/c/7.14.2.tgz')).toBe('https://***@mirror.example/c/7.14.2.tgz');
  expect(redactUrl('https://mirror.example/c.tgz')).toBe('https://mirror.example/c.tgz');
  expect(redactUrl('resource:concourse-release')).toBe('resource:concourse-release');
});

test('manifest without bin/concourse → not a release', async () => {
  const { parseReleaseManifest } = await import('../../src/domain/release-manifest');
  const base = {
    schema: 1,
    version: '7.14.2',
    source: 's',
    tarball: { bytes: 1, sha1: 'a'.repeat(40), sha256: 'b'.repeat(64) },
    extractedBytes: 1,
    publishedBy: 'a/0',
    publishedAt: 't',
  };
  expect(parseReleaseManifest({ ...base, files: { 'bin/gdn': { bytes: 1, sha256: 'c'.repeat(64) } } })).toBeUndefined();
  expect(
    parseReleaseManifest({ ...base, files: { 'bin/concourse': { bytes: 1, sha256: 'c'.repeat(64) } } }),
  ).toBeDefined();
});
