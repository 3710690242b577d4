// Simulator: a stand-in for the vault charm on the `vault-kv` interface, answering as its vault_kv library does
// (canonical/vault-k8s-operator lib/charms/vault_k8s/v0/vault_kv.py, VaultKvProvides.set_kv_data): for each
// requiring unit that sent a nonce, an AppRole in a Juju secret (`role-id`, `role-secret-id`) granted to that unit
// over the relation, and in its application bag `vault_url`, `ca_certificate`, `mount` and `credentials` (JSON,
// nonce → secret id).

import type { SimModel } from '../model';

export const VAULT_APP = 'vault';
export const VAULT_CA = '-----BEGIN CERTIFICATE-----\nMIIBvaultStandInCA\n-----END CERTIFICATE-----';

export async function relateVaultKv(sim: SimModel, app: string): Promise<string> {
  if (!sim.status().apps.some((a) => a.name === VAULT_APP)) {
    await sim.deployStub(VAULT_APP, { endpoints: { 'vault-kv': { interface: 'vault-kv', role: 'provides' } } });
  }
  return sim.integrate(`${app}:vault-kv`, `${VAULT_APP}:vault-kv`);
}

/** Answers every unit of `app` that asked; returns each unit's AppRole secret id. Units that did not ask are left out. */
export async function answerVaultKv(
  sim: SimModel,
  relationId: string,
  app: string,
  opts: { readonly url?: string } = {},
): Promise<Record<string, { readonly uri: string; readonly secretId: string }>> {
  const suffix = sim.relationData(relationId, app).mount_suffix;
  if (suffix === undefined) throw new Error(`${app} has not asked for a mount (mount_suffix) on ${relationId}`);
  const credentials: Record<string, string> = {};
  const out: Record<string, { uri: string; secretId: string }> = {};
  for (const unit of sim.status().units.filter((u) => u.name.startsWith(`${app}/`))) {
    const nonce = sim.relationData(relationId, unit.name).nonce;
    if (nonce === undefined) continue;
    const secretId = `role-secret-${unit.name.replace('/', '-')}`;
    const uri = await sim.addSecret(VAULT_APP, {
      'role-id': `role-${unit.name.replace('/', '-')}`,
      'role-secret-id': secretId,
    });
    await sim.grantSecret(uri, relationId, { unit: unit.name });
    credentials[nonce] = uri;
    out[unit.name] = { uri, secretId };
  }
  await sim.setRelationData(relationId, VAULT_APP, {
    vault_url: opts.url ?? 'https://10.1.2.3:8200',
    ca_certificate: VAULT_CA,
    mount: `charm-${app}-${suffix}`,
    credentials: JSON.stringify(credentials),
  });
  return out;
}
