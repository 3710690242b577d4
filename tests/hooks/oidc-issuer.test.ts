// Hook tests of the OIDC issuer check: a new issuer (or CA) is asked for its discovery document before the web
// restarts with it; what Concourse would not start with is blocked and the running web keeps its settings.

import { describe, expect, test } from 'vitest';
import { Cluster, HookWorld, POSTGRES_READY, peers } from './harness';

const UNIT = 'concourse-ci/0';
const ISSUER = 'https://sso.example.com/realms/ci';
const WELL_KNOWN = `${ISSUER}/.well-known/openid-configuration`;
const MOVED = 'https://sso.example.com/realms/other';
const SECRET = `secret:${'c'.repeat(20)}`;
const OIDC = { 'oidc-issuer': ISSUER, 'oidc-client-id': 'ci', 'oidc-client-secret': SECRET };

/** One web unit with PostgreSQL ready, the OIDC client secret granted, converged. */
async function webWithOidc(world = new HookWorld()): Promise<Cluster> {
  const cluster = new Cluster(world, [UNIT], {
    leader: UNIT,
    config: { mode: 'web', version: '7.14.2', ...OIDC },
    relations: [peers({}), POSTGRES_READY.relation],
    secrets: [POSTGRES_READY.secret, { id: SECRET, owner: 'remote', content: { 'client-secret': 'oidc-s3cret' } }],
  });
  await cluster.run(UNIT, 'install');
  return cluster;
}

describe('OIDC issuer asked before the web restarts with it', () => {
  test('a provider naming the issuer → active, asked once; later hooks with the same issuer → not asked again', async () => {
    const cluster = await webWithOidc();
    expect(cluster.state(UNIT).unitStatus.status).toBe('active');
    expect(cluster.world.oidc.asked).toEqual([WELL_KNOWN]);
    await cluster.run(UNIT, 'update-status');
    await cluster.run(UNIT, 'config-changed');
    expect(cluster.world.oidc.asked).toEqual([WELL_KNOWN]);
  });

  test.each<[string, Parameters<HookWorld['oidc']['answer']>[1], RegExp]>([
    [
      'a provider calling itself otherwise (a trailing slash)',
      { kind: 'answer', status: 200, body: JSON.stringify({ issuer: `${MOVED}/` }) },
      /^oidc-issuer is https:\/\/sso\.example\.com\/realms\/other but its provider calls itself https:\/\/sso\.example\.com\/realms\/other\/: set oidc-issuer to exactly that; the web would not start with it$/,
    ],
    ['no document there', { kind: 'answer', status: 404, body: 'not found' }, /answered HTTP 404: check oidc-issuer/],
    ['an HTML page', { kind: 'answer', status: 200, body: '<html>' }, /is not JSON: check oidc-issuer/],
    [
      'a certificate the unit does not trust',
      { kind: 'untrusted', reason: 'SELF_SIGNED_CERT_IN_CHAIN' },
      /certificate is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\): set oidc-ca-cert to its CA/,
    ],
  ])(
    'the issuer changed to one with %s → blocked; the web keeps running, not restarted',
    async (_n, answer, message) => {
      const cluster = await webWithOidc();
      const before = cluster.machine(UNIT).changes().length;
      const moved = MOVED;
      cluster.world.oidc.answer(`${moved}/.well-known/openid-configuration`, answer);
      cluster.update(UNIT, (s) => ({ config: { ...s.config, 'oidc-issuer': moved } }));
      const run = await cluster.run(UNIT, 'config-changed');
      expect(run.state.unitStatus.status).toBe('blocked');
      expect(run.state.unitStatus.message).toMatch(message);
      expect(cluster.machine(UNIT).changes().length).toBe(before);
      expect(await cluster.machine(UNIT).read('/etc/concourse/web.env')).toContain(`CONCOURSE_OIDC_ISSUER="${ISSUER}"`);
    },
  );

  test('the provider cannot be reached from the hook → no verdict: the web restarts with the new issuer', async () => {
    const cluster = await webWithOidc();
    const moved = MOVED;
    cluster.world.oidc.answer(`${moved}/.well-known/openid-configuration`, { kind: 'no-answer', reason: 'ETIMEDOUT' });
    cluster.update(UNIT, (s) => ({ config: { ...s.config, 'oidc-issuer': moved } }));
    const run = await cluster.run(UNIT, 'config-changed');
    expect(run.state.unitStatus.status).toBe('active');
    expect(await cluster.machine(UNIT).read('/etc/concourse/web.env')).toContain(`CONCOURSE_OIDC_ISSUER="${moved}"`);
    expect(run.logger.events.map((e) => e.event)).toContain('oidc.discovery.no-answer');
  });
});
