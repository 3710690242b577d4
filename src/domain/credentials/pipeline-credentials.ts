// Domain: where pipelines' credentials come from and how the database is encrypted: `encryption-key` (with the
// previous key kept as CONCOURSE_OLD_ENCRYPTION_KEY after a change), a Vault outside the model (`vault-*`), and the
// secret cache. Pure: the hook layer reads the secrets and what the web last ran with, this decides the env.

import { z } from 'zod';
import {
  type OptionFamily,
  parseFamilyWithSecrets,
  type SecretContents,
  secretMap,
  secretUriOption,
  secretValue,
} from '../auth/secret-options';
import { InvalidInputError } from '../errors';
import type { EnvEntry } from '../service-values';

/** The Vault CA (public) is written here on the unit; CONCOURSE_VAULT_CA_CERT is a path. */
export const VAULT_CA_FILE = '/etc/concourse/auth/vault-ca-cert.pem';

// Go's time.ParseDuration, as Concourse parses CONCOURSE_SECRET_CACHE_DURATION.
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;

const schema = z.object({
  'encryption-key': secretUriOption('encryption-key'),
  'vault-url': z
    .string()
    .default('')
    .refine((s) => s === '' || /^https?:\/\/[^\s"'`$\\]+$/.test(s), {
      error: () => 'vault-url must be an http:// or https:// URL',
    }),
  'vault-ca-cert': z.string().default(''),
  'vault-path-prefix': z
    .string()
    .default('')
    .refine((s) => s === '' || /^\/[A-Za-z0-9._/-]*$/.test(s), {
      error: () => 'vault-path-prefix must be a path such as /concourse',
    }),
  'vault-auth-backend': z
    .string()
    .default('')
    .refine((s) => /^[A-Za-z0-9._/-]*$/.test(s), { error: () => 'vault-auth-backend must be a name such as approle' }),
  'vault-auth-param': secretUriOption('vault-auth-param'),
  'vault-client-token': secretUriOption('vault-client-token'),
  'vault-namespace': z.string().default(''),
  'secret-cache-enabled': z.boolean({ error: () => 'secret-cache-enabled must be true or false' }).default(false),
  'secret-cache-duration': z
    .string()
    .default('1m')
    .refine((s) => GO_DURATION.test(s), { error: () => 'secret-cache-duration must be a duration such as 1m or 30s' }),
});
export type CredentialOptions = OptionFamily<z.infer<typeof schema>>;

export function parseCredentialOptions(raw: Readonly<Record<string, unknown>>): CredentialOptions {
  return parseFamilyWithSecrets(schema, raw, ['encryption-key', 'vault-auth-param', 'vault-client-token']);
}

/** The keys the web last ran with, read back from its env file on this unit (undefined: none). */
export interface AppliedKeys {
  readonly key: string | undefined;
  readonly old: string | undefined;
}

/** One variable of an env file written by renderEnvFile (values double-quoted, `"\\`$` backslash-escaped). */
export function envFileValue(envFile: string | undefined, name: string): string | undefined {
  const line = (envFile ?? '').split('\n').find((l) => l.startsWith(`${name}="`) && l.endsWith('"'));
  return line?.slice(name.length + 2, -1).replace(/\\(.)/g, '$1');
}

/** The keys in the web's env file. */
export function appliedKeys(envFile: string | undefined): AppliedKeys {
  return {
    key: envFileValue(envFile, 'CONCOURSE_ENCRYPTION_KEY'),
    old: envFileValue(envFile, 'CONCOURSE_OLD_ENCRYPTION_KEY'),
  };
}

/**
 * The encryption keys to run with. Concourse re-encrypts with the new key on start when the old one is given, and
 * decrypts back to plain text when only the old one is: so a changed (or removed) key keeps the one the web ran with
 * as the old key, and an unchanged key keeps whatever old key was there (a restart mid-migration still has it).
 */
export function encryptionKeys(next: string | undefined, applied: AppliedKeys): AppliedKeys {
  if (next !== undefined && ![16, 24, 32].includes(new TextEncoder().encode(next).length)) {
    throw new InvalidInputError('encryption-key must hold a key of 16, 24 or 32 bytes (AES), 32 recommended');
  }
  if (next === applied.key) return { key: next, old: applied.old };
  return { key: next, old: applied.key ?? applied.old };
}

export interface PipelineCredentials {
  readonly env: readonly EnvEntry[];
  readonly files: ReadonlyArray<{ readonly path: string; readonly content: string }>;
}

/** The env for encryption, a manually configured Vault and the secret cache. */
export function renderPipelineCredentials(
  options: CredentialOptions,
  contents: SecretContents,
  applied: AppliedKeys,
): PipelineCredentials {
  const v = options.values;
  const env: EnvEntry[] = [];
  const files: Array<{ path: string; content: string }> = [];

  const keys = encryptionKeys(secretValue(contents, 'encryption-key'), applied);
  if (keys.key !== undefined) env.push(['CONCOURSE_ENCRYPTION_KEY', keys.key]);
  if (keys.old !== undefined && keys.old !== keys.key) env.push(['CONCOURSE_OLD_ENCRYPTION_KEY', keys.old]);

  const vaultSet = ['vault-ca-cert', 'vault-path-prefix', 'vault-auth-backend', 'vault-namespace'].some(
    (o) => (v as Record<string, unknown>)[o] !== '',
  );
  const token = secretValue(contents, 'vault-client-token');
  const params = secretMap(contents, 'vault-auth-param');
  if (v['vault-url'] === '' && (vaultSet || token !== undefined || params !== undefined)) {
    throw new InvalidInputError('Vault options are set but vault-url is empty: set vault-url');
  }
  if (v['vault-url'] !== '') {
    if (params !== undefined && v['vault-auth-backend'] === '') {
      throw new InvalidInputError('vault-auth-param needs vault-auth-backend (such as approle)');
    }
    if (token === undefined && v['vault-auth-backend'] === '') {
      throw new InvalidInputError(
        'Vault needs a way to log in: set vault-client-token, or vault-auth-backend and vault-auth-param',
      );
    }
    env.push(['CONCOURSE_VAULT_URL', v['vault-url']]);
    if (v['vault-path-prefix'] !== '') env.push(['CONCOURSE_VAULT_PATH_PREFIX', v['vault-path-prefix']]);
    if (v['vault-namespace'] !== '') env.push(['CONCOURSE_VAULT_NAMESPACE', v['vault-namespace']]);
    if (v['vault-auth-backend'] !== '') env.push(['CONCOURSE_VAULT_AUTH_BACKEND', v['vault-auth-backend']]);
    if (params !== undefined) {
      // Juju secret keys cannot hold `_`; Vault's parameters (role_id, secret_id) do.
      const pairs = Object.entries(params).map(([k, value]) => {
        if (value.includes(',')) throw new InvalidInputError(`vault-auth-param: the value of "${k}" holds a comma`);
        return `${k.replaceAll('-', '_')}:${value}`;
      });
      env.push(['CONCOURSE_VAULT_AUTH_PARAM', pairs.join(',')]);
    }
    if (token !== undefined) env.push(['CONCOURSE_VAULT_CLIENT_TOKEN', token]);
    const pem = v['vault-ca-cert'].trim();
    if (pem !== '') {
      if (!/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/.test(pem)) {
        throw new InvalidInputError('vault-ca-cert must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)');
      }
      files.push({ path: VAULT_CA_FILE, content: `${pem}\n` });
      env.push(['CONCOURSE_VAULT_CA_CERT', VAULT_CA_FILE]);
    }
  }

  if (v['secret-cache-enabled']) {
    env.push(['CONCOURSE_SECRET_CACHE_ENABLED', 'true']);
    env.push(['CONCOURSE_SECRET_CACHE_DURATION', v['secret-cache-duration']]);
  }
  return { env, files };
}
