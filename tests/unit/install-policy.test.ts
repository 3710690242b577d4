import { describe, expect, test } from 'vitest';
import type { DownloadProgress } from '../../src/domain/download-progress';
import { ReleaseProblem, StorageProblem } from '../../src/domain/errors';
import { InstallPolicy } from '../../src/domain/install-policy';
import type { ReleaseManifest } from '../../src/domain/release-manifest';
import type { VolumeFacts } from '../../src/domain/volume';

const MiB = 1024 * 1024;
const policy = new InstallPolicy({
  pollIntervalMs: 1000,
  staleMs: 60_000,
  marginBytes: 10 * MiB,
  firstInstallEstimateBytes: 100 * MiB,
  retryIntervalMs: 60_000,
  blockedRetryIntervalMs: 3_600_000,
});
const facts = (over: Partial<VolumeFacts> = {}): VolumeFacts => ({
  path: '/var/lib/concourse',
  state: 'ok',
  freeBytes: 10_000 * MiB,
  totalBytes: 20_000 * MiB,
  networkFilesystem: false,
  filesystemType: 'ext4',
  volumeId: 'v',
  ...over,
});
const manifest = (extractedBytes: number): ReleaseManifest => ({
  schema: 1,
  version: '7.14.2',
  source: 'x',
  tarball: { bytes: 1, sha1: 'a'.repeat(40), sha256: 'b'.repeat(64) },
  files: {},
  extractedBytes,
  publishedBy: 'a/0',
  publishedAt: 'now',
});
const progress = (over: Partial<DownloadProgress> = {}): DownloadProgress => ({
  version: '7.14.3',
  unit: 'concourse-ci/0',
  host: 'h',
  pid: 1,
  startedAt: 0,
  updatedAt: 100_000,
  bytes: 42,
  total: 100,
  ...over,
});

describe('assessVolume', () => {
  test.each([
    ['missing', /is missing: attach concourse-data or mount the shared volume there/],
    ['not-directory', /is not a directory/],
    ['read-only', /is read-only: remount it read-write/],
    ['unreadable', /cannot be read/],
  ] as const)('%s volume → blocked with what to do', (state, message) => {
    expect(() => policy.assessVolume(facts({ state }))).toThrow(StorageProblem);
    expect(() => policy.assessVolume(facts({ state }))).toThrow(message);
  });
  test('healthy volume → accepted', () => expect(() => policy.assessVolume(facts())).not.toThrow());
});

describe('space', () => {
  test('no release yet → first-install estimate plus margin', () => {
    expect(policy.neededBytes([])).toBe(110 * MiB);
  });
  test('releases on the volume → the largest tells the size', () => {
    expect(policy.neededBytes([300 * MiB, 200 * MiB])).toBe(310 * MiB);
  });
  test('less free than needed → blocked naming free and needed', () => {
    expect(() => policy.assessSpace(facts({ freeBytes: 50 * MiB }), 110 * MiB, '7.14.3')).toThrow(
      'Not enough space on /var/lib/concourse for Concourse 7.14.3: 50 MiB free, at least 110 MiB needed',
    );
  });
});

describe('decide and wait', () => {
  test('published release → reuse, anything else → install', () => {
    expect(policy.decide({ state: 'published', manifest: manifest(1) })).toEqual({ kind: 'reuse' });
    expect(policy.decide({ state: 'absent' })).toEqual({ kind: 'install' });
    expect(policy.decide({ state: 'damaged', reason: 'x' })).toEqual({ kind: 'install' });
  });

  test('locked out within the timeout → poll again', () => {
    const d = policy.whileLockedOut({
      version: '7.14.3',
      progress: progress(),
      now: 110_000,
      waitStartedAt: 100_000,
      timeoutMs: 30_000,
    });
    expect(d).toEqual({ kind: 'poll', delayMs: 1000 });
  });

  test('locked out past the timeout → waiting naming the downloader and its progress', () => {
    const d = policy.whileLockedOut({
      version: '7.14.3',
      progress: progress(),
      now: 140_000,
      waitStartedAt: 100_000,
      timeoutMs: 30_000,
    });
    expect(d.kind).toBe('give-up');
    if (d.kind !== 'give-up') return;
    expect(d.problem).toBeInstanceOf(ReleaseProblem);
    expect(d.problem.status).toBe('waiting');
    expect(d.problem.message).toBe('Concourse 7.14.3 being downloaded by concourse-ci/0 (42%)');
  });

  test('zero timeout → give up at once', () => {
    expect(
      policy.whileLockedOut({ version: '7.14.3', progress: undefined, now: 5, waitStartedAt: 5, timeoutMs: 0 }).kind,
    ).toBe('give-up');
  });

  test.each([
    [undefined, "Concourse 7.14.3 waiting for another unit's install on the shared volume"],
    [progress({ version: '7.14.2' }), "Concourse 7.14.3 waiting for another unit's install on the shared volume"],
    [progress({ total: undefined, bytes: 3 * MiB }), 'Concourse 7.14.3 being downloaded by concourse-ci/0 (3.0 MiB)'],
    [
      progress({ updatedAt: 0 }),
      'Concourse 7.14.3 download by concourse-ci/0 stalled; taken over once its lock expires',
    ],
  ])('marker %j → %s', (p, message) => {
    expect(policy.describeOtherInstall('7.14.3', p, 100_000)).toBe(message);
  });
});

describe('retrying an install that failed', () => {
  const src = 'http://m/x.tgz';
  const waitingFailure = {
    version: '7.14.3',
    source: src,
    status: 'waiting' as const,
    at: 100_000,
    message: 'Concourse 7.14.3 download failed (HTTP 500)',
  };
  const blockedFailure = { ...waitingFailure, status: 'blocked' as const, message: 'Concourse 7.14.3 rejected: x' };
  const ask = (
    failure: typeof waitingFailure | typeof blockedFailure | undefined,
    hook: string,
    now: number,
    over = {},
  ) => policy.mayRetry({ version: '7.14.3', source: src, failure, hook, now, ...over });

  test('no failure remembered, or for another version or source → try', () => {
    expect(ask(undefined, 'start', 100_001).kind).toBe('try');
    expect(ask(waitingFailure, 'start', 100_001, { version: '7.14.4' }).kind).toBe('try');
    expect(ask(blockedFailure, 'start', 100_001, { source: 'resource:concourse-release' }).kind).toBe('try');
  });
  test('recent transient failure → other hooks hold with the same waiting message', () => {
    const d = ask(waitingFailure, 'peers-relation-changed', 150_000);
    expect(d.kind).toBe('hold');
    if (d.kind === 'hold') expect([d.problem.status, d.problem.message]).toEqual(['waiting', waitingFailure.message]);
  });
  test('transient failure: update-status, the upgrade action, or the interval passed → try again', () => {
    expect(ask(waitingFailure, 'update-status', 100_001).kind).toBe('try');
    expect(ask(waitingFailure, 'upgrade', 100_001).kind).toBe('try');
    expect(ask(waitingFailure, 'config-changed', 100_001).kind).toBe('hold');
    expect(ask(waitingFailure, 'start', 160_000).kind).toBe('try');
  });
  test('blocked failure → held in update-status and peer hooks, no re-download of a bad tarball', () => {
    for (const hook of ['update-status', 'peers-relation-changed', 'start']) {
      const d = ask(blockedFailure, hook, 200_000);
      expect(d.kind, hook).toBe('hold');
      if (d.kind === 'hold') expect([d.problem.status, d.problem.message]).toEqual(['blocked', blockedFailure.message]);
    }
  });
  test('blocked failure: config-changed, upgrade-charm or the upgrade action (the operator acted), or an hour later → try', () => {
    expect(ask(blockedFailure, 'config-changed', 100_001).kind).toBe('try');
    expect(ask(blockedFailure, 'upgrade', 100_001).kind).toBe('try');
    expect(ask(blockedFailure, 'upgrade-charm', 100_001).kind).toBe('try');
    expect(ask(blockedFailure, 'update-status', 3_700_000).kind).toBe('try');
  });
  test('volume filled during the download → says it needed more than was free', () => {
    const p = policy.failure({
      kind: 'no-space',
      version: '7.14.3',
      source: src,
      detail: 'ENOSPC',
      freeBytes: 88 * MiB,
      location: '/v',
      duringDownload: true,
    });
    expect(p.message).toBe(
      'Not enough space on /v for Concourse 7.14.3: it needed more than the 88 MiB free; grow the volume or lower keep-releases',
    );
  });
});

describe('verification and failures', () => {
  test('binary reporting the expected version (bare or with words) → accepted', () => {
    expect(() => policy.verifyVersion('7.14.2', '7.14.2')).not.toThrow();
    expect(() => policy.verifyVersion('7.14.2', 'concourse v7.14.2 (linux)')).not.toThrow();
  });
  test('binary reporting another version, or none → blocked, not published', () => {
    expect(() => policy.verifyVersion('7.14.2', '7.14.1')).toThrow(
      'Concourse 7.14.2 rejected: the release is 7.14.1; attach or point download-url at 7.14.2',
    );
    expect(() => policy.verifyVersion('7.14.2', undefined)).toThrow('bin/concourse --version did not run');
    expect(() => policy.verifyVersion('7.14.2', 'garbage')).toThrow('the release is "garbage"');
  });

  test('tarball without bin/concourse → blocked, not published', () => {
    expect(() => policy.verifyLayout('7.14.2', ['bin/gdn'])).toThrow(
      'Concourse 7.14.2 rejected: the tarball has no concourse/bin/concourse; check download-url',
    );
    expect(() => policy.verifyLayout('7.14.2', ['bin/concourse', 'bin/gdn'])).not.toThrow();
  });

  test('digest equal (any case) → accepted; different → blocked, nothing published', () => {
    expect(() => policy.verifyDigest('7.14.2', 'AB'.repeat(20), 'ab'.repeat(20))).not.toThrow();
    expect(() => policy.verifyDigest('7.14.2', 'a'.repeat(40), 'b'.repeat(40))).toThrow(/failed verification/);
    expect(() => policy.verifyDigest('7.14.2', undefined, 'b'.repeat(40))).not.toThrow();
  });

  test.each([
    ['not-found', 'blocked', 'Concourse 7.14.9 not found at http://m/x.tgz: check version and download-url'],
    ['unsafe-archive', 'blocked', 'Concourse 7.14.9 rejected: entry ../x escapes'],
    ['timeout', 'waiting', 'Concourse 7.14.9 download failed (entry ../x escapes); retrying at the next update-status'],
    [
      'no-space',
      'blocked',
      'Not enough space on /v for Concourse 7.14.9: 1.0 MiB free, at least 2.0 MiB needed; grow the volume or lower keep-releases',
    ],
  ] as const)('%s → %s', (kind, status, message) => {
    const p = policy.failure({
      kind,
      version: '7.14.9',
      source: 'http://m/x.tgz',
      detail: 'entry ../x escapes',
      freeBytes: MiB,
      neededBytes: 2 * MiB,
      location: '/v',
    });
    expect(p.status).toBe(status);
    expect(p.message).toBe(message);
  });
});
