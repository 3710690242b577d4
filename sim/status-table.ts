// Simulator: the status types the driver reports and their `juju status`-like rendering, so a demo or a failing
// test shows an operator's view of the model: apps, units (leader starred), integrations.

import type { StatusKind } from './model-state';

export type AgentStatus = 'allocating' | 'idle' | 'executing' | 'error';

export interface UnitStatus {
  readonly name: string;
  readonly app: string;
  readonly leader: boolean;
  readonly machine: string;
  readonly address: string;
  readonly ports: readonly string[];
  readonly workload: { readonly kind: StatusKind; readonly message: string };
  readonly agent: AgentStatus;
  /** `hook failed: "install"` when the agent is in error; the running hook while executing. */
  readonly agentMessage: string;
  readonly workloadVersion: string;
  readonly life: 'alive' | 'dying';
}

export interface AppStatus {
  readonly name: string;
  readonly charm: string;
  readonly scale: number;
  readonly status: { readonly kind: StatusKind; readonly message: string };
  readonly version: string;
  readonly leader: string | undefined;
  readonly units: readonly string[];
  /** A stand-in application (deployStub) whose units run no hooks. */
  readonly stub: boolean;
}

export interface RelationStatus {
  readonly id: number;
  readonly interface: string;
  readonly peer: boolean;
  /** `app:endpoint` of each side; a peer relation has one. */
  readonly endpoints: readonly string[];
  readonly provider: string;
  readonly requirer: string;
}

export interface SimStatus {
  readonly model: string;
  readonly apps: readonly AppStatus[];
  readonly units: readonly UnitStatus[];
  readonly relations: readonly RelationStatus[];
}

/** Precedence Juju uses to derive an application's status from its units' when the leader set none. */
const SEVERITY: readonly StatusKind[] = [
  'error',
  'blocked',
  'maintenance',
  'waiting',
  'active',
  'unknown',
  'terminated',
];

export function deriveAppStatus(units: readonly UnitStatus[]): { kind: StatusKind; message: string } {
  let best: { kind: StatusKind; message: string } = { kind: 'unknown', message: '' };
  for (const u of units) {
    const s = u.agent === 'error' ? { kind: 'error' as const, message: u.agentMessage } : u.workload;
    if (SEVERITY.indexOf(s.kind) < SEVERITY.indexOf(best.kind)) best = s;
  }
  return best;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        if (i === cells.length - 1) return c;
        return rightAligned.includes(i) ? c.padStart(w) : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatStatusTable(status: SimStatus): string {
  const parts: string[] = [];
  parts.push(
    table(['Model', 'Controller', 'Cloud/Region', 'Version'], [[status.model, 'sim', 'localhost/sim', '3.6.4']]),
  );
  parts.push(
    table(
      ['App', 'Version', 'Status', 'Scale', 'Charm', 'Message'],
      status.apps.map((a) => [
        a.name,
        a.version,
        a.status.kind,
        String(a.scale),
        a.stub ? `${a.charm} (stub)` : a.charm,
        a.status.message,
      ]),
      [3],
    ),
  );
  parts.push(
    table(
      ['Unit', 'Workload', 'Agent', 'Machine', 'Address', 'Ports', 'Message'],
      status.units.map((u) => [
        `${u.name}${u.leader ? '*' : ''}`,
        u.agent === 'error' ? 'error' : u.workload.kind,
        u.agent === 'error' ? 'idle' : u.agent,
        u.machine,
        u.address,
        u.ports.join(','),
        u.agent === 'error' ? u.agentMessage : u.workload.message,
      ]),
    ),
  );
  if (status.relations.length > 0) {
    parts.push(
      table(
        ['Integration provider', 'Requirer', 'Interface', 'Type'],
        status.relations.map((r) => [r.provider, r.requirer, r.interface, r.peer ? 'peer' : 'regular']),
      ),
    );
  }
  return `${parts.join('\n\n')}\n`;
}
