// Unit tests: pipeline credentials. encryption-key (and the old key kept after a change), a Vault set by hand, the
// secret cache → CONCOURSE_* entries; half-set Vault → blocked; every variable is a web flag of both releases.

import { describe, expect, test } from 'vitest';
import type { SecretContents } from '../../src/domain/auth/secret-options';
import {
  type AppliedKeys,
  appliedKeys,
  encryptionKeys,
  parseCredentialOptions,
  renderPipelineCredentials,
  VAULT_CA_FILE,
} from '../../src/domain/credentials/pipeline-credentials';
import { InvalidInputError } from '../../src/domain/errors';
import { renderEnvFile } from '../../src/domain/service-values';
import { RELEASES, webFlags } from '../support/web-flags';

const K1 = 'a'.repeat(32);
const K2 = 'b'.repeat(32);
const NONE: AppliedKeys = { key: undefined, old: undefined };
const URI = (c: string) => `secret:${c.repeat(20)}`;
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----';

function render(raw: Record<string, unknown>, contents: SecretContents = {}, applied: AppliedKeys = NONE) {
  return renderPipelineCredentials(parseCredentialOptions(raw), contents, applied);
}
const envOf = (raw: Record<string, unknown>, contents: SecretContents = {}, applied: AppliedKeys = NONE) =>
  Object.fromEntries(render(raw, contents, applied).env);

describe('encryptionKeys', () => {
  test.each<[string, string | undefined, AppliedKeys, AppliedKeys]>([
    ['never set', undefined, NONE, NONE],
    ['set for the first time', K1, NONE, { key: K1, old: undefined }],
    ['unchanged', K1, { key: K1, old: undefined }, { key: K1, old: undefined }],
    ['changed', K2, { key: K1, old: undefined }, { key: K2, old: K1 }],
    ['unchanged after a change (a restart mid-migration)', K2, { key: K2, old: K1 }, { key: K2, old: K1 }],
    ['removed (decrypt back to plain text)', undefined, { key: K1, old: undefined }, { key: undefined, old: K1 }],
  ])('%s → the key and the old key to run with', (_name, next, applied, expected) => {
    expect(encryptionKeys(next, applied)).toEqual(expected);
  });

  test.each(['short', 'x'.repeat(31), 'x'.repeat(33)])('a key of %s → blocked naming the lengths', (key) => {
    expect(() => encryptionKeys(key, NONE)).toThrow(/16, 24 or 32 bytes/);
  });

  test('an env file written by renderEnvFile → the keys read back exactly, quotes and escapes undone', () => {
    const tricky = 'a"b\\c$d`e'.padEnd(32, 'z');
    const file = renderEnvFile([
      ['CONCOURSE_BIND_PORT', '8080'],
      ['CONCOURSE_ENCRYPTION_KEY', tricky],
      ['CONCOURSE_OLD_ENCRYPTION_KEY', K1],
    ]);
    expect(appliedKeys(file)).toEqual({ key: tricky, old: K1 });
    expect(appliedKeys(undefined)).toEqual(NONE);
  });
});

describe('renderPipelineCredentials', () => {
  test('encryption-key changed → CONCOURSE_ENCRYPTION_KEY and CONCOURSE_OLD_ENCRYPTION_KEY', () => {
    expect(
      envOf({ 'encryption-key': URI('e') }, { 'encryption-key': { key: K2 } }, { key: K1, old: undefined }),
    ).toEqual({ CONCOURSE_ENCRYPTION_KEY: K2, CONCOURSE_OLD_ENCRYPTION_KEY: K1 });
  });

  test('Vault by token, with CA, prefix and namespace → its entries and the CA file', () => {
    const out = render(
      {
        'vault-url': 'https://vault.example:8200',
        'vault-client-token': URI('t'),
        'vault-ca-cert': PEM,
        'vault-path-prefix': '/ci',
        'vault-namespace': 'team',
      },
      { 'vault-client-token': { token: 'hvs.tok' } },
    );
    expect(Object.fromEntries(out.env)).toEqual({
      CONCOURSE_VAULT_URL: 'https://vault.example:8200',
      CONCOURSE_VAULT_PATH_PREFIX: '/ci',
      CONCOURSE_VAULT_NAMESPACE: 'team',
      CONCOURSE_VAULT_CLIENT_TOKEN: 'hvs.tok',
      CONCOURSE_VAULT_CA_CERT: VAULT_CA_FILE,
    });
    expect(out.files).toEqual([{ path: VAULT_CA_FILE, content: `${PEM}\n` }]);
  });

  test('Vault by AppRole → the parameters with dashes turned into underscores', () => {
    const env = envOf(
      { 'vault-url': 'https://v:8200', 'vault-auth-backend': 'approle', 'vault-auth-param': URI('p') },
      { 'vault-auth-param': { 'role-id': 'r1', 'secret-id': 's1' } },
    );
    expect(env).toMatchObject({
      CONCOURSE_VAULT_AUTH_BACKEND: 'approle',
      CONCOURSE_VAULT_AUTH_PARAM: 'role_id:r1,secret_id:s1',
    });
  });

  test('secret cache on → enabled with its duration; off → nothing', () => {
    expect(envOf({ 'secret-cache-enabled': true, 'secret-cache-duration': '90s' })).toEqual({
      CONCOURSE_SECRET_CACHE_ENABLED: 'true',
      CONCOURSE_SECRET_CACHE_DURATION: '90s',
    });
    expect(envOf({})).toEqual({});
  });

  test.each<[string, Record<string, unknown>, SecretContents, RegExp]>([
    ['Vault options without vault-url', { 'vault-namespace': 'x' }, {}, /vault-url is empty: set vault-url/],
    ['Vault with no way to log in', { 'vault-url': 'https://v' }, {}, /Vault needs a way to log in/],
    [
      'auth params without a backend',
      { 'vault-url': 'https://v', 'vault-auth-param': URI('p') },
      { 'vault-auth-param': { a: 'b' } },
      /needs vault-auth-backend/,
    ],
    ['a vault-url that is no URL', { 'vault-url': 'vault:8200' }, {}, /vault-url must be an http/],
    ['a bad duration', { 'secret-cache-duration': 'soon' }, {}, /secret-cache-duration must be a duration/],
    [
      'a token secret without the key',
      { 'vault-url': 'https://v', 'vault-client-token': URI('t') },
      { 'vault-client-token': { password: 'x' } },
      /has no "token" key/,
    ],
  ])('%s → blocked with the reason', (_name, raw, contents, message) => {
    const run = () => render(raw, contents);
    expect(run).toThrow(InvalidInputError);
    expect(run).toThrow(message);
  });

  test.each(RELEASES)('every option set → each variable is a web flag of %s', (release) => {
    const flags = webFlags(release);
    const out = render(
      {
        'encryption-key': URI('e'),
        'vault-url': 'https://v',
        'vault-ca-cert': PEM,
        'vault-path-prefix': '/c',
        'vault-auth-backend': 'approle',
        'vault-auth-param': URI('p'),
        'vault-client-token': URI('t'),
        'vault-namespace': 'n',
        'secret-cache-enabled': true,
      },
      { 'encryption-key': { key: K2 }, 'vault-auth-param': { 'role-id': 'r' }, 'vault-client-token': { token: 't' } },
      { key: K1, old: undefined },
    );
    const names = out.env.map(([k]) => k);
    expect(names.length).toBe(11);
    expect(names.filter((n) => !flags.has(n))).toEqual([]);
  });
});
