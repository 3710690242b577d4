// Simulator: one queued Juju event for one unit, and how it becomes a hook name and environment. Each unit's
// queue is FIFO; an event identical to one still pending is not queued twice (Juju coalesces state changes).

export type EventType =
  | 'install'
  | 'leader-elected'
  | 'leader-settings-changed'
  | 'config-changed'
  | 'start'
  | 'stop'
  | 'remove'
  | 'update-status'
  | 'upgrade-charm'
  | 'storage-attached'
  | 'storage-detaching'
  | 'relation-created'
  | 'relation-joined'
  | 'relation-changed'
  | 'relation-departed'
  | 'relation-broken'
  | 'secret-changed'
  | 'other';

export interface SimEvent {
  readonly type: EventType;
  /** The hook's name: `install`, `peers-relation-changed`, `concourse-data-storage-attached`... */
  readonly hook: string;
  readonly relationId?: number;
  readonly endpoint?: string;
  readonly remoteUnit?: string;
  readonly remoteApp?: string;
  readonly departingUnit?: string;
  readonly storageId?: string;
  readonly secretId?: string;
  readonly secretLabel?: string;
  readonly secretRevision?: number;
  /** Causal depth: 0 for what the test asked for, n+1 for what a hook of depth n caused. */
  readonly generation: number;
  /** The hooks that led here, oldest first (bounded), to name a loop. */
  readonly chain: readonly string[];
}

const COALESCED: ReadonlySet<EventType> = new Set([
  'relation-changed',
  'config-changed',
  'leader-settings-changed',
  'update-status',
  'secret-changed',
]);

function sameEvent(a: SimEvent, b: SimEvent): boolean {
  return (
    a.hook === b.hook &&
    a.relationId === b.relationId &&
    a.remoteUnit === b.remoteUnit &&
    a.remoteApp === b.remoteApp &&
    a.secretId === b.secretId
  );
}

/** Appends `event` unless an identical coalescable event is already waiting (not running) in `queue`. */
export function enqueue(queue: SimEvent[], event: SimEvent, runningHead: boolean): boolean {
  if (COALESCED.has(event.type)) {
    const pending = runningHead ? queue.slice(1) : queue;
    if (pending.some((e) => sameEvent(e, event))) return false;
  }
  queue.push(event);
  return true;
}

/** Describes an event for logs and loop reports: `concourse-ci/1 peers-relation-changed (remote concourse-ci/0)`. */
export function describeEvent(unit: string, e: SimEvent): string {
  const extra = e.remoteUnit ?? e.remoteApp;
  return `${unit} ${e.hook}${extra === undefined ? '' : ` (remote ${extra})`}`;
}

const RELATION_TYPES = ['created', 'joined', 'changed', 'departed', 'broken'] as const;

/** Classifies a hook name given the charm's endpoints and storage names (for runHook). */
export function classifyHook(
  hook: string,
  endpoints: readonly string[],
  storageNames: readonly string[],
): { type: EventType; endpoint?: string; storage?: string } {
  for (const t of RELATION_TYPES) {
    const suffix = `-relation-${t}`;
    if (hook.endsWith(suffix)) {
      const endpoint = hook.slice(0, -suffix.length);
      if (endpoints.includes(endpoint)) return { type: `relation-${t}`, endpoint };
    }
  }
  for (const t of ['storage-attached', 'storage-detaching'] as const) {
    const suffix = `-${t}`;
    if (hook.endsWith(suffix) && storageNames.includes(hook.slice(0, -suffix.length))) {
      return { type: t, storage: hook.slice(0, -suffix.length) };
    }
  }
  const plain: readonly EventType[] = [
    'install',
    'leader-elected',
    'leader-settings-changed',
    'config-changed',
    'start',
    'stop',
    'remove',
    'update-status',
    'upgrade-charm',
    'secret-changed',
  ];
  const found = plain.find((t) => t === hook);
  return { type: found ?? 'other' };
}
