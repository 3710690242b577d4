// Fake hook tools: resource-get (copies the attached file into the unit's agent dir, as Juju downloads it there)
// and state-get/state-set/state-delete (per-unit charm state kept by the controller, buffered until success).

import { copyFileSync, mkdirSync, readFileSync, renameSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { applyBagUpdate, type Bag, type Change } from '../model-state';
import { boolFlag, parseArgs, parseKeyValues, readSettingsFile, stringFlag } from './args';
import type { HookContext } from './hook-context';
import { FORMAT_FLAG, outputFormat, render } from './output';
import { ToolError, usageError } from './tool-error';
import type { ToolIO } from './tool-io';

export function resourceGet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, []);
  const [name, ...rest] = args.positional;
  if (name === undefined) throw usageError('missing required resource name');
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  const { unit, app, modelUuid } = ctx.snapshot;
  const resource = ctx.snapshot.resources[name];
  const agent = `unit-${unit.replace('/', '-')}`;
  // A controller fault (SimModel.failResource) is read live, not from the snapshot: an outage starts whenever it
  // starts, mid-hook included, and it comes before the controller could say whether anything is attached.
  const fault = resourceFault(ctx.env.JUJU_SIM_ROOT, app, name);
  if (fault !== undefined) throw new ToolError(fault);
  // Juju's text for nothing attached: the jujuc command annotates "could not download resource"
  // (internal/worker/uniter/runner/jujuc/resource-get.go), the agent's HTTP client "HTTP request failed: Get <url>",
  // and the controller's store answers errors.NotFoundf(id) for the doc id `resource#<app>/<name>`
  // (state/resources.go: resourcePersistence.one, applicationResourceID).
  if (resource?.hostPath === null || resource === undefined) {
    throw new ToolError(
      `could not download resource: HTTP request failed: Get https://127.0.0.1:17070/model/${modelUuid}/units/${agent}/resources/${name}: resource#${app}/${name} not found`,
    );
  }
  const target = join('/var/lib/juju/agents', agent, 'resources', name, resource.filename);
  // The resource's hostPath is in the sim root, seen alike by the driver and every unit; the target is the unit's.
  const source = statSync(resource.hostPath);
  let current: { size: number; mtimeMs: number } | undefined;
  try {
    current = statSync(io.callerPath(target));
  } catch {
    current = undefined;
  }
  if (current === undefined || current.size !== source.size || current.mtimeMs !== source.mtimeMs) {
    mkdirSync(io.callerPath(dirname(target)), { recursive: true });
    const tmp = `${target}.download`;
    copyFileSync(resource.hostPath, io.callerPath(tmp));
    utimesSync(io.callerPath(tmp), source.atime, source.mtime);
    renameSync(io.callerPath(tmp, 'nofollow'), io.callerPath(target, 'nofollow'));
  }
  // Juju prints the path with no newline.
  io.out(target);
}

/**
 * Where the driver records a controller fault for one resource (`SimModel.failResource`): the message resource-get
 * prints after `ERROR `. Beside the resource's directory, so it never collides with the attached file's name.
 */
export function resourceFaultPath(simRoot: string, app: string, name: string): string {
  return join(simRoot, 'resources', app, `${name}.fault`);
}

function resourceFault(simRoot: string | undefined, app: string, name: string): string | undefined {
  if (simRoot === undefined || simRoot === '') return undefined;
  try {
    return readFileSync(resourceFaultPath(simRoot, app, name), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function stateGet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [{ names: ['strict'], type: 'bool' }, FORMAT_FLAG]);
  const format = outputFormat(args);
  const [rawKey, ...rest] = args.positional;
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  const key = rawKey === '-' ? undefined : rawKey;
  const state = ctx.unitState();
  if (key === undefined) {
    io.out(render(state, format));
    return;
  }
  const value = state[key];
  if (value === undefined && boolFlag(args, 'strict')) throw new ToolError(`"${key}" not found`);
  // Juju prints the empty string for a missing key (without --strict).
  io.out(render(value ?? '', format));
}

export function stateSet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [{ names: ['file'], type: 'string' }]);
  const file = stringFlag(args, 'file');
  const data = { ...(file === undefined ? {} : readSettingsFile(file, io)), ...parseKeyValues(args.positional) };
  // Juju refuses an oversized key or value at once, in the hook (SetCharmStateValue in
  // internal/worker/uniter/runner/context/context.go calls quota.CheckTupleSize). It sets the pairs one by one in Go
  // map order, so which of the other pairs stayed in the hook's cache is unspecified; here none does.
  for (const [key, value] of Object.entries(data)) {
    const refused = tupleSizeError(key, value);
    if (refused !== undefined) throw new ToolError(refused);
  }
  ctx.addChange({ op: 'state-set', data });
}

export function stateDelete(ctx: HookContext, argv: readonly string[]): void {
  const args = parseArgs(argv, []);
  const [key, ...rest] = args.positional;
  if (key === undefined) throw usageError('no key specified');
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  ctx.addChange({ op: 'state-delete', key });
}

// Charm-state quotas, as Juju 3.6 enforces them. Fixed per entry (core/quota/fixed_limits.go:
// MaxCharmStateKeySize, MaxCharmStateValueSize); the total per unit is the controller's `max-charm-state-size`
// (controller/config.go: a controller config key, DefaultMaxCharmStateSize 2 MiB).
export const MAX_CHARM_STATE_KEY_SIZE = 256;
export const MAX_CHARM_STATE_VALUE_SIZE = 64 * 1024;
export const DEFAULT_MAX_CHARM_STATE_SIZE = 2 * 1024 * 1024;

/** quota.CheckTupleSize (core/quota/kv.go): a string's size is its length in bytes; a limit is exceeded when above. */
function tupleSizeError(key: string, value: string): string | undefined {
  if (Buffer.byteLength(key, 'utf8') > MAX_CHARM_STATE_KEY_SIZE) {
    return `max allowed key length (${MAX_CHARM_STATE_KEY_SIZE}) exceeded`;
  }
  if (Buffer.byteLength(value, 'utf8') > MAX_CHARM_STATE_VALUE_SIZE) {
    return `max allowed value length (${MAX_CHARM_STATE_VALUE_SIZE}) exceeded`;
  }
  return undefined;
}

/**
 * Why the controller refuses to commit a hook's charm-state changes on top of `current`, or undefined. Juju checks
 * when the uniter flushes the hook context (CommitHookChanges, one transaction with the relation settings, ports
 * and secrets), in state/unitstate.go (unitSetStateOperation: getCharmStateQuotaChecker = a MultiChecker of
 * MapKeyValueSizeChecker and BSONTotalSizeChecker, core/quota/multichecker.go, bson.go), on the keys escaped for
 * MongoDB (mongo/utils EscapeKey: `.` and `$` become the 3-byte U+FF0E and U+FF04), and only when the state changed
 * (an unchanged or emptied map is not checked). The message is Juju's, annotated "persisting charm state".
 */
export function charmStateCommitError(
  current: Bag,
  changes: readonly Change[],
  maxTotalBytes: number,
): string | undefined {
  if (!changes.some((c) => c.op === 'state-set' || c.op === 'state-delete')) return undefined;
  const next: Bag = { ...current };
  for (const c of changes) {
    if (c.op === 'state-set') applyBagUpdate(next, c.data);
    if (c.op === 'state-delete') delete next[c.key];
  }
  const entries = Object.entries(next);
  if (entries.length === 0 || sameBag(current, next)) return undefined;
  const escaped = entries.map(([k, v]) => [k.replaceAll('.', '\uff0e').replaceAll('$', '\uff04'), v] as const);
  for (const [k, v] of escaped) {
    const refused = tupleSizeError(k, v);
    if (refused !== undefined) return `persisting charm state: ${refused}`;
  }
  if (maxTotalBytes > 0 && bsonDocumentBytes(escaped) > maxTotalBytes) {
    return `persisting charm state: max allowed size (${maxTotalBytes}) exceeded`;
  }
  return undefined;
}

/**
 * The BSON encoding's size of a string-to-string document, which BSONTotalSizeChecker measures: int32 length and a
 * trailing NUL, then per element a type byte, the key as a C string, an int32 length, the value and its NUL.
 */
export function bsonDocumentBytes(entries: ReadonlyArray<readonly [string, string]>): number {
  let bytes = 5;
  for (const [k, v] of entries) bytes += 1 + Buffer.byteLength(k, 'utf8') + 1 + 4 + Buffer.byteLength(v, 'utf8') + 1;
  return bytes;
}

function sameBag(a: Bag, b: Bag): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
