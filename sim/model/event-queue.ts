// Simulator: putting an event on a unit's queue (coalesced as Juju does, see sim-event.ts) with the cause that
// queued it, so that the scheduler can tell a loop by its causal depth.

import { describeEvent, type EventType, enqueue, type SimEvent } from '../sim-event';
import { type Cause, endpointOf, type RelationRecord, remoteAppOf, type UnitRecord } from './records';

/** How many of the hooks that led to an event its chain keeps (to name a loop). */
const CHAIN_LENGTH = 8;

/** Queues `e` on a charm unit (a stand-in's units run no hooks). */
export function queueEvent(u: UnitRecord, e: Omit<SimEvent, 'generation' | 'chain'>, cause: Cause): void {
  if (u.box === undefined) return;
  enqueue(u.queue, { ...e, generation: cause.generation, chain: cause.chain }, u.headRunning);
}

/** Queues `<endpoint>-relation-<type>` on `u` for `rel`; the remote app defaults to the other side's. */
export function queueRelationEvent(
  u: UnitRecord,
  rel: RelationRecord,
  type: Extract<EventType, `relation-${string}`>,
  cause: Cause,
  extra: { remoteUnit?: string; departingUnit?: string; remoteApp?: string },
): void {
  const endpoint = endpointOf(rel, u.app);
  queueEvent(
    u,
    {
      type,
      hook: `${endpoint}-${type}`,
      relationId: rel.id,
      endpoint,
      remoteApp: extra.remoteApp ?? remoteAppOf(rel, u.app),
      remoteUnit: extra.remoteUnit,
      departingUnit: extra.departingUnit,
    },
    cause,
  );
}

/** What a hook of `event` on `u` causes: one round deeper, its chain one longer. */
export function causeOf(u: UnitRecord, event: SimEvent | undefined): Cause {
  if (event === undefined) return { generation: 1, chain: [`${u.name} (action or exec)`] };
  return {
    generation: event.generation + 1,
    chain: [...event.chain, describeEvent(u.name, event)].slice(-CHAIN_LENGTH),
  };
}
