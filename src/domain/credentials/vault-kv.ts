// Domain: the `vault-kv` relation (requires), with the data shapes of the vault charm's published library
// (canonical/vault-k8s-operator and vault-operator, lib/charms/vault_k8s/v0/vault_kv.py, LIBAPI 0): the requirer's
// leader sends `mount_suffix`, each unit `nonce` and `egress_subnet`; the provider answers in its application bag
// with `vault_url`, `ca_certificate`, `mount` (`charm-<app>-<suffix>`) and `credentials`, a JSON map from each
// unit's nonce to a Juju secret holding `role-id` and `role-secret-id` (an AppRole for that unit).

import { z } from 'zod';
import { InvalidInputError } from '../errors';
import type { EnvEntry } from '../service-values';

export const VAULT_KV_ENDPOINT = 'vault-kv';
/** The KV mount the vault charm makes for us is `charm-<app>-concourse`. */
export const VAULT_KV_MOUNT_SUFFIX = 'concourse';
/** The CA the provider sends is written here on the unit (public data). */
export const VAULT_KV_CA_FILE = '/etc/concourse/auth/vault-kv-ca.pem';

/** The leader's application bag. */
export function vaultKvAppRequest(): Readonly<Record<string, string>> {
  return { mount_suffix: VAULT_KV_MOUNT_SUFFIX };
}

/** A unit's bag: its nonce (kept by the unit) and where its requests come from (its address as a /32 or /128). */
export function vaultKvUnitRequest(nonce: string, address: string): Readonly<Record<string, string>> {
  return { nonce, egress_subnet: address.includes(':') ? `${address}/128` : `${address}/32` };
}

const answerSchema = z.object({
  vault_url: z.string().regex(/^https?:\/\/[^\s"'`$\\]+$/),
  mount: z.string().regex(/^[A-Za-z0-9._-]+$/),
  ca_certificate: z.string().regex(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/),
  credentials: z.string().transform((s, ctx) => {
    try {
      return z.record(z.string(), z.string()).parse(JSON.parse(s));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'credentials is not a JSON map' });
      return z.NEVER;
    }
  }),
});

export interface VaultKvAnswer {
  readonly url: string;
  readonly mount: string;
  readonly caCertificate: string;
  /** The Juju secret holding this unit's AppRole, once the provider made one for its nonce. */
  readonly credentialsSecret: string | undefined;
}

/** The provider's answer for this unit; undefined while it has not answered (or answered for other units only). */
export function parseVaultKvAnswer(app: Readonly<Record<string, string>>, nonce: string): VaultKvAnswer | undefined {
  if (app.vault_url === undefined) return undefined;
  const parsed = answerSchema.safeParse(app);
  if (!parsed.success) {
    throw new InvalidInputError(
      `The vault-kv provider's data is not what the vault_kv library sends (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`,
    );
  }
  const a = parsed.data;
  return { url: a.vault_url, mount: a.mount, caCertificate: a.ca_certificate, credentialsSecret: a.credentials[nonce] };
}

/** The env for Concourse's Vault credential manager over AppRole, and the CA file it names. */
export function vaultKvEnv(
  answer: VaultKvAnswer,
  approle: Readonly<Record<string, string>>,
): { readonly env: readonly EnvEntry[]; readonly file: { readonly path: string; readonly content: string } } {
  const roleId = approle['role-id'];
  const secretId = approle['role-secret-id'];
  if (roleId === undefined || secretId === undefined || /,/.test(roleId + secretId)) {
    throw new InvalidInputError('The vault-kv credentials secret has no role-id and role-secret-id');
  }
  return {
    env: [
      ['CONCOURSE_VAULT_URL', answer.url],
      ['CONCOURSE_VAULT_CA_CERT', VAULT_KV_CA_FILE],
      ['CONCOURSE_VAULT_PATH_PREFIX', `/${answer.mount}`],
      ['CONCOURSE_VAULT_AUTH_BACKEND', 'approle'],
      ['CONCOURSE_VAULT_AUTH_PARAM', `role_id:${roleId},secret_id:${secretId}`],
    ],
    file: { path: VAULT_KV_CA_FILE, content: `${answer.caCertificate.trim()}\n` },
  };
}
