// Unit tests: the OIDC discovery request a rendered web env makes at start, whether the web already runs with it,
// and the verdict on the provider's answer (Concourse's web does not start unless it names the same issuer).

import { describe, expect, test } from 'vitest';
import {
  discoveryUnchanged,
  judgeDiscovery,
  OIDC_CA_FILE,
  oidcDiscoveryRequest,
} from '../../src/domain/auth/oidc-discovery';

const ISSUER = 'https://sso.example.com/realms/ci/';
const ENV: [string, string][] = [
  ['CONCOURSE_OIDC_ISSUER', ISSUER],
  ['CONCOURSE_OIDC_CLIENT_SECRET', 's'],
];
const REQUEST = oidcDiscoveryRequest(ENV);
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('oidcDiscoveryRequest', () => {
  test('an issuer with a trailing slash → the document under it, the issuer kept as written', () => {
    expect(REQUEST).toEqual({
      issuer: ISSUER,
      url: 'https://sso.example.com/realms/ci/.well-known/openid-configuration',
      skipVerify: false,
    });
  });

  test('no OIDC login (or one Concourse would drop: no client secret) → no request', () => {
    expect(oidcDiscoveryRequest([])).toBeUndefined();
    expect(oidcDiscoveryRequest([['CONCOURSE_OIDC_ISSUER', ISSUER]])).toBeUndefined();
  });

  test('skip-ssl-validation → asked without verification', () => {
    expect(oidcDiscoveryRequest([...ENV, ['CONCOURSE_OIDC_SKIP_SSL_VALIDATION', 'true']])?.skipVerify).toBe(true);
  });
});

describe('judgeDiscovery', () => {
  const request = REQUEST ?? { issuer: '', url: '', skipVerify: false };
  test.each<[string, Parameters<typeof judgeDiscovery>[1], RegExp | undefined]>([
    [
      'the same issuer → no verdict against it',
      { kind: 'answer', status: 200, body: JSON.stringify({ issuer: ISSUER }) },
      undefined,
    ],
    ['no answer (a proxy, no route) → no verdict', { kind: 'no-answer', reason: 'ETIMEDOUT' }, undefined],
    [
      'the issuer without its trailing slash → blocked naming both',
      { kind: 'answer', status: 200, body: JSON.stringify({ issuer: ISSUER.slice(0, -1) }) },
      /^oidc-issuer is \S+\/ci\/ but its provider calls itself \S+\/ci: set oidc-issuer to exactly that/,
    ],
    ['no issuer at all → blocked', { kind: 'answer', status: 200, body: '{}' }, /calls itself undefined/],
    ['HTTP 500 → blocked', { kind: 'answer', status: 500, body: '' }, /answered HTTP 500: check oidc-issuer/],
    ['not JSON → blocked', { kind: 'answer', status: 200, body: 'hello' }, /is not JSON/],
    [
      'an untrusted certificate → blocked: set oidc-ca-cert',
      { kind: 'untrusted', reason: 'CERT_HAS_EXPIRED' },
      /set oidc-ca-cert to its CA/,
    ],
  ])('%s', (_name, answer, blocked) => {
    const verdict = judgeDiscovery(request, answer);
    if (blocked === undefined) expect(verdict).toBeUndefined();
    else expect(verdict).toMatch(blocked);
  });
});

describe('discoveryUnchanged', () => {
  const request = REQUEST ?? { issuer: '', url: '', skipVerify: false };
  const file = (lines: string[]) => `${lines.join('\n')}\n`;
  test('the web runs with the same issuer, verification and CA → unchanged', () => {
    const envFile = file([`CONCOURSE_OIDC_ISSUER="${ISSUER}"`, `CONCOURSE_OIDC_CA_CERT="${OIDC_CA_FILE}"`]);
    expect(discoveryUnchanged(request, PEM, { envFile, ca: PEM })).toBe(true);
  });

  test.each<[string, string | undefined, string | undefined, string | undefined]>([
    ['no web yet', undefined, undefined, undefined],
    ['another issuer', file(['CONCOURSE_OIDC_ISSUER="https://old.example"']), undefined, undefined],
    ['a new CA', file([`CONCOURSE_OIDC_ISSUER="${ISSUER}"`, `CONCOURSE_OIDC_CA_CERT="${OIDC_CA_FILE}"`]), 'old', PEM],
    ['a CA added', file([`CONCOURSE_OIDC_ISSUER="${ISSUER}"`]), undefined, PEM],
    [
      'verification turned back on',
      file([`CONCOURSE_OIDC_ISSUER="${ISSUER}"`, 'CONCOURSE_OIDC_SKIP_SSL_VALIDATION="true"']),
      undefined,
      undefined,
    ],
  ])('%s → changed: ask the provider', (_name, envFile, ca, nextCa) => {
    expect(discoveryUnchanged(request, nextCa, { envFile, ca })).toBe(false);
  });
});
