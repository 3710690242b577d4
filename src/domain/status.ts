// Domain: the workload status a hook ends with, and how short operator-facing messages are composed.

export type StatusKind = 'active' | 'blocked' | 'waiting' | 'maintenance';

export interface UnitStatus {
  readonly kind: StatusKind;
  readonly message: string;
}

export const active = (message: string): UnitStatus => ({ kind: 'active', message });
export const blocked = (message: string): UnitStatus => ({ kind: 'blocked', message });
export const waiting = (message: string): UnitStatus => ({ kind: 'waiting', message });
export const maintenance = (message: string): UnitStatus => ({ kind: 'maintenance', message });

/** Juju shows one line; long messages are cut by the CLI, so keep the cause first and the fix second. */
export function joinStatus(...parts: readonly (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' · ');
}
