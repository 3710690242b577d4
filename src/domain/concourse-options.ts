// Domain: the operator's Concourse settings: the options that map one-to-one to a `concourse web`/`worker` flag,
// the `web-extra-env`/`worker-extra-env` escape hatch, and the check that merges them with what the charm sets.
// Names follow the other Concourse machine charm where the meaning matches, so a moved configuration keeps working.

import {
  type ConcourseCommand,
  FLAG_TABLE_RELEASES,
  flagTable,
  flagTableFor,
  flagValueProblem,
} from './concourse-flags';
import { ServiceConfigProblem } from './service-values';
import type { ConcourseVersion } from './version';

export interface FlagOption {
  readonly option: string;
  readonly command: ConcourseCommand;
  readonly env: string;
  /** The config type: an unset value (empty string, 0, false) leaves Concourse's default. */
  readonly type: 'string' | 'int' | 'boolean';
}

/**
 * The options that are a Concourse flag and nothing more; their values are checked as the flag's type.
 * `baggageclaim-driver` and `containerd-dns-server` are not here: their default is chosen from the machine
 * (worker-defaults.ts).
 */
export const FLAG_OPTIONS: readonly FlagOption[] = [
  { option: 'tag', command: 'worker', env: 'CONCOURSE_TAG', type: 'string' },
  { option: 'worker-team', command: 'worker', env: 'CONCOURSE_TEAM', type: 'string' },
  {
    option: 'containerd-dns-proxy-enable',
    command: 'worker',
    env: 'CONCOURSE_CONTAINERD_DNS_PROXY_ENABLE',
    type: 'boolean',
  },
  { option: 'containerd-max-containers', command: 'worker', env: 'CONCOURSE_CONTAINERD_MAX_CONTAINERS', type: 'int' },
  {
    option: 'container-placement-strategy',
    command: 'web',
    env: 'CONCOURSE_CONTAINER_PLACEMENT_STRATEGY',
    type: 'string',
  },
  {
    option: 'default-build-logs-to-retain',
    command: 'web',
    env: 'CONCOURSE_DEFAULT_BUILD_LOGS_TO_RETAIN',
    type: 'int',
  },
  { option: 'max-build-logs-to-retain', command: 'web', env: 'CONCOURSE_MAX_BUILD_LOGS_TO_RETAIN', type: 'int' },
  {
    option: 'default-days-to-retain-build-logs',
    command: 'web',
    env: 'CONCOURSE_DEFAULT_DAYS_TO_RETAIN_BUILD_LOGS',
    type: 'int',
  },
  {
    option: 'max-days-to-retain-build-logs',
    command: 'web',
    env: 'CONCOURSE_MAX_DAYS_TO_RETAIN_BUILD_LOGS',
    type: 'int',
  },
  { option: 'gc-failed-grace-period', command: 'web', env: 'CONCOURSE_GC_FAILED_GRACE_PERIOD', type: 'string' },
  { option: 'enable-global-resources', command: 'web', env: 'CONCOURSE_ENABLE_GLOBAL_RESOURCES', type: 'boolean' },
];

/** One setting the operator asked for, with where it came from (an option name, or `web-extra-env`). */
export interface OperatorFlag {
  readonly key: string;
  readonly value: string;
  readonly from: string;
}

/** The value an option gives its flag, or undefined when unset (Concourse's default applies). */
export function optionFlag(option: FlagOption, raw: string | number | boolean): OperatorFlag | undefined {
  if (raw === '' || raw === 0 || raw === false) return undefined;
  const value =
    typeof raw === 'string'
      ? raw
          .split(',')
          .map((s) => s.trim())
          .join(',')
      : String(raw);
  return { key: option.env, value, from: option.option };
}

/**
 * Why an option's value is unusable, checked against the oldest known table (the options' flags have the same type
 * in every release), or undefined.
 */
export function optionProblem(flag: OperatorFlag, command: ConcourseCommand): string | undefined {
  const spec = flagTable(FLAG_TABLE_RELEASES[0] ?? '').spec(command, flag.key);
  if (spec === undefined) return `${flag.from} has no flag in concourse ${command}`;
  const problem = flagValueProblem(spec, flag.value);
  return problem === undefined ? undefined : `${flag.from} ${problem}`;
}

const EXTRA_KEY = /^(?:CONCOURSE_[A-Z0-9_]+|http_proxy|https_proxy|no_proxy)$/;

/**
 * `web-extra-env`/`worker-extra-env`: one `CONCOURSE_X=value` a line; blank lines and `#` comments are skipped.
 * Returns the settings, or the reasons the text is unusable (each naming the option and the line).
 */
export function parseExtraEnv(
  option: string,
  text: string,
): { readonly flags: readonly OperatorFlag[]; readonly problems: readonly string[] } {
  const flags: OperatorFlag[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq).trim();
    if (eq < 0 || !EXTRA_KEY.test(key)) {
      problems.push(`${option} line ${index + 1} must be CONCOURSE_NAME=value`);
      continue;
    }
    if (seen.has(key)) {
      problems.push(`${option} sets ${key} twice`);
      continue;
    }
    seen.add(key);
    flags.push({ key, value: line.slice(eq + 1).trim(), from: option });
  }
  return { flags, problems };
}

/**
 * The env of one service: what the charm sets, then the operator's settings, each checked against the flags of the
 * release the service runs. A charm entry missing from the table is a bug in the charm (thrown as such); an
 * operator's setting that the release would refuse or that the charm owns is `blocked`, naming the key.
 */
export function mergeFlags(
  command: ConcourseCommand,
  version: ConcourseVersion,
  charm: readonly (readonly [string, string])[],
  operator: readonly OperatorFlag[],
): readonly (readonly [string, string])[] {
  const table = flagTableFor(version);
  const release = `concourse ${command} ${table.release.split('.')[0]}.x`;
  for (const [key] of charm) {
    if (!table.has(command, key)) throw new RangeError(`the charm writes ${key}, which ${release} does not read`);
  }
  const owned = new Set(charm.map(([key]) => key));
  const given = new Map<string, string>();
  const blocked = (reason: string) => new ServiceConfigProblem('blocked', `${reason}: fix the option`);
  for (const flag of operator) {
    if (flag.key === 'CONCOURSE_VERSION') {
      throw blocked(`${flag.from}: CONCOURSE_VERSION makes every concourse command fail`);
    }
    if (owned.has(flag.key)) throw blocked(`${flag.from}: ${flag.key} is set by the charm`);
    const other = given.get(flag.key);
    if (other !== undefined) throw blocked(`${flag.from}: ${flag.key} is also set by ${other}`);
    if (command === 'worker' && flag.key.startsWith('CONCOURSE_GARDEN_')) {
      throw blocked(`${flag.from}: ${flag.key} is a Guardian setting and the worker runs containerd`);
    }
    const spec = table.spec(command, flag.key);
    if (spec === undefined) throw blocked(`${flag.from}: ${flag.key} is not a flag of ${release}`);
    const problem = flagValueProblem(spec, flag.value);
    if (problem !== undefined) throw blocked(`${flag.from}: ${flag.key} ${problem}`);
    given.set(flag.key, flag.from);
  }
  return [...charm, ...operator.map((f) => [f.key, f.value] as const)];
}

/**
 * Concourse serves Prometheus metrics only when both are set (release-layout.md section 8); on the web only. Error
 * logs are counted (concourse_error_logs, which the shipped ConcourseErrorsLogged alert reads) only with
 * --capture-error-metrics.
 */
export function prometheusEnv(port: number | undefined): readonly (readonly [string, string])[] {
  return port === undefined
    ? []
    : [
        ['CONCOURSE_PROMETHEUS_BIND_IP', '0.0.0.0'],
        ['CONCOURSE_PROMETHEUS_BIND_PORT', String(port)],
        ['CONCOURSE_CAPTURE_ERROR_METRICS', 'true'],
      ];
}
