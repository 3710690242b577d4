// Unit tests: the vault-kv requirer, with the data shapes of the vault charm's vault_kv library: what this charm
// sends, how it reads the provider's answer for its own nonce, and the Concourse env for AppRole login.

import { describe, expect, test } from 'vitest';
import {
  parseVaultKvAnswer,
  VAULT_KV_CA_FILE,
  vaultKvAppRequest,
  vaultKvEnv,
  vaultKvUnitRequest,
} from '../../src/domain/credentials/vault-kv';
import { InvalidInputError } from '../../src/domain/errors';
import { RELEASES, webFlags } from '../support/web-flags';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const ANSWER = {
  vault_url: 'https://10.0.0.9:8200',
  mount: 'charm-concourse-ci-concourse',
  ca_certificate: CA,
  credentials: JSON.stringify({ n1: 'secret:aaaaaaaaaaaaaaaaaaaa', n2: 'secret:bbbbbbbbbbbbbbbbbbbb' }),
};

describe('vault-kv requirer', () => {
  test('requests → mount_suffix from the leader; nonce and egress_subnet (CIDR) from each unit', () => {
    expect(vaultKvAppRequest()).toEqual({ mount_suffix: 'concourse' });
    expect(vaultKvUnitRequest('n1', '10.0.0.5')).toEqual({ nonce: 'n1', egress_subnet: '10.0.0.5/32' });
    expect(vaultKvUnitRequest('n1', 'fd00::5')).toEqual({ nonce: 'n1', egress_subnet: 'fd00::5/128' });
  });

  test.each<[string, Record<string, string>, string, unknown]>([
    ['no answer yet', {}, 'n1', undefined],
    [
      'answered for this nonce',
      ANSWER,
      'n1',
      {
        url: ANSWER.vault_url,
        mount: ANSWER.mount,
        caCertificate: CA,
        credentialsSecret: 'secret:aaaaaaaaaaaaaaaaaaaa',
      },
    ],
    [
      'answered for other units only',
      ANSWER,
      'n3',
      { url: ANSWER.vault_url, mount: ANSWER.mount, caCertificate: CA, credentialsSecret: undefined },
    ],
  ])('%s → the answer for this unit', (_name, bag, nonce, expected) => {
    expect(parseVaultKvAnswer(bag, nonce)).toEqual(expected);
  });

  test.each<[string, Record<string, string>]>([
    ['credentials not JSON', { ...ANSWER, credentials: 'n1=x' }],
    ['a URL that is not one', { ...ANSWER, vault_url: 'vault' }],
    ['no CA', { ...ANSWER, ca_certificate: '' }],
  ])('%s → blocked naming the fields', (_name, bag) => {
    expect(() => parseVaultKvAnswer(bag, 'n1')).toThrow(InvalidInputError);
  });

  test.each(RELEASES)(
    'the AppRole answer → Concourse env for approle login, every variable a flag of %s',
    (release) => {
      const answer = parseVaultKvAnswer(ANSWER, 'n1');
      if (answer === undefined) throw new Error('no answer');
      const out = vaultKvEnv(answer, { 'role-id': 'r', 'role-secret-id': 's' });
      expect(Object.fromEntries(out.env)).toEqual({
        CONCOURSE_VAULT_URL: 'https://10.0.0.9:8200',
        CONCOURSE_VAULT_CA_CERT: VAULT_KV_CA_FILE,
        CONCOURSE_VAULT_PATH_PREFIX: '/charm-concourse-ci-concourse',
        CONCOURSE_VAULT_AUTH_BACKEND: 'approle',
        CONCOURSE_VAULT_AUTH_PARAM: 'role_id:r,secret_id:s',
      });
      expect(out.file).toEqual({ path: VAULT_KV_CA_FILE, content: `${CA}\n` });
      const flags = webFlags(release);
      expect(out.env.filter(([k]) => !flags.has(k))).toEqual([]);
      expect(() => vaultKvEnv(answer, { 'role-id': 'r' })).toThrow(/no role-id and role-secret-id/);
    },
  );
});
