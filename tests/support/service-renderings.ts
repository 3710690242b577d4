// Test support: the web and worker services as the charm renders them for one release and one config, and the
// variables they get (env file and unit-file Environment= lines): shared by the flag-table and stand-in tests.

import { parseCharmConfig } from '../../src/domain/charm-config';
import { type RenderedService, renderWebService, renderWorkerService } from '../../src/domain/concourse-services';
import { parseUnitName } from '../../src/domain/hook-event';
import { tlsEnv, tlsPorts } from '../../src/domain/tls/web-tls';
import { ConcourseVersion } from '../../src/domain/version';
import { chooseWorkerDefaults, type WorkerHostFacts } from '../../src/domain/worker-defaults';
import { workerLayout } from '../../src/domain/worker-layout';

/** A value for every option that maps to a flag, metrics on, extra env for both commands, and HTTPS (a certificate). */
export const EVERY_OPTION = {
  tag: 'gpu, big',
  'worker-team': 'main',
  'baggageclaim-driver': 'naive',
  'containerd-dns-proxy-enable': true,
  'containerd-dns-server': '1.1.1.1,8.8.8.8',
  'containerd-max-containers': 100,
  'container-placement-strategy': 'volume-locality,fewest-build-containers',
  'default-build-logs-to-retain': 50,
  'max-build-logs-to-retain': 100,
  'default-days-to-retain-build-logs': 7,
  'max-days-to-retain-build-logs': 30,
  'gc-failed-grace-period': '48h',
  'enable-global-resources': true,
  'enable-metrics': true,
  'metrics-port': 9391,
  'tsa-port': 2223,
  'tls-redirect-http-port': 80,
  'web-extra-env': 'CONCOURSE_LOG_LEVEL=debug\n# comment\nCONCOURSE_MAX_CHECKS_PER_SECOND=10',
  'worker-extra-env': 'CONCOURSE_CONTAINERD_MTU=1400\nhttp_proxy=http://proxy:3128',
};

export const CONFIGS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  defaults: {},
  'every option set': EVERY_OPTION,
};

/**
 * The machine the workers are rendered for: an LXD container with systemd-resolved (its stub in /etc/resolv.conf,
 * an upstream server known), so the charm's own choices (naive, the upstream DNS server) are rendered too.
 */
export const LXD_HOST: WorkerHostFacts = {
  virt: { kind: 'container', name: 'lxc' },
  workDirFilesystem: 'zfs',
  resolvConf: 'nameserver 127.0.0.53\noptions edns0 trust-ad\n',
  upstreamResolvConf: 'nameserver 10.148.1.1\n',
};

/** Both services of one unit running `version` with `raw` config, the release store at `volumeRoot`. */
export function renderServices(
  version: string,
  raw: Readonly<Record<string, unknown>>,
  volumeRoot = '/var/lib/concourse',
): { readonly web: RenderedService; readonly worker: RenderedService } {
  const v = ConcourseVersion.parse(version);
  const config = parseCharmConfig(raw);
  // With tls-redirect-http-port set, the web renders as it does while it holds a certificate (certificates relation).
  const tls = config.tlsRedirectHttpPort !== 0;
  const ports = tlsPorts({ ...config, redirectPort: config.tlsRedirectHttpPort });
  const web = renderWebService({
    volumeRoot,
    volumeId: '2f1c3a9e-5b7d-4c1e-9a0b-1c2d3e4f5a6b',
    version: v,
    webPort: tls ? ports.httpPort : config.webPort,
    externalUrl: tls ? 'https://10.0.0.5:8080' : 'http://10.0.0.5:8080',
    peerAddress: '10.0.0.5',
    tsaPort: config.tsaPort,
    postgres: { host: '10.0.0.9', port: 5432, user: 'u', password: 'p', database: 'concourse' },
    admin: { username: 'admin', password: 'pw' },
    access: tls
      ? [
          ['CONCOURSE_ADD_LOCAL_USER', 'admin:pw'],
          ['CONCOURSE_MAIN_TEAM_LOCAL_USER', 'admin'],
          ...tlsEnv(config.webPort),
        ]
      : undefined,
    metricsPort: config.metricsPort,
    flags: config.webFlags,
  });
  const worker = renderWorkerService({
    volumeRoot,
    volumeId: '2f1c3a9e-5b7d-4c1e-9a0b-1c2d3e4f5a6b',
    version: v,
    layout: workerLayout({
      unit: parseUnitName('concourse-ci/1'),
      volumeRoot,
      volumeIsNetworkFilesystem: false,
      workDirOverride: undefined,
    }),
    tsa: [
      { host: '10.0.0.5', port: config.tsaPort },
      { host: 'fd00::5', port: config.tsaPort },
    ],
    flags: [...config.workerFlags, ...chooseWorkerDefaults(LXD_HOST, config.workerDefaults).flags],
  });
  return { web, worker };
}

/** Every variable a service gets: its env file (unquoted as systemd does) and its unit's Environment= lines. */
export function serviceVariables(rendered: RenderedService): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of rendered.envFile.content.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)="(.*)"$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2].replace(/\\(.)/g, '$1'));
  }
  for (const line of rendered.unitFile.content.split('\n')) {
    const m = /^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined && m[1] !== 'PATH') out.set(m[1], m[2]);
  }
  return out;
}
