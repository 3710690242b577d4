// Simulator: what a charm declares (metadata.yaml, config.yaml, actions.yaml), read once per deploy, and the
// checks Juju makes against it: unknown config options, config types, action names and parameters.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type ConfigValue, type Endpoint, parseSecretId } from './model-state';

export class SimError extends Error {
  override name = 'SimError';
}

const RelationSpecSchema = z.object({ interface: z.string(), limit: z.number().int().optional() });
const MetadataSchema = z.object({
  name: z.string(),
  peers: z.record(z.string(), RelationSpecSchema).nullish(),
  provides: z.record(z.string(), RelationSpecSchema).nullish(),
  requires: z.record(z.string(), RelationSpecSchema).nullish(),
  'extra-bindings': z.record(z.string(), z.unknown()).nullish(),
  storage: z
    .record(
      z.string(),
      z.object({
        type: z.string(),
        location: z.string().optional(),
        description: z.string().optional(),
        'minimum-size': z.string().optional(),
        multiple: z.object({ range: z.string() }).optional(),
      }),
    )
    .nullish(),
  resources: z
    .record(
      z.string(),
      z.object({ type: z.string(), filename: z.string().optional(), description: z.string().optional() }),
    )
    .nullish(),
});

const OptionTypeSchema = z.enum(['string', 'int', 'float', 'boolean', 'secret']);
type OptionType = z.infer<typeof OptionTypeSchema>;
const ConfigSchema = z.object({
  options: z
    .record(
      z.string(),
      z.object({
        type: OptionTypeSchema,
        default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
        description: z.string().optional(),
      }),
    )
    .nullish(),
});

const ParamSchema = z.object({
  type: z.enum(['string', 'integer', 'number', 'boolean', 'array', 'object']).optional(),
  default: z.unknown().optional(),
  description: z.string().optional(),
  enum: z.array(z.unknown()).optional(),
});
const ActionsSchema = z
  .record(
    z.string(),
    z
      .object({
        description: z.string().optional(),
        params: z.record(z.string(), ParamSchema).nullish(),
        required: z.array(z.string()).nullish(),
        additionalProperties: z.boolean().optional(),
      })
      .nullish(),
  )
  .nullish();

export type ActionParam = z.infer<typeof ParamSchema>;

export interface ActionSpec {
  readonly params: Readonly<Record<string, ActionParam>>;
  readonly required: readonly string[];
  readonly additionalProperties: boolean;
}

export interface CharmEndpoint extends Endpoint {
  readonly limit: number | undefined;
}

export interface StorageSpec {
  readonly kind: string;
  readonly location: string;
  /** Instances Juju creates with no `--storage` (the range's minimum: 1 without `multiple`). */
  readonly minCount: number;
  readonly maxCount: number;
}

/**
 * `multiple: range:` as Juju parses it (`n`, `n-m`, `n-`, `n+`); no `multiple` means exactly one instance.
 * juju/juju internal/charm/meta.go (parseStorageMultiple).
 */
export function parseStorageRange(range: string | undefined): { minCount: number; maxCount: number } {
  if (range === undefined) return { minCount: 1, maxCount: 1 };
  const m = /^(\d+)(?:(-)(\d*)|(\+))?$/.exec(range.trim());
  if (m === null) throw new SimError(`invalid storage range "${range}"`);
  const min = Number(m[1]);
  const max =
    m[4] !== undefined || (m[2] !== undefined && m[3] === '')
      ? Number.POSITIVE_INFINITY
      : m[3] !== undefined
        ? Number(m[3])
        : min;
  if (max < min) throw new SimError(`invalid storage range "${range}": maximum below minimum`);
  return { minCount: min, maxCount: max };
}

export interface CharmSpec {
  readonly name: string;
  readonly endpoints: Readonly<Record<string, CharmEndpoint>>;
  /** Bindings network-get knows: every endpoint plus extra-bindings. */
  readonly bindings: readonly string[];
  readonly storage: Readonly<Record<string, StorageSpec>>;
  readonly resources: Readonly<Record<string, { readonly filename: string }>>;
  readonly options: Readonly<Record<string, { readonly type: OptionType; readonly default: ConfigValue }>>;
  readonly actions: Readonly<Record<string, ActionSpec>>;
}

async function readYaml(path: string): Promise<unknown> {
  try {
    return parseYaml(await readFile(path, 'utf8'));
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Reads the three files Juju reads from an unpacked charm. */
export async function loadCharmSpec(charmDir: string): Promise<CharmSpec> {
  const meta = MetadataSchema.parse(await readYaml(join(charmDir, 'metadata.yaml')));
  const config = ConfigSchema.parse((await readYaml(join(charmDir, 'config.yaml'))) ?? {});
  const actions = ActionsSchema.parse(await readYaml(join(charmDir, 'actions.yaml'))) ?? {};
  const endpoints: Record<string, CharmEndpoint> = {};
  const roles = [
    ['peers', meta.peers],
    ['provides', meta.provides],
    ['requires', meta.requires],
  ] as const;
  for (const [role, specs] of roles) {
    for (const [name, spec] of Object.entries(specs ?? {})) {
      endpoints[name] = { interface: spec.interface, role, limit: spec.limit };
    }
  }
  const storage: Record<string, StorageSpec> = {};
  for (const [name, s] of Object.entries(meta.storage ?? {})) {
    storage[name] = {
      kind: s.type,
      location: s.location ?? `/var/lib/juju/storage/${name}/0`,
      ...parseStorageRange(s.multiple?.range),
    };
  }
  const resources: Record<string, { filename: string }> = {};
  for (const [name, r] of Object.entries(meta.resources ?? {})) resources[name] = { filename: r.filename ?? name };
  const options: Record<string, { type: OptionType; default: ConfigValue }> = {};
  for (const [name, o] of Object.entries(config.options ?? {})) {
    options[name] = { type: o.type, default: o.default ?? null };
  }
  const actionSpecs: Record<string, ActionSpec> = {};
  for (const [name, a] of Object.entries(actions)) {
    actionSpecs[name] = {
      params: a?.params ?? {},
      required: a?.required ?? [],
      // Juju's default for actions.yaml is to allow parameters not declared.
      additionalProperties: a?.additionalProperties ?? true,
    };
  }
  return {
    name: meta.name,
    endpoints,
    bindings: [...Object.keys(endpoints), ...Object.keys(meta['extra-bindings'] ?? {})],
    storage,
    resources,
    options,
    actions: actionSpecs,
  };
}

export function defaultConfig(spec: CharmSpec): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  for (const [k, o] of Object.entries(spec.options)) out[k] = o.default;
  return out;
}

/** Checks one `juju config` value against config.yaml and returns it typed, or throws Juju's complaint. */
export function coerceConfigValue(spec: CharmSpec, key: string, value: string | number | boolean): ConfigValue {
  const option = spec.options[key];
  if (option === undefined) throw new SimError(`unknown option "${key}"`);
  const bad = () => new SimError(`option "${key}" expected ${option.type}, got ${JSON.stringify(value)}`);
  switch (option.type) {
    case 'string':
      return String(value);
    case 'secret': {
      // `juju config` takes the string as is, then checks it parses as a secret URI (`secret:<id>`, the bare id, or
      // `secret://<uuid>/<id>`); the secret need not exist nor be granted yet (juju/juju
      // apiserver/facades/client/application/application.go validateSecretConfig, core/secrets ParseURI;
      // internal/charm/config.go secretC). Empty resets the option.
      const text = String(value);
      if (text !== '' && (typeof value !== 'string' || parseSecretId(text) === undefined)) {
        throw new SimError(`invalid secret URI for option "${key}": secret URI "${text}" not valid`);
      }
      return text;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw bad();
    case 'int': {
      const n = typeof value === 'number' ? value : /^-?\d+$/.test(value.toString()) ? Number(value) : Number.NaN;
      if (!Number.isInteger(n)) throw bad();
      return n;
    }
    case 'float': {
      const n = typeof value === 'number' ? value : Number(value);
      if (typeof value === 'boolean' || !Number.isFinite(n) || String(value).trim() === '') throw bad();
      return n;
    }
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Validates `juju run` parameters against actions.yaml and fills in defaults, with Juju's schema messages. */
export function validateActionParams(
  spec: CharmSpec,
  unit: string,
  action: string,
  params: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const a = spec.actions[action];
  if (a === undefined) throw new SimError(`action "${action}" not defined on unit "${unit}"`);
  const given = JSON.stringify(params);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    const p = a.params[name];
    if (p === undefined) {
      if (!a.additionalProperties) problems.push(`(root) : additional property "${name}" is not allowed`);
      continue;
    }
    const actual = jsonType(value);
    const ok = p.type === undefined || actual === p.type || (p.type === 'number' && actual === 'integer');
    if (!ok) problems.push(`(root).${name} : invalid type. Expected: ${p.type}, given: ${actual}`);
    else if (p.enum !== undefined && !p.enum.includes(value)) {
      problems.push(
        `(root).${name} : ${name} must be one of the following: ${p.enum.map((e) => JSON.stringify(e)).join(', ')}`,
      );
    }
  }
  for (const name of a.required) {
    if (!(name in params)) problems.push(`(root) : ${JSON.stringify(name)} property is missing and required`);
  }
  if (problems.length > 0) throw new SimError(`validation failed: ${problems.join('; ')}, given ${given}`);
  const out: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(a.params)) if (p.default !== undefined) out[name] = p.default;
  return { ...out, ...params };
}
