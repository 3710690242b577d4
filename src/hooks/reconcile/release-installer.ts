// Hooks: executes InstallPolicy's decisions against the ports: reuse a published release, or take the lock,
// re-check, download into staging, verify, publish by rename. The rules live in the policy; this only does.

import { hostname } from 'node:os';
import { inject, injectable } from 'inversify';
import type { CharmConfig } from '../../domain/charm-config';
import { releaseUrl } from '../../domain/charm-config';
import type { DownloadProgress } from '../../domain/download-progress';
import { CharmProblem, ReleaseProblem } from '../../domain/errors';
import type { HookContext } from '../../domain/hook-event';
import {
  type FailureKind,
  type InstallPolicy,
  parseRememberedFailure,
  type ReleaseObservation,
  type RememberedFailure,
} from '../../domain/install-policy';
import { redactText, redactUrl } from '../../domain/redact';
import type { ReleaseManifest } from '../../domain/release-manifest';
import type { ConcourseVersion } from '../../domain/version';
import { CLOCK, type Clock } from '../../ports/clock';
import { DOWNLOAD_PROGRESS_MARKER, type DownloadProgressMarker } from '../../ports/download-progress-marker';
import { DOWNLOADER, DownloadError, type Downloader, type ReleaseSource } from '../../ports/downloader';
import { HOOK_TOOLS, type HookTools, ResourceFetchError } from '../../ports/hook-tools';
import { CHARM_CONFIG, HOOK_CONTEXT } from '../../ports/hook-values';
import { LOCK, type Lock, type LockHandle } from '../../ports/lock';
import { LOGGER, type Logger } from '../../ports/logger';
import { RELEASE_INSPECTOR, type ReleaseInspector } from '../../ports/release-inspector';
import { RELEASE_STORE, type ReleaseCheck, type ReleaseStore } from '../../ports/release-store';
import { VOLUME_PROBE, type VolumeProbe } from '../../ports/volume-probe';
import { INSTALL_POLICY, MACHINE_ARCH } from '../tokens';
import { MEMORY_KEYS, UnitMemory } from './unit-memory';

export const RELEASE_RESOURCE = 'concourse-release';
/** Marker refreshes: often enough for waiting units to see progress, rare enough to be cheap on NFS. */
const MARKER_REFRESH_MS = 2_000;

@injectable()
export class ReleaseInstaller {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(INSTALL_POLICY) private readonly policy: InstallPolicy,
    @inject(RELEASE_STORE) private readonly store: ReleaseStore,
    @inject(VOLUME_PROBE) private readonly volume: VolumeProbe,
    @inject(DOWNLOAD_PROGRESS_MARKER) private readonly progressMarker: DownloadProgressMarker,
    @inject(LOCK) private readonly lock: Lock,
    @inject(DOWNLOADER) private readonly downloader: Downloader,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(MACHINE_ARCH) private readonly arch: string,
    @inject(UnitMemory) private readonly memory: UnitMemory,
    @inject(RELEASE_INSPECTOR) private readonly inspector: ReleaseInspector,
  ) {}

  /** Makes `releases/<version>` exist and valid on the volume; throws a CharmProblem the operator can act on. */
  /** `quiet`: the unit already runs this version, so a reuse is logged at debug, not at every hook at info. */
  async ensure(version: ConcourseVersion, options: { readonly quiet?: boolean } = {}): Promise<ReleaseManifest> {
    const v = version.toString();
    const fast = await this.store.checkRelease(v);
    if (fast.state === 'published') return this.reused(fast.manifest, options.quiet === true);
    const source = await this.source(version);
    const failure = parseRememberedFailure(await this.memory.get(MEMORY_KEYS.downloadFailure));
    const retry = this.policy.mayRetry({
      version: v,
      source: describe(source),
      failure,
      hook: this.context.event.name,
      now: this.clock.now(),
    });
    if (retry.kind === 'hold') throw retry.problem;
    const waitStartedAt = this.clock.now();
    let announced = false;
    for (;;) {
      const handle = await this.lock.tryAcquire();
      if (handle !== undefined) {
        try {
          const installed = await this.installHolding(v, source, handle, this.clock.now() - waitStartedAt);
          if (failure !== undefined) await this.memory.remember({ [MEMORY_KEYS.downloadFailure]: '' });
          return installed;
        } catch (error) {
          // Storage problems are not remembered: growing a volume changes no config, so every hook re-checks.
          if (error instanceof ReleaseProblem) {
            const remembered: RememberedFailure = {
              version: v,
              source: describe(source),
              status: error.status,
              at: this.clock.now(),
              message: error.message,
            };
            await this.memory.remember({ [MEMORY_KEYS.downloadFailure]: JSON.stringify(remembered) });
          }
          throw error;
        } finally {
          await quietly(() => handle.release(), this.logger, 'storage.lock.release.failed');
        }
      }
      const progress = await this.progressMarker.read();
      if (!announced) {
        announced = true;
        this.logger.info('storage.lock.wait', { version: v, holder: progress?.unit });
        await this.tools.statusSet('maintenance', this.policy.describeOtherInstall(v, progress, this.clock.now()));
      }
      const published = await this.store.checkRelease(v);
      if (published.state === 'published') return this.reused(published.manifest, false);
      const decision = this.policy.whileLockedOut({
        version: v,
        progress,
        now: this.clock.now(),
        waitStartedAt,
        timeoutMs: this.config.storageWaitTimeoutMs,
      });
      if (decision.kind === 'give-up') throw decision.problem;
      await this.clock.sleep(decision.delayMs);
    }
  }

  private async installHolding(v: string, source: ReleaseSource, handle: LockHandle, waitedMs: number) {
    this.logger.info('storage.lock.acquired', { version: v, ms: waitedMs });
    const again = await this.store.checkRelease(v);
    if (this.policy.decide(observe(again)).kind === 'reuse' && again.state === 'published') {
      return this.reused(again.manifest, false);
    }
    // Holding the lock, every staging area belongs to a writer that died or lost the lock: reclaim the space.
    const abandoned = await this.store.removeAbandonedStaging();
    if (abandoned > 0) this.logger.info('storage.staging.reclaimed', { count: abandoned });

    const releases = await this.store.listReleases();
    const needed = this.policy.neededBytes(releases.map((r) => r.bytes));
    const facts = await this.volume.inspect();
    this.policy.assessSpace(facts, needed, v);

    const expectedSha1 = source.kind === 'url' ? await this.expectedSha1(v, source.url, handle.lost) : undefined;
    const staging = await this.store.openStaging(v, this.context.unit.dirName);
    const started = this.clock.now();
    const marker = new ProgressMarker(this.progressMarker, {
      version: v,
      unit: this.unit,
      host: hostname(),
      pid: process.pid,
      startedAt: started,
      updatedAt: started,
      bytes: 0,
    });
    await marker.write(this.clock.now());
    // Refreshed on a timer too, so a live download in a long stall or a slow publish never looks abandoned.
    const heartbeat = setInterval(() => void marker.write(this.clock.now()), MARKER_REFRESH_MS);
    heartbeat.unref();
    this.logger.info('storage.download.start', { version: v, source: describe(source) });
    let lastLoggedDecile = -1;
    try {
      const result = await this.downloader.fetchAndExtract(source, staging.dir, {
        strip: 1,
        signal: handle.lost,
        onProgress: (p) => {
          const written = marker.update(p.bytes, p.total, this.clock.now());
          const decile = p.total ? Math.floor((p.bytes / p.total) * 10) : -1;
          if (decile > lastLoggedDecile) {
            lastLoggedDecile = decile;
            // Logged once the marker holds it, so what the log says is what waiting units can read.
            void written.then(() =>
              this.logger.info('storage.download.progress', { version: v, bytes: p.bytes, total: p.total }),
            );
          }
        },
      });
      await marker.settled();
      if (handle.lost.aborted) throw new DownloadError('aborted', 'the install lock was lost');
      this.policy.verifyDigest(v, expectedSha1, result.sha1);
      this.policy.verifyLayout(v, await this.store.stagedBinaries(staging));
      this.policy.verifyVersion(v, await this.inspector.reportedVersion(staging.dir));
      // The lost signal is checked once more right before the publishing rename: a unit that lost the lock to a
      // stale takeover may have had its staging area reclaimed by the new holder.
      const outcome = await this.store.publish(staging, {
        tarball: { source: describe(source), bytes: result.bytes, sha1: result.sha1, sha256: result.sha256 },
        publishedBy: this.unit,
        publishedAt: new Date(this.clock.now()),
        signal: handle.lost,
        onManifested: () => this.logger.debug('storage.release.manifested', { version: v }),
      });
      const published = await this.store.checkRelease(v);
      if (published.state !== 'published')
        throw new Error(`release ${v} not readable after publish: ${published.state}`);
      this.logger.info('storage.published', {
        version: v,
        outcome,
        bytes: result.bytes,
        extractedBytes: result.extractedBytes,
        ms: this.clock.now() - started,
      });
      return published.manifest;
    } catch (error) {
      clearInterval(heartbeat);
      await marker.settled();
      await quietly(() => this.store.discardStaging(staging), this.logger, 'storage.staging.discard.failed');
      // Whatever failed after the lock was lost failed because of it (a reclaimed staging area, an abort).
      const cause = handle.lost.aborted ? new DownloadError('aborted', 'the install lock was lost') : error;
      throw await this.toProblem(cause, v, source, facts.freeBytes);
    } finally {
      clearInterval(heartbeat);
      // A lost lock means another unit may be downloading now: its marker is not ours to remove.
      if (!handle.lost.aborted) {
        await marker.settled();
        await quietly(() => this.progressMarker.clear(), this.logger, 'storage.marker.clear.failed');
      }
    }
  }

  /** One storage.reuse event per reuse (FR-009); at debug when the unit already runs this release. */
  private reused(manifest: ReleaseManifest, quiet: boolean): ReleaseManifest {
    const fields = { version: manifest.version, publishedBy: manifest.publishedBy };
    if (quiet) this.logger.debug('storage.reuse', fields);
    else this.logger.info('storage.reuse', fields);
    return manifest;
  }

  /**
   * The attached resource, else the download URL. Only Juju's "not found" means nothing is attached: when the
   * controller cannot answer, an attached release may exist (an offline site), so the unit waits and asks again
   * rather than reach for the internet.
   */
  private async source(version: ConcourseVersion): Promise<ReleaseSource> {
    let resource: string | undefined;
    try {
      resource = await this.tools.resourceGet(RELEASE_RESOURCE);
    } catch (error) {
      if (!(error instanceof ResourceFetchError)) throw error;
      // Juju's error line as a status shows it: credentials in any URL masked, bounded (a 500 may carry a page).
      const detail = redactText(error.jujuMessage);
      this.logger.warn('storage.resource.unavailable', {
        version: version.toString(),
        resource: RELEASE_RESOURCE,
        detail,
      });
      throw new CharmProblem(
        'waiting',
        `Concourse ${version.toString()}: resource ${RELEASE_RESOURCE} could not be fetched from the controller (${detail}); will retry at the next update-status`,
        { cause: error },
      );
    }
    if (resource !== undefined) return { kind: 'file', path: resource, label: `resource:${RELEASE_RESOURCE}` };
    return { kind: 'url', url: releaseUrl(this.config.downloadUrl, version, this.arch) };
  }

  private async expectedSha1(v: string, url: string, signal: AbortSignal): Promise<string> {
    try {
      return await this.downloader.fetchSha1(`${url}.sha1`, signal);
    } catch (error) {
      throw await this.toProblem(error, v, { kind: 'url', url: `${url}.sha1` }, undefined);
    }
  }

  private async toProblem(
    error: unknown,
    version: string,
    source: ReleaseSource,
    freeBefore: number | undefined,
  ): Promise<unknown> {
    const kind: FailureKind | undefined =
      error instanceof DownloadError ? error.kind : isNoSpace(error) ? 'no-space' : undefined;
    if (kind === undefined) return error;
    const detail = error instanceof Error ? redactUrl(error.message) : String(error);
    const problem: CharmProblem = this.policy.failure({
      kind,
      version,
      source: describe(source),
      detail,
      freeBytes: kind === 'no-space' ? freeBefore : undefined,
      location: this.store.root,
      duringDownload: true,
    });
    this.logger.warn('storage.download.failed', { version, kind, detail });
    return problem;
  }

  private get unit(): string {
    return this.context.unit.name;
  }
}

function observe(check: ReleaseCheck): ReleaseObservation {
  return check.state === 'published'
    ? { state: 'published', manifest: check.manifest }
    : check.state === 'damaged'
      ? { state: 'damaged', reason: check.reason }
      : { state: 'absent' };
}

/** How a source appears in logs, statuses and the manifest: never with a mirror's credentials. */
function describe(source: ReleaseSource): string {
  return source.kind === 'url' ? redactUrl(source.url) : source.label;
}

function isNoSpace(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Cleanup that must not replace the error being reported: its own failure is logged and swallowed. */
export async function quietly(action: () => Promise<void>, logger: Logger, event: string): Promise<void> {
  try {
    await action();
  } catch (error) {
    logger.warn(event, { error: error instanceof Error ? error.message : String(error) });
  }
}

/** Keeps `.download_in_progress` fresh without writing on every chunk; writes are chained so they never overlap. */
class ProgressMarker {
  private chain: Promise<void> = Promise.resolve();
  private lastWrite = 0;

  constructor(
    private readonly marker: DownloadProgressMarker,
    private state: DownloadProgress,
  ) {}

  write(now: number): Promise<void> {
    this.lastWrite = now;
    const snapshot = { ...this.state, updatedAt: now };
    this.chain = this.chain.then(() => this.marker.write(snapshot)).catch(() => undefined);
    return this.chain;
  }

  /** Records progress; writes when the refresh interval passed or the total just became known (for a percentage). */
  update(bytes: number, total: number | undefined, now: number): Promise<void> {
    const totalLearned = total !== undefined && this.state.total === undefined;
    this.state = { ...this.state, bytes, ...(total === undefined ? {} : { total }) };
    if (totalLearned || now - this.lastWrite >= MARKER_REFRESH_MS) return this.write(now);
    return this.chain;
  }

  settled(): Promise<void> {
    return this.chain;
  }
}
