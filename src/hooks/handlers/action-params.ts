// Hooks: action parameters, parsed once with a schema; a bad parameter fails the action with the reason.

import type { z } from 'zod';
import { InvalidInputError } from '../../domain/errors';

export function parseActionParams<T extends z.ZodType>(schema: T, raw: Readonly<Record<string, unknown>>): z.infer<T> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const reasons = result.error.issues.map((i) =>
      i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message,
    );
    throw new InvalidInputError(`Invalid action parameters: ${reasons.join('; ')}`);
  }
  return result.data;
}
