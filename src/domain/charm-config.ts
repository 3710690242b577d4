// Domain: the charm's config, parsed once per hook from `config-get` into a typed value. Each rejection names the
// option and what to set instead, because it becomes the unit's `blocked` status verbatim.

import { z } from 'zod';
import { FLAG_OPTIONS, type OperatorFlag, optionFlag, optionProblem, parseExtraEnv } from './concourse-options';
import { InvalidInputError } from './errors';
import { ConcourseVersion } from './version';
import { BAGGAGECLAIM_DRIVERS, type WorkerDefaultsChoice } from './worker-defaults';

export const MODES = ['auto', 'all', 'web', 'worker'] as const;
export type Mode = (typeof MODES)[number];
export const SHARED_STORAGE = ['auto', 'required', 'none'] as const;
export type SharedStorageMode = (typeof SHARED_STORAGE)[number];
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error'] as const;
export type CharmLogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_DOWNLOAD_URL =
  'https://github.com/concourse/concourse/releases/download/v{version}/concourse-{version}-linux-{arch}.tgz';

const oneOf = <T extends readonly [string, ...string[]]>(option: string, values: T) =>
  z.enum(values, { error: () => `${option} must be one of ${values.join(', ')}` });

const wholeNumber = (option: string, min: number, max: number) =>
  z
    .number({ error: () => `${option} must be a number` })
    .int({ error: () => `${option} must be a whole number` })
    .min(min, { error: () => `${option} must be between ${min} and ${max}` })
    .max(max, { error: () => `${option} must be between ${min} and ${max}` });

const httpUrl = (option: string, allowTemplate: boolean) =>
  z.string().refine(
    (s) => {
      if (s === '') return true;
      const probe = allowTemplate ? s.replaceAll('{version}', '1.0.0').replaceAll('{arch}', 'amd64') : s;
      if (/[\s"'`$\\]/.test(probe)) return false;
      try {
        const u = new URL(probe);
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
      } catch {
        return false;
      }
    },
    { error: () => `${option} must be an http:// or https:// URL` },
  );

const schema = z.object({
  mode: oneOf('mode', MODES).default('auto'),
  version: z
    .string()
    .default('')
    .refine((s) => s.trim() === '' || ConcourseVersion.isValid(s.trim().replace(/^v(?=\d)/, '')), {
      error: () => 'version must be a release number such as 7.14.2, or empty for the latest release',
    }),
  'web-port': wholeNumber('web-port', 1, 65535).default(8080),
  'external-url': httpUrl('external-url', false).default(''),
  'download-url': httpUrl('download-url', true).default(''),
  'shared-storage': oneOf('shared-storage', SHARED_STORAGE).default('auto'),
  'storage-wait-timeout': wholeNumber('storage-wait-timeout', 0, 86_400).default(300),
  'keep-releases': wholeNumber('keep-releases', 1, 100).default(2),
  'worker-work-dir': z
    .string()
    .default('')
    .refine((s) => s === '' || (/^\/[A-Za-z0-9._/-]*$/.test(s) && !s.split('/').includes('..')), {
      error: () => 'worker-work-dir must be an absolute path without ".." (or empty for the default)',
    }),
  'log-level': oneOf('log-level', LOG_LEVELS).default('info'),
  'initial-admin-username': z
    .string()
    .default('admin')
    .refine((s) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s), {
      error: () => 'initial-admin-username must be 1-64 letters, digits, ".", "_" or "-"',
    }),
  'github-token': z.string().default(''),
  'tsa-port': wholeNumber('tsa-port', 1, 65535).default(2222),
  'enable-metrics': z.boolean({ error: () => 'enable-metrics must be true or false' }).default(false),
  'metrics-port': wholeNumber('metrics-port', 1, 65535).default(9391),
  'worker-drain-timeout': wholeNumber('worker-drain-timeout', 0, 86_400).default(300),
  'tls-redirect-http-port': wholeNumber('tls-redirect-http-port', 0, 65535).default(0),
  'web-extra-env': z.string().default(''),
  'worker-extra-env': z.string().default(''),
  'baggageclaim-driver': z
    .enum(['', 'auto', ...BAGGAGECLAIM_DRIVERS], {
      error: () => `baggageclaim-driver must be one of auto, ${BAGGAGECLAIM_DRIVERS.join(', ')}`,
    })
    .default('auto'),
  'containerd-dns-server': z
    .string({ error: () => 'containerd-dns-server must be text' })
    .default('auto')
    .transform((s) => (s.trim() === '' || s.trim() === 'auto' ? 'auto' : s.split(',').map((x) => x.trim())))
    .refine((v) => v === 'auto' || v.every((ip) => z.ipv4().safeParse(ip).success || z.ipv6().safeParse(ip).success), {
      error: () => 'containerd-dns-server must be auto or comma-separated IP addresses such as 1.1.1.1,8.8.8.8',
    }),
  ...Object.fromEntries(FLAG_OPTIONS.map((o) => [o.option, flagOptionSchema(o.option, o.type)])),
});

function flagOptionSchema(option: string, type: 'string' | 'int' | 'boolean') {
  switch (type) {
    case 'string':
      return z.string({ error: () => `${option} must be text` }).default('');
    case 'int':
      return wholeNumber(option, 0, Number.MAX_SAFE_INTEGER).default(0);
    case 'boolean':
      return z.boolean({ error: () => `${option} must be true or false` }).default(false);
  }
}

export interface CharmConfig {
  readonly mode: Mode;
  /** Undefined: follow the latest release (resolved once by the leader, then pinned). */
  readonly version: ConcourseVersion | undefined;
  readonly webPort: number;
  readonly externalUrl: string | undefined;
  /** Template with `{version}` and `{arch}`. */
  readonly downloadUrl: string;
  readonly sharedStorage: SharedStorageMode;
  readonly storageWaitTimeoutMs: number;
  readonly keepReleases: number;
  readonly workerWorkDir: string | undefined;
  readonly logLevel: CharmLogLevel;
  readonly initialAdminUsername: string;
  readonly githubToken: string | undefined;
  readonly tsaPort: number;
  /** The web's Prometheus endpoint port, when enable-metrics is on. */
  readonly metricsPort: number | undefined;
  readonly workerDrainTimeoutMs: number;
  /** With a certificate: the port whose plain HTTP redirects browsers to HTTPS (opened); 0: none. */
  readonly tlsRedirectHttpPort: number;
  /** The operator's settings for `concourse web` (options, then web-extra-env), checked against the release later. */
  readonly webFlags: readonly OperatorFlag[];
  readonly workerFlags: readonly OperatorFlag[];
  /** What the operator says about the settings the charm otherwise chooses from the machine (worker-defaults.ts). */
  readonly workerDefaults: WorkerDefaultsChoice;
}

/** Parses `config-get` output; throws InvalidInputError listing every invalid option. */
export function parseCharmConfig(raw: Readonly<Record<string, unknown>>): CharmConfig {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const reasons = [...new Set(result.error.issues.map((issue) => issue.message))];
    throw new InvalidInputError(`Invalid config: ${reasons.join('; ')}`);
  }
  const c = result.data;
  const values = c as unknown as Readonly<Record<string, string | number | boolean>>;
  const flags = { web: [] as OperatorFlag[], worker: [] as OperatorFlag[] };
  const problems: string[] = [];
  for (const option of FLAG_OPTIONS) {
    const flag = optionFlag(option, values[option.option] ?? '');
    if (flag === undefined) continue;
    const problem = optionProblem(flag, option.command);
    if (problem === undefined) flags[option.command].push(flag);
    else problems.push(problem);
  }
  for (const command of ['web', 'worker'] as const) {
    const extra = parseExtraEnv(`${command}-extra-env`, c[`${command}-extra-env`]);
    flags[command].push(...extra.flags);
    problems.push(...extra.problems);
  }
  if (c['enable-metrics'] && c['metrics-port'] === c['web-port'])
    problems.push('metrics-port must differ from web-port');
  if (c['tsa-port'] === c['web-port']) problems.push('tsa-port must differ from web-port');
  if (problems.length > 0) throw new InvalidInputError(`Invalid config: ${problems.join('; ')}`);
  const version = c.version.trim();
  return {
    mode: c.mode,
    version: version === '' ? undefined : ConcourseVersion.parse(version),
    webPort: c['web-port'],
    externalUrl: c['external-url'] === '' ? undefined : c['external-url'],
    downloadUrl: c['download-url'] === '' ? DEFAULT_DOWNLOAD_URL : c['download-url'],
    sharedStorage: c['shared-storage'],
    storageWaitTimeoutMs: c['storage-wait-timeout'] * 1000,
    keepReleases: c['keep-releases'],
    workerWorkDir: c['worker-work-dir'] === '' ? undefined : c['worker-work-dir'],
    logLevel: c['log-level'],
    initialAdminUsername: c['initial-admin-username'],
    githubToken: c['github-token'] === '' ? undefined : c['github-token'],
    tsaPort: c['tsa-port'],
    metricsPort: c['enable-metrics'] ? c['metrics-port'] : undefined,
    workerDrainTimeoutMs: c['worker-drain-timeout'] * 1000,
    tlsRedirectHttpPort: c['tls-redirect-http-port'],
    webFlags: flags.web,
    workerFlags: flags.worker,
    workerDefaults: {
      driver: c['baggageclaim-driver'] === '' ? 'auto' : c['baggageclaim-driver'],
      dnsServers: c['containerd-dns-server'],
      dnsProxy: values['containerd-dns-proxy-enable'] === true,
      extraEnvKeys: flags.worker.filter((f) => f.from === 'worker-extra-env').map((f) => f.key),
    },
  };
}

/** The download URL for one version and architecture, from the operator's template. */
export function releaseUrl(template: string, version: ConcourseVersion, arch: string): string {
  return template.replaceAll('{version}', version.toString()).replaceAll('{arch}', arch);
}

/** worker-drain-timeout alone, for hooks that must work with otherwise invalid config (unit removal); default 300 s. */
export function drainTimeoutMs(raw: Readonly<Record<string, unknown>>): number {
  const parsed = schema.shape['worker-drain-timeout'].safeParse(raw['worker-drain-timeout']);
  return (parsed.success ? parsed.data : 300) * 1000;
}
