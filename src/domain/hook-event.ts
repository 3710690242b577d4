// Domain: which event this process handles, parsed from the environment Juju gives `dispatch`
// (JUJU_DISPATCH_PATH, JUJU_UNIT_NAME, JUJU_RELATION_ID...). Pure: the caller passes the environment in.

import { InvalidInputError } from './errors';
import { nonEmpty } from './text';

export type HookEvent =
  | { readonly kind: 'hook'; readonly name: string }
  | { readonly kind: 'action'; readonly name: string };

export interface RelationContext {
  readonly endpoint: string;
  readonly id: string;
  readonly remoteUnit: string | undefined;
  readonly remoteApp: string | undefined;
}

export interface UnitName {
  readonly app: string;
  readonly number: number;
  /** `concourse-ci/0` */
  readonly name: string;
  /** `concourse-ci-0`: safe as one path component. */
  readonly dirName: string;
}

export interface HookContext {
  readonly event: HookEvent;
  readonly unit: UnitName;
  readonly relation: RelationContext | undefined;
  readonly storageId: string | undefined;
  readonly secretId: string | undefined;
  readonly charmDir: string;
  readonly modelName: string;
  /** JUJU_MODEL_UUID: part of the Juju topology labels metrics and alert rules carry. */
  readonly modelUuid: string;
  readonly proxy: { readonly http?: string; readonly https?: string; readonly noProxy?: string };
}

const UNIT_PATTERN = /^([a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)\/(0|[1-9]\d{0,8})$/;

/** Parses a Juju unit name; the app part follows Juju's naming rule, so it can never hold `/`, `.` or spaces. */
export function parseUnitName(input: string): UnitName {
  const m = UNIT_PATTERN.exec(input);
  if (m === null || m[1] === undefined || m[2] === undefined) {
    throw new InvalidInputError(`Invalid unit name ${JSON.stringify(input)}`);
  }
  return { app: m[1], number: Number(m[2]), name: input, dirName: `${m[1]}-${m[2]}` };
}

export function parseHookContext(env: Readonly<Record<string, string | undefined>>): HookContext {
  const dispatchPath = env.JUJU_DISPATCH_PATH ?? '';
  const m = /^(hooks|actions)\/([a-z0-9][a-z0-9-]*)$/.exec(dispatchPath);
  if (m === null || m[1] === undefined || m[2] === undefined) {
    throw new Error(`JUJU_DISPATCH_PATH ${JSON.stringify(dispatchPath)} is not a hook or an action`);
  }
  const unitName = env.JUJU_UNIT_NAME;
  if (unitName === undefined) throw new Error('JUJU_UNIT_NAME is not set: dispatch must be run by Juju');
  const relationId = nonEmpty(env.JUJU_RELATION_ID);
  const endpoint = nonEmpty(env.JUJU_RELATION);
  return {
    event: { kind: m[1] === 'hooks' ? 'hook' : 'action', name: m[2] },
    unit: parseUnitName(unitName),
    relation:
      relationId !== undefined && endpoint !== undefined
        ? {
            endpoint,
            id: relationId,
            remoteUnit: nonEmpty(env.JUJU_REMOTE_UNIT),
            remoteApp: nonEmpty(env.JUJU_REMOTE_APP),
          }
        : undefined,
    storageId: nonEmpty(env.JUJU_STORAGE_ID),
    secretId: nonEmpty(env.JUJU_SECRET_ID),
    charmDir: nonEmpty(env.JUJU_CHARM_DIR) ?? '.',
    modelName: nonEmpty(env.JUJU_MODEL_NAME) ?? '',
    modelUuid: nonEmpty(env.JUJU_MODEL_UUID) ?? '',
    proxy: {
      http: firstSet(env, PROXY_VARIABLES.http),
      https: firstSet(env, PROXY_VARIABLES.https),
      noProxy: firstSet(env, PROXY_VARIABLES.noProxy),
    },
  };
}

/**
 * Where Juju 3.6 puts each proxy setting, best first. The `juju-*-proxy` model settings arrive as JUJU_CHARM_*; the
 * legacy `http-proxy`/`https-proxy`/`no-proxy` model settings arrive instead as the conventional lower- and
 * upper-case variables (lower-case first: curl and most tools read it before the upper-case one).
 */
const PROXY_VARIABLES = {
  http: ['JUJU_CHARM_HTTP_PROXY', 'http_proxy', 'HTTP_PROXY'],
  https: ['JUJU_CHARM_HTTPS_PROXY', 'https_proxy', 'HTTPS_PROXY'],
  noProxy: ['JUJU_CHARM_NO_PROXY', 'no_proxy', 'NO_PROXY'],
} as const;

/** The first of `names` set to a non-empty value: an empty variable means "unset", not "no proxy". */
function firstSet(env: Readonly<Record<string, string | undefined>>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = nonEmpty(env[name]);
    if (value !== undefined) return value;
  }
  return undefined;
}
