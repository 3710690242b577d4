// Domain: how short operator-facing status messages are composed.

import { describeRoles, type Role } from './roles';

/** Juju shows one line; long messages are cut by the CLI, so keep the cause first and the fix second. */
export function joinStatus(...parts: readonly (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' · ');
}

/** `Web ready (v7.14.2) http://10.0.0.5:8080`, `Worker ready (v7.14.2)`: what runs, which release, where. */
export function readyMessage(roles: readonly Role[], version: string, url: string | undefined): string {
  return [`${describeRoles(roles)} ready (v${version})`, roles.includes('web') ? url : undefined]
    .filter((p) => p !== undefined && p !== '')
    .join(' ');
}
