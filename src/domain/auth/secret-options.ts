// Domain: config options of type `secret` (Juju >= 3.3 user secrets). The option's value is a secret URI; the charm
// reads the content with `secret-get` and never copies it anywhere but the unit's env file.
//
// Juju facts this relies on (juju/juju, cited where each is modelled in sim/): `juju config` accepts `secret:<id>`,
// the bare id or `secret://<uuid>/<id>` and checks only that it parses (apiserver/facades/client/application/
// application.go validateSecretConfig, core/secrets ParseURI); the operator must `juju grant-secret <secret> <app>`
// before a unit may read it; a revoked (or never made) grant makes `secret-get` answer `permission denied`
// (apiserver/facades/agent/secretsmanager/secrets.go, getSecretContent); `juju update-secret` sends `secret-changed`
// to every unit tracking an older revision, which reads the new one with `secret-get --refresh`. No hook runs on a
// grant or a revoke: the unit sees either in its next hook.

import { z } from 'zod';
import { InvalidInputError } from '../errors';

/** Juju's secret ids: 20 characters of base32hex (an xid). */
const SECRET_URI = /^(?:secret:)?(?:\/\/[0-9a-f-]{36}\/)?([0-9a-v]{20})$/;

/** A config option that names a secret, and the key of the content this charm reads from it. */
export interface SecretOptionSpec {
  readonly option: string;
  /** The content key holding the value; undefined: every key is a value (a map such as extra-local-users). */
  readonly key: string | undefined;
  /** An example value for the README's and the status's `juju add-secret` recipe. */
  readonly example: string;
}

/** Every secret option the charm has, with the key the operator puts the value under. */
export const SECRET_OPTIONS = {
  'extra-local-users': { option: 'extra-local-users', key: undefined, example: 'alice=password-or-bcrypt' },
  'ldap-bind-pw': { option: 'ldap-bind-pw', key: 'password', example: 'password=...' },
  'oidc-client-secret': { option: 'oidc-client-secret', key: 'client-secret', example: 'client-secret=...' },
  'oauth-client-secret': { option: 'oauth-client-secret', key: 'client-secret', example: 'client-secret=...' },
  'github-client-secret': { option: 'github-client-secret', key: 'client-secret', example: 'client-secret=...' },
  'encryption-key': { option: 'encryption-key', key: 'key', example: 'key=<32 characters>' },
  'vault-auth-param': { option: 'vault-auth-param', key: undefined, example: 'role-id=... secret-id=...' },
  'vault-client-token': { option: 'vault-client-token', key: 'token', example: 'token=...' },
} as const satisfies Record<string, SecretOptionSpec>;
export type SecretOption = keyof typeof SECRET_OPTIONS;

/** One secret option that is set: which option, and the secret it names (normalised to `secret:<id>`). */
export interface SecretRef {
  readonly option: SecretOption;
  readonly uri: string;
}

/** The option's value as a zod schema: empty (unset) or a secret URI in any form `juju config` accepts. */
export function secretUriOption(option: SecretOption) {
  return z
    .string()
    .default('')
    .refine((s) => s.trim() === '' || SECRET_URI.test(s.trim()), {
      error: () => `${option} must be a secret URI (secret:...) from 'juju add-secret'`,
    })
    .transform((s) => {
      const id = SECRET_URI.exec(s.trim())?.[1];
      return id === undefined ? undefined : `secret:${id}`;
    });
}

/** Content read with secret-get, per option that is set. */
export type SecretContents = Readonly<Partial<Record<SecretOption, Readonly<Record<string, string>>>>>;

/** The value under the option's key, or a blocked status telling the operator which key to add. */
export function secretValue(contents: SecretContents, option: SecretOption): string | undefined {
  const content = contents[option];
  if (content === undefined) return undefined;
  const spec: SecretOptionSpec = SECRET_OPTIONS[option];
  const key = spec.key ?? '';
  const value = content[key];
  if (value === undefined || value === '') {
    throw new InvalidInputError(
      `The secret in ${option} has no "${key}" key: juju update-secret <secret> ${spec.example}`,
    );
  }
  return value;
}

/** Every key and value of a map secret (extra-local-users, vault-auth-param), or undefined when unset. */
export function secretMap(
  contents: SecretContents,
  option: SecretOption,
): Readonly<Record<string, string>> | undefined {
  return contents[option];
}

/**
 * The status of a unit that cannot read a secret named in its config: the grant is missing or was revoked, or the
 * secret was removed. Names the option and the command that fixes it.
 */
export function unreadableSecret(ref: SecretRef, app: string): InvalidInputError {
  return new InvalidInputError(
    `Cannot read the secret in ${ref.option} (${ref.uri}): juju grant-secret ${ref.uri} ${app}`,
  );
}

/** Parses one family of options; every invalid one is named in a single blocked status, as charm-config does. */
export function parseOptionFamily<T extends z.ZodType>(schema: T, raw: Readonly<Record<string, unknown>>): z.output<T> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const reasons = [...new Set(result.error.issues.map((i) => i.message))];
    throw new InvalidInputError(`Invalid config: ${reasons.join('; ')}`);
  }
  return result.data;
}

/** A family of options parsed, and the secrets it names: read each with secret-get before rendering. */
export interface OptionFamily<T> {
  readonly values: T;
  readonly secrets: readonly SecretRef[];
}

/** Parses a family and lists the secrets its secret options name. */
export function parseFamilyWithSecrets<T extends z.ZodType>(
  schema: T,
  raw: Readonly<Record<string, unknown>>,
  options: readonly SecretOption[],
): OptionFamily<z.output<T>> {
  const values = parseOptionFamily(schema, raw);
  return { values, secrets: secretRefs(values as Partial<Record<SecretOption, string | undefined>>, options) };
}

/** The secrets that the parsed options name, in the order given. */
function secretRefs(
  values: Readonly<Partial<Record<SecretOption, string | undefined>>>,
  options: readonly SecretOption[],
): SecretRef[] {
  return options.flatMap((option) => {
    const uri = values[option];
    return uri === undefined ? [] : [{ option, uri }];
  });
}
