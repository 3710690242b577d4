// Hooks: the `vault-kv` relation. The leader asks for a KV mount, each web unit sends its nonce (kept in its
// charm state) and address, and reads its AppRole from the Juju secret the provider named for that nonce, with
// `secret-get --refresh` (the provider rotates it with secret-changed). Shapes: src/domain/credentials/vault-kv.ts.

import { inject, injectable } from 'inversify';
import {
  parseVaultKvAnswer,
  VAULT_KV_ENDPOINT,
  vaultKvAppRequest,
  vaultKvEnv,
  vaultKvUnitRequest,
} from '../../domain/credentials/vault-kv';
import { CharmProblem } from '../../domain/errors';
import type { EnvEntry } from '../../domain/service-values';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { KEY_MAKER, type KeyMaker } from '../../ports/key-maker';
import { RelatedUnits } from './related-units';
import { RelationOutbox } from './relation-outbox';
import { MEMORY_KEYS, UnitMemory } from './unit-memory';

export interface VaultKvAccess {
  readonly env: readonly EnvEntry[];
  readonly file: { readonly path: string; readonly content: string };
}

@injectable()
export class VaultKvLink {
  constructor(
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(KEY_MAKER) private readonly keys: KeyMaker,
    @inject(RelatedUnits) private readonly related: RelatedUnits,
    @inject(RelationOutbox) private readonly outbox: RelationOutbox,
    @inject(UnitMemory) private readonly memory: UnitMemory,
  ) {}

  /** Undefined without the relation; throws `waiting` while Vault has not answered for this unit. */
  async access(): Promise<VaultKvAccess | undefined> {
    const [id] = await this.related.ids(VAULT_KV_ENDPOINT);
    if (id === undefined) return undefined;
    if (await this.tools.isLeader()) this.outbox.toAppBag(id, vaultKvAppRequest());
    let nonce = await this.memory.get(MEMORY_KEYS.vaultKvNonce);
    if (nonce === undefined) {
      nonce = this.keys.password();
      await this.memory.remember({ [MEMORY_KEYS.vaultKvNonce]: nonce });
    }
    const address = (await this.tools.networkGet(VAULT_KV_ENDPOINT)).ingressAddress;
    this.outbox.toUnitBag(id, vaultKvUnitRequest(nonce, address));
    const answer = parseVaultKvAnswer(await this.related.remoteApp(id), nonce);
    if (answer?.credentialsSecret === undefined) {
      throw new CharmProblem('waiting', 'Waiting for Vault (vault-kv) to send this unit its credentials');
    }
    const approle = await this.tools.secretGet({ id: answer.credentialsSecret }, { refresh: true });
    if (approle === undefined) {
      throw new CharmProblem('waiting', 'Vault (vault-kv) credentials cannot be read yet (secret not granted)');
    }
    return vaultKvEnv(answer, approle);
  }
}
