// Fake hook tools: storage-get and storage-list. Outside a storage hook storage-get needs `-s`, as in Juju.

import { parseArgs, stringFlag } from './args';
import { type HookContext, nonEmpty } from './hook-context';
import { FORMAT_FLAG, outputFormat, render } from './output';
import { ToolError, usageError } from './tool-error';
import type { ToolIO } from './tool-io';

export function storageGet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [{ names: ['s'], type: 'string' }, FORMAT_FLAG]);
  const format = outputFormat(args);
  const flag = stringFlag(args, 's');
  const id = flag ?? nonEmpty(ctx.env.JUJU_STORAGE_ID);
  if (id === undefined) throw usageError('no storage instance specified');
  const attachment = ctx.snapshot.storage.find((s) => s.id === id);
  if (attachment === undefined) {
    if (flag !== undefined)
      throw usageError(`invalid value "${flag}" for option -s: storage instance "${flag}" not found`);
    throw new ToolError(`storage instance "${id}" not found`);
  }
  const [key, ...rest] = args.positional;
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  const values: Record<string, string> = { kind: attachment.kind, location: attachment.location };
  if (key === undefined) {
    io.out(render(values, format));
    return;
  }
  const value = values[key];
  if (value === undefined) throw new ToolError(`invalid storage attribute "${key}"`);
  io.out(render(value, format));
}

export function storageList(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [FORMAT_FLAG]);
  const format = outputFormat(args);
  const [name, ...rest] = args.positional;
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  const ids = ctx.snapshot.storage.filter((s) => name === undefined || s.name === name).map((s) => s.id);
  io.out(render(ids, format));
}
