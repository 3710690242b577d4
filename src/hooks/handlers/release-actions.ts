// Hooks: `upgrade` and `rollback`. Their parameters are parsed and validated here; the roll-out
// (UpgradeCoordinator) is not built yet, so a valid request fails with that reason and changes nothing.

import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { InvalidInputError } from '../../domain/errors';
import type { HookContext } from '../../domain/hook-event';
import { ConcourseVersion } from '../../domain/version';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { HOOK_CONTEXT } from '../../ports/peer-relation';
import type { Handler } from '../tokens';
import { parseActionParams } from './action-params';

const versionParams = z.object({ version: z.string().optional() }).strict();

@injectable()
export class NotYetAvailableAction implements Handler {
  constructor(
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
  ) {}

  async run(): Promise<void> {
    const name = this.context.event.name;
    const raw = await this.tools.actionGet();
    const { version } = parseActionParams(versionParams, raw);
    if (version !== undefined && version.trim() !== '') ConcourseVersion.parse(version, 'version parameter');
    throw new InvalidInputError(
      `The ${name} action is not available in this revision of the charm: nothing was changed`,
    );
  }
}
