// Adapter tests of the stand-in web's login checks (sim/concourse/stand-in-auth-checks.sh) against a stand-in OIDC
// provider on 127.0.0.1: what the charm renders for each login method starts with that connector open; what
// Concourse refuses at start (a connector dex cannot open, a main team with nobody in it) is refused the same way.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type StandInIdp, selfSignedLoopbackCertificate, startStandInIdp } from '../../sim/concourse/stand-in-idp';
import { openedConnectors, type StandInReleases, unpackStandIns } from '../support/stand-in-run';

const VERSION = '7.14.2';
let releases: StandInReleases;
let idp: StandInIdp;
let tlsIdp: StandInIdp;
let certs: string;
let idpCa: string;

beforeAll(async () => {
  releases = await unpackStandIns([VERSION]);
  const tls = selfSignedLoopbackCertificate();
  idp = await startStandInIdp();
  tlsIdp = await startStandInIdp({ tls });
  certs = await mkdtemp(join(tmpdir(), 'stand-in-auth-'));
  idpCa = join(certs, 'idp-ca.pem');
  await writeFile(idpCa, tls.cert);
  await writeFile(join(certs, 'not-a-cert.pem'), 'hello\n');
});

afterAll(async () => {
  await idp?.close();
  await tlsIdp?.close();
  await releases?.remove();
  await rm(certs, { recursive: true, force: true });
});

/** The web with the charm's defaults (the admin in the main team) plus `extra` login variables. */
function web(extra: Readonly<Record<string, string>>) {
  return releases.run(VERSION, ['web'], { ...releases.rendered(VERSION, {}).web, ...extra });
}

const LDAP = {
  CONCOURSE_LDAP_HOST: 'ldap.example:636',
  CONCOURSE_LDAP_BIND_DN: 'cn=ci,dc=example',
  CONCOURSE_LDAP_BIND_PW: 'bind-pw',
  CONCOURSE_LDAP_USER_SEARCH_BASE_DN: 'ou=people,dc=example',
  CONCOURSE_LDAP_USER_SEARCH_USERNAME: 'uid',
};
const GITHUB = { CONCOURSE_GITHUB_CLIENT_ID: 'gh', CONCOURSE_GITHUB_CLIENT_SECRET: 'gh-secret' };
const OAUTH = {
  CONCOURSE_OAUTH_CLIENT_ID: 'oa',
  CONCOURSE_OAUTH_CLIENT_SECRET: 'oa-secret',
  CONCOURSE_OAUTH_AUTH_URL: 'https://oauth.example/auth',
  CONCOURSE_OAUTH_TOKEN_URL: 'https://oauth.example/token',
  CONCOURSE_OAUTH_USERINFO_URL: 'https://oauth.example/userinfo',
};
const oidc = (issuer: string) => ({
  CONCOURSE_OIDC_ISSUER: issuer,
  CONCOURSE_OIDC_CLIENT_ID: 'ci',
  CONCOURSE_OIDC_CLIENT_SECRET: 'oidc-secret',
});

describe('login methods Concourse accepts → the web starts with that connector open', () => {
  test('the initial admin alone → local', async () => {
    const out = await web({});
    expect(out).toMatchObject({ started: true, stderr: '' });
    expect(openedConnectors(out)).toEqual(['local']);
  });

  test('LDAP, generic OAuth and GitHub Enterprise together → each open', async () => {
    const out = await web({
      ...LDAP,
      ...OAUTH,
      ...GITHUB,
      CONCOURSE_GITHUB_HOST: 'github.corp',
      CONCOURSE_GITHUB_CA_CERT: idpCa,
      CONCOURSE_LDAP_CA_CERT: idpCa,
    });
    expect(out).toMatchObject({ started: true, stderr: '' });
    expect(openedConnectors(out)).toEqual(['local', 'ldap', 'oauth', 'github']);
  });

  test('OIDC with a reachable issuer → discovery fetched, oidc open', async () => {
    const before = idp.discoveries;
    const out = await web(oidc(idp.issuer));
    expect(out).toMatchObject({ started: true, stderr: '' });
    expect(openedConnectors(out)).toEqual(['local', 'oidc']);
    expect(idp.discoveries).toBe(before + 1);
  });

  test('OIDC over HTTPS with its CA in CONCOURSE_OIDC_CA_CERT → open', async () => {
    const out = await web({ ...oidc(tlsIdp.issuer), CONCOURSE_OIDC_CA_CERT: idpCa });
    expect(out).toMatchObject({ started: true, stderr: '' });
    expect(openedConnectors(out)).toEqual(['local', 'oidc']);
  });

  test('OIDC over HTTPS with skip-ssl-validation and no CA → open', async () => {
    const out = await web({ ...oidc(tlsIdp.issuer), CONCOURSE_OIDC_SKIP_SSL_VALIDATION: 'true' });
    expect(openedConnectors(out)).toEqual(['local', 'oidc']);
  });

  test.each<[string, Record<string, string>]>([
    ['a client token', { CONCOURSE_VAULT_CLIENT_TOKEN: 'hvs.x' }],
    ['AppRole', { CONCOURSE_VAULT_AUTH_BACKEND: 'approle', CONCOURSE_VAULT_AUTH_PARAM: 'role_id:r,secret_id:s' }],
  ])('Vault with %s → starts', async (_name, extra) => {
    const out = await web({ CONCOURSE_VAULT_URL: 'https://vault.example:8200', ...extra });
    expect(out).toMatchObject({ started: true, stderr: '' });
  });

  test('a connector missing a required flag → started without it, as Concourse silently skips it', async () => {
    const { CONCOURSE_LDAP_BIND_PW: _pw, ...anonymous } = LDAP;
    const out = await web({ ...anonymous, CONCOURSE_GITHUB_CLIENT_ID: 'gh' });
    expect(out).toMatchObject({ started: true, stderr: '' });
    expect(openedConnectors(out)).toEqual(['local']);
  });
});

describe('what Concourse refuses at start → the stand-in web refuses', () => {
  // Thunks: the CA files exist only once beforeAll ran.
  test.each<[string, () => Record<string, string>, string]>([
    [
      'LDAP without the user search attribute',
      () => ({ ...LDAP, CONCOURSE_LDAP_USER_SEARCH_USERNAME: '' }),
      'server: Failed to open connector ldap: ldap: missing required field "userSearch.username"',
    ],
    [
      'LDAP without the user search base DN',
      () => ({ ...LDAP, CONCOURSE_LDAP_USER_SEARCH_BASE_DN: '' }),
      'ldap: missing required field "userSearch.baseDN"',
    ],
    [
      'an LDAP CA file without a certificate',
      () => ({ ...LDAP, CONCOURSE_LDAP_CA_CERT: join(certs, 'not-a-cert.pem') }),
      'no certs found',
    ],
    [
      'GitHub with a CA but no host',
      () => ({ ...GITHUB, CONCOURSE_GITHUB_CA_CERT: idpCa }),
      'Failed to open connector github: invalid connector config: Host name field required for a root certificate file',
    ],
    [
      'GitHub with a URL as host',
      () => ({ ...GITHUB, CONCOURSE_GITHUB_HOST: 'https://github.corp' }),
      'cannot contain `/`',
    ],
    [
      'a main team with nobody in it',
      () => ({ CONCOURSE_MAIN_TEAM_LOCAL_USER: '' }),
      'default team auth not configured: auth config for the team does not have users and groups configured',
    ],
  ])('%s → refused', async (_name, extra, message) => {
    const out = await web(extra());
    expect(out).toMatchObject({ started: false, code: 1 });
    expect(out.stderr).toContain(message);
  });

  test('a main team of a GitHub org only → starts (a group is a way in)', async () => {
    const out = await web({ ...GITHUB, CONCOURSE_MAIN_TEAM_LOCAL_USER: '', CONCOURSE_MAIN_TEAM_GITHUB_ORG: 'corp' });
    expect(out).toMatchObject({ started: true, stderr: '' });
  });

  test('OIDC whose discovery names another issuer → refused with both issuers', async () => {
    idp.claimIssuer('https://elsewhere.example/realms/ci');
    try {
      const out = await web(oidc(idp.issuer));
      expect(out).toMatchObject({ started: false, code: 1 });
      expect(out.stderr).toContain(
        `Failed to open connector oidc: failed to get provider: oidc: issuer did not match the issuer returned by provider, expected "${idp.issuer}" got "https://elsewhere.example/realms/ci"`,
      );
    } finally {
      idp.claimIssuer(undefined);
    }
  });

  test.each<[string, Record<string, string>, string]>([
    ['Vault with neither a token nor an auth backend', {}, 'must configure client token or auth backend'],
    ['Vault at a URL of another scheme', { CONCOURSE_VAULT_URL: 'vault.example:8200' }, 'invalid scheme'],
    ['Vault with an empty path prefix', { CONCOURSE_VAULT_PATH_PREFIX: '' }, 'path prefix must be a non-empty'],
  ])('%s → refused as a misconfigured credential manager', async (_name, extra, message) => {
    const out = await web({ CONCOURSE_VAULT_URL: 'https://vault.example:8200', ...extra });
    expect(out).toMatchObject({ started: false, code: 1 });
    expect(out.stderr).toContain(`credential manager 'vault' misconfigured: ${message}`);
  });

  test('OIDC issuer with no discovery document there → refused with the 404', async () => {
    const out = await web(oidc(`${idp.issuer}/nowhere`));
    expect(out).toMatchObject({ started: false, code: 1 });
    expect(out.stderr).toContain('failed to get provider: 404');
  });

  test('OIDC issuer nobody listens on → refused', async () => {
    const closed = await startStandInIdp();
    const issuer = closed.issuer;
    await closed.close();
    const out = await web(oidc(issuer));
    expect(out).toMatchObject({ started: false, code: 1 });
    expect(out.stderr).toContain(`Failed to open connector oidc: failed to get provider: Get "${issuer}/.well-known`);
  });

  test('OIDC over HTTPS without its CA → refused (the certificate is not trusted)', async () => {
    const out = await web(oidc(tlsIdp.issuer));
    expect(out).toMatchObject({ started: false, code: 1 });
    expect(out.stderr).toContain('Failed to open connector oidc');
    expect(out.stderr).toMatch(/certificate/i);
  });
});
