// The packed charm with each login method and a Vault set by hand, every secret a Juju user secret (issue 13): one web
// unit configured method after method, its services run for real (free ports): each time its systemd starts the
// release's `concourse web` stand-in with what the charm wrote, which opens the connectors as Concourse does (OIDC
// against a stand-in provider on 127.0.0.1), prints them to its journal and refuses what Concourse refuses; an OIDC
// issuer the web would not start with is blocked first. A rotated secret restarts the web once, a revoked grant is
// blocked naming the option and the grant command, and no secret value reaches any sink.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type StandInIdp, selfSignedLoopbackCertificate, startStandInIdp } from '../../sim/concourse/stand-in-idp';
import type { SimModel } from '../../sim/model';
import { deployOneWeb, expectNoSecretInSinks, webRestarts } from '../support/secret-sinks';
import { journalConnectors, runUnitWeb } from '../support/stand-in-run';
import { env, statusOf, unitFile } from '../support/unit-inspection';

const APP = 'concourse-ci';
const UNIT = `${APP}/0`;
const SECRET_VALUES: string[] = [];
const uris: Record<string, string> = {};

let deployment: Awaited<ReturnType<typeof deployOneWeb>>;
let sim: SimModel;
let idp: StandInIdp;
let ca: string;

/** `juju add-secret` then `juju grant-secret`, as the README's recipe has it; remembers the values for the scan. */
async function grantedSecret(name: string, content: Record<string, string>): Promise<string> {
  uris[name] = await sim.addUserSecret(name, content);
  await sim.grantUserSecret(name, APP);
  SECRET_VALUES.push(...Object.values(content));
  return uris[name] ?? '';
}

async function configure(changes: Record<string, string | null>): Promise<void> {
  await sim.config(APP, changes);
  await sim.settle();
}

/** Rotates a secret (juju update-secret): the web restarts exactly once, and not again on the next hook. */
async function expectRotationRestartsOnce(name: string, content: Record<string, string>): Promise<void> {
  const before = webRestarts(sim, UNIT);
  SECRET_VALUES.push(...Object.values(content));
  await sim.updateSecret(name, content);
  await sim.settle();
  expect(webRestarts(sim, UNIT)).toBe(before + 1);
  await sim.updateStatus();
  expect(webRestarts(sim, UNIT)).toBe(before + 1);
}

/** Revokes the grant: blocked naming the option and the command; granted again: active. */
async function expectRevocationBlocked(name: string, option: string): Promise<void> {
  await sim.revokeUserSecret(name, APP);
  await sim.updateStatus();
  const uri = uris[name];
  expect(statusOf(sim, UNIT)).toEqual([
    'blocked',
    `Cannot read the secret in ${option} (${uri}): juju grant-secret ${uri} ${APP}`,
  ]);
  expect(sim.serviceState(UNIT, 'concourse-server.service')?.active).toBe('active');
  await sim.grantUserSecret(name, APP);
  await sim.updateStatus();
  expect(statusOf(sim, UNIT)[0]).toBe('active');
}

/** The unit's web, started by its systemd with what the charm wrote, runs and opened these connectors. */
async function expectWebStartsWith(connectors: readonly string[]): Promise<void> {
  expect(statusOf(sim, UNIT)[0]).toBe('active');
  expect(sim.serviceState(UNIT, 'concourse-server.service')?.active).toBe('active');
  expect(journalConnectors(sim, UNIT)).toEqual(connectors);
}

beforeAll(async () => {
  const tls = selfSignedLoopbackCertificate();
  ca = tls.cert.trim();
  idp = await startStandInIdp({ tls });
  deployment = await deployOneWeb(APP, { services: 'run' });
  sim = deployment.sim;
});
afterAll(async () => {
  await deployment?.close();
  await idp?.close();
});

describe('LDAP', () => {
  const LDAP = {
    'ldap-host': 'ldap.example.com:636',
    'ldap-bind-dn': 'cn=concourse,dc=example,dc=com',
    'ldap-user-search-base-dn': 'ou=people,dc=example,dc=com',
    'ldap-user-search-username': 'uid',
    'ldap-group-search-base-dn': 'ou=groups,dc=example,dc=com',
    'ldap-group-search-name-attr': 'cn',
    'main-team-ldap-group': 'ci-admins',
  };

  test('bind password granted and configured → the web starts with LDAP open, its CA on the unit', async () => {
    await expectWebStartsWith(['local']);
    const pw = await grantedSecret('ldap', { password: 'ldap-bind-v1' });
    await configure({ ...LDAP, 'ldap-bind-pw': pw, 'ldap-ca-cert': ca });
    expect(env(sim, UNIT, 'web')).toMatchObject({
      CONCOURSE_LDAP_HOST: 'ldap.example.com:636',
      CONCOURSE_LDAP_BIND_PW: 'ldap-bind-v1',
      CONCOURSE_LDAP_CA_CERT: '/etc/concourse/auth/ldap-ca-cert.pem',
      CONCOURSE_MAIN_TEAM_LDAP_GROUP: 'ci-admins',
    });
    expect(unitFile(sim, UNIT, '/etc/concourse/auth/ldap-ca-cert.pem')).toBe(`${ca}\n`);
    await expectWebStartsWith(['local', 'ldap']);
  });

  test('ldap-user-search-username removed (dex would refuse to start) → blocked naming it; back → active', async () => {
    await configure({ 'ldap-user-search-username': null });
    expect(statusOf(sim, UNIT)).toEqual(['blocked', 'LDAP login is half set: also set ldap-user-search-username']);
    await configure({ 'ldap-user-search-username': 'uid' });
    expect(statusOf(sim, UNIT)[0]).toBe('active');
  });

  test('bind password rotated → the web restarts once with it; revoked → blocked with the command', async () => {
    await expectRotationRestartsOnce('ldap', { password: 'ldap-bind-v2' });
    expect(env(sim, UNIT, 'web').CONCOURSE_LDAP_BIND_PW).toBe('ldap-bind-v2');
    await expectWebStartsWith(['local', 'ldap']);
    await expectRevocationBlocked('ldap', 'ldap-bind-pw');
  });

  test('LDAP unset → the web starts with local users only', async () => {
    await configure({
      ...Object.fromEntries(Object.keys(LDAP).map((k) => [k, null])),
      'ldap-bind-pw': null,
      'ldap-ca-cert': null,
    });
    expect(env(sim, UNIT, 'web').CONCOURSE_LDAP_HOST).toBeUndefined();
    await expectWebStartsWith(['local']);
  });
});

describe('generic OAuth and GitHub Enterprise', () => {
  test('both configured → the web starts with oauth and github open, GitHub Enterprise host and CA', async () => {
    const oauth = await grantedSecret('oauth', { 'client-secret': 'oauth-secret-v1' });
    const github = await grantedSecret('github', { 'client-secret': 'github-secret-v1' });
    await configure({
      'oauth-display-name': 'Corp SSO',
      'oauth-client-id': 'concourse',
      'oauth-client-secret': oauth,
      'oauth-auth-url': 'https://sso.example.com/oauth/authorize',
      'oauth-token-url': 'https://sso.example.com/oauth/token',
      'oauth-userinfo-url': 'https://sso.example.com/oauth/userinfo',
      'oauth-groups-key': 'groups',
      'main-team-oauth-group': 'ci-admins',
      'github-client-id': 'Iv1.abc',
      'github-client-secret': github,
      'github-host': 'github.example.com',
      'github-ca-cert': ca,
      'main-team-github-team': 'corp:ci',
    });
    expect(env(sim, UNIT, 'web')).toMatchObject({
      CONCOURSE_OAUTH_CLIENT_SECRET: 'oauth-secret-v1',
      CONCOURSE_GITHUB_CLIENT_SECRET: 'github-secret-v1',
      CONCOURSE_GITHUB_HOST: 'github.example.com',
      CONCOURSE_GITHUB_CA_CERT: '/etc/concourse/auth/github-ca-cert.pem',
      CONCOURSE_MAIN_TEAM_GITHUB_TEAM: 'corp:ci',
    });
    await expectWebStartsWith(['local', 'oauth', 'github']);
  });

  test('github-host unset while its CA stays (dex would refuse) → blocked: set github-host', async () => {
    await configure({ 'github-host': null });
    expect(statusOf(sim, UNIT)).toEqual(['blocked', 'github-ca-cert is for GitHub Enterprise: set github-host too']);
    await configure({ 'github-host': 'github.example.com' });
    expect(statusOf(sim, UNIT)[0]).toBe('active');
  });

  test('GitHub secret rotated → one restart; OAuth grant revoked → blocked with the command', async () => {
    await expectRotationRestartsOnce('github', { 'client-secret': 'github-secret-v2' });
    expect(env(sim, UNIT, 'web').CONCOURSE_GITHUB_CLIENT_SECRET).toBe('github-secret-v2');
    await expectWebStartsWith(['local', 'oauth', 'github']);
    await expectRevocationBlocked('oauth', 'oauth-client-secret');
  });
});

describe('extra local users and the main team', () => {
  test('users from a secret, a main team without the admin → every user added, the web starts', async () => {
    const users = await grantedSecret('users', { alice: 'alice-pass-v1', bob: `$2b$10$${'b'.repeat(53)}` });
    await configure({ 'extra-local-users': users, 'main-team-local-user': 'alice' });
    const web = env(sim, UNIT, 'web');
    expect(web.CONCOURSE_ADD_LOCAL_USER).toMatch(/^admin:[^,]{16,},alice:alice-pass-v1,bob:\$2b\$10\$b{53}$/);
    expect(web.CONCOURSE_MAIN_TEAM_LOCAL_USER).toBe('alice');
    await expectWebStartsWith(['local', 'oauth', 'github']);
  });

  test('users rotated → one restart with the new list; revoked → blocked with the command', async () => {
    await expectRotationRestartsOnce('users', { alice: 'alice-pass-v2', carol: 'carol-pass-v1' });
    expect(env(sim, UNIT, 'web').CONCOURSE_ADD_LOCAL_USER).toMatch(/,alice:alice-pass-v2,carol:carol-pass-v1$/);
    await expectRevocationBlocked('users', 'extra-local-users');
  });

  test('OAuth and GitHub unset while the main team names a GitHub team → blocked; the team too → active', async () => {
    const off = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, null]));
    const oauthAndGithub = [
      'oauth-display-name',
      'oauth-client-id',
      'oauth-client-secret',
      'oauth-auth-url',
      'oauth-token-url',
      'oauth-userinfo-url',
      'oauth-groups-key',
      'main-team-oauth-group',
      'github-client-id',
      'github-client-secret',
      'github-host',
      'github-ca-cert',
    ];
    await configure(off(oauthAndGithub));
    expect(statusOf(sim, UNIT)).toEqual([
      'blocked',
      'The main team would have no way in: main-team-github-team needs GitHub login (set github-client-id, github-client-secret)',
    ]);
    await configure(off(['main-team-github-team']));
    await expectWebStartsWith(['local']);
  });
});

describe('OIDC against a stand-in provider over HTTPS', () => {
  test('issuer reachable with oidc-ca-cert → the web fetches its discovery and starts with oidc open', async () => {
    const secret = await grantedSecret('oidc', { 'client-secret': 'oidc-secret-v1' });
    const before = idp.discoveries;
    await configure({
      'oidc-display-name': 'SSO',
      'oidc-issuer': idp.issuer,
      'oidc-client-id': 'concourse',
      'oidc-client-secret': secret,
      'oidc-ca-cert': ca,
      'oidc-groups-key': 'groups',
      'main-team-oidc-group': 'ci-admins',
    });
    await expectWebStartsWith(['local', 'oidc']);
    // The unit's own check before it restarts the web, then the web's at its start.
    expect(idp.discoveries).toBe(before + 2);
  });

  test('oidc-ca-cert removed → the unit asks first: blocked, the web kept running with its CA', async () => {
    const before = webRestarts(sim, UNIT);
    await configure({ 'oidc-ca-cert': null });
    expect(statusOf(sim, UNIT)).toEqual([
      'blocked',
      "The OIDC issuer's certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): set oidc-ca-cert to its CA; the web would not start with it",
    ]);
    expect(webRestarts(sim, UNIT)).toBe(before);
    expect(env(sim, UNIT, 'web').CONCOURSE_OIDC_CA_CERT).toBe('/etc/concourse/auth/oidc-ca-cert.pem');
    await configure({ 'oidc-ca-cert': ca });
    await expectWebStartsWith(['local', 'oidc']);
    expect(webRestarts(sim, UNIT)).toBe(before);
  });

  test('oidc-issuer with a trailing slash the provider does not have → blocked naming both; web kept', async () => {
    const before = webRestarts(sim, UNIT);
    await configure({ 'oidc-issuer': `${idp.issuer}/` });
    expect(statusOf(sim, UNIT)).toEqual([
      'blocked',
      `oidc-issuer is ${idp.issuer}/ but its provider calls itself ${idp.issuer}: set oidc-issuer to exactly that; the web would not start with it`,
    ]);
    expect(webRestarts(sim, UNIT)).toBe(before);
    expect(env(sim, UNIT, 'web').CONCOURSE_OIDC_ISSUER).toBe(idp.issuer);
    await configure({ 'oidc-issuer': idp.issuer });
    await expectWebStartsWith(['local', 'oidc']);
  });

  test('the provider renamed behind the running web → its next start would fail, as Concourse’s', async () => {
    idp.claimIssuer('https://sso.example.com/realms/other');
    try {
      const web = await runUnitWeb(sim, UNIT);
      expect(web).toMatchObject({ started: false, code: 1 });
      expect(web.stderr).toContain(
        `issuer did not match the issuer returned by provider, expected "${idp.issuer}" got "https://sso.example.com/realms/other"`,
      );
    } finally {
      idp.claimIssuer(undefined);
    }
  });

  test('client secret rotated → one restart; revoked → blocked with the command', async () => {
    await expectRotationRestartsOnce('oidc', { 'client-secret': 'oidc-secret-v2' });
    expect(env(sim, UNIT, 'web').CONCOURSE_OIDC_CLIENT_SECRET).toBe('oidc-secret-v2');
    await expectWebStartsWith(['local', 'oidc']);
    await expectRevocationBlocked('oidc', 'oidc-client-secret');
  });
});

describe('Vault set by hand', () => {
  test('every vault-* option, AppRole and a token from secrets → the web starts with Vault configured', async () => {
    const params = await grantedSecret('vault-approle', { 'role-id': 'role-v1', 'secret-id': 'approle-secret-v1' });
    const token = await grantedSecret('vault-token', { token: 'hvs.token-v1' });
    await configure({
      'vault-url': 'https://vault.example.com:8200',
      'vault-ca-cert': ca,
      'vault-path-prefix': '/concourse',
      'vault-auth-backend': 'approle',
      'vault-auth-param': params,
      'vault-client-token': token,
      'vault-namespace': 'ci',
    });
    expect(env(sim, UNIT, 'web')).toMatchObject({
      CONCOURSE_VAULT_URL: 'https://vault.example.com:8200',
      CONCOURSE_VAULT_CA_CERT: '/etc/concourse/auth/vault-ca-cert.pem',
      CONCOURSE_VAULT_PATH_PREFIX: '/concourse',
      CONCOURSE_VAULT_AUTH_BACKEND: 'approle',
      CONCOURSE_VAULT_AUTH_PARAM: 'role_id:role-v1,secret_id:approle-secret-v1',
      CONCOURSE_VAULT_CLIENT_TOKEN: 'hvs.token-v1',
      CONCOURSE_VAULT_NAMESPACE: 'ci',
    });
    expect(unitFile(sim, UNIT, '/etc/concourse/auth/vault-ca-cert.pem')).toBe(`${ca}\n`);
    await expectWebStartsWith(['local', 'oidc']);
  });

  test('AppRole secret rotated → one restart with it; token revoked → blocked with the command', async () => {
    await expectRotationRestartsOnce('vault-approle', { 'role-id': 'role-v1', 'secret-id': 'approle-secret-v2' });
    expect(env(sim, UNIT, 'web').CONCOURSE_VAULT_AUTH_PARAM).toBe('role_id:role-v1,secret_id:approle-secret-v2');
    await expectRevocationBlocked('vault-token', 'vault-client-token');
  });

  test('the token and the backend unset → blocked: Vault needs a way to log in', async () => {
    await configure({ 'vault-client-token': null, 'vault-auth-backend': null, 'vault-auth-param': null });
    expect(statusOf(sim, UNIT)).toEqual([
      'blocked',
      'Vault needs a way to log in: set vault-client-token, or vault-auth-backend and vault-auth-param',
    ]);
    await configure({ 'vault-client-token': uris['vault-token'] ?? '' });
    await expectWebStartsWith(['local', 'oidc']);
  });
});

test('no secret value of any method in argv, logs, statuses, relation data, the volume or action results', async () => {
  expect(SECRET_VALUES.length).toBeGreaterThan(10);
  await expectNoSecretInSinks(sim, UNIT, SECRET_VALUES);
});
