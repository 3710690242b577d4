// Domain: how short operator-facing status messages are composed.

/** Juju shows one line; long messages are cut by the CLI, so keep the cause first and the fix second. */
export function joinStatus(...parts: readonly (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' · ');
}
