// Fake hook tools: secret-add, secret-get, secret-set, secret-grant, secret-revoke. Owners (the application's leader
// for application secrets) manage; consumers read what was granted to them through a relation and track a revision
// until they --refresh. Every change is buffered until the hook succeeds.

import { randomInt } from 'node:crypto';
import { type Bag, parseSecretId, type Secret, secretUri } from '../model-state';
import { boolFlag, parseArgs, readCallerFile, readSettingsFile, stringFlag } from './args';
import type { HookContext } from './hook-context';
import { FORMAT_FLAG, outputFormat, render } from './output';
import { ToolError, usageError } from './tool-error';
import type { ToolIO } from './tool-io';

const KEY_RULE = /^[a-z](?:-?[a-z0-9]){2,}$/;
const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuv';

/** Juju's secret ids are 20 characters of base32hex (an xid). */
function newSecretId(): string {
  let id = '';
  for (let i = 0; i < 20; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** Secret content from `key=value`, `key#base64=...`, `key#file=path` arguments and `--file`. */
function parseContent(positional: readonly string[], file: string | undefined, io: ToolIO): Bag {
  const content: Bag = file === undefined ? {} : readSettingsFile(file, io);
  for (const arg of positional) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw usageError(`invalid key value "${arg}"`);
    let key = arg.slice(0, eq);
    let value = arg.slice(eq + 1);
    if (key.endsWith('#base64')) {
      key = key.slice(0, -'#base64'.length);
      value = Buffer.from(value, 'base64').toString('utf8');
    } else if (key.endsWith('#file')) {
      key = key.slice(0, -'#file'.length);
      value = readCallerFile(value, io);
    }
    content[key] = value;
  }
  for (const key of Object.keys(content)) {
    if (!KEY_RULE.test(key)) throw usageError(`key "${key}" not valid`);
  }
  return content;
}

const MANAGE_FLAGS = [
  { names: ['label'], type: 'string' },
  { names: ['description'], type: 'string' },
  { names: ['expire'], type: 'string' },
  { names: ['rotate'], type: 'string' },
  { names: ['file'], type: 'string' },
] as const;

export function secretAdd(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [...MANAGE_FLAGS, { names: ['owner'], type: 'string' }]);
  const owner = stringFlag(args, 'owner') ?? 'application';
  if (owner !== 'application' && owner !== 'unit') throw usageError(`secret owner "${owner}" not valid`);
  const content = parseContent(args.positional, stringFlag(args, 'file'), io);
  if (Object.keys(content).length === 0) throw usageError('missing secret value or filename');
  if (owner === 'application' && !ctx.snapshot.leader) throw new ToolError('this unit is not the leader');
  const label = stringFlag(args, 'label');
  if (label !== undefined && ctx.secrets().some((s) => isOwner(ctx, s) && s.label === label)) {
    throw new ToolError(`secret with label "${label}" already exists`);
  }
  const id = newSecretId();
  ctx.addChange({ op: 'secret-add', id, owner, label, description: stringFlag(args, 'description'), content });
  io.out(`${secretUri(id)}\n`);
}

export function secretGet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [
    { names: ['label'], type: 'string' },
    { names: ['peek'], type: 'bool' },
    { names: ['refresh'], type: 'bool' },
    FORMAT_FLAG,
  ]);
  const format = outputFormat(args, 'yaml');
  const [uri, key, ...rest] = args.positional;
  const label = stringFlag(args, 'label');
  if (uri === undefined && label === undefined) throw usageError('require either a secret URI or label');
  const peek = boolFlag(args, 'peek');
  const refresh = boolFlag(args, 'refresh');
  if (peek && refresh) throw usageError('specify one of --peek or --refresh but not both');
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  if (uri !== undefined && parseSecretId(uri) === undefined) throw usageError(`secret URI "${uri}" not valid`);

  const secrets = ctx.secrets();
  const secret =
    uri === undefined
      ? secrets.find((s) => (isOwner(ctx, s) && s.label === label) || s.consumers[ctx.snapshot.unit]?.label === label)
      : secrets.find((s) => s.id === parseSecretId(uri));
  if (secret === undefined) throw new ToolError(`secret "${uri ?? label}" not found`);

  let content: Bag | undefined;
  const latest = secret.revisions[secret.revisions.length - 1];
  if (isOwner(ctx, secret)) content = latest?.content;
  else {
    if (!isGranted(ctx, secret)) throw new ToolError('permission denied');
    const tracked = secret.consumers[ctx.snapshot.unit];
    if (peek) content = latest?.content;
    else if (refresh || tracked === undefined || (uri !== undefined && label !== undefined)) {
      const revision = refresh || tracked === undefined ? (latest?.revision ?? 1) : tracked.revision;
      ctx.addChange({ op: 'secret-track', id: secret.id, revision, label });
      content = secret.revisions.find((r) => r.revision === revision)?.content;
    } else content = secret.revisions.find((r) => r.revision === tracked.revision)?.content;
  }
  if (content === undefined) throw new ToolError(`secret "${uri ?? label}" not found`);
  if (key === undefined) {
    io.out(render(content, format));
    return;
  }
  const value = content[key];
  if (value === undefined) throw new ToolError(`secret key "${key}" not found`);
  io.out(render(value, format));
}

export function secretSet(ctx: HookContext, argv: readonly string[], io: ToolIO): void {
  const args = parseArgs(argv, [...MANAGE_FLAGS, { names: ['owner'], type: 'string' }]);
  const [uri, ...pairs] = args.positional;
  if (uri === undefined) throw usageError('missing secret URI');
  const secret = manageable(ctx, uri);
  const content = parseContent(pairs, stringFlag(args, 'file'), io);
  const label = stringFlag(args, 'label');
  const description = stringFlag(args, 'description');
  if (Object.keys(content).length === 0 && label === undefined && description === undefined) {
    throw usageError('missing secret value or filename');
  }
  ctx.addChange({
    op: 'secret-set',
    id: secret.id,
    content: Object.keys(content).length === 0 ? undefined : content,
    label,
    description,
  });
}

export function secretGrant(ctx: HookContext, argv: readonly string[]): void {
  const args = parseArgs(argv, [
    { names: ['r', 'relation'], type: 'string' },
    { names: ['unit'], type: 'string' },
  ]);
  const [uri, ...rest] = args.positional;
  if (uri === undefined) throw usageError('missing secret URI');
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  const relFlag = stringFlag(args, 'r');
  if (relFlag === undefined) throw usageError('missing relation');
  const rel = ctx.relation(relFlag);
  const secret = manageable(ctx, uri);
  const unit = stringFlag(args, 'unit');
  if (unit !== undefined && !unit.startsWith(`${rel.remoteApp}/`)) {
    throw new ToolError(`cannot grant secret to unit "${unit}": not a unit of "${rel.remoteApp}"`);
  }
  ctx.addChange({ op: 'secret-grant', id: secret.id, relationId: rel.id, app: rel.remoteApp, unit });
}

export function secretRevoke(ctx: HookContext, argv: readonly string[]): void {
  const args = parseArgs(argv, [
    { names: ['r', 'relation'], type: 'string' },
    { names: ['app', 'application'], type: 'string' },
    { names: ['unit'], type: 'string' },
  ]);
  const [uri, ...rest] = args.positional;
  if (uri === undefined) throw usageError('missing secret URI');
  if (rest.length > 0) throw usageError(`unrecognized args: ${JSON.stringify(rest)}`);
  const relFlag = stringFlag(args, 'r');
  const relationId = relFlag === undefined ? undefined : ctx.relation(relFlag).id;
  const secret = manageable(ctx, uri);
  ctx.addChange({
    op: 'secret-revoke',
    id: secret.id,
    relationId,
    app: stringFlag(args, 'app'),
    unit: stringFlag(args, 'unit'),
  });
}

function isOwner(ctx: HookContext, s: Secret): boolean {
  return s.ownerUnit === undefined ? s.ownerApp === ctx.snapshot.app : s.ownerUnit === ctx.snapshot.unit;
}

/**
 * A grant made over a relation lasts as long as the relation; a user secret's grant (`juju grant-secret`, no
 * relation) until `juju revoke-secret`. Anything else is refused as Juju refuses it: the secrets manager facade answers
 * ErrPerm, `permission denied` (juju/juju apiserver/facades/agent/secretsmanager/secrets.go, getSecretContent: canRead).
 */
function isGranted(ctx: HookContext, s: Secret): boolean {
  return s.grants.some(
    (g) =>
      g.app === ctx.snapshot.app &&
      (g.unit === undefined || g.unit === ctx.snapshot.unit) &&
      (g.relationId === undefined || ctx.snapshot.relations.some((r) => r.id === g.relationId)),
  );
}

/** The secret named by `uri`, if this unit may manage it: its owner unit, or its owner application's leader. */
function manageable(ctx: HookContext, uri: string): Secret {
  const id = parseSecretId(uri);
  if (id === undefined) throw usageError(`secret URI "${uri}" not valid`);
  const secret = ctx.secrets().find((s) => s.id === id);
  if (secret === undefined) throw new ToolError(`secret "${uri}" not found`);
  if (!isOwner(ctx, secret)) throw new ToolError('permission denied');
  if (secret.ownerUnit === undefined && !ctx.snapshot.leader) throw new ToolError('this unit is not the leader');
  return secret;
}
