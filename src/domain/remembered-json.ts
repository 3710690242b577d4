// Domain: JSON a unit wrote for itself earlier (unit state, marker text), read back through a schema. Anything
// absent, unreadable or of another shape (a charm revision that wrote something else) reads as undefined.

import type { z } from 'zod';

export function parseRememberedJson<S extends z.ZodType>(schema: S, text: string | undefined): z.output<S> | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
