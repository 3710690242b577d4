// Hooks: assembles one Inversify container per hook process, binding every port to its adapter. Values that need
// a hook tool call (config, storage location) are async singletons, so hooks that never use them never pay for them.

import { arch } from 'node:process';
import { Container, type ResolutionContext } from 'inversify';
import { CliHookTools } from '../adapters/cli-hook-tools';
import { CtrWorkerContainers } from '../adapters/ctr-worker-containers';
import { ExecHookToolRunner } from '../adapters/exec-hook-tool-runner';
import { ExecKeyMaker } from '../adapters/exec-key-maker';
import { ExecReleaseInspector } from '../adapters/exec-release-inspector';
import { ExecSchemaMigrator } from '../adapters/exec-schema-migrator';
import { FsDownloadProgressMarker } from '../adapters/fs-download-progress-marker';
import { FsReleaseStore } from '../adapters/fs-release-store';
import { FsUnitFiles, UNIT_FILES_ROOT } from '../adapters/fs-unit-files';
import { FsUnitStateStore } from '../adapters/fs-unit-state-store';
import { FsVolumeProbe } from '../adapters/fs-volume-probe';
import { GithubReleaseResolver } from '../adapters/github-release-resolver';
import { HookToolPeerRelation } from '../adapters/hook-tool-peer-relation';
import { LazyDownloader } from '../adapters/lazy-downloader';
import { OpensslTlsCrypto } from '../adapters/openssl-tls-crypto';
import { LOGGER_SETTINGS, type LoggerSettings, PinoLogger } from '../adapters/pino-logger';
import { ProcMountTable } from '../adapters/proc-mount-table';
import { ProcWorkerHost } from '../adapters/proc-worker-host';
import { effectiveLockTiming, lockTimingFromEnv, ProperLockfileLock } from '../adapters/proper-lockfile-lock';
import { SystemClock } from '../adapters/system-clock';
import { ExecSystemctlRunner, SYSTEMCTL_RUNNER, SystemctlServiceManager } from '../adapters/systemctl-service-manager';
import { UndiciOidcDiscovery } from '../adapters/undici-oidc-discovery';
import { UndiciWebProbe } from '../adapters/undici-web-probe';
import { type CharmConfig, LOG_LEVELS, parseCharmConfig } from '../domain/charm-config';
import type { HookContext } from '../domain/hook-event';
import { InstallPolicy } from '../domain/install-policy';
import { nonEmpty } from '../domain/text';
import { privateStoreRoot, STORAGE_LOCATION } from '../domain/volume-layout';
import { WEB_READY_POLL_MS, WEB_READY_TIMEOUT_MS } from '../domain/web-readiness';
import { CLOCK } from '../ports/clock';
import { DOWNLOAD_PROGRESS_MARKER } from '../ports/download-progress-marker';
import {
  DEFAULT_DOWNLOADER_SETTINGS,
  DOWNLOADER,
  DOWNLOADER_SETTINGS,
  type DownloaderSettings,
} from '../ports/downloader';
import { HOOK_TOOL_RUNNER, HOOK_TOOLS, type HookTools } from '../ports/hook-tools';
import { CHARM_CONFIG, HOOK_CONTEXT, RAW_CONFIG } from '../ports/hook-values';
import { KEY_MAKER } from '../ports/key-maker';
import { LOCK, LOCK_TIMING, type LockTiming } from '../ports/lock';
import { LOGGER } from '../ports/logger';
import { MOUNT_TABLE } from '../ports/mount-table';
import { OIDC_DISCOVERY } from '../ports/oidc-discovery';
import { PEER_RELATION } from '../ports/peer-relation';
import { RELEASE_INSPECTOR } from '../ports/release-inspector';
import { RELEASE_RESOLVER, RELEASE_RESOLVER_SETTINGS, type ReleaseResolverSettings } from '../ports/release-resolver';
import { RELEASE_STORE } from '../ports/release-store';
import { SCHEMA_MIGRATOR } from '../ports/schema-migrator';
import { SERVICE_MANAGER } from '../ports/service-manager';
import { STORE_ROOT } from '../ports/store-root';
import { TLS_CRYPTO } from '../ports/tls-crypto';
import { UNIT_FILES } from '../ports/unit-files';
import { LOCATION_UNIT_STATE_STORE, UNIT_STATE_STORE } from '../ports/unit-state-store';
import { LOCATION_VOLUME_PROBE, VOLUME_PROBE } from '../ports/volume-probe';
import { WEB_PROBE } from '../ports/web-probe';
import { WORKER_CONTAINERS } from '../ports/worker-containers';
import { WORKER_HOST } from '../ports/worker-host';
import { ReconcileHandler } from './handlers/reconcile';
import { bindMetrics } from './metrics-bindings';
import { ConcourseRoles } from './reconcile/concourse-roles';
import { PeerView } from './reconcile/peer-view';
import { PostgresLink } from './reconcile/postgres-link';
import { ReconcileSnapshotReader } from './reconcile/reconcile-snapshot';
import { RelatedUnits } from './reconcile/related-units';
import { RelationOutbox } from './reconcile/relation-outbox';
import { ReleaseCollector } from './reconcile/release-collector';
import { ReleaseInstaller } from './reconcile/release-installer';
import { ServiceApplier, START_SETTLE_MS, WEB_READY_TIMING, type WebReadyTiming } from './reconcile/service-applier';
import { ServiceRestarts } from './reconcile/service-restarts';
import { TlsLink } from './reconcile/tls-link';
import { UnitMemory } from './reconcile/unit-memory';
import { VaultKvLink } from './reconcile/vault-kv-link';
import { WebAccess } from './reconcile/web-access';
import { WebKeysStore } from './reconcile/web-keys-store';
import { DRAIN_POLL_MS, WorkerDrainer } from './reconcile/worker-drainer';
import { WorkerEnvironment } from './reconcile/worker-environment';
import { bindSharedFs } from './shared-fs-bindings';
import { INSTALL_POLICY, MACHINE_ARCH, RELEASE_COLLECTOR, RELEASE_INSTALLER } from './tokens';

const MiB = 1024 * 1024;

export type Environment = Readonly<Record<string, string | undefined>>;

export function createContainer(context: HookContext, env: Environment): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  c.bind(HOOK_CONTEXT).toConstantValue(context);
  c.bind(HOOK_TOOL_RUNNER).to(ExecHookToolRunner);
  c.bind(HOOK_TOOLS).to(CliHookTools);
  c.bind(CLOCK).to(SystemClock);
  c.bind(PEER_RELATION).to(HookToolPeerRelation);
  c.bind(SYSTEMCTL_RUNNER).to(ExecSystemctlRunner);
  c.bind(SERVICE_MANAGER).to(SystemctlServiceManager);

  c.bind(RAW_CONFIG).toDynamicValue((ctx) => tools(ctx).configGet());
  c.bind(CHARM_CONFIG).toDynamicValue(async (ctx) => parseCharmConfig(await ctx.getAsync(RAW_CONFIG)));
  c.bind(LOGGER_SETTINGS).toDynamicValue(async (ctx): Promise<LoggerSettings> => {
    // The logger must work even when config is invalid or unreadable: that is what it reports.
    let level: LoggerSettings['level'] = 'info';
    try {
      const raw = await ctx.getAsync<Readonly<Record<string, unknown>>>(RAW_CONFIG);
      const wanted = LOG_LEVELS.find((l) => l === raw['log-level']);
      if (wanted !== undefined) level = wanted;
    } catch {
      // keep info
    }
    return { level, unit: context.unit.name, stopAt: nonEmpty(env.CONCOURSE_CHARM_STOP_AT) };
  });
  c.bind(LOGGER).to(PinoLogger);

  const lockTiming = effectiveLockTiming(lockTimingFromEnv(env));
  c.bind<LockTiming>(LOCK_TIMING).toConstantValue(lockTiming);
  c.bind(UnitMemory).toSelf();
  c.bind(PeerView).toSelf();
  c.bind(RelationOutbox).toSelf();
  c.bind(RelatedUnits).toSelf();
  c.bind(UNIT_FILES_ROOT).toConstantValue('/');
  c.bind(UNIT_FILES).to(FsUnitFiles);
  c.bind(KEY_MAKER).to(ExecKeyMaker);
  c.bind(START_SETTLE_MS).toConstantValue(startSettleMs(env));
  c.bind(WEB_PROBE).to(UndiciWebProbe);
  c.bind(OIDC_DISCOVERY).to(UndiciOidcDiscovery);
  c.bind(WEB_READY_TIMING).toConstantValue(webReadyTiming(env));
  c.bind(WORKER_CONTAINERS).to(CtrWorkerContainers);
  c.bind(DRAIN_POLL_MS).toConstantValue(testMs(env, 'CONCOURSE_CHARM_DRAIN_POLL_MS', 5_000));
  c.bind(WorkerDrainer).toSelf();
  c.bind(WORKER_HOST).toConstantValue(new ProcWorkerHost());
  c.bind(WorkerEnvironment).toSelf();
  c.bind(ServiceRestarts).toSelf();
  c.bind(ServiceApplier).toSelf();
  c.bind(WebKeysStore).toSelf();
  c.bind(WebAccess).toSelf();
  c.bind(VaultKvLink).toSelf();
  c.bind(TLS_CRYPTO).to(OpensslTlsCrypto);
  c.bind(TlsLink).toSelf();
  c.bind(PostgresLink).toSelf();
  c.bind(ConcourseRoles).toSelf();
  c.bind(ReconcileSnapshotReader).toSelf();
  // The reconcile path, also run by the upgrade and rollback actions after they set the target.
  c.bind(ReconcileHandler).toSelf();
  c.bind(STORE_ROOT).toDynamicValue(async (ctx) => {
    const config = await ctx.getAsync<CharmConfig>(CHARM_CONFIG);
    // shared-storage=none: a unit-private store on the same volume, so no other unit's release is trusted.
    return config.sharedStorage === 'none' ? privateStoreRoot(context.unit.dirName) : STORAGE_LOCATION;
  });
  // Unit removal works on the storage location itself, whatever the (possibly unreadable) config says.
  c.bind(LOCATION_VOLUME_PROBE).toConstantValue(new FsVolumeProbe(STORAGE_LOCATION));
  c.bind(LOCATION_UNIT_STATE_STORE).toConstantValue(new FsUnitStateStore(STORAGE_LOCATION));
  c.bind(MOUNT_TABLE).toConstantValue(new ProcMountTable());
  c.bind(LOCK).to(ProperLockfileLock);
  c.bind(VOLUME_PROBE).to(FsVolumeProbe);
  c.bind(RELEASE_STORE).to(FsReleaseStore);
  c.bind(DOWNLOAD_PROGRESS_MARKER).to(FsDownloadProgressMarker);
  c.bind(UNIT_STATE_STORE).to(FsUnitStateStore);
  c.bind<DownloaderSettings>(DOWNLOADER_SETTINGS).toConstantValue({
    ...DEFAULT_DOWNLOADER_SETTINGS,
    ...bodyIdleOverride(env),
    httpProxy: context.proxy.http,
    httpsProxy: context.proxy.https,
    noProxy: context.proxy.noProxy,
  });
  c.bind(DOWNLOADER).to(LazyDownloader);
  c.bind(RELEASE_INSPECTOR).to(ExecReleaseInspector);
  c.bind(RELEASE_RESOLVER_SETTINGS).toDynamicValue(async (ctx): Promise<ReleaseResolverSettings> => {
    const config = await ctx.getAsync<CharmConfig>(CHARM_CONFIG);
    return {
      // CONCOURSE_CHARM_GITHUB_API: tests point it at a loopback stand-in; Juju never sets it.
      apiBaseUrl: nonEmpty(env.CONCOURSE_CHARM_GITHUB_API) ?? 'https://api.github.com',
      token: config.githubToken,
      httpProxy: context.proxy.http,
      httpsProxy: context.proxy.https,
      noProxy: context.proxy.noProxy,
      timeoutMs: 30_000,
    };
  });
  c.bind(RELEASE_RESOLVER).to(GithubReleaseResolver);
  c.bind(SCHEMA_MIGRATOR).to(ExecSchemaMigrator);
  c.bind(MACHINE_ARCH).toConstantValue(arch === 'arm64' ? 'arm64' : 'amd64');
  c.bind(INSTALL_POLICY).toConstantValue(
    new InstallPolicy({
      pollIntervalMs: 1_000,
      staleMs: lockTiming.staleMs,
      marginBytes: 64 * MiB,
      firstInstallEstimateBytes: 0,
      retryIntervalMs: 120_000,
      blockedRetryIntervalMs: 3_600_000,
    }),
  );
  c.bind(RELEASE_INSTALLER).to(ReleaseInstaller);
  c.bind(RELEASE_COLLECTOR).to(ReleaseCollector);
  // The shared-fs relation: mounting NFS or CephFS at the storage location (issue 11).
  bindSharedFs(c, context, env);
  // metrics-endpoint and cos-agent: scrape jobs, alert rules and dashboards (issue 12).
  bindMetrics(c, context);
  return c;
}

function tools(ctx: ResolutionContext): HookTools {
  return ctx.get<HookTools>(HOOK_TOOLS);
}

/** CONCOURSE_CHARM_BODY_IDLE_MS: tests shorten the stall detection (120 s) to exercise resume in seconds. */
function bodyIdleOverride(env: Environment): Partial<DownloaderSettings> {
  const raw = nonEmpty(env.CONCOURSE_CHARM_BODY_IDLE_MS);
  if (raw === undefined) return {};
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 100) throw new Error('CONCOURSE_CHARM_BODY_IDLE_MS must be a whole number >= 100');
  return { bodyIdleTimeoutMs: ms };
}

/**
 * How long a started service must stay up to count as started: 5 s. CONCOURSE_CHARM_START_SETTLE_MS is for the
 * simulator, whose fake systemd decides a start's outcome at once (nothing to wait for).
 */
function startSettleMs(env: Environment): number {
  const raw = nonEmpty(env.CONCOURSE_CHARM_START_SETTLE_MS);
  if (raw === undefined) return 5_000;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) throw new Error('CONCOURSE_CHARM_START_SETTLE_MS must be a whole number >= 0');
  return ms;
}

/**
 * How long a started web may take to serve /api/v1/info. CONCOURSE_CHARM_WEB_READY_CHECK=off is for the simulator
 * only, whose fake systemd starts no process (so nothing could ever answer); Juju never sets it.
 */
function webReadyTiming(env: Environment): WebReadyTiming | undefined {
  if (env.CONCOURSE_CHARM_WEB_READY_CHECK === 'off') return undefined;
  return {
    timeoutMs: testMs(env, 'CONCOURSE_CHARM_WEB_READY_TIMEOUT_MS', WEB_READY_TIMEOUT_MS),
    pollMs: Math.min(WEB_READY_POLL_MS, testMs(env, 'CONCOURSE_CHARM_WEB_READY_TIMEOUT_MS', WEB_READY_POLL_MS)),
  };
}

/**
 * A bound shortened for the simulator's tests (a web that never serves, a worker drain polled often); Juju never
 * sets these. A whole number of ms >= 1.
 */
function testMs(env: Environment, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 1) throw new Error(`${name} must be a whole number >= 1`);
  return ms;
}
