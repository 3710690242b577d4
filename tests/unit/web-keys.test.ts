import { describe, expect, test } from 'vitest';
import { parseWebKeys, type WebKeys, webKeysContent } from '../../src/domain/web-keys';

const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;

const keys: WebKeys = {
  sessionSigningKey: pem('RSA PRIVATE KEY', 'MIIEowIBAAKCAQEAsession\nc2Vzc2lvbg=='),
  tsaHostKey: pem('OPENSSH PRIVATE KEY', 'b3BlbnNzaC1rZXktdjEAAAAA\ndHNhaG9zdA=='),
  tsaHostPublicKey: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 concourse',
  adminPassword: 'Qm9vdHN0cmFwcGVkLXBhc3N3b3Jk',
};

const content = (over: Record<string, string | undefined> = {}): Record<string, string> => {
  const c: Record<string, string | undefined> = { ...webKeysContent(keys), ...over };
  return Object.fromEntries(Object.entries(c).filter((e): e is [string, string] => e[1] !== undefined));
};

describe('webKeysContent', () => {
  test('keys → secret content under lower-case, dashed names', () => {
    expect(webKeysContent(keys)).toEqual({
      'session-signing-key': keys.sessionSigningKey,
      'tsa-host-key': keys.tsaHostKey,
      'tsa-host-public-key': keys.tsaHostPublicKey,
      'admin-password': keys.adminPassword,
    });
    for (const name of Object.keys(webKeysContent(keys))) expect(name).toMatch(/^[a-z][a-z-]*[a-z]$/);
  });
});

describe('parseWebKeys', () => {
  test('round trip → the same keys', () => {
    expect(parseWebKeys(webKeysContent(keys))).toEqual(keys);
  });

  test('PKCS#8 "PRIVATE KEY" label → accepted', () => {
    const k = { ...keys, sessionSigningKey: pem('PRIVATE KEY', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC') };
    expect(parseWebKeys(webKeysContent(k))).toEqual(k);
  });

  test('private keys without the final newline (Juju may trim) → newline restored', () => {
    const parsed = parseWebKeys(
      content({
        'session-signing-key': keys.sessionSigningKey.trimEnd(),
        'tsa-host-key': keys.tsaHostKey.trimEnd(),
      }),
    );
    expect(parsed?.sessionSigningKey).toBe(keys.sessionSigningKey);
    expect(parsed?.tsaHostKey).toBe(keys.tsaHostKey);
  });

  test('public key with a trailing newline → trimmed', () => {
    expect(parseWebKeys(content({ 'tsa-host-public-key': `${keys.tsaHostPublicKey}\n` }))?.tsaHostPublicKey).toBe(
      keys.tsaHostPublicKey,
    );
  });

  test('unknown extra keys in the secret → ignored', () => {
    expect(parseWebKeys(content({ 'added-later': 'x' }))).toEqual(keys);
  });

  test('exactly 16 characters of password → accepted', () => {
    expect(parseWebKeys(content({ 'admin-password': 'p'.repeat(16) }))?.adminPassword).toBe('p'.repeat(16));
  });

  test.each<[string, Record<string, string> | undefined]>([
    ['no secret content', undefined],
    ['empty secret', {}],
    ['session signing key missing', content({ 'session-signing-key': undefined })],
    ['TSA host key missing', content({ 'tsa-host-key': undefined })],
    ['TSA public key missing', content({ 'tsa-host-public-key': undefined })],
    ['admin password missing', content({ 'admin-password': undefined })],
    ['admin password empty', content({ 'admin-password': '' })],
    ['admin password of 15 characters', content({ 'admin-password': 'p'.repeat(15) })],
    ['session signing key empty', content({ 'session-signing-key': '' })],
    ['session signing key not PEM', content({ 'session-signing-key': 'c2Vzc2lvbg==' })],
    ['session signing key is a public key', content({ 'session-signing-key': pem('PUBLIC KEY', 'MIIBIjAN') })],
    ['session signing key is a certificate', content({ 'session-signing-key': pem('CERTIFICATE', 'MIIC') })],
    [
      'PEM without body',
      content({ 'tsa-host-key': '-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\n' }),
    ],
    ['PEM header only', content({ 'tsa-host-key': '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n' })],
    ['PEM with text before it', content({ 'tsa-host-key': `junk\n${keys.tsaHostKey}` })],
    ['PEM with text after it', content({ 'tsa-host-key': `${keys.tsaHostKey}junk\n` })],
    ['TSA public key empty', content({ 'tsa-host-public-key': '' })],
    ['TSA public key malformed', content({ 'tsa-host-public-key': 'ssh-rsa' })],
    ['TSA public key is the private key', content({ 'tsa-host-public-key': keys.tsaHostKey })],
    [
      'two TSA public keys',
      content({ 'tsa-host-public-key': `${keys.tsaHostPublicKey}\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9` }),
    ],
  ])('%s → undefined (no throw, no value shown)', (_, raw) => {
    expect(parseWebKeys(raw)).toBeUndefined();
  });
});
