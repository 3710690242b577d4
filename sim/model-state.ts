// Contract between the simulator's driver and its fake hook tools: the snapshot a hook reads (written by the
// driver when the hook starts) and the journal lines the tools append (applied by the driver when it ends).
// zod/mini keeps the tools bundle small: the tools start hundreds of times per test run.

import * as z from 'zod/mini';

export const BagSchema = z.record(z.string(), z.string());
export type Bag = Record<string, string>;

export const ConfigValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type ConfigValue = z.infer<typeof ConfigValueSchema>;

export const STATUS_KINDS = ['active', 'blocked', 'waiting', 'maintenance', 'unknown', 'error', 'terminated'] as const;
export const StatusKindSchema = z.enum(STATUS_KINDS);
export type StatusKind = z.infer<typeof StatusKindSchema>;

/** The statuses a charm may set with `status-set` (Juju refuses the others). */
export const SETTABLE_STATUS = ['maintenance', 'blocked', 'waiting', 'active'] as const;

export const WorkloadStatusSchema = z.object({ kind: StatusKindSchema, message: z.string(), since: z.string() });
export type WorkloadStatus = z.infer<typeof WorkloadStatusSchema>;

export const EndpointRoleSchema = z.enum(['provides', 'requires', 'peers']);
export type EndpointRole = z.infer<typeof EndpointRoleSchema>;

export const EndpointSchema = z.object({ interface: z.string(), role: EndpointRoleSchema });
export type Endpoint = z.infer<typeof EndpointSchema>;

/** One relation as the hook's unit sees it. */
export const RelationViewSchema = z.object({
  id: z.number(),
  endpoint: z.string(),
  interface: z.string(),
  peer: z.boolean(),
  localApp: z.string(),
  remoteApp: z.string(),
  /** True once the relation is being removed: `relation-ids` lists it only while it has members (relation-tools.ts). */
  dying: z.boolean(),
  /** Remote units this unit has seen join and not yet depart: what `relation-list` prints. */
  members: z.array(z.string()),
  /** Every unit whose bag may be read in this relation (departed units stay readable, as in Juju). */
  readableUnits: z.array(z.string()),
  unitData: z.record(z.string(), BagSchema),
  appData: z.record(z.string(), BagSchema),
});
export type RelationView = z.infer<typeof RelationViewSchema>;

export const SecretGrantSchema = z.object({
  /**
   * The relation a charm granted over (`secret-grant -r`); absent for a user secret the operator granted to the whole
   * application (`juju grant-secret <secret> <app>`), which holds whatever relations the application has.
   */
  relationId: z.optional(z.number()),
  app: z.string(),
  unit: z.optional(z.string()),
});
export type SecretGrant = z.infer<typeof SecretGrantSchema>;

export const SecretSchema = z.object({
  /** The 20-character id; the URI is `secret:<id>`. */
  id: z.string(),
  /** The owning application; empty for a user secret (owned by the model: `juju add-secret`). */
  ownerApp: z.string(),
  /** A user secret's name (`juju add-secret <name> ...`), unique in the model. */
  name: z.optional(z.string()),
  /** Set for unit-owned secrets (`secret-add --owner unit`). */
  ownerUnit: z.optional(z.string()),
  label: z.optional(z.string()),
  description: z.optional(z.string()),
  revisions: z.array(z.object({ revision: z.number(), content: BagSchema })),
  grants: z.array(SecretGrantSchema),
  /** Per consumer unit: the revision it tracks and the label it gave the secret. */
  consumers: z.record(z.string(), z.object({ revision: z.number(), label: z.optional(z.string()) })),
});
export type Secret = z.infer<typeof SecretSchema>;

export const StorageAttachmentSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  location: z.string(),
});
export type StorageAttachment = z.infer<typeof StorageAttachmentSchema>;

export const HookSnapshotSchema = z.object({
  modelName: z.string(),
  modelUuid: z.string(),
  unit: z.string(),
  app: z.string(),
  machine: z.string(),
  address: z.string(),
  leader: z.boolean(),
  /** `hooks/<name>`, `actions/<name>` or `exec` (juju exec). */
  dispatchPath: z.string(),
  config: z.record(z.string(), ConfigValueSchema),
  endpoints: z.record(z.string(), EndpointSchema),
  /** What network-get answers for: every endpoint plus extra-bindings. */
  bindings: z.array(z.string()),
  relations: z.array(RelationViewSchema),
  storage: z.array(StorageAttachmentSchema),
  ports: z.array(z.string()),
  unitStatus: WorkloadStatusSchema,
  appStatus: WorkloadStatusSchema,
  appUnitStatuses: z.record(z.string(), WorkloadStatusSchema),
  workloadVersion: z.string(),
  secrets: z.array(SecretSchema),
  state: BagSchema,
  /** Declared resources: the host file the operator attached, or null. */
  resources: z.record(z.string(), z.object({ filename: z.string(), hostPath: z.nullable(z.string()) })),
  action: z.optional(z.object({ name: z.string(), uuid: z.string(), params: z.record(z.string(), z.unknown()) })),
});
export type HookSnapshot = z.infer<typeof HookSnapshotSchema>;

/**
 * Changes a hook asks for that Juju applies only if the hook succeeds (relation data, unit state, secrets, ports):
 * appended to `changes.jsonl` in the hook dir and committed by the driver when the hook exits 0.
 */
export const ChangeSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('relation-set'), relationId: z.number(), app: z.boolean(), data: BagSchema }),
  z.object({ op: z.literal('state-set'), data: BagSchema }),
  z.object({ op: z.literal('state-delete'), key: z.string() }),
  z.object({
    op: z.literal('secret-add'),
    id: z.string(),
    owner: z.enum(['application', 'unit']),
    label: z.optional(z.string()),
    description: z.optional(z.string()),
    content: BagSchema,
  }),
  z.object({
    op: z.literal('secret-set'),
    id: z.string(),
    content: z.optional(BagSchema),
    label: z.optional(z.string()),
    description: z.optional(z.string()),
  }),
  z.object({
    op: z.literal('secret-grant'),
    id: z.string(),
    relationId: z.number(),
    app: z.string(),
    unit: z.optional(z.string()),
  }),
  z.object({
    op: z.literal('secret-revoke'),
    id: z.string(),
    relationId: z.optional(z.number()),
    app: z.optional(z.string()),
    unit: z.optional(z.string()),
  }),
  z.object({
    op: z.literal('secret-track'),
    id: z.string(),
    revision: z.number(),
    label: z.optional(z.string()),
  }),
  z.object({ op: z.literal('open-port'), port: z.string() }),
  z.object({ op: z.literal('close-port'), port: z.string() }),
]);
export type Change = z.infer<typeof ChangeSchema>;

/** Effects Juju applies at once, whatever the hook's outcome: appended to `effects.jsonl` in the hook dir. */
export const EffectSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('status'),
    application: z.boolean(),
    kind: StatusKindSchema,
    message: z.string(),
    at: z.string(),
  }),
  z.object({ op: z.literal('log'), level: z.string(), message: z.string(), at: z.string() }),
  z.object({ op: z.literal('workload-version'), version: z.string() }),
  z.object({ op: z.literal('action-set'), key: z.array(z.string()), value: z.string() }),
  z.object({ op: z.literal('action-log'), message: z.string(), at: z.string() }),
  z.object({ op: z.literal('action-fail'), message: z.string() }),
]);
export type Effect = z.infer<typeof EffectSchema>;

/** File names inside a hook dir, shared by the driver and the tools. */
export const HOOK_FILES = {
  snapshot: 'snapshot.json',
  changes: 'changes.jsonl',
  effects: 'effects.jsonl',
  /** Written by the driver once the hook has ended: tools called later (a leftover child) fail like Juju's. */
  closed: 'closed',
} as const;

/** Juju's fake relation id: `<endpoint>:<number>`. */
export function relationKey(endpoint: string, id: number): string {
  return `${endpoint}:${id}`;
}

/** Reads the number out of `endpoint:3` or `3`; undefined when there is none. */
export function parseRelationNumber(value: string): number | undefined {
  const tail = value.includes(':') ? value.slice(value.lastIndexOf(':') + 1) : value;
  return /^\d+$/.test(tail) ? Number(tail) : undefined;
}

/** Secret URIs come as `secret:<id>` or `secret://<model-uuid>/<id>`; the id is what identifies the secret. */
export function parseSecretId(uri: string): string | undefined {
  const m = /^secret:(?:\/\/[^/]*\/)?([0-9a-v]{20})$/.exec(uri) ?? /^([0-9a-v]{20})$/.exec(uri);
  return m?.[1];
}

export function secretUri(id: string): string {
  return `secret:${id}`;
}

/** Parses JSON lines with a schema; a torn last line (a killed tool) is ignored, like a lost write. */
export function parseJsonLines<T>(text: string, parse: (value: unknown) => T): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    out.push(parse(value));
  }
  return out;
}

/** Juju stores relation and state values as strings and deletes a key set to "". */
export function applyBagUpdate(bag: Bag, data: Bag): void {
  for (const [k, v] of Object.entries(data)) {
    if (v === '') delete bag[k];
    else bag[k] = v;
  }
}

/** Applies one secret change; shared by the tools (to read their own writes) and the driver (to commit). */
export function applySecretChange(secrets: Map<string, Secret>, c: Change, unit: string, app: string): void {
  switch (c.op) {
    case 'secret-add':
      secrets.set(c.id, {
        id: c.id,
        ownerApp: app,
        ownerUnit: c.owner === 'unit' ? unit : undefined,
        label: c.label,
        description: c.description,
        revisions: [{ revision: 1, content: c.content }],
        grants: [],
        consumers: {},
      });
      return;
    case 'secret-set': {
      const s = secrets.get(c.id);
      if (s === undefined) return;
      if (c.content !== undefined) {
        const last = s.revisions[s.revisions.length - 1]?.revision ?? 0;
        s.revisions.push({ revision: last + 1, content: c.content });
      }
      if (c.label !== undefined) s.label = c.label;
      if (c.description !== undefined) s.description = c.description;
      return;
    }
    case 'secret-grant': {
      const s = secrets.get(c.id);
      if (s === undefined) return;
      s.grants.push({ relationId: c.relationId, app: c.app, unit: c.unit });
      return;
    }
    case 'secret-revoke': {
      const s = secrets.get(c.id);
      if (s === undefined) return;
      s.grants = s.grants.filter(
        (g) =>
          !(
            (c.relationId === undefined || g.relationId === c.relationId) &&
            (c.app === undefined || g.app === c.app) &&
            (c.unit === undefined || g.unit === c.unit)
          ),
      );
      return;
    }
    case 'secret-track': {
      const s = secrets.get(c.id);
      if (s === undefined) return;
      const previous = s.consumers[unit];
      s.consumers[unit] = { revision: c.revision, label: c.label ?? previous?.label };
      return;
    }
    default:
      return;
  }
}
