// Domain: which Concourse components a unit runs, from the `mode` config and leadership, and how peers say it.

import type { Mode } from './charm-config';

export type Role = 'web' | 'worker';

export function rolesFor(mode: Mode, isLeader: boolean): readonly Role[] {
  switch (mode) {
    case 'all':
      return ['web', 'worker'];
    case 'web':
      return ['web'];
    case 'worker':
      return ['worker'];
    case 'auto':
      return isLeader ? ['web'] : ['worker'];
  }
}

export function describeRoles(roles: readonly Role[]): string {
  if (roles.length === 2) return 'Web+worker';
  return roles[0] === 'web' ? 'Web' : 'Worker';
}

/** Roles as a peer publishes them (`web,worker`): the relation-bag edge. */
export function formatRoles(roles: readonly Role[]): string {
  return roles.join(',');
}

/** A peer's published roles; anything that is not a role (an older or newer charm's word) is ignored. */
export function parseRoles(value: string | undefined): readonly Role[] {
  return (value ?? '').split(',').filter((r): r is Role => r === 'web' || r === 'worker');
}
