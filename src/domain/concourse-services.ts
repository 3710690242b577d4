// Domain: what each Concourse service needs on its unit, as text: the systemd unit and the env file for
// `concourse-server.service` (web) and `concourse-worker.service` (worker). Pure rendering; an adapter writes them.
//
// Split of concerns, so that a restart happens exactly when something the process sees changes:
// - The unit file holds everything tied to the release (ExecStart, PATH and the containerd paths, all under the
//   immutable `releases/<version>/`, never `current` or `bin`): switching versions changes the unit, nothing else does.
// - The env file holds configuration from config, relations and secrets; it lives under /etc/concourse on the unit,
//   never on the shared volume (several web units must not race on one file), and holds the only copy of passwords.
// - Key material is in files under /etc/concourse/keys, referenced by path: the env file never holds a key.

import { mergeFlags, type OperatorFlag, prometheusEnv } from './concourse-options';
import {
  adminPassword,
  adminUsername,
  check,
  type EnvEntry,
  formatHostPort,
  host,
  httpUrl,
  lines,
  nonEmpty,
  port,
  renderEnvFile,
  ServiceConfigProblem,
  unitPath,
  volumeIdText,
  workerName,
} from './service-values';
import type { ConcourseVersion } from './version';
import { inStore, STORE_PATHS } from './volume-layout';
import type { WorkerLayout } from './worker-layout';

export const WEB_SERVICE = 'concourse-server.service';
export const WORKER_SERVICE = 'concourse-worker.service';
export type ConcourseServiceName = typeof WEB_SERVICE | typeof WORKER_SERVICE;

export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';
export const WEB_UNIT_FILE = `${SYSTEMD_UNIT_DIR}/${WEB_SERVICE}`;
export const WORKER_UNIT_FILE = `${SYSTEMD_UNIT_DIR}/${WORKER_SERVICE}`;

export const CONCOURSE_CONFIG_DIR = '/etc/concourse';
export const WEB_ENV_FILE = `${CONCOURSE_CONFIG_DIR}/web.env`;
export const WORKER_ENV_FILE = `${CONCOURSE_CONFIG_DIR}/worker.env`;
export const CONCOURSE_KEYS_DIR = `${CONCOURSE_CONFIG_DIR}/keys`;

/** Where each key lives on the unit; file names as `concourse generate-key` and the Concourse docs use them. */
export const KEY_FILES = {
  sessionSigningKey: `${CONCOURSE_KEYS_DIR}/session_signing_key`,
  tsaHostKey: `${CONCOURSE_KEYS_DIR}/tsa_host_key`,
  authorizedWorkerKeys: `${CONCOURSE_KEYS_DIR}/authorized_worker_keys`,
  workerPrivateKey: `${CONCOURSE_KEYS_DIR}/worker_key`,
  workerPublicKey: `${CONCOURSE_KEYS_DIR}/worker_key.pub`,
  /** The TSA host keys a worker accepts: every web it may register with (one key per application). */
  workerTsaPublicKeys: `${CONCOURSE_KEYS_DIR}/worker_tsa_public_keys`,
} as const;

/** The system user the web service runs as (created by the charm when missing). The worker runs as root. */
export const CONCOURSE_USER = 'concourse';

/** A file as the charm should write it: content plus the ownership and mode it must have. */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  readonly owner: string;
  readonly group: string;
}

export interface RenderedService {
  readonly name: ConcourseServiceName;
  readonly unitFile: RenderedFile;
  readonly envFile: RenderedFile;
}

export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export interface WebServiceInput {
  /** The release store's volume id (`.volume-id`), named in the unit file so adopting a volume restarts. */
  readonly volumeId: string;
  /** The storage location holding `releases/` (the shared volume). */
  readonly volumeRoot: string;
  readonly version: ConcourseVersion;
  readonly webPort: number;
  readonly externalUrl: string;
  /**
   * This unit's address as other web units reach it (the ingress address). Concourse forwards worker connections
   * through the web node a worker registered with; with the default 127.0.0.1 other web units cannot reach them.
   */
  readonly peerAddress: string;
  readonly tsaPort: number;
  readonly postgres: PostgresConnection;
  readonly admin: { readonly username: string; readonly password: string };
  /** Login and credential entries (the admin's included); without them, the admin alone. */
  readonly access?: readonly EnvEntry[];
  /** Port of the Prometheus endpoint (all interfaces), when metrics are on. */
  readonly metricsPort?: number | undefined;
  /** The operator's settings (options, web-extra-env), checked against the release's flags. */
  readonly flags?: readonly OperatorFlag[];
}

export interface TsaAddress {
  readonly host: string;
  readonly port: number;
}

export interface WorkerServiceInput {
  readonly volumeId: string;
  readonly volumeRoot: string;
  readonly version: ConcourseVersion;
  /** Gives the work dir and the worker's name (the unit's directory name, unique in the model). */
  readonly layout: WorkerLayout;
  /** Every TSA the worker may register with (web units of this or the related application); at least one. */
  readonly tsa: readonly TsaAddress[];
  /** The operator's settings (options, worker-extra-env), checked against the release's flags. */
  readonly flags?: readonly OperatorFlag[];
}

const UNIT_HEADER = '# Written by the concourse-ci-machine charm on every change; local edits are lost.';

/** Absolute path of the binary a service runs: the immutable release, never the `current` or `bin` links. */
export function releaseBinary(volumeRoot: string, version: ConcourseVersion): string {
  return inStore(storeRoot(volumeRoot), STORE_PATHS.releaseBinary(version.toString()));
}

/** The release directory, where the store publishes it (volume-layout.ts, shared with the store adapter). */
export function releaseDir(volumeRoot: string, version: ConcourseVersion): string {
  // ConcourseVersion admits digits, dots, `-` and letters only: safe in a unit file and as one path component.
  return inStore(storeRoot(volumeRoot), STORE_PATHS.release(version.toString()));
}

function storeRoot(volumeRoot: string): string {
  return check(unitPath, volumeRoot, 'storage location');
}

/**
 * The service runs from the volume at the storage location: systemd starts it only once whatever is mounted there
 * is (a shared filesystem, a Juju storage bind) and the volume it was written for is named, so a unit that moves
 * onto another volume at the same path restarts its services onto it.
 */
function storeLines(volumeRoot: string, volumeId: string): readonly string[] {
  const root = check(unitPath, volumeRoot, 'storage location').replace(/\/+$/, '');
  const id = check(volumeIdText, volumeId, 'volume id');
  return [`# Release store: volume ${id} at ${root}`, `RequiresMountsFor=${root}`];
}

export function renderWebService(input: WebServiceInput): RenderedService {
  const binary = releaseBinary(input.volumeRoot, input.version);
  const webPort = check(port, input.webPort, 'web-port');
  const tsaPort = check(port, input.tsaPort, 'TSA port');
  if (webPort === tsaPort) {
    throw new ServiceConfigProblem('blocked', `web-port ${webPort} is the TSA port: choose another web-port`);
  }
  const metricsPort = input.metricsPort === undefined ? undefined : check(port, input.metricsPort, 'metrics-port');
  if (metricsPort === webPort || metricsPort === tsaPort) {
    throw new ServiceConfigProblem('blocked', `metrics-port ${metricsPort} is taken by the web: choose another`);
  }
  const externalUrl = check(httpUrl, input.externalUrl, 'external-url');
  const peerAddress = check(host, input.peerAddress, 'peer address');
  const db = input.postgres;
  const username = check(adminUsername, input.admin.username, 'initial-admin-username');
  const password = check(adminPassword, input.admin.password, 'admin password');

  const unit = [
    UNIT_HEADER,
    '[Unit]',
    `Description=Concourse CI web node (ATC and TSA) ${input.version.toString()}`,
    'Documentation=https://concourse-ci.org/concourse-web.html',
    ...storeLines(input.volumeRoot, input.volumeId),
    'Wants=network-online.target',
    'After=network-online.target',
    // Never give up restarting: the database or the network may come back at any time.
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    // `exec`: `systemctl start` fails when the release binary cannot be run, instead of reporting success.
    'Type=exec',
    `User=${CONCOURSE_USER}`,
    `Group=${CONCOURSE_USER}`,
    `EnvironmentFile=${WEB_ENV_FILE}`,
    `ExecStart=${binary} web`,
    // Concourse re-reads authorized_worker_keys on SIGHUP: a worker joining or leaving needs no restart.
    'ExecReload=/bin/kill -HUP $MAINPID',
    // Lets web-port be below 1024 without running as root; nothing else is kept.
    'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'ProtectSystem=full',
    'ProtectHome=yes',
    'Restart=on-failure',
    'RestartSec=5s',
    'TimeoutStopSec=60s',
    'LimitNOFILE=65536',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ];

  const env: EnvEntry[] = [
    ['CONCOURSE_BIND_PORT', String(webPort)],
    ['CONCOURSE_EXTERNAL_URL', externalUrl],
    ['CONCOURSE_PEER_ADDRESS', peerAddress],
    ['CONCOURSE_POSTGRES_HOST', check(host, db.host, 'PostgreSQL host')],
    ['CONCOURSE_POSTGRES_PORT', String(check(port, db.port, 'PostgreSQL port'))],
    ['CONCOURSE_POSTGRES_USER', check(nonEmpty, db.user, 'PostgreSQL user')],
    ['CONCOURSE_POSTGRES_PASSWORD', check(nonEmpty, db.password, 'PostgreSQL password')],
    ['CONCOURSE_POSTGRES_DATABASE', check(nonEmpty, db.database, 'PostgreSQL database')],
    ['CONCOURSE_SESSION_SIGNING_KEY', KEY_FILES.sessionSigningKey],
    ['CONCOURSE_TSA_HOST_KEY', KEY_FILES.tsaHostKey],
    ['CONCOURSE_TSA_AUTHORIZED_KEYS', KEY_FILES.authorizedWorkerKeys],
    ['CONCOURSE_TSA_BIND_PORT', String(tsaPort)],
    // Who may log in and where pipelines' credentials come from: src/domain/auth, src/domain/credentials (issue 13).
    ...(input.access ?? [
      ['CONCOURSE_ADD_LOCAL_USER', `${username}:${password}`],
      ['CONCOURSE_MAIN_TEAM_LOCAL_USER', username],
    ]),
    ...prometheusEnv(metricsPort),
  ];

  return {
    name: WEB_SERVICE,
    unitFile: { path: WEB_UNIT_FILE, content: lines(unit), mode: 0o644, owner: 'root', group: 'root' },
    // The group lets the service's own user read its configuration (operators running `concourse` commands as it);
    // systemd itself reads EnvironmentFile= as root.
    envFile: {
      path: WEB_ENV_FILE,
      content: renderEnvFile(mergeFlags('web', input.version, env, input.flags ?? [])),
      mode: 0o640,
      owner: 'root',
      group: CONCOURSE_USER,
    },
  };
}

export function renderWorkerService(input: WorkerServiceInput): RenderedService {
  const release = releaseDir(input.volumeRoot, input.version);
  if (input.tsa.length === 0) {
    throw new ServiceConfigProblem(
      'waiting',
      'Worker waiting for a web unit to register with (relate flight to a web)',
    );
  }
  // Sorted and unique: the order relation data arrives in must not change the file (and restart the worker).
  const tsaHosts = [
    ...new Set(input.tsa.map((t) => formatHostPort(check(host, t.host, 'TSA host'), check(port, t.port, 'TSA port')))),
  ].sort();
  const workDir = check(unitPath, input.layout.workDir, 'worker-work-dir');
  const name = check(workerName, input.layout.unitDirName, 'worker name');

  const unit = [
    UNIT_HEADER,
    '[Unit]',
    `Description=Concourse CI worker ${input.version.toString()}`,
    'Documentation=https://concourse-ci.org/concourse-worker.html',
    ...storeLines(input.volumeRoot, input.volumeId),
    'Wants=network-online.target',
    // With mode=all the worker registers with the local TSA: start after it, and stop before it.
    `After=network-online.target ${WEB_SERVICE}`,
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=exec',
    'User=root',
    'Group=root',
    `EnvironmentFile=${WORKER_ENV_FILE}`,
    // containerd, its shims, runc, init and the CNI plugins ship in the release's bin/; Concourse's defaults point
    // at /usr/local/concourse, which this charm does not use.
    `Environment=PATH=${release}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    `Environment=CONCOURSE_CONTAINERD_BIN=${release}/bin/containerd`,
    `Environment=CONCOURSE_CONTAINERD_INIT_BIN=${release}/bin/init`,
    `Environment=CONCOURSE_CONTAINERD_CNI_PLUGINS_DIR=${release}/bin`,
    `Environment=CONCOURSE_RESOURCE_TYPES=${release}/resource-types`,
    `ExecStart=${releaseBinary(input.volumeRoot, input.version)} worker`,
    // containerd creates cgroups for the containers below the service's own.
    'Delegate=yes',
    // SIGTERM to `concourse worker` alone, so it stops containerd and baggageclaim itself; whatever is left after it
    // exits (shims, container processes) is killed. Not `process` (which keeps containers across restarts): a role
    // move or a mode change stops the worker for good, and after a version switch shims of the old release would keep
    // running from (and pin) a release directory that garbage collection must be able to remove.
    'KillMode=mixed',
    // Not SIGUSR1/SIGUSR2 (land/retire): they wait for running builds, and hooks must not block on a drain.
    'TimeoutStopSec=120s',
    'Restart=on-failure',
    'RestartSec=5s',
    'LimitNOFILE=1048576',
    'LimitNPROC=infinity',
    'TasksMax=infinity',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ];

  const env: EnvEntry[] = [
    ['CONCOURSE_NAME', name],
    ['CONCOURSE_WORK_DIR', workDir],
    ['CONCOURSE_RUNTIME', 'containerd'],
    ['CONCOURSE_TSA_HOST', tsaHosts.join(',')],
    ['CONCOURSE_TSA_PUBLIC_KEY', KEY_FILES.workerTsaPublicKeys],
    ['CONCOURSE_TSA_WORKER_PRIVATE_KEY', KEY_FILES.workerPrivateKey],
  ];

  return {
    name: WORKER_SERVICE,
    unitFile: { path: WORKER_UNIT_FILE, content: lines(unit), mode: 0o644, owner: 'root', group: 'root' },
    envFile: {
      path: WORKER_ENV_FILE,
      content: renderEnvFile(mergeFlags('worker', input.version, env, input.flags ?? [])),
      mode: 0o600,
      owner: 'root',
      group: 'root',
    },
  };
}

/** The key files the web service reads: private keys readable by the service's group only, never by others. */
export function renderWebKeyFiles(input: {
  readonly sessionSigningKey: string;
  readonly tsaHostKey: string;
  readonly authorizedWorkerKeys: string;
}): { readonly restartFiles: readonly RenderedFile[]; readonly reloadFiles: readonly RenderedFile[] } {
  const secretFile = (path: string, content: string): RenderedFile => ({
    path,
    content,
    mode: 0o640,
    owner: 'root',
    group: CONCOURSE_USER,
  });
  return {
    restartFiles: [
      secretFile(KEY_FILES.sessionSigningKey, input.sessionSigningKey),
      secretFile(KEY_FILES.tsaHostKey, input.tsaHostKey),
    ],
    reloadFiles: [secretFile(KEY_FILES.authorizedWorkerKeys, input.authorizedWorkerKeys)],
  };
}

/** The TSA host keys the worker accepts (public: readable by all). */
export function renderWorkerKeyFiles(publicKeys: string): readonly RenderedFile[] {
  return [{ path: KEY_FILES.workerTsaPublicKeys, content: publicKeys, mode: 0o644, owner: 'root', group: 'root' }];
}
