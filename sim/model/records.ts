// Simulator: the driver's records of the model (applications, units, relations, logs) and the small facts derived
// from one record alone. Only the driver writes them; hooks see them through the snapshot of their hook dir.

import type { ChildProcess } from 'node:child_process';
import type { Mutex } from '../async-locks';
import type { CharmSpec } from '../charm-spec';
import type { SimMachine } from '../machine';
import type { Bag, ConfigValue, Effect, EndpointRole, StorageAttachment, WorkloadStatus } from '../model-state';
import type { SimEvent } from '../sim-event';
import type { AgentStatus } from '../status-table';
import type { VolumeProvider } from '../volume-provider';
import type { HookRun } from './options';

export interface AppRecord {
  readonly name: string;
  readonly spec: CharmSpec;
  readonly stub: boolean;
  /** Values the operator set; effective config is the defaults merged with these. */
  readonly config: Record<string, ConfigValue>;
  leader: string | undefined;
  nextUnit: number;
  readonly units: string[];
  status: WorkloadStatus | undefined;
  readonly volume: VolumeProvider | undefined;
  readonly storageRequest: Readonly<Record<string, string>>;
  readonly resources: Map<string, string>;
}

/** One filesystem over a unit's storage location: an operator's mount, or a Juju storage instance's bind. */
export interface MountLayer {
  readonly kind: 'operator' | 'juju-storage';
  readonly location: string;
  readonly hostPath: string;
  readonly provider?: VolumeProvider;
  readonly storageId?: string;
}

export interface RunningHook {
  readonly hookDir: string;
  readonly label: string;
  readonly child: ChildProcess;
}

export interface UnitRecord {
  readonly name: string;
  readonly app: string;
  readonly index: number;
  readonly machine: number;
  readonly address: string;
  readonly dir: string;
  readonly box: SimMachine | undefined;
  readonly storage: StorageAttachment[];
  /** What is mounted at storage locations, bottom to top (the unit sees the last). */
  readonly layers: MountLayer[];
  workload: WorkloadStatus;
  charmSetStatus: boolean;
  agent: AgentStatus;
  agentMessage: string;
  workloadVersion: string;
  readonly ports: Set<string>;
  state: Bag;
  life: 'alive' | 'dying';
  started: boolean;
  readonly knownRelations: Set<number>;
  readonly queue: SimEvent[];
  headRunning: boolean;
  failed: SimEvent | undefined;
  /** Automatic retries of the failed hook so far, and when the next one is due (epoch ms). */
  retries: number;
  retryAt: number | undefined;
  readonly lock: Mutex;
  hookSeq: number;
  running: RunningHook | undefined;
}

export interface RelationEnd {
  readonly app: string;
  readonly endpoint: string;
  readonly role: EndpointRole;
}

export interface RelationRecord {
  readonly id: number;
  readonly peer: boolean;
  readonly interface: string;
  readonly ends: readonly RelationEnd[];
  readonly unitData: Map<string, Bag>;
  readonly appData: Map<string, Bag>;
  /** Per unit: the remote units it has seen join (what relation-list prints). */
  readonly views: Map<string, Set<string>>;
  /** Units that have entered the relation's scope (after their start hook, or at once for stubs). */
  readonly scope: Set<string>;
  dying: boolean;
  readonly brokenPending: Set<string>;
}

export interface LogEntry {
  readonly unit: string;
  readonly level: string;
  readonly message: string;
  readonly at: string;
}

/** Why an event is queued: its causal depth and the hooks that led to it (for loop detection). */
export interface Cause {
  readonly generation: number;
  readonly chain: readonly string[];
}

/** One process to start in a unit: a hook, an action or a `juju exec` command. */
export interface Launch {
  readonly event: SimEvent | undefined;
  readonly action:
    | { readonly name: string; readonly uuid: string; readonly params: Record<string, unknown> }
    | undefined;
  readonly dispatchPath: string;
  readonly label: string;
  readonly argv: readonly string[] | undefined;
  readonly env: Readonly<Record<string, string>> | undefined;
}

export interface Finished {
  readonly run: HookRun;
  readonly effects: Effect[];
}

/** What the test (the operator) asked for directly. */
export const OPERATOR: Cause = { generation: 0, chain: [] };
export const NOW = () => new Date().toISOString();

/** The unit's endpoint on a relation (its own side; a peer relation has one). */
export function endpointOf(rel: RelationRecord, app: string): string {
  return (rel.ends.find((e) => e.app === app) ?? rel.ends[0])?.endpoint ?? '';
}

/** The application on the other side of a relation from `app` (for a peer relation: `app` itself). */
export function remoteAppOf(rel: RelationRecord, app: string): string {
  return rel.peer ? app : (rel.ends.find((e) => e.app !== app)?.app ?? app);
}

/** `app/2` before `app/10`: Juju lists units by application, then number. */
export function byUnitOrder(a: string, b: string): number {
  const [appA = '', nA = '0'] = a.split('/');
  const [appB = '', nB = '0'] = b.split('/');
  return appA === appB ? Number(nA) - Number(nB) : appA.localeCompare(appB);
}
