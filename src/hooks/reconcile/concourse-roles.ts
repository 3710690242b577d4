// Hooks: makes this unit run the Concourse components its roles call for, from the release the store installed.
// Order inside one hook: the leader's shared duties (web keys secret, database request), this unit's worker key
// (offered even when it then waits: the web needs it to authorize the worker), the web (keys, database, files,
// service), the ports, then the worker (which in mode=all registers with the web just started). A role this unit
// no longer has is stopped and disabled. Problems are collected and the first is thrown at the end, after every
// offer was gathered, so one missing piece never hides what this unit could still tell the others.

import { inject, injectable } from 'inversify';
import type { CharmConfig } from '../../domain/charm-config';
import {
  authorizedKeysFile,
  FLIGHT_ENDPOINT,
  LINK_KEYS,
  parsePublicKey,
  parseTsaOffer,
  TSA_ENDPOINT,
  type TsaOffer,
  tsaPortNeeded,
  webOfferData,
  workerOfferData,
  workerTargets,
} from '../../domain/concourse-links';
import {
  CONCOURSE_CONFIG_DIR,
  CONCOURSE_KEYS_DIR,
  CONCOURSE_USER,
  KEY_FILES,
  releaseBinary,
  releaseDir,
  renderWebKeyFiles,
  renderWebService,
  renderWorkerKeyFiles,
  renderWorkerService,
  WEB_SERVICE,
  WORKER_SERVICE,
} from '../../domain/concourse-services';
import { CharmProblem } from '../../domain/errors';
import type { HookContext } from '../../domain/hook-event';
import { PEER_ENDPOINT } from '../../domain/peer-data';
import { parseStringMap } from '../../domain/peer-view';
import type { Role } from '../../domain/roles';
import { joinStatus } from '../../domain/status';
import { certificateChange } from '../../domain/tls/web-tls';
import { ConcourseVersion } from '../../domain/version';
import type { DrainKind } from '../../domain/worker-drain';
import { parseWorkerHold, WORKER_HOLD_FILE, type WorkerHold } from '../../domain/worker-hold';
import type { WorkerLayout } from '../../domain/worker-layout';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { CHARM_CONFIG, HOOK_CONTEXT } from '../../ports/hook-values';
import { KEY_MAKER, type KeyMaker } from '../../ports/key-maker';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { PeerView } from './peer-view';
import { PostgresLink } from './postgres-link';
import { RelatedUnits } from './related-units';
import { RelationOutbox } from './relation-outbox';
import { ServiceApplier } from './service-applier';
import { ServiceRestarts } from './service-restarts';
import { TlsLink } from './tls-link';
import { MEMORY_KEYS, UnitMemory } from './unit-memory';
import { WebAccess } from './web-access';
import { WebKeysStore } from './web-keys-store';
import type { DrainRequest } from './worker-drainer';
import { WorkerEnvironment } from './worker-environment';

export interface RolesInput {
  readonly roles: readonly Role[];
  readonly leader: boolean;
  readonly version: ConcourseVersion;
  readonly volumeRoot: string;
  /** The volume's id: a service moves (restarts) when the unit adopts another volume at the same path. */
  readonly volumeId: string;
  readonly layout: WorkerLayout;
}

export interface RolesOutcome {
  /** The web's external URL, when this unit runs one. */
  readonly url: string | undefined;
  /** The worker role's service held stopped by land-worker or retire-worker. */
  readonly workerHold: WorkerHold | undefined;
}

interface WebOutcome {
  readonly offer: TsaOffer | undefined;
  readonly url: string | undefined;
  readonly problem: CharmProblem | undefined;
  /** The HTTP port that redirects to HTTPS, opened besides web-port. */
  readonly redirectPort?: number | undefined;
}

@injectable()
export class ConcourseRoles {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(UNIT_FILES) private readonly files: UnitFiles,
    @inject(KEY_MAKER) private readonly keyMaker: KeyMaker,
    @inject(ServiceApplier) private readonly applier: ServiceApplier,
    @inject(WebKeysStore) private readonly webKeys: WebKeysStore,
    @inject(PostgresLink) private readonly postgres: PostgresLink,
    @inject(PeerView) private readonly peerView: PeerView,
    @inject(RelatedUnits) private readonly related: RelatedUnits,
    @inject(UnitMemory) private readonly memory: UnitMemory,
    @inject(RelationOutbox) private readonly outbox: RelationOutbox,
    @inject(WebAccess) private readonly access: WebAccess,
    @inject(TlsLink) private readonly tls: TlsLink,
    @inject(WorkerEnvironment) private readonly environment: WorkerEnvironment,
    @inject(ServiceRestarts) private readonly restarts: ServiceRestarts,
  ) {}

  async converge(input: RolesInput): Promise<RolesOutcome> {
    const web = input.roles.includes('web');
    const worker = input.roles.includes('worker');
    const workerHold = worker ? parseWorkerHold(await this.files.read(WORKER_HOLD_FILE)) : undefined;
    const binary = releaseBinary(input.volumeRoot, input.version);
    if (input.leader && this.config.mode !== 'worker') {
      await this.webKeys.ensure(binary);
      await this.postgres.request();
    }

    const workerKey = worker ? await this.ensureWorkerKey(binary) : undefined;
    this.outbox.toPeers(workerOfferData(workerKey));
    for (const id of await this.related.ids(FLIGHT_ENDPOINT)) this.outbox.toUnitBag(id, workerOfferData(workerKey));

    const webOutcome: WebOutcome = web
      ? await this.convergeWeb(input, workerKey)
      : await this.stopped(WEB_SERVICE, input)
          .then(() => this.tls.release())
          .then(() => ({ offer: undefined, url: undefined, problem: undefined }));
    await this.offerTsa(webOutcome.offer);
    await this.syncPorts(input.roles, webOutcome.redirectPort);

    let problem = webOutcome.problem;
    if (worker && workerHold === undefined) {
      try {
        await this.convergeWorker(input, webOutcome.problem === undefined ? webOutcome.offer : undefined);
      } catch (error) {
        if (!(error instanceof CharmProblem)) throw error;
        problem ??= error;
      }
    } else {
      // A held worker started by hand is drained as the operator asked (land or retire) and stopped again.
      await this.stopped(WORKER_SERVICE, input, workerHold?.kind);
    }
    if (problem !== undefined) throw problem;
    return { url: webOutcome.url, workerHold };
  }

  private async convergeWeb(input: RolesInput, localWorkerKey: string | undefined): Promise<WebOutcome> {
    let offer: TsaOffer | undefined;
    try {
      const keys = await this.webKeys.read();
      const address = (await this.tools.networkGet(PEER_ENDPOINT)).ingressAddress;
      offer = {
        host: address,
        port: this.config.tsaPort,
        publicKey: keys.tsaHostPublicKey,
        version: input.version.toString(),
      };
      const postgres = await this.postgres.connection();
      const admin = { username: this.config.initialAdminUsername, password: keys.adminPassword };
      const access = await this.access.render(admin);
      await this.prepareConfigDirs();
      // certificates relation: HTTPS on web-port, Concourse's plain listener (its --bind-port) moved to tls.httpPort.
      const tls = await this.tls.converge(address);
      const url = tls.url;
      const service = renderWebService({
        volumeRoot: input.volumeRoot,
        volumeId: input.volumeId,
        version: input.version,
        webPort: tls.httpPort,
        externalUrl: url,
        peerAddress: address,
        tsaPort: this.config.tsaPort,
        postgres,
        admin,
        access: [...access.env, ...tls.env],
        metricsPort: this.config.metricsPort,
        flags: this.config.webFlags,
      });
      const keyFiles = renderWebKeyFiles({
        sessionSigningKey: keys.sessionSigningKey,
        tsaHostKey: keys.tsaHostKey,
        authorizedWorkerKeys: authorizedKeysFile([localWorkerKey, ...(await this.workerKeys())]),
      });
      // A renewed certificate: Concourse >= 8.2 reloads it on SIGHUP, older ones need a restart.
      const reloadTls = certificateChange(input.version) === 'reload';
      const applied = await this.applier.apply(
        WEB_SERVICE,
        {
          ...service,
          restartFiles: [...keyFiles.restartFiles, ...access.files, ...(reloadTls ? [] : tls.files)],
          reloadFiles: [...keyFiles.reloadFiles, ...(reloadTls ? tls.files : [])],
        },
        // The plain listener serves the API unredirected (atc/atccmd/command.go): the readiness check asks there.
        {
          serving: { webPort: tls.httpPort, version: input.version.toString() },
          restart: this.restarts.requested !== undefined,
        },
      );
      this.restarts.record(WEB_SERVICE, applied);
      return { offer, url: joinStatus(url, tls.note), problem: undefined, redirectPort: tls.redirectPort };
    } catch (error) {
      if (!(error instanceof CharmProblem)) throw error;
      // A web that runs from an earlier hook keeps running (and offering its TSA, with the version it really runs,
      // not the target: workers of other applications follow that version) while the operator fixes this.
      const running = (await this.applier.applied(WEB_SERVICE)) !== undefined;
      const runningVersion = await this.memory.get(MEMORY_KEYS.workloadVersion);
      return {
        offer: running && offer !== undefined ? { ...offer, version: runningVersion } : undefined,
        url: undefined,
        problem: error,
      };
    }
  }

  private async convergeWorker(input: RolesInput, localOffer: TsaOffer | undefined): Promise<void> {
    const peerOffers = Object.values(await this.peerView.bags()).flatMap((bag) => optional(parseTsaOffer(bag)));
    const flightIds = await this.related.ids(FLIGHT_ENDPOINT);
    const flightOffers: TsaOffer[] = [];
    for (const id of flightIds) {
      for (const bag of (await this.related.remoteUnits(id)).values())
        flightOffers.push(...optional(parseTsaOffer(bag)));
    }
    const targets = workerTargets({
      app: this.context.unit.app,
      mode: this.config.mode,
      local: localOffer,
      peerOffers,
      flightOffers,
      flightRelated: flightIds.length > 0,
    });
    const service = renderWorkerService({
      volumeRoot: input.volumeRoot,
      volumeId: input.volumeId,
      version: input.version,
      layout: input.layout,
      tsa: targets.tsa,
      flags: [...this.config.workerFlags, ...(await this.environment.flags(input.layout.workDir))],
    });
    await this.prepareConfigDirs();
    await this.files.ensureDirectory({ path: input.layout.workDir, mode: 0o700, owner: 'root', group: 'root' });
    const restart = this.restarts.requested;
    const applied = await this.applier.apply(
      WORKER_SERVICE,
      { ...service, restartFiles: renderWorkerKeyFiles(targets.publicKeys) },
      { drain: restart?.force === true ? undefined : await this.drainRequest('land', input), restart: !!restart },
    );
    this.restarts.record(WORKER_SERVICE, applied);
  }

  /** Every worker key offered to this web: by peers, and by the units of every application related over `tsa`. */
  private async workerKeys(): Promise<string[]> {
    const keys = Object.values(await this.peerView.bags()).map((bag) => bag[LINK_KEYS.workerPublicKey]);
    for (const id of await this.related.ids(TSA_ENDPOINT)) {
      for (const bag of (await this.related.remoteUnits(id)).values()) keys.push(bag[LINK_KEYS.workerPublicKey]);
    }
    return keys.filter((k): k is string => k !== undefined);
  }

  /** The worker's own key pair, made once by the release and kept on the unit; returns its public half. */
  private async ensureWorkerKey(binary: string): Promise<string> {
    const existing = parsePublicKey(await this.files.read(KEY_FILES.workerPublicKey));
    if (existing !== undefined && (await this.files.read(KEY_FILES.workerPrivateKey)) !== undefined) return existing;
    await this.prepareConfigDirs();
    const pair = await this.keyMaker.generate(binary, 'ssh');
    const publicKey = parsePublicKey(pair.publicKey);
    if (publicKey === undefined) throw new Error('concourse generate-key -t ssh wrote no usable public key');
    await this.files.write({
      path: KEY_FILES.workerPrivateKey,
      content: pair.privateKey,
      mode: 0o600,
      owner: 'root',
      group: 'root',
    });
    await this.files.write({
      path: KEY_FILES.workerPublicKey,
      content: `${publicKey}\n`,
      mode: 0o644,
      owner: 'root',
      group: 'root',
    });
    return publicKey;
  }

  /** /etc/concourse and its keys directory, readable by the web's group and nobody else. */
  private async prepareConfigDirs(): Promise<void> {
    await this.files.ensureSystemUser(CONCOURSE_USER);
    await this.files.ensureDirectory({ path: CONCOURSE_CONFIG_DIR, mode: 0o750, owner: 'root', group: CONCOURSE_USER });
    await this.files.ensureDirectory({ path: CONCOURSE_KEYS_DIR, mode: 0o750, owner: 'root', group: CONCOURSE_USER });
  }

  private async stopped(
    service: typeof WEB_SERVICE | typeof WORKER_SERVICE,
    input: RolesInput,
    kind: DrainKind = 'retire',
  ): Promise<void> {
    // A worker whose role is gone does not come back: it retires, so Concourse forgets it and its volumes.
    const drain = service === WORKER_SERVICE ? await this.drainRequest(kind, input) : undefined;
    await this.applier.apply(service, undefined, { drain });
  }

  /** Drains the worker that runs now (its release, not the target's) within worker-drain-timeout. */
  private async drainRequest(kind: DrainKind, input: RolesInput): Promise<DrainRequest | undefined> {
    const running = await this.memory.get(MEMORY_KEYS.workloadVersion);
    if (running === undefined || !ConcourseVersion.isValid(running)) return undefined;
    const version = ConcourseVersion.parse(running);
    return {
      kind,
      version: running,
      releaseDir: releaseDir(input.volumeRoot, version),
      timeoutMs: this.config.workerDrainTimeoutMs,
    };
  }

  /** The TSA offer, with the version the web runs, on peers and on every `tsa` relation (worker applications follow it). */
  private async offerTsa(offer: TsaOffer | undefined): Promise<void> {
    this.outbox.toPeers(webOfferData(offer));
    const tsaIds = await this.related.ids(TSA_ENDPOINT);
    if (tsaIds.length === 0) return;
    const address = offer === undefined ? undefined : (await this.tools.networkGet(TSA_ENDPOINT)).ingressAddress;
    const crossApp = offer === undefined || address === undefined ? undefined : { ...offer, host: address };
    for (const id of tsaIds) this.outbox.toUnitBag(id, webOfferData(crossApp));
  }

  /** open-port for what this unit serves; close-port for what it no longer does. */
  private async syncPorts(roles: readonly Role[], redirectPort: number | undefined): Promise<void> {
    const web = roles.includes('web');
    const tsaRelated = (await this.related.ids(TSA_ENDPOINT)).length > 0;
    const wanted = new Set<number>(web ? [this.config.webPort] : []);
    if (tsaPortNeeded({ mode: this.config.mode, roles, tsaRelated })) wanted.add(this.config.tsaPort);
    if (web && this.config.metricsPort !== undefined) wanted.add(this.config.metricsPort);
    if (web && redirectPort !== undefined) wanted.add(redirectPort);
    const opened = new Set(
      Object.keys(parseStringMap(await this.memory.get(MEMORY_KEYS.openedPorts)) ?? {}).map(Number),
    );
    for (const port of opened) if (!wanted.has(port)) await this.tools.closePort(port);
    for (const port of wanted) if (!opened.has(port)) await this.tools.openPort(port);
    await this.memory.remember({
      [MEMORY_KEYS.openedPorts]: JSON.stringify(Object.fromEntries([...wanted].sort().map((p) => [String(p), 'tcp']))),
    });
  }
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}
