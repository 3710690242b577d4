// Unit tests: who may log in. Auth options and the secrets they name → the web's CONCOURSE_* entries and CA files,
// or a blocked status (a half-set provider, a main team with no way in); every variable is a flag of both releases.

import { describe, expect, test } from 'vitest';
import type { SecretContents } from '../../src/domain/auth/secret-options';
import { AUTH_CA_DIR, PLAIN_AUTH_OPTIONS, parseWebAuthOptions, renderWebAuth } from '../../src/domain/auth/web-auth';
import { InvalidInputError } from '../../src/domain/errors';
import { RELEASES, webFlags } from '../support/web-flags';

const ADMIN = { username: 'admin', password: 'Adm1nPassw0rd' };
const URI = (n: number) => `secret:${String(n).padStart(20, 'c')}`;
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----';

function render(raw: Record<string, unknown>, contents: SecretContents = {}) {
  return renderWebAuth(parseWebAuthOptions(raw), contents, ADMIN);
}
const envOf = (raw: Record<string, unknown>, contents: SecretContents = {}) =>
  Object.fromEntries(render(raw, contents).env);

const OIDC = { 'oidc-issuer': 'https://id.example', 'oidc-client-id': 'ci', 'oidc-client-secret': URI(1) };
const OIDC_SECRET: SecretContents = { 'oidc-client-secret': { 'client-secret': 'oidc-s3cret' } };

describe('renderWebAuth', () => {
  test('nothing set → the initial admin alone, in the main team', () => {
    expect(render({})).toEqual({
      env: [
        ['CONCOURSE_ADD_LOCAL_USER', 'admin:Adm1nPassw0rd'],
        ['CONCOURSE_MAIN_TEAM_LOCAL_USER', 'admin'],
      ],
      files: [],
    });
  });

  test('extra-local-users and main-team-local-user → every user added, the chosen ones in the main team', () => {
    const bcrypt = `$2b$10$${'a'.repeat(53)}`;
    const env = envOf(
      { 'extra-local-users': URI(2), 'main-team-local-user': 'admin, alice' },
      { 'extra-local-users': { alice: 'pw-alice', bob: bcrypt } },
    );
    expect(env.CONCOURSE_ADD_LOCAL_USER).toBe(`admin:Adm1nPassw0rd,alice:pw-alice,bob:${bcrypt}`);
    expect(env.CONCOURSE_MAIN_TEAM_LOCAL_USER).toBe('admin,alice');
  });

  test('OIDC fully set → its entries, the client secret from the secret', () => {
    const env = envOf({ ...OIDC, 'oidc-scope': 'openid,groups', 'main-team-oidc-group': 'ops' }, OIDC_SECRET);
    expect(env).toMatchObject({
      CONCOURSE_OIDC_ISSUER: 'https://id.example',
      CONCOURSE_OIDC_CLIENT_ID: 'ci',
      CONCOURSE_OIDC_CLIENT_SECRET: 'oidc-s3cret',
      CONCOURSE_OIDC_SCOPE: 'openid,groups',
      CONCOURSE_MAIN_TEAM_OIDC_GROUP: 'ops',
    });
  });

  test('LDAP with a CA → the CA as a file on the unit, its path in the env', () => {
    const out = render(
      {
        'ldap-host': 'ldap.example:636',
        'ldap-bind-dn': 'cn=ci',
        'ldap-bind-pw': URI(3),
        'ldap-user-search-base-dn': 'ou=people',
        'ldap-user-search-username': 'uid',
        'ldap-ca-cert': PEM,
        'main-team-ldap-group': 'admins',
      },
      { 'ldap-bind-pw': { password: 'bind-pw' } },
    );
    expect(out.files).toEqual([{ path: `${AUTH_CA_DIR}/ldap-ca-cert.pem`, content: `${PEM}\n` }]);
    expect(Object.fromEntries(out.env)).toMatchObject({
      CONCOURSE_LDAP_HOST: 'ldap.example:636',
      CONCOURSE_LDAP_BIND_PW: 'bind-pw',
      CONCOURSE_LDAP_CA_CERT: `${AUTH_CA_DIR}/ldap-ca-cert.pem`,
      CONCOURSE_MAIN_TEAM_LDAP_GROUP: 'admins',
    });
  });

  test('GitHub Enterprise → client, host and CA; main team by org', () => {
    const env = envOf(
      {
        'github-client-id': 'gh',
        'github-client-secret': URI(4),
        'github-host': 'github.corp',
        'github-ca-cert': PEM,
        'main-team-github-org': 'corp',
      },
      { 'github-client-secret': { 'client-secret': 'gh-s3cret' } },
    );
    expect(env).toMatchObject({
      CONCOURSE_GITHUB_CLIENT_ID: 'gh',
      CONCOURSE_GITHUB_CLIENT_SECRET: 'gh-s3cret',
      CONCOURSE_GITHUB_HOST: 'github.corp',
      CONCOURSE_MAIN_TEAM_GITHUB_ORG: 'corp',
    });
  });

  test.each<[string, Record<string, unknown>, SecretContents, RegExp]>([
    [
      'main-team-oidc-group without OIDC',
      { 'main-team-oidc-group': 'ops' },
      {},
      /main team would have no way in: main-team-oidc-group needs OIDC login/,
    ],
    [
      'main-team-github-user without GitHub',
      { 'main-team-github-user': 'me' },
      {},
      /no way in: main-team-github-user needs GitHub/,
    ],
    ['main-team-local-user naming nobody', { 'main-team-local-user': 'carol' }, {}, /no way in for carol/],
    [
      'OIDC without its secret',
      { 'oidc-issuer': 'https://id.example', 'oidc-client-id': 'ci' },
      {},
      /OIDC login is half set: also set oidc-client-secret/,
    ],
    [
      'OAuth without its URLs',
      { 'oauth-client-id': 'x' },
      {},
      /OAuth login is half set: also set oauth-client-secret, oauth-auth-url/,
    ],
    [
      'LDAP bind DN without password',
      {
        'ldap-host': 'h:636',
        'ldap-user-search-base-dn': 'o',
        'ldap-user-search-username': 'uid',
        'ldap-bind-dn': 'cn=x',
      },
      {},
      /LDAP login is half set: also set ldap-bind-pw$/,
    ],
    [
      'LDAP with an anonymous bind (Concourse would drop the connector)',
      { 'ldap-host': 'h:636', 'ldap-user-search-base-dn': 'o', 'ldap-user-search-username': 'uid' },
      {},
      /LDAP login is half set: also set ldap-bind-dn, ldap-bind-pw$/,
    ],
    [
      'LDAP without the user search attribute (dex refuses to start)',
      { 'ldap-host': 'h:636', 'ldap-user-search-base-dn': 'o', 'ldap-bind-dn': 'cn=x', 'ldap-bind-pw': URI(3) },
      {},
      /LDAP login is half set: also set ldap-user-search-username$/,
    ],
    [
      'github-ca-cert without github-host',
      { 'github-client-id': 'gh', 'github-client-secret': URI(4), 'github-ca-cert': PEM },
      { 'github-client-secret': { 'client-secret': 'x' } },
      /github-ca-cert is for GitHub Enterprise: set github-host too/,
    ],
    [
      'github-host given as a URL',
      { 'github-client-id': 'gh', 'github-client-secret': URI(4), 'github-host': 'https://github.corp/' },
      { 'github-client-secret': { 'client-secret': 'x' } },
      /github-host must be a bare host name/,
    ],
    [
      'a secret without the key',
      OIDC,
      { 'oidc-client-secret': { password: 'x' } },
      /secret in oidc-client-secret has no "client-secret" key: juju update-secret/,
    ],
    [
      'a value that is no secret URI',
      { 'oidc-client-secret': 'hunter2' },
      {},
      /oidc-client-secret must be a secret URI/,
    ],
    [
      'a CA that is no PEM',
      { ...OIDC, 'oidc-ca-cert': 'not a cert' },
      OIDC_SECRET,
      /oidc-ca-cert must be a PEM certificate/,
    ],
    [
      'an extra user named like the admin',
      { 'extra-local-users': URI(2) },
      { 'extra-local-users': { admin: 'x' } },
      /"admin" is the initial admin already/,
    ],
    [
      'a weak bcrypt hash',
      { 'extra-local-users': URI(2) },
      { 'extra-local-users': { bob: `$2b$04$${'a'.repeat(53)}` } },
      /cost of 10 or more/,
    ],
    [
      'a password with a comma',
      { 'extra-local-users': URI(2) },
      { 'extra-local-users': { bob: 'a,b' } },
      /empty or holds a comma/,
    ],
  ])('%s → blocked with the reason', (_name, raw, contents, message) => {
    const run = () => render(raw, contents);
    expect(run).toThrow(InvalidInputError);
    expect(run).toThrow(message);
  });

  test('a blocked message never holds a secret value', () => {
    const contents: SecretContents = {
      'extra-local-users': { bob: 'pw,with-comma' },
      'oidc-client-secret': { password: 'oidc-value' },
    };
    for (const raw of [{ 'extra-local-users': URI(2) }, OIDC]) {
      try {
        render(raw, contents);
        expect.unreachable();
      } catch (error) {
        expect(String(error)).not.toMatch(/pw,with-comma|oidc-value/);
      }
    }
  });

  test('secret URIs in every form juju config accepts → the secrets to read, as secret:<id>', () => {
    const id = 'd0123456789abcdefghi';
    const parsed = parseWebAuthOptions({
      'ldap-bind-pw': id,
      'oidc-client-secret': `secret:${id}`,
      'github-client-secret': `secret://0d4b9a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/${id}`,
    });
    expect(parsed.secrets).toEqual([
      { option: 'ldap-bind-pw', uri: `secret:${id}` },
      { option: 'oidc-client-secret', uri: `secret:${id}` },
      { option: 'github-client-secret', uri: `secret:${id}` },
    ]);
  });
});

describe('every variable the auth options write', () => {
  const everything = render(
    {
      'extra-local-users': URI(2),
      'main-team-local-user': 'admin',
      ...Object.fromEntries(PLAIN_AUTH_OPTIONS.map((o) => [o, 'x'])),
      'ldap-bind-pw': URI(3),
      'oidc-client-secret': URI(1),
      'oauth-client-secret': URI(5),
      'github-client-secret': URI(4),
      'ldap-ca-cert': PEM,
      'oidc-ca-cert': PEM,
      'oauth-ca-cert': PEM,
      'github-ca-cert': PEM,
      'oidc-skip-ssl-validation': true,
      'oauth-skip-ssl-validation': true,
    },
    {
      'extra-local-users': { alice: 'pw' },
      'ldap-bind-pw': { password: 'p' },
      'oidc-client-secret': { 'client-secret': 'p' },
      'oauth-client-secret': { 'client-secret': 'p' },
      'github-client-secret': { 'client-secret': 'p' },
    },
  );

  test.each(RELEASES)('every option set → each variable is a web flag of %s', (release) => {
    const flags = webFlags(release);
    const names = everything.env.map(([k]) => k);
    expect(names.length).toBe(2 + 39 + 4 + 2 + 4); // local users, plain options, secrets, flags, CAs
    expect(names.filter((n) => !flags.has(n))).toEqual([]);
  });
});
