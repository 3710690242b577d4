// Fake hook tools: resource-get (copies the attached file into the unit's agent dir, as Juju downloads it there)
// and state-get/state-set/state-delete (per-unit charm state kept by the controller, buffered until success).

import { copyFileSync, mkdirSync, renameSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
  ctx.addChange({ op: 'state-set', data });
}

export function stateDelete(ctx: HookContext, argv: readonly string[]): void {
  const args = parseArgs(argv, []);
  const [key, ...rest] = args.positional;
  if (key === undefined) throw usageError('no key specified');
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  ctx.addChange({ op: 'state-delete', key });
}
