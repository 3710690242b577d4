// Fake hook tools: action-get, action-set, action-log, action-fail. Outside an action they fail as Juju's do
// ("not running an action"); results use Juju's key rule and nest dotted keys.

import { parseArgs } from './args';
import type { HookContext } from './hook-context';
import { FORMAT_FLAG, outputFormat, render } from './output';
import { ToolError, usageError } from './tool-error';
import type { ToolIO } from './tool-io';

const KEY_RULE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const RESERVED_KEYS = ['stdout', 'stdout-encoding', 'stderr', 'stderr-encoding'];

function requireAction(ctx: HookContext): { name: string; params: Record<string, unknown> } {
  const action = ctx.snapshot.action;
  if (action === undefined) throw new ToolError('not running an action');
  return action;
}

export function actionGet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [FORMAT_FLAG]);
  const format = outputFormat(args);
  const [key, ...rest] = args.positional;
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  const { params } = requireAction(ctx);
  if (key === undefined) {
    io.out(render(params, format));
    return;
  }
  let value: unknown = params;
  for (const part of key.split('.')) {
    value = isRecord(value) ? value[part] : undefined;
  }
  io.out(render(value ?? null, format));
}

export function actionSet(ctx: HookContext, argv: readonly string[]): void {
  const args = parseArgs(argv, []);
  const pairs: Array<{ key: string[]; value: string }> = [];
  for (const arg of args.positional) {
    const eq = arg.indexOf('=');
    if (eq === -1) throw usageError(`argument "${arg}" must be of the form key...=value`);
    const key = arg.slice(0, eq).split('.');
    for (const part of key) {
      if (!KEY_RULE.test(part)) {
        throw usageError(
          `key "${part}" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods`,
        );
      }
      if (RESERVED_KEYS.includes(part)) throw usageError(`cannot set reserved action key "${part}"`);
    }
    pairs.push({ key, value: arg.slice(eq + 1) });
  }
  requireAction(ctx);
  for (const p of pairs) ctx.addEffect({ op: 'action-set', key: p.key, value: p.value });
}

export function actionLog(ctx: HookContext, argv: readonly string[]): void {
  const args = parseArgs(argv, []);
  if (args.positional.length === 0) throw usageError('no message specified');
  requireAction(ctx);
  ctx.addEffect({ op: 'action-log', message: args.positional.join(' '), at: new Date().toISOString() });
}

export function actionFail(ctx: HookContext, argv: readonly string[]): void {
  const args = parseArgs(argv, []);
  const [message = 'action failed without reason given', ...rest] = args.positional;
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  requireAction(ctx);
  ctx.addEffect({ op: 'action-fail', message });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
