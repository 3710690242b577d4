// Domain: small helpers for the strings that arrive from Juju (env vars, relation bags, config), where an empty
// string means "not set".

/** `undefined` for an absent or empty string, the string otherwise. */
export function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
