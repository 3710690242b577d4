// Hooks: the `get-admin-password` action: the initial admin user's name and password, read from the application's
// web keys secret (never from a file, never logged).

import { inject, injectable } from 'inversify';
import { z } from 'zod';
import type { CharmConfig } from '../../domain/charm-config';
import { InvalidInputError } from '../../domain/errors';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { CHARM_CONFIG } from '../../ports/hook-values';
import { WebKeysStore } from '../reconcile/web-keys-store';
import type { Handler } from '../tokens';
import { parseActionParams } from './action-params';

@injectable()
export class GetAdminPasswordAction implements Handler {
  constructor(
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(WebKeysStore) private readonly webKeys: WebKeysStore,
  ) {}

  async run(): Promise<void> {
    parseActionParams(z.object({}).strict(), await this.tools.actionGet());
    if (this.config.mode === 'worker') {
      throw new InvalidInputError(
        'This application runs workers only (mode=worker): run get-admin-password on the web application',
      );
    }
    const keys = await this.webKeys.read();
    await this.tools.actionSet({ username: this.config.initialAdminUsername, password: keys.adminPassword });
  }
}
