// Fake hook tools: config-get and is-leader. Config is the charm's config.yaml defaults merged with what the operator
// set: the driver resolves it, so a key the charm does not declare simply does not exist.

import { boolFlag, parseArgs } from './args';
import type { HookContext } from './hook-context';
import { FORMAT_FLAG, outputFormat, render } from './output';
import { usageError } from './tool-error';
import type { ToolIO } from './tool-io';

export function configGet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [{ names: ['a', 'all'], type: 'bool' }, FORMAT_FLAG]);
  const format = outputFormat(args);
  const [key, ...rest] = args.positional;
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  if (key !== undefined) {
    io.out(render(ctx.snapshot.config[key] ?? null, format));
    return;
  }
  const all = boolFlag(args, 'a');
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ctx.snapshot.config)) if (v !== null || all) values[k] = v;
  io.out(render(values, format));
}

export function isLeader(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [FORMAT_FLAG]);
  if (args.positional.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(args.positional)}`);
  io.out(render(ctx.snapshot.leader, outputFormat(args)));
}
