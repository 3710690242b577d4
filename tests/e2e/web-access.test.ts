// The packed charm with login methods and pipeline credentials from Juju user secrets (issue 13): secrets read
// only once granted, a rotated secret reconfigures the web once, a revoked grant is blocked naming the command that
// fixes it, the encryption key's rotation keeps the old key, and no secret value reaches any other sink.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type StandInIdp, startStandInIdp } from '../../sim/concourse/stand-in-idp';
import { answerVaultKv, relateVaultKv, VAULT_CA } from '../../sim/concourse/vault-kv-stub';
import type { SimModel } from '../../sim/model';
import { webRestarts as countWebRestarts, deployOneWeb, expectNoSecretInSinks } from '../support/secret-sinks';
import { openedConnectors, runUnitWeb } from '../support/stand-in-run';
import { env, statusOf, unitFile } from '../support/unit-inspection';

const APP = 'concourse-ci';
const UNIT = `${APP}/0`;
const WEB = 'concourse-server.service';
const K1 = 'k1-0123456789abcdef0123456789abc';
const K2 = 'k2-0123456789abcdef0123456789abc';
const SECRET_VALUES = ['oidc-secret-v1', 'oidc-secret-v2', K1, K2, 'alice-pass-1'];

let deployment: Awaited<ReturnType<typeof deployOneWeb>>;
let idp: StandInIdp;
let sim: SimModel;
const uris: Record<string, string> = {};

const webRestarts = () => countWebRestarts(sim, UNIT);

beforeAll(async () => {
  idp = await startStandInIdp();
  deployment = await deployOneWeb(APP);
  sim = deployment.sim;
});
afterAll(async () => {
  await deployment?.close();
  await idp?.close();
});

describe('login methods and credentials from Juju user secrets', () => {
  test('secrets configured but not granted → blocked naming the option and the grant-secret command', async () => {
    expect(statusOf(sim, UNIT)[0]).toBe('active');
    uris.oidc = await sim.addUserSecret('oidc', { 'client-secret': 'oidc-secret-v1' });
    uris.enc = await sim.addUserSecret('enc', { key: K1 });
    uris.users = await sim.addUserSecret('users', { alice: 'alice-pass-1' });
    await sim.config(APP, {
      'oidc-issuer': idp.issuer,
      'oidc-client-id': 'concourse',
      'oidc-client-secret': uris.oidc,
      'main-team-oidc-group': 'ops',
      'encryption-key': uris.enc,
      'extra-local-users': uris.users,
      'main-team-local-user': 'admin,alice',
    });
    await sim.settle();
    expect(statusOf(sim, UNIT)).toEqual([
      'blocked',
      `Cannot read the secret in extra-local-users (${uris.users}): juju grant-secret ${uris.users} ${APP}`,
    ]);
  });

  test('granted → the next hook starts the web with every login method and the key', async () => {
    for (const name of ['oidc', 'enc', 'users']) await sim.grantUserSecret(name, APP);
    await sim.updateStatus(); // Juju runs no hook on a grant: update-status is the next one
    expect(statusOf(sim, UNIT)[0]).toBe('active');
    const web = env(sim, UNIT, 'web');
    expect(web).toMatchObject({
      CONCOURSE_OIDC_ISSUER: idp.issuer,
      CONCOURSE_OIDC_CLIENT_ID: 'concourse',
      CONCOURSE_OIDC_CLIENT_SECRET: 'oidc-secret-v1',
      CONCOURSE_MAIN_TEAM_OIDC_GROUP: 'ops',
      CONCOURSE_ENCRYPTION_KEY: K1,
      CONCOURSE_MAIN_TEAM_LOCAL_USER: 'admin,alice',
    });
    expect(web.CONCOURSE_ADD_LOCAL_USER).toMatch(/^admin:[^,]{16,},alice:alice-pass-1$/);
    expect(web.CONCOURSE_OLD_ENCRYPTION_KEY).toBeUndefined();
    const started = await runUnitWeb(sim, UNIT);
    expect(started).toMatchObject({ started: true, stderr: '' });
    expect(openedConnectors(started)).toEqual(['local', 'oidc']);
  });

  test('the OIDC secret rotated (juju update-secret) → the web restarts once with the new value', async () => {
    const before = webRestarts();
    await sim.updateSecret('oidc', { 'client-secret': 'oidc-secret-v2' });
    await sim.settle();
    expect(env(sim, UNIT, 'web').CONCOURSE_OIDC_CLIENT_SECRET).toBe('oidc-secret-v2');
    expect(webRestarts()).toBe(before + 1);
    await sim.updateStatus();
    expect(webRestarts()).toBe(before + 1);
  });

  test('the encryption key rotated → the new key, with the old one kept for the migration', async () => {
    const before = webRestarts();
    await sim.updateSecret('enc', { key: K2 });
    await sim.settle();
    expect(env(sim, UNIT, 'web')).toMatchObject({ CONCOURSE_ENCRYPTION_KEY: K2, CONCOURSE_OLD_ENCRYPTION_KEY: K1 });
    expect(webRestarts()).toBe(before + 1);
  });

  test('the grant revoked → blocked with the command; the running web keeps running; granted again → active', async () => {
    await sim.revokeUserSecret('oidc', APP);
    await sim.updateStatus();
    expect(statusOf(sim, UNIT)).toEqual([
      'blocked',
      `Cannot read the secret in oidc-client-secret (${uris.oidc}): juju grant-secret ${uris.oidc} ${APP}`,
    ]);
    expect(sim.serviceState(UNIT, WEB)?.active).toBe('active');
    await sim.grantUserSecret('oidc', APP);
    await sim.updateStatus();
    expect(statusOf(sim, UNIT)[0]).toBe('active');
  });

  test('a main team with no way in → blocked with the reason; undone → active', async () => {
    await sim.config(APP, { 'main-team-github-org': 'corp' });
    await sim.settle();
    expect(statusOf(sim, UNIT)).toEqual([
      'blocked',
      'The main team would have no way in: main-team-github-org needs GitHub login (set github-client-id, github-client-secret)',
    ]);
    await sim.config(APP, { 'main-team-github-org': null });
    await sim.settle();
    expect(statusOf(sim, UNIT)[0]).toBe('active');
  });

  test('vault-kv related → waiting for Vault; answered → the web logs in with this unit’s AppRole', async () => {
    const rel = await relateVaultKv(sim, APP);
    await sim.settle();
    expect(statusOf(sim, UNIT)).toEqual(['waiting', 'Waiting for Vault (vault-kv) to send this unit its credentials']);
    expect(sim.relationData(rel, APP)).toEqual({ mount_suffix: 'concourse' });
    expect(sim.relationData(rel, UNIT)).toMatchObject({
      nonce: expect.stringMatching(/^\S{16,}$/),
      egress_subnet: '127.0.1.1/32',
    });
    const approles = await answerVaultKv(sim, rel, APP);
    await sim.settle();
    expect(statusOf(sim, UNIT)[0]).toBe('active');
    expect(env(sim, UNIT, 'web')).toMatchObject({
      CONCOURSE_VAULT_URL: 'https://10.1.2.3:8200',
      CONCOURSE_VAULT_PATH_PREFIX: `/charm-${APP}-concourse`,
      CONCOURSE_VAULT_AUTH_BACKEND: 'approle',
      CONCOURSE_VAULT_AUTH_PARAM: `role_id:role-concourse-ci-0,secret_id:${approles[UNIT]?.secretId}`,
      CONCOURSE_VAULT_CA_CERT: '/etc/concourse/auth/vault-kv-ca.pem',
    });
    expect(unitFile(sim, UNIT, '/etc/concourse/auth/vault-kv-ca.pem')).toBe(`${VAULT_CA}\n`);
    expect(await runUnitWeb(sim, UNIT)).toMatchObject({ started: true, stderr: '' });
    SECRET_VALUES.push(approles[UNIT]?.secretId ?? 'missing');
  });

  test('vault-url set by hand as well as vault-kv → blocked: use one', async () => {
    uris.token = await sim.addUserSecret('vault-token', { token: 'hvs.manual-token' });
    await sim.grantUserSecret('vault-token', APP);
    await sim.config(APP, { 'vault-url': 'https://vault.example:8200', 'vault-client-token': uris.token });
    await sim.settle();
    expect(statusOf(sim, UNIT)).toEqual([
      'blocked',
      'Vault is both set by hand (vault-url) and related (vault-kv): unset vault-url or remove the relation',
    ]);
    await sim.config(APP, { 'vault-url': null, 'vault-client-token': null });
    await sim.settle();
    expect(statusOf(sim, UNIT)[0]).toBe('active');
    SECRET_VALUES.push('hvs.manual-token');
  });

  test('no secret value in argv, logs, statuses, relation data, the volume or action results', async () => {
    await expectNoSecretInSinks(sim, UNIT, SECRET_VALUES);
  });
});
