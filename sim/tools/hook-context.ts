// Fake hook tools: what one hook sees. The driver's snapshot (taken when the hook started) with this hook's own
// buffered changes replayed on top, so a unit reads back what it wrote, as in Juju, while nobody else does yet.

import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyBagUpdate,
  applySecretChange,
  type Bag,
  type Change,
  ChangeSchema,
  type Effect,
  EffectSchema,
  HOOK_FILES,
  type HookSnapshot,
  HookSnapshotSchema,
  parseJsonLines,
  parseRelationNumber,
  type RelationView,
  type Secret,
} from '../model-state';
import { ToolError, usageError } from './tool-error';

export type Env = Readonly<Record<string, string | undefined>>;

export class HookContext {
  private constructor(
    readonly env: Env,
    readonly hookDir: string,
    readonly snapshot: HookSnapshot,
  ) {}

  static load(env: Env): HookContext {
    const hookDir = env.JUJU_SIM_HOOK_DIR;
    if (hookDir === undefined || hookDir === '') throw new ToolError('JUJU_CONTEXT_ID not set: not running in a hook');
    if (existsSync(join(hookDir, HOOK_FILES.closed))) {
      throw new ToolError(`bad request: unknown context "${env.JUJU_CONTEXT_ID ?? ''}": its hook has ended`);
    }
    const snapshot = HookSnapshotSchema.parse(JSON.parse(readFileSync(join(hookDir, HOOK_FILES.snapshot), 'utf8')));
    return new HookContext(env, hookDir, snapshot);
  }

  changes(): Change[] {
    return readLines(join(this.hookDir, HOOK_FILES.changes), (v) => ChangeSchema.parse(v));
  }

  effects(): Effect[] {
    return readLines(join(this.hookDir, HOOK_FILES.effects), (v) => EffectSchema.parse(v));
  }

  addChange(change: Change): void {
    appendFileSync(join(this.hookDir, HOOK_FILES.changes), `${JSON.stringify(change)}\n`);
  }

  addEffect(effect: Effect): void {
    appendFileSync(join(this.hookDir, HOOK_FILES.effects), `${JSON.stringify(effect)}\n`);
  }

  /** The relation named by `-r` (or JUJU_RELATION_ID), refused as Juju's flag parser refuses it. */
  relation(flag: string | undefined): RelationView {
    const raw = flag ?? nonEmpty(this.env.JUJU_RELATION_ID);
    if (raw === undefined) throw usageError('no relation id specified');
    const id = parseRelationNumber(raw);
    if (id === undefined) throw usageError(`invalid value "${raw}" for option -r: invalid relation id`);
    const rel = this.snapshot.relations.find((r) => r.id === id);
    if (rel === undefined) throw usageError(`invalid value "${raw}" for option -r: relation not found`);
    return rel;
  }

  /** This unit's bag, or its application's bag, with this hook's relation-set calls applied. */
  localBag(rel: RelationView, app: boolean): Bag {
    const base = app ? rel.appData[this.snapshot.app] : rel.unitData[this.snapshot.unit];
    const bag: Bag = { ...(base ?? {}) };
    for (const c of this.changes()) {
      if (c.op !== 'relation-set' || c.relationId !== rel.id || c.app !== app) continue;
      applyBagUpdate(bag, c.data);
    }
    return bag;
  }

  unitState(): Bag {
    const state: Bag = { ...this.snapshot.state };
    for (const c of this.changes()) {
      if (c.op === 'state-set') applyBagUpdate(state, c.data);
      if (c.op === 'state-delete') delete state[c.key];
    }
    return state;
  }

  openedPorts(): string[] {
    const ports = new Set(this.snapshot.ports);
    for (const c of this.changes()) {
      if (c.op === 'open-port') ports.add(c.port);
      if (c.op === 'close-port') ports.delete(c.port);
    }
    return [...ports];
  }

  /** Secrets as this hook sees them: the model's, plus those this hook added or changed. */
  secrets(): Secret[] {
    const secrets = new Map(this.snapshot.secrets.map((s) => [s.id, structuredClone(s)]));
    for (const c of this.changes()) applySecretChange(secrets, c, this.snapshot.unit, this.snapshot.app);
    return [...secrets.values()];
  }
}

export function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function readLines<T>(path: string, parse: (v: unknown) => T): T[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return parseJsonLines(text, parse);
}
