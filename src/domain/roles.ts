// Domain: which Concourse components a unit runs, from the `mode` config and leadership.

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
