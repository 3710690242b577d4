// Scenarios: the parts of Juju 3.6's `--format=json` output the scenarios read (`juju status`, `juju storage`,
// `juju show-unit`, `juju run`, `juju exec`), parsed once with zod into typed values both backends produce.

import { z } from 'zod';
import type { ActionOutcome, ExecOutcome, StorageInstance } from './scenario-model';

const StatusInfo = z.object({ current: z.string(), message: z.string().optional() });

const UnitStatusSchema = z.object({
  'workload-status': StatusInfo,
  'juju-status': StatusInfo,
  leader: z.boolean().optional(),
  machine: z.string().optional(),
  'public-address': z.string().optional(),
});

const AppStatusSchema = z.object({
  'application-status': StatusInfo.optional(),
  units: z.record(z.string(), UnitStatusSchema).optional(),
});

const MachineSchema = z.object({ 'instance-id': z.string().optional(), 'juju-status': StatusInfo.optional() });

const StatusSchema = z.object({
  model: z.object({ name: z.string() }),
  machines: z.record(z.string(), MachineSchema).optional(),
  applications: z.record(z.string(), AppStatusSchema).optional(),
});

export type UnitStatusJson = z.infer<typeof UnitStatusSchema>;
export type JujuStatus = z.infer<typeof StatusSchema>;

/** `juju status --format=json` (cmd/juju/status/formatted.go: applications → units → workload/juju status). */
export function parseStatus(text: string): JujuStatus {
  return StatusSchema.parse(JSON.parse(text));
}

/** Every unit of `app`, sorted by number: [name, status]. */
export function unitsOf(status: JujuStatus, app: string): Array<[string, UnitStatusJson]> {
  const units = status.applications?.[app]?.units ?? {};
  return Object.entries(units).sort(([a], [b]) => unitNumber(a) - unitNumber(b));
}

export function unitNumber(unit: string): number {
  return Number(unit.split('/')[1]);
}

/** Container (instance id) of each machine: what `lxc config device add` names. */
export function instanceIds(status: JujuStatus): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, m] of Object.entries(status.machines ?? {})) {
    if (m['instance-id'] !== undefined && m['instance-id'] !== 'pending') out[id] = m['instance-id'];
  }
  return out;
}

const StorageSchema = z.object({
  storage: z
    .record(
      z.string(),
      z.object({
        kind: z.string(),
        attachments: z.object({ units: z.record(z.string(), z.unknown()).optional() }).optional(),
      }),
    )
    .optional(),
});

/** `juju storage --format=json` (cmd/juju/storage/list.go): storage id → kind and the units it is attached to. */
export function parseStorage(text: string): StorageInstance[] {
  // An empty model prints nothing at all rather than `{}`.
  if (text.trim() === '') return [];
  const parsed = StorageSchema.parse(JSON.parse(text));
  return Object.entries(parsed.storage ?? {})
    .map(([id, s]) => ({ id, kind: s.kind, units: Object.keys(s.attachments?.units ?? {}).sort() }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

const ShowUnitSchema = z.record(
  z.string(),
  z.object({
    'relation-info': z
      .array(
        z.object({
          endpoint: z.string(),
          'local-unit': z.object({ data: z.record(z.string(), z.string()).nullable().optional() }).optional(),
        }),
      )
      .optional(),
  }),
);

/** `juju show-unit <unit> --format=json`: the unit's own bag on `endpoint` (relation-info[].local-unit.data). */
export function parseShowUnitRelationData(text: string, unit: string, endpoint: string): Record<string, string> {
  const parsed = ShowUnitSchema.parse(JSON.parse(text));
  const info = parsed[unit];
  if (info === undefined) throw new Error(`juju show-unit printed no entry for ${unit}`);
  const rel = (info['relation-info'] ?? []).find((r) => r.endpoint === endpoint);
  return { ...(rel?.['local-unit']?.data ?? {}) };
}

const TaskSchema = z.object({
  status: z.string(),
  message: z.string().optional(),
  results: z.record(z.string(), z.unknown()).optional(),
});

function task(text: string, unit: string): z.infer<typeof TaskSchema> {
  const parsed = z.record(z.string(), TaskSchema).parse(JSON.parse(text));
  const entry = parsed[unit];
  if (entry === undefined) throw new Error(`no result for ${unit} in: ${text.slice(0, 200)}`);
  return entry;
}

/**
 * `juju run <unit> <action> --format=json` (cmd/juju/action/run.go): `{unit: {status, message?, results}}`; the
 * results hold what the charm set plus Juju's return-code/stdout/stderr, which are left out here.
 */
export function parseActionOutput(text: string, unit: string): ActionOutcome {
  const t = task(text, unit);
  const results: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t.results ?? {})) {
    if (
      !['return-code', 'stdout', 'stderr', 'stdout-encoding', 'stderr-encoding', 'Code', 'Stdout', 'Stderr'].includes(k)
    )
      results[k] = v;
  }
  return {
    status: t.status === 'completed' ? 'completed' : 'failed',
    results,
    ...(t.message === undefined ? {} : { message: t.message }),
  };
}

/** `juju exec --unit <unit> --format=json` (cmd/juju/action/exec.go): return-code is left out when it is 0. */
export function parseExecOutput(text: string, unit: string): ExecOutcome {
  const r = task(text, unit).results ?? {};
  const code = Number(r['return-code'] ?? 0);
  return { code, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
