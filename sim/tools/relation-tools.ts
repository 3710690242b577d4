// Fake hook tools: relation-ids, relation-list, relation-get, relation-set, with Juju's defaults (-r from
// JUJU_RELATION_ID, the remote unit from JUJU_REMOTE_UNIT) and its refusals (app data belongs to the leader;
// a non-leader reads its own application's bag only in a peer relation). relation-set is buffered until the hook
// succeeds.

import type { Bag, RelationView } from '../model-state';
import { boolFlag, parseArgs, parseKeyValues, readSettingsFile, stringFlag } from './args';
import { type HookContext, nonEmpty } from './hook-context';
import { FORMAT_FLAG, outputFormat, render } from './output';
import { ToolError, usageError } from './tool-error';
import type { ToolIO } from './tool-io';

const RELATION_FLAG = { names: ['r', 'relation'], type: 'string' } as const;
const UNIT_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*\/\d+$/;
const APP_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$/;

export function relationIds(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [FORMAT_FLAG]);
  const format = outputFormat(args);
  const [name = nonEmpty(ctx.env.JUJU_RELATION), ...rest] = args.positional;
  if (name === undefined) throw usageError('no endpoint name specified');
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  // A relation being removed stays listed while this unit still has remote members on it: jujuc's relation-ids
  // filters only Dead relations (juju/juju internal/worker/uniter/runner/jujuc/relation-ids.go), and the hook
  // context leaves out those it built as broken, a non-peer relation that is no longer alive and has no members
  // left (internal/worker/uniter/runner/context/contextfactory.go getContextRelations; context.go RelationIds).
  // A departed hook's own remote unit is still a member until that hook commits, so the relation is listed in the
  // last departed hook, and no longer after it: not in -relation-broken.
  const departedHere = (r: RelationView) =>
    ctx.env.JUJU_RELATION_ID === `${r.endpoint}:${r.id}` &&
    (ctx.env.JUJU_HOOK_NAME ?? '').endsWith('-relation-departed');
  const ids = ctx.snapshot.relations
    .filter((r) => r.endpoint === name && (!r.dying || r.members.length > 0 || departedHere(r)))
    .map((r) => `${r.endpoint}:${r.id}`)
    .sort();
  io.out(render(ids, format));
}

/**
 * The remote units this unit has seen join and not yet depart. On a relation being removed that is the units whose
 * -relation-departed has not run here yet; in a departed hook the departing unit is already gone from it (juju/juju
 * internal/worker/uniter/runner/context/contextfactory.go HookContext: `relation.cache.RemoveMember`).
 */
export function relationList(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [RELATION_FLAG, { names: ['app'], type: 'bool' }, FORMAT_FLAG]);
  const format = outputFormat(args);
  const rel = ctx.relation(stringFlag(args, 'r'));
  if (args.positional.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(args.positional)}`);
  io.out(render(boolFlag(args, 'app') ? rel.remoteApp : [...rel.members].sort(), format));
}

export function relationGet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [RELATION_FLAG, { names: ['app'], type: 'bool' }, FORMAT_FLAG]);
  const format = outputFormat(args);
  const rel = ctx.relation(stringFlag(args, 'r'));
  const positional = [...args.positional];
  let key = positional.shift();
  if (key === '-') key = undefined;
  let app = boolFlag(args, 'app');
  let target = positional.shift();
  if (positional.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(positional)}`);
  if (target !== undefined) {
    if (app) target = UNIT_NAME.test(target) ? target.slice(0, target.indexOf('/')) : target;
    else if (!UNIT_NAME.test(target)) {
      throw usageError(
        APP_NAME.test(target)
          ? `expected unit name, got application name "${target}"`
          : `invalid unit name "${target}"`,
      );
    }
  } else if (app) {
    target = nonEmpty(ctx.env.JUJU_REMOTE_APP);
    if (target === undefined) throw usageError('no unit or application specified');
  } else {
    target = nonEmpty(ctx.env.JUJU_REMOTE_UNIT);
    if (target === undefined) {
      target = nonEmpty(ctx.env.JUJU_REMOTE_APP);
      app = true;
    }
    if (target === undefined) throw usageError('no unit or application specified');
  }
  const bag = app ? readAppBag(ctx, rel, target) : readUnitBag(ctx, rel, target);
  io.out(render(key === undefined ? bag : (bag[key] ?? null), format));
}

export function relationSet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [
    RELATION_FLAG,
    { names: ['app'], type: 'bool' },
    { names: ['file'], type: 'string' },
    FORMAT_FLAG,
  ]);
  // Juju resolves -r before it reads the settings: an unknown relation is reported first.
  const rel = ctx.relation(stringFlag(args, 'r'));
  const overrides = parseKeyValues(args.positional);
  const file = stringFlag(args, 'file');
  const data: Bag = { ...(file === undefined ? {} : readSettingsFile(file, io)), ...overrides };
  if (stringFlag(args, 'format') !== undefined) io.err('--format flag deprecated for command "relation-set"');
  const app = boolFlag(args, 'app');
  if (app && !ctx.snapshot.leader) throw new ToolError('cannot write relation settings');
  ctx.addChange({ op: 'relation-set', relationId: rel.id, app, data });
}

function readUnitBag(ctx: HookContext, rel: RelationView, unit: string): Bag {
  if (unit === ctx.snapshot.unit) return ctx.localBag(rel, false);
  if (!rel.readableUnits.includes(unit)) throw new ToolError('permission denied');
  return rel.unitData[unit] ?? {};
}

function readAppBag(ctx: HookContext, rel: RelationView, app: string): Bag {
  if (app === ctx.snapshot.app) {
    if (ctx.snapshot.leader) return ctx.localBag(rel, true);
    // Non-leaders may read their own application's bag only in a peer relation.
    if (!rel.peer) throw new ToolError('permission denied');
    return rel.appData[app] ?? {};
  }
  if (app !== rel.remoteApp) throw new ToolError('permission denied');
  return rel.appData[app] ?? {};
}
