// Domain: InstallPolicy, the rules of "install a release exactly once per volume" (DESIGN.md section 3). It
// decides from observations (volume facts, release check, lock outcome, progress marker); the installer executes.

import { z } from 'zod';
import { formatBytes } from './bytes';
import { type DownloadProgress, describeProgress, isProgressStale } from './download-progress';
import { type CharmProblem, ReleaseProblem, StorageProblem } from './errors';
import { REQUIRED_RELEASE_FILES, type ReleaseManifest } from './release-manifest';
import { parseRememberedJson } from './remembered-json';
import type { VolumeFacts } from './volume';

export interface InstallPolicySettings {
  /** Pause between lock attempts while another unit installs. */
  readonly pollIntervalMs: number;
  /** A progress marker older than this belongs to a downloader that is gone or hung. */
  readonly staleMs: number;
  /** Free space kept beyond the estimate, so a full volume never stops the running release. */
  readonly marginBytes: number;
  /** Estimate for a first install, when no release on the volume tells the size. */
  readonly firstInstallEstimateBytes: number;
  /** After a transient download failure, other hooks wait this long before trying again (update-status always tries). */
  readonly retryIntervalMs: number;
  /** After a failure the operator must fix, hooks other than config-changed and upgrade-charm wait this long. */
  readonly blockedRetryIntervalMs: number;
}

/** What a unit remembers of its last failed install of a version from a source. */
export interface RememberedFailure {
  readonly version: string;
  readonly source: string;
  readonly status: 'blocked' | 'waiting';
  readonly at: number;
  readonly message: string;
}

/** Hooks in which the operator may just have fixed what a blocked install needs (config, charm, resource). */
/** Events that mean the operator asked again (config, a new charm, the upgrade action): a remembered failure is retried. */
const OPERATOR_CHANGE_HOOKS = new Set(['config-changed', 'upgrade-charm', 'upgrade']);

export type ReleaseObservation =
  | { readonly state: 'published'; readonly manifest: ReleaseManifest }
  | { readonly state: 'absent' }
  | { readonly state: 'damaged'; readonly reason: string };

export type BeforeLockDecision = { readonly kind: 'reuse' } | { readonly kind: 'install' };

export type LockedOutDecision =
  | { readonly kind: 'poll'; readonly delayMs: number }
  | { readonly kind: 'give-up'; readonly problem: CharmProblem };

export type FailureKind =
  | 'not-found'
  | 'http-error'
  | 'timeout'
  | 'network'
  | 'truncated'
  | 'bad-archive'
  | 'unsafe-archive'
  | 'no-space'
  | 'aborted';

const rememberedFailureSchema = z.object({
  version: z.string(),
  source: z.string(),
  status: z.enum(['blocked', 'waiting']),
  at: z.number(),
  message: z.string(),
});

export function parseRememberedFailure(text: string | undefined): RememberedFailure | undefined {
  return parseRememberedJson(rememberedFailureSchema, text);
}

export class InstallPolicy {
  constructor(private readonly settings: InstallPolicySettings) {}

  /** Step 1: the volume must be usable before anything is read from or written to it. */
  assessVolume(facts: VolumeFacts): void {
    const where = facts.path;
    switch (facts.state) {
      case 'missing':
        throw new StorageProblem(
          'blocked',
          `Storage ${where} is missing: attach concourse-data or mount the shared volume there`,
        );
      case 'not-directory':
        throw new StorageProblem('blocked', `Storage ${where} is not a directory: mount the volume there`);
      case 'read-only':
        throw new StorageProblem('blocked', `Storage ${where} is read-only: remount it read-write`);
      case 'unreadable':
        throw new StorageProblem(
          'blocked',
          `Storage ${where} cannot be read (${facts.detail ?? 'error'}): check the mount`,
        );
      case 'ok':
        return;
    }
  }

  /**
   * Bytes a new release needs: the largest release already on the volume tells best (tarball streamed, so only the
   * extracted size lands), else the first-install estimate; plus the margin.
   */
  neededBytes(knownReleaseBytes: readonly number[]): number {
    const largest = knownReleaseBytes.reduce((max, bytes) => Math.max(max, bytes), 0);
    return (largest > 0 ? largest : this.settings.firstInstallEstimateBytes) + this.settings.marginBytes;
  }

  /** Refuses to start a download that cannot fit, before a byte is written. */
  assessSpace(facts: VolumeFacts, needed: number, version: string): void {
    if (facts.freeBytes < needed) {
      throw new StorageProblem('blocked', noSpaceMessage(version, facts.path, facts.freeBytes, needed));
    }
  }

  /** Step 2 (and 3, after the lock): a valid published release is reused; anything else is installed. */
  decide(release: ReleaseObservation): BeforeLockDecision {
    return release.state === 'published' ? { kind: 'reuse' } : { kind: 'install' };
  }

  /** Another unit holds the lock: keep polling while it makes progress, give up with a `waiting` status after the timeout. */
  whileLockedOut(input: {
    readonly version: string;
    readonly progress: DownloadProgress | undefined;
    readonly now: number;
    readonly waitStartedAt: number;
    readonly timeoutMs: number;
  }): LockedOutDecision {
    const { version, progress, now } = input;
    if (now - input.waitStartedAt < input.timeoutMs) {
      return { kind: 'poll', delayMs: this.settings.pollIntervalMs };
    }
    return {
      kind: 'give-up',
      problem: new ReleaseProblem('waiting', this.describeOtherInstall(version, progress, now)),
    };
  }

  describeOtherInstall(version: string, progress: DownloadProgress | undefined, now: number): string {
    if (progress === undefined || progress.version !== version) {
      return `Concourse ${version} waiting for another unit's install on the shared volume`;
    }
    if (isProgressStale(progress, now, this.settings.staleMs)) {
      return `Concourse ${version} download by ${progress.unit} stalled; taken over once its lock expires`;
    }
    return `Concourse ${version} being downloaded by ${progress.unit} (${describeProgress(progress)})`;
  }

  /**
   * Whether this hook may try again an install that failed before. Without this, every hook of a busy unit (config,
   * peers, start) would repeat it: a transient failure is retried by update-status or after the retry interval; a
   * blocked one (checksum, 404, hostile archive: the operator must act) only after an operator change, another
   * source or version, or the blocked interval, so a bad 900 MB tarball is not fetched again on every hook.
   */
  mayRetry(input: {
    readonly version: string;
    readonly source: string;
    readonly failure: RememberedFailure | undefined;
    readonly hook: string;
    readonly now: number;
  }): { readonly kind: 'try' } | { readonly kind: 'hold'; readonly problem: CharmProblem } {
    const { failure, hook } = input;
    if (failure === undefined || failure.version !== input.version || failure.source !== input.source) {
      return { kind: 'try' };
    }
    const age = input.now - failure.at;
    const retry =
      failure.status === 'waiting'
        ? hook === 'update-status' || hook === 'upgrade' || age >= this.settings.retryIntervalMs
        : OPERATOR_CHANGE_HOOKS.has(hook) || age >= this.settings.blockedRetryIntervalMs;
    if (retry) return { kind: 'try' };
    const problem =
      failure.status === 'waiting'
        ? new ReleaseProblem('waiting', failure.message)
        : new ReleaseProblem('blocked', failure.message);
    return { kind: 'hold', problem };
  }

  /** A tarball that unpacks without `bin/concourse` is not a Concourse release, whatever its digest says. */
  verifyLayout(version: string, stagedBinaries: readonly string[]): void {
    const missing = REQUIRED_RELEASE_FILES.filter((file) => !stagedBinaries.includes(file));
    if (missing.length > 0) {
      throw new ReleaseProblem(
        'blocked',
        `Concourse ${version} rejected: the tarball has no concourse/${missing.join(', concourse/')}; check download-url`,
      );
    }
  }

  /**
   * The unpacked binary must say it is the version it will be published as: an attached resource or a mirror can
   * hold another one, and a release directory, once published, is never rewritten.
   */
  verifyVersion(version: string, reported: string | undefined): void {
    if (reported === undefined) {
      throw new ReleaseProblem('blocked', `Concourse ${version} rejected: bin/concourse --version did not run`);
    }
    const said = reported
      .split(/\s+/)
      .find((word) => /^v?\d+\.\d+\.\d+/.test(word))
      ?.replace(/^v/, '');
    if (said !== version) {
      throw new ReleaseProblem(
        'blocked',
        `Concourse ${version} rejected: the release is ${said ?? JSON.stringify(reported.slice(0, 40))}; attach or point download-url at ${version}`,
      );
    }
  }

  /** Fail closed: a release is published only if its digest equals the upstream one. */
  verifyDigest(version: string, expectedSha1: string | undefined, actualSha1: string): void {
    if (expectedSha1 !== undefined && expectedSha1.toLowerCase() !== actualSha1.toLowerCase()) {
      throw new ReleaseProblem(
        'blocked',
        `Concourse ${version} failed verification (sha1 ${actualSha1.slice(0, 12)}… expected ${expectedSha1.slice(0, 12)}…): check download-url or the mirror`,
      );
    }
  }

  /** The status for a failed fetch: operator-fixable faults block, transient ones wait for the next hook. */
  failure(input: {
    readonly kind: FailureKind;
    readonly version: string;
    readonly source: string;
    readonly detail: string;
    readonly freeBytes?: number;
    readonly neededBytes?: number;
    readonly location?: string;
    /** The volume filled up during the download: `freeBytes` is what was free when it started. */
    readonly duringDownload?: boolean;
  }): CharmProblem {
    const v = input.version;
    switch (input.kind) {
      case 'not-found':
        return new ReleaseProblem(
          'blocked',
          `Concourse ${v} not found at ${input.source}: check version and download-url`,
        );
      case 'unsafe-archive':
      case 'bad-archive':
        return new ReleaseProblem('blocked', `Concourse ${v} rejected: ${input.detail}`);
      case 'no-space':
        return new StorageProblem(
          'blocked',
          input.duringDownload === true
            ? `Not enough space on ${input.location ?? 'the volume'} for Concourse ${v}: it needed more than the ${formatBytes(input.freeBytes ?? 0)} free; grow the volume or lower keep-releases`
            : noSpaceMessage(v, input.location ?? 'the volume', input.freeBytes ?? 0, input.neededBytes ?? 0),
        );
      case 'http-error':
      case 'timeout':
      case 'network':
      case 'truncated':
      case 'aborted':
        return new ReleaseProblem(
          'waiting',
          `Concourse ${v} download failed (${input.detail}); retrying at the next update-status`,
        );
    }
  }
}

function noSpaceMessage(version: string, where: string, free: number, needed: number): string {
  return `Not enough space on ${where} for Concourse ${version}: ${formatBytes(free)} free, at least ${formatBytes(needed)} needed; grow the volume or lower keep-releases`;
}
