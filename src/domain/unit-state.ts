// Domain: `worker/<app>-<n>/state.json`, each unit's own record on the volume of what it runs (FR-008). Release
// garbage collection reads every unit's record, so a release some unit still runs is never removed.

import { z } from 'zod';

export const unitStateSchema = z.object({
  unit: z.string(),
  roles: z.array(z.enum(['web', 'worker'])),
  /** Version the unit's services run from; undefined until the first start. */
  runningVersion: z.string().optional(),
  /** The version this unit is installing or switching to: protected from garbage collection like the running one. */
  targetVersion: z.string().optional(),
  /** Where this unit's worker keeps containers and volumes (local disk when the volume is a network filesystem). */
  workDir: z.string().optional(),
  updatedAt: z.string(),
});

export type UnitStateRecord = z.infer<typeof unitStateSchema>;

export function parseUnitState(raw: unknown): UnitStateRecord | undefined {
  const r = unitStateSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}
