// Fake hook tools: juju-log, status-set, status-get, application-version-set. Their effects are immediate in Juju
// (kept even when the hook then fails), so they go to the effects journal rather than the change buffer.

import { SETTABLE_STATUS, type StatusKind, type WorkloadStatus } from '../model-state';
import { boolFlag, parseArgs, stringFlag } from './args';
import type { HookContext } from './hook-context';
import { FORMAT_FLAG, outputFormat, render } from './output';
import { ToolError, usageError } from './tool-error';
import type { ToolIO } from './tool-io';

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];

export function jujuLog(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [
    { names: ['l', 'log-level'], type: 'string' },
    { names: ['debug'], type: 'bool' },
    FORMAT_FLAG,
  ]);
  if (args.positional.length === 0) throw usageError('no message specified');
  let level = (stringFlag(args, 'l') ?? (boolFlag(args, 'debug') ? 'DEBUG' : 'INFO')).toUpperCase();
  if (level === 'WARN') level = 'WARNING';
  if (!LOG_LEVELS.includes(level)) {
    io.err(`Specified log level of "${level}" is not valid\n`);
    level = 'INFO';
  }
  ctx.addEffect({ op: 'log', level, message: args.positional.join(' '), at: new Date().toISOString() });
}

export function statusSet(ctx: HookContext, argv: readonly string[]): void {
  const args = parseArgs(argv, [{ names: ['application'], type: 'bool' }]);
  const [kind, message, ...rest] = args.positional;
  if (kind === undefined) throw usageError('invalid args, require <status> [message]');
  if (!isSettable(kind)) {
    throw usageError(`invalid status "${kind}", expected one of [${SETTABLE_STATUS.join(' ')}]`);
  }
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  const application = boolFlag(args, 'application');
  if (application && !ctx.snapshot.leader) throw new ToolError('this unit is not the leader');
  ctx.addEffect({ op: 'status', application, kind, message: message ?? '', at: new Date().toISOString() });
}

export function statusGet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [
    { names: ['include-data'], type: 'bool' },
    { names: ['application'], type: 'bool' },
    FORMAT_FLAG,
  ]);
  const format = outputFormat(args);
  const current = currentStatuses(ctx);
  const details = (s: WorkloadStatus) => ({ message: s.message, status: s.kind, 'status-data': {} });
  if (boolFlag(args, 'application')) {
    if (!ctx.snapshot.leader) throw new ToolError('finding application status: this unit is not the leader');
    const units: Record<string, unknown> = {};
    for (const [unit, s] of Object.entries(ctx.snapshot.appUnitStatuses)) {
      units[unit] = details(unit === ctx.snapshot.unit ? current.unit : s);
    }
    io.out(render({ 'application-status': { ...details(current.app), units } }, format));
    return;
  }
  io.out(render(boolFlag(args, 'include-data') ? details(current.unit) : current.unit.kind, format));
}

export function applicationVersionSet(ctx: HookContext, argv: readonly string[]): void {
  const args = parseArgs(argv, []);
  const [version, ...rest] = args.positional;
  if (version === undefined) throw usageError('no version specified');
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  ctx.addEffect({ op: 'workload-version', version });
}

function currentStatuses(ctx: HookContext): { unit: WorkloadStatus; app: WorkloadStatus } {
  let unit = ctx.snapshot.unitStatus;
  let app = ctx.snapshot.appStatus;
  for (const e of ctx.effects()) {
    if (e.op !== 'status') continue;
    const s = { kind: e.kind, message: e.message, since: e.at };
    if (e.application) app = s;
    else unit = s;
  }
  return { unit, app };
}

function isSettable(kind: string): kind is StatusKind {
  return (SETTABLE_STATUS as readonly string[]).includes(kind);
}
