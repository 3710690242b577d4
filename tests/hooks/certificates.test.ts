// Hook tests of the certificates relation (tls-certificates v4, Mode.UNIT) through the real container with
// in-memory Juju and systemd: the CSR sent, the certificate installed, HTTPS env, renewal at 90% of the validity,
// revocation, the relation broken, and the private key kept on the unit.

import { describe, expect, test } from 'vitest';
import { csrNames, FAKE_CA, fakeCertificate } from '../support/fake-tls-crypto';
import type { FakeRelation } from '../support/in-memory-hook-tools';
import { Cluster, HookWorld, POSTGRES_READY, peers } from './harness';

const UNIT = 'concourse-ci/0';
const WEB = 'concourse-server.service';
const PROVIDER = 'self-signed-certificates';
const DAY = 86_400_000;
const REL = 'certificates:7';

function certificatesRelation(remoteAppData: Readonly<Record<string, string>> = {}): FakeRelation {
  return {
    id: REL,
    endpoint: 'certificates',
    remoteApp: PROVIDER,
    remoteUnitsData: { [`${PROVIDER}/0`]: {} },
    remoteAppData,
  };
}

/** One web unit (mode=web), PostgreSQL ready, already running over HTTP. */
async function webUnit(config: Readonly<Record<string, unknown>> = {}, version = '7.14.2'): Promise<Cluster> {
  const cluster = new Cluster(new HookWorld({ versions: [version] }), [UNIT], {
    leader: UNIT,
    config: { mode: 'web', version, ...config },
    relations: [peers({}), POSTGRES_READY.relation],
    secrets: [POSTGRES_READY.secret],
  });
  await cluster.run(UNIT, 'install');
  return cluster;
}

async function relate(cluster: Cluster) {
  cluster.update(UNIT, (s) => ({ relations: [...s.relations, certificatesRelation()] }));
  return cluster.run(UNIT, 'certificates-relation-joined', { relation: { id: REL, remoteUnit: `${PROVIDER}/0` } });
}

function relation(cluster: Cluster): FakeRelation {
  const r = cluster.state(UNIT).relations.find((x) => x.id === REL);
  if (r === undefined) throw new Error('no certificates relation');
  return r;
}

/** The CSRs in this unit's bag, as the library reads them. */
function sentCsrs(cluster: Cluster): { certificate_signing_request: string; ca: boolean }[] {
  return JSON.parse(relation(cluster).localUnitData?.certificate_signing_requests ?? '[]');
}

/** The provider answers every CSR in the bag, with a validity window relative to the test clock. */
async function issue(cluster: Cluster, opts: { from?: number; life?: number; revoked?: boolean } = {}) {
  const now = cluster.world.clock.now();
  const notBefore = now + (opts.from ?? -60_000);
  const certificates = sentCsrs(cluster).map((r) => {
    const certificate = fakeCertificate(r.certificate_signing_request, {
      notBefore,
      notAfter: notBefore + (opts.life ?? 90 * DAY),
    });
    return {
      certificate,
      certificate_signing_request: r.certificate_signing_request,
      ca: FAKE_CA,
      chain: [certificate, FAKE_CA],
      ...(opts.revoked === true ? { revoked: true } : {}),
    };
  });
  setProviderData(cluster, { certificates: JSON.stringify(certificates) });
  return cluster.run(UNIT, 'certificates-relation-changed', { relation: { id: REL, remoteApp: PROVIDER } });
}

function setProviderData(cluster: Cluster, data: Readonly<Record<string, string>>): void {
  cluster.update(UNIT, (s) => ({
    relations: s.relations.map((r) => (r.id === REL ? { ...r, remoteAppData: data } : r)),
  }));
}

function webEnv(cluster: Cluster): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (cluster.machine(UNIT).files.get('/etc/concourse/web.env')?.content ?? '').split('\n')) {
    const m = /^([A-Z_]+)="(.*)"$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

describe('certificates relation', () => {
  test('related, no answer yet → one CSR in the library’s shape for the address, key on the unit only, still HTTP', async () => {
    const cluster = await webUnit();
    const run = await relate(cluster);
    expect(run.exitCode).toBe(0);
    const csrs = sentCsrs(cluster);
    expect(csrs).toHaveLength(1);
    expect(csrs[0]?.ca).toBe(false);
    expect(csrNames(csrs[0]?.certificate_signing_request ?? '')).toEqual(['10.0.0.10']);
    const key = cluster.machine(UNIT).files.get('/etc/concourse/keys/web-tls.key');
    expect(key).toMatchObject({ mode: 0o640, owner: 'root', group: 'concourse' });
    expect(JSON.stringify(run.state)).not.toContain(key?.content.split('\n')[1]);
    expect(JSON.stringify(run.logger.events)).not.toContain(key?.content.split('\n')[1]);
    expect(run.state.unitStatus.message).toBe(
      `Web ready (v7.14.2) http://10.0.0.10:8080 · HTTP until ${PROVIDER} sends a certificate · volume not shared`,
    );
    expect(webEnv(cluster).CONCOURSE_TLS_BIND_PORT).toBeUndefined();
    expect(cluster.machine(UNIT).changes()).toEqual([`start ${WEB}`]);
  });

  test('certificate issued → installed for the web only, HTTPS on web-port, plain listener moved, https URL, one restart', async () => {
    const cluster = await webUnit();
    await relate(cluster);
    const run = await issue(cluster);
    expect(run.exitCode).toBe(0);
    expect(webEnv(cluster)).toMatchObject({
      CONCOURSE_TLS_BIND_PORT: '8080',
      CONCOURSE_TLS_CERT: '/etc/concourse/keys/web-tls.crt',
      CONCOURSE_TLS_KEY: '/etc/concourse/keys/web-tls.key',
      CONCOURSE_BIND_PORT: '8081',
      CONCOURSE_EXTERNAL_URL: 'https://10.0.0.10:8080',
    });
    const machine = cluster.machine(UNIT);
    expect(machine.files.get('/etc/concourse/keys/web-tls.crt')).toMatchObject({
      mode: 0o640,
      owner: 'root',
      group: 'concourse',
    });
    const [, certificate] = JSON.parse(relation(cluster).remoteAppData?.certificates ?? '[]')[0].chain;
    expect(machine.files.get('/etc/concourse/keys/web-tls.crt')?.content).toContain(certificate);
    expect(machine.files.get('/etc/concourse/keys/web-tls-ca.crt')?.content).toBe(`${FAKE_CA}\n`);
    expect(machine.changes()).toEqual([`start ${WEB}`, `restart ${WEB}`]);
    expect(run.state.unitStatus.message).toBe('Web ready (v7.14.2) https://10.0.0.10:8080 · volume not shared');
    expect(run.state.openedPorts).toEqual(['8080/tcp', '2222/tcp']);
    // Nothing changes on the next hooks: no new CSR, no restart.
    const before = sentCsrs(cluster);
    await cluster.run(UNIT, 'update-status');
    expect(sentCsrs(cluster)).toEqual(before);
    expect(machine.changes()).toEqual([`start ${WEB}`, `restart ${WEB}`]);
  });

  test('90% of the validity passed → new CSR on update-status, old certificate kept; new one issued → one restart', async () => {
    const cluster = await webUnit();
    await relate(cluster);
    await issue(cluster, { life: 10 * DAY });
    const first = sentCsrs(cluster)[0]?.certificate_signing_request;
    const installed = cluster.machine(UNIT).files.get('/etc/concourse/keys/web-tls.crt')?.content;
    await cluster.world.clock.sleep(9 * DAY);
    const run = await cluster.run(UNIT, 'update-status');
    expect(run.logger.names()).toContain('tls.csr.sent');
    const second = sentCsrs(cluster);
    expect(second).toHaveLength(1);
    expect(second[0]?.certificate_signing_request).not.toBe(first);
    expect(cluster.machine(UNIT).files.get('/etc/concourse/keys/web-tls.crt')?.content).toBe(installed);
    expect(webEnv(cluster).CONCOURSE_TLS_BIND_PORT).toBe('8080');
    const restarts = () =>
      cluster
        .machine(UNIT)
        .changes()
        .filter((c) => c.startsWith('restart')).length;
    expect(restarts()).toBe(1);
    // Hooks before the provider answers ask nothing more.
    await cluster.run(UNIT, 'update-status');
    expect(sentCsrs(cluster)).toEqual(second);
    await issue(cluster);
    expect(cluster.machine(UNIT).files.get('/etc/concourse/keys/web-tls.crt')?.content).not.toBe(installed);
    expect(restarts()).toBe(2);
  });

  test('certificate revoked → back to HTTP, files removed, status says so', async () => {
    const cluster = await webUnit();
    await relate(cluster);
    await issue(cluster);
    const run = await issue(cluster, { revoked: true });
    expect(webEnv(cluster).CONCOURSE_TLS_BIND_PORT).toBeUndefined();
    expect(webEnv(cluster).CONCOURSE_BIND_PORT).toBe('8080');
    expect(cluster.machine(UNIT).files.has('/etc/concourse/keys/web-tls.crt')).toBe(false);
    expect(run.state.unitStatus.message).toContain(
      `HTTP only: certificate revoked by ${PROVIDER}, waiting for a new one`,
    );
  });

  test('relation broken → HTTP again, key and certificate gone, status says the relation was removed', async () => {
    const cluster = await webUnit();
    await relate(cluster);
    await issue(cluster);
    cluster.update(UNIT, (s) => ({ relations: s.relations.filter((r) => r.id !== REL) }));
    const run = await cluster.run(UNIT, 'certificates-relation-broken', { relation: { id: REL } });
    expect(run.exitCode).toBe(0);
    expect(webEnv(cluster)).toMatchObject({
      CONCOURSE_BIND_PORT: '8080',
      CONCOURSE_EXTERNAL_URL: 'http://10.0.0.10:8080',
    });
    expect(webEnv(cluster).CONCOURSE_TLS_CERT).toBeUndefined();
    for (const f of ['web-tls.key', 'web-tls.crt', 'web-tls-ca.crt'])
      expect(cluster.machine(UNIT).files.has(`/etc/concourse/keys/${f}`)).toBe(false);
    expect(run.state.unitStatus.message).toBe(
      'Web ready (v7.14.2) http://10.0.0.10:8080 · HTTP only: the certificates relation was removed · volume not shared',
    );
    expect(
      cluster
        .machine(UNIT)
        .changes()
        .filter((c) => c.startsWith('restart')),
    ).toHaveLength(2);
    const again = await cluster.run(UNIT, 'update-status');
    expect(again.state.unitStatus.message).toContain('HTTP only: the certificates relation was removed');
  });

  test('external-url http:// while a certificate is held → blocked naming the fix; the running web is left alone', async () => {
    const cluster = await webUnit({ 'external-url': 'http://ci.example.com' });
    await relate(cluster);
    expect(csrNames(sentCsrs(cluster)[0]?.certificate_signing_request ?? '')).toEqual(['ci.example.com', '10.0.0.10']);
    const run = await issue(cluster);
    expect(run.state.unitStatus).toEqual({
      status: 'blocked',
      message:
        'external-url is http:// but the web holds a certificate (certificates): set an https:// external-url or unset it',
    });
    expect(cluster.machine(UNIT).changes()).toEqual([`start ${WEB}`]);
  });

  test('tls-redirect-http-port=80 → the plain listener there, opened besides web-port', async () => {
    const cluster = await webUnit({ 'web-port': 443, 'tls-redirect-http-port': 80 });
    await relate(cluster);
    const run = await issue(cluster);
    expect(webEnv(cluster)).toMatchObject({ CONCOURSE_TLS_BIND_PORT: '443', CONCOURSE_BIND_PORT: '80' });
    expect([...run.state.openedPorts].sort()).toEqual(['2222/tcp', '443/tcp', '80/tcp']);
  });

  test('tls-redirect-http-port = web-port → blocked, naming the option', async () => {
    const cluster = await webUnit({ 'tls-redirect-http-port': 8080 });
    await relate(cluster);
    const run = await issue(cluster);
    expect(run.state.unitStatus).toEqual({
      status: 'blocked',
      message: 'tls-redirect-http-port 8080 is taken by web-port, tsa-port or metrics-port: choose another',
    });
  });

  test('provider data not in the library’s shape, or a certificate for another key → not served, said in the status', async () => {
    const cluster = await webUnit();
    await relate(cluster);
    setProviderData(cluster, { certificates: '[{"certificate": 1}]' });
    let run = await cluster.run(UNIT, 'certificates-relation-changed', { relation: { id: REL, remoteApp: PROVIDER } });
    expect(run.state.unitStatus.message).toContain(
      `HTTP only: ${PROVIDER} sent certificates the tls-certificates library does not write`,
    );
    // A certificate for our CSR's text but another key (a provider mix-up) is refused like the library does.
    const csr = sentCsrs(cluster)[0]?.certificate_signing_request ?? '';
    const foreign = fakeCertificate(
      csr.replace(
        /[A-Za-z0-9+/=]+(?=\n-----END)/,
        Buffer.from(JSON.stringify({ key: 'other', names: [] })).toString('base64'),
      ),
      {
        notBefore: 0,
        notAfter: 4e12,
      },
    );
    setProviderData(cluster, {
      certificates: JSON.stringify([
        { certificate: foreign, certificate_signing_request: csr, ca: FAKE_CA, chain: [foreign, FAKE_CA] },
      ]),
    });
    run = await cluster.run(UNIT, 'certificates-relation-changed', { relation: { id: REL, remoteApp: PROVIDER } });
    expect(run.logger.names()).toContain('tls.certificate.unusable');
    expect(webEnv(cluster).CONCOURSE_TLS_CERT).toBeUndefined();
    expect(run.state.unitStatus.message).toContain(`HTTP until ${PROVIDER} sends a certificate`);
  });

  test('mode=auto, leadership moves → the old leader takes its CSR back and drops its key; the new one sends its own', async () => {
    const units = [UNIT, 'concourse-ci/1'];
    const cluster = new Cluster(new HookWorld(), units, {
      leader: UNIT,
      config: { mode: 'auto', version: '7.14.2' },
      relations: [peers({}), POSTGRES_READY.relation, certificatesRelation()],
      secrets: [POSTGRES_READY.secret],
    });
    for (const u of units) await cluster.run(u, 'install');
    expect(sentCsrs(cluster)).toHaveLength(1);
    const bagOf = (u: string) => cluster.state(u).relations.find((r) => r.id === REL)?.localUnitData ?? {};
    expect(bagOf('concourse-ci/1').certificate_signing_requests).toBeUndefined();
    cluster.setLeader('concourse-ci/1');
    await cluster.run('concourse-ci/1', 'leader-elected');
    const run = await cluster.run(UNIT, 'peers-relation-changed', {
      relation: { id: 'peers:0', remoteUnit: 'concourse-ci/1', remoteApp: 'concourse-ci' },
    });
    expect(run.exitCode).toBe(0);
    expect(bagOf(UNIT).certificate_signing_requests).toBeUndefined();
    expect(cluster.machine(UNIT).files.has('/etc/concourse/keys/web-tls.key')).toBe(false);
    expect(JSON.parse(bagOf('concourse-ci/1').certificate_signing_requests ?? '[]')).toHaveLength(1);
  });

  test('Concourse 8.2.5 (reloads its certificate on SIGHUP) → a renewed certificate reloads the web, no restart', async () => {
    const cluster = await webUnit({}, '8.2.5');
    await relate(cluster);
    await issue(cluster, { life: 10 * DAY });
    expect(cluster.machine(UNIT).changes()).toEqual([`start ${WEB}`, `restart ${WEB}`]);
    await cluster.world.clock.sleep(9 * DAY);
    await cluster.run(UNIT, 'update-status');
    await issue(cluster);
    expect(cluster.machine(UNIT).changes()).toEqual([`start ${WEB}`, `restart ${WEB}`, `reload ${WEB}`]);
  });
});
