// The packed charm running Concourse in the simulated model (issue 4): roles from `mode` and leadership, the two
// services from the shared release, PostgreSQL over postgresql_client, TSA and worker keys over peers/tsa/flight,
// ports, statuses, get-admin-password, and no restart for relation events that change nothing.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { POSTGRES_APP, type PostgresStub, relatePostgres } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import type { SimModel } from '../../sim/model';
import { SimModel as Model } from '../../sim/model';
import { packedCharm } from '../support/packed-charm';
import { active, allRelationData, allText, changes, env, mode, statusOf, unitFile } from '../support/unit-inspection';

const WEB = 'concourse-server.service';
const WORKER = 'concourse-worker.service';

let server: ReleaseServer;

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 1024 * 1024 });
});
afterAll(async () => {
  await server?.close();
});

async function model(): Promise<SimModel> {
  return Model.create({ charm: await packedCharm() });
}

describe('mode=auto, 3 units on one volume, with PostgreSQL', () => {
  let sim: SimModel;
  let pg: PostgresStub;

  beforeAll(async () => {
    sim = await model();
    await sim.deploy('concourse-ci', {
      units: 3,
      config: { mode: 'auto', version: '7.14.2', 'download-url': server.downloadUrlTemplate },
    });
    await sim.settle();
  });
  afterAll(async () => sim?.close());

  test('without a database → the web waits naming the integrate command; workers wait for it', () => {
    expect(statusOf(sim, 'concourse-ci/0')).toEqual([
      'waiting',
      'PostgreSQL relation required: juju integrate concourse-ci:postgresql postgresql',
    ]);
    expect(statusOf(sim, 'concourse-ci/1')).toEqual(['waiting', 'Worker waiting for the leader’s web to start']);
    expect(active(sim, 'concourse-ci/0', WEB)).toBeUndefined();
    expect(active(sim, 'concourse-ci/1', WORKER)).toBeUndefined();
  });

  test('related but nothing shared yet → waiting for credentials; the leader asked for its database', async () => {
    pg = await relatePostgres(sim, 'concourse-ci', { share: false });
    await sim.settle();
    expect(statusOf(sim, 'concourse-ci/0')).toEqual([
      'waiting',
      'PostgreSQL relation joined, credentials not yet shared',
    ]);
    expect(sim.relationData(pg.relationId, 'concourse-ci')).toEqual({
      database: 'concourse_ci',
      'requested-secrets': '["username","password","tls","tls-ca","uris"]',
    });
  });

  test('credentials shared → unit 0 runs the web, units 1-2 the worker, all from one release', async () => {
    await sim.setRelationData(pg.relationId, POSTGRES_APP, {
      endpoints: '10.20.30.40:5432',
      'secret-user': pg.secretUri,
    });
    await sim.settle();
    expect(statusOf(sim, 'concourse-ci/0')).toEqual([
      'active',
      'Web ready (v7.14.2) http://127.0.1.1:8080 · shared volume 3 units',
    ]);
    for (const u of ['concourse-ci/1', 'concourse-ci/2']) {
      expect(statusOf(sim, u)).toEqual(['active', 'Worker ready (v7.14.2) · shared volume 3 units']);
      expect(active(sim, u, WORKER)).toBe('active');
      expect(active(sim, u, WEB)).toBeUndefined();
      expect(sim.serviceState(u, WORKER)?.execStart).toBe('/var/lib/concourse/releases/7.14.2/bin/concourse worker');
    }
    expect(active(sim, 'concourse-ci/0', WEB)).toBe('active');
    expect(active(sim, 'concourse-ci/0', WORKER)).toBeUndefined();
    expect(sim.serviceState('concourse-ci/0', WEB)?.execStart).toBe(
      '/var/lib/concourse/releases/7.14.2/bin/concourse web',
    );
    expect(sim.status().apps.find((a) => a.name === 'concourse-ci')?.version).toBe('7.14.2');
    expect(sim.status().units.find((u) => u.name === 'concourse-ci/0')?.ports).toEqual(['8080/tcp']);
  });

  test('env files → database endpoint and credentials for the web, the TSA for the workers, keys by path', () => {
    const web = env(sim, 'concourse-ci/0', 'web');
    expect(web).toMatchObject({
      CONCOURSE_BIND_PORT: '8080',
      CONCOURSE_EXTERNAL_URL: 'http://127.0.1.1:8080',
      CONCOURSE_PEER_ADDRESS: '127.0.1.1',
      CONCOURSE_POSTGRES_HOST: '10.20.30.40',
      CONCOURSE_POSTGRES_PORT: '5432',
      CONCOURSE_POSTGRES_PASSWORD: 'pg-password-1',
      CONCOURSE_POSTGRES_DATABASE: 'concourse_ci',
      CONCOURSE_TSA_HOST_KEY: '/etc/concourse/keys/tsa_host_key',
      CONCOURSE_SESSION_SIGNING_KEY: '/etc/concourse/keys/session_signing_key',
      CONCOURSE_MAIN_TEAM_LOCAL_USER: 'admin',
    });
    expect(mode(sim, 'concourse-ci/0', '/etc/concourse/web.env')).toBe('640');
    expect(mode(sim, 'concourse-ci/0', '/etc/concourse/keys/tsa_host_key')).toBe('640');
    expect(unitFile(sim, 'concourse-ci/0', '/etc/concourse/keys/tsa_host_key')).toMatch(/PRIVATE KEY/);
    for (const u of ['concourse-ci/1', 'concourse-ci/2']) {
      expect(env(sim, u, 'worker')).toMatchObject({
        CONCOURSE_TSA_HOST: '127.0.1.1:2222',
        CONCOURSE_TSA_WORKER_PRIVATE_KEY: '/etc/concourse/keys/worker_key',
        CONCOURSE_WORK_DIR: `/var/lib/concourse/worker/${u.replace('/', '-')}/work_dir`,
      });
      expect(mode(sim, u, '/etc/concourse/worker.env')).toBe('600');
      expect(mode(sim, u, '/etc/concourse/keys/worker_key')).toBe('600');
      // The worker pins the web's host key; the web authorizes the worker's key.
      const hostPublic = sim.relationData(sim.relationIds('concourse-ci', 'peers')[0] ?? '', 'concourse-ci/0')[
        'tsa-public-key'
      ];
      expect(unitFile(sim, u, '/etc/concourse/keys/worker_tsa_public_keys').trim()).toBe(hostPublic);
      const workerPublic = unitFile(sim, u, '/etc/concourse/keys/worker_key.pub').trim();
      expect(unitFile(sim, 'concourse-ci/0', '/etc/concourse/keys/authorized_worker_keys')).toContain(workerPublic);
    }
  });

  test('nothing secret on the volume or in relation data; the password only in the unit’s env file', () => {
    const password = env(sim, 'concourse-ci/0', 'web').CONCOURSE_ADD_LOCAL_USER?.split(':')[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(16);
    // The release's own files (the stand-in binary prints PEM headers) aside, every byte on the volume is scanned.
    const volume = allText(sim.volumeHostPath('concourse-ci/0'), ['releases']);
    const relations = allRelationData(sim);
    const keyBodies = ['tsa_host_key', 'session_signing_key'].map(
      (f) => unitFile(sim, 'concourse-ci/0', `/etc/concourse/keys/${f}`).split('\n')[1] ?? 'missing',
    );
    keyBodies.push(unitFile(sim, 'concourse-ci/1', '/etc/concourse/keys/worker_key').split('\n')[1] ?? 'missing');
    for (const text of [volume, relations]) {
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain(password);
      expect(text).not.toContain('pg-password-1');
      for (const body of keyBodies) expect(text).not.toContain(body);
    }
    expect(sim.debugLog().join('\n')).not.toContain(password);
  });

  test('get-admin-password → the admin the web was started with', async () => {
    const r = await sim.runAction('concourse-ci/1', 'get-admin-password', {});
    expect(r.status).toBe('completed');
    expect(`${r.results.username}:${r.results.password}`).toBe(
      env(sim, 'concourse-ci/0', 'web').CONCOURSE_ADD_LOCAL_USER,
    );
  });

  test('a worker joins → the web reloads its authorized keys, never restarts', async () => {
    const before = changes(sim, 'concourse-ci/0').length;
    const [added] = await sim.addUnit('concourse-ci');
    await sim.settle();
    const newCalls = changes(sim, 'concourse-ci/0').slice(before);
    expect(newCalls).toEqual([`reload ${WEB}`]);
    expect(statusOf(sim, added ?? '')).toEqual(['active', 'Worker ready (v7.14.2) · shared volume 4 units']);
    const key = unitFile(sim, added ?? '', '/etc/concourse/keys/worker_key.pub').trim();
    expect(unitFile(sim, 'concourse-ci/0', '/etc/concourse/keys/authorized_worker_keys')).toContain(key);
  });

  test('PostgreSQL rotates the password (secret-changed) → the web restarts once with it', async () => {
    const before = changes(sim, 'concourse-ci/0').length;
    await sim.updateSecret(pg.secretUri, { username: 'relation_x', password: 'pg-password-2' });
    await sim.settle();
    expect(env(sim, 'concourse-ci/0', 'web')).toMatchObject({ CONCOURSE_POSTGRES_PASSWORD: 'pg-password-2' });
    expect(changes(sim, 'concourse-ci/0').slice(before)).toEqual([`restart ${WEB}`]);
  });

  test('web-port changed → one restart, the new port opened and the old one closed', async () => {
    const before = changes(sim, 'concourse-ci/0').length;
    await sim.config('concourse-ci', { 'web-port': 8443 });
    await sim.settle();
    expect(changes(sim, 'concourse-ci/0').slice(before)).toEqual([`restart ${WEB}`]);
    expect(sim.status().units.find((u) => u.name === 'concourse-ci/0')?.ports).toEqual(['8443/tcp']);
    expect(statusOf(sim, 'concourse-ci/0')[1]).toBe(
      'Web ready (v7.14.2) http://127.0.1.1:8443 · shared volume 4 units',
    );
  });

  test('enable-metrics → Prometheus flags in the web env, one restart, the metrics port opened; off → closed', async () => {
    const before = changes(sim, 'concourse-ci/0').length;
    await sim.config('concourse-ci', { 'enable-metrics': true });
    await sim.settle();
    expect(changes(sim, 'concourse-ci/0').slice(before)).toEqual([`restart ${WEB}`]);
    expect(sim.status().units.find((u) => u.name === 'concourse-ci/0')?.ports).toEqual(['8443/tcp', '9391/tcp']);
    const webEnv = unitFile(sim, 'concourse-ci/0', '/etc/concourse/web.env');
    expect(webEnv).toContain('CONCOURSE_PROMETHEUS_BIND_IP="0.0.0.0"\nCONCOURSE_PROMETHEUS_BIND_PORT="9391"\n');
    // A worker has no metrics endpoint in Concourse: nothing opened there.
    expect(sim.status().units.find((u) => u.name === 'concourse-ci/1')?.ports ?? []).not.toContain('9391/tcp');
    await sim.config('concourse-ci', { 'enable-metrics': null });
    await sim.settle();
    expect(sim.status().units.find((u) => u.name === 'concourse-ci/0')?.ports).toEqual(['8443/tcp']);
  });

  test('worker defaults from the sim unit’s machine → in the worker env and in storage-status, with the reason', async () => {
    // Sim units are namespaces of this host: systemd-detect-virt says what the host is (a container under Docker).
    const r = await sim.runAction('concourse-ci/1', 'storage-status');
    const worker = r.results.worker as Record<string, string>;
    expect(worker['baggageclaim-driver']).toMatch(/^(naive|overlay|detect)$/);
    expect(worker['baggageclaim-driver-reason']?.length).toBeGreaterThan(10);
    const driver = env(sim, 'concourse-ci/1', 'worker').CONCOURSE_BAGGAGECLAIM_DRIVER;
    expect(driver ?? 'detect').toBe(worker['baggageclaim-driver']);
    expect(worker.dns?.length).toBeGreaterThan(0);
  });

  test('land-worker → landed and held stopped through a config change; restart-services → running again', async () => {
    const landed = await sim.runAction('concourse-ci/2', 'land-worker');
    expect(landed.status).toBe('completed');
    expect(landed.results).toMatchObject({ worker: 'landed', held: 'stopped until restart-services' });
    expect(active(sim, 'concourse-ci/2', WORKER)).not.toBe('active');
    await sim.config('concourse-ci', { 'worker-team': 'main' });
    await sim.settle();
    expect(active(sim, 'concourse-ci/2', WORKER)).not.toBe('active');
    const [status, message] = statusOf(sim, 'concourse-ci/2');
    expect(status).toBe('maintenance');
    expect(message).toMatch(
      /^Worker landed \(land-worker\): run restart-services to start it · shared volume \d units$/,
    );
    const restarted = await sim.runAction('concourse-ci/2', 'restart-services');
    expect(restarted.results).toMatchObject({ 'hold-lifted': 'landed', worker: 'started' });
    expect(active(sim, 'concourse-ci/2', WORKER)).toBe('active');
    expect(env(sim, 'concourse-ci/2', 'worker').CONCOURSE_TEAM).toBe('main');
    await sim.config('concourse-ci', { 'worker-team': null });
    await sim.settle();
  });

  test('land-worker on the web unit → fails saying where to run it', async () => {
    const r = await sim.runAction('concourse-ci/0', 'land-worker');
    expect(r.status).toBe('failed');
    expect(r.message).toContain('runs no worker (mode=auto, roles: web)');
  });

  test('PostgreSQL revokes the credentials → blocked with what to do; the running web is left running', async () => {
    await sim.revokeSecret(pg.secretUri, pg.relationId);
    await sim.updateStatus();
    const [kind, message] = statusOf(sim, 'concourse-ci/0');
    expect(kind).toBe('blocked');
    expect(message).toContain('PostgreSQL credentials cannot be read');
    expect(message).toContain('juju remove-relation concourse-ci postgresql');
    expect(active(sim, 'concourse-ci/0', WEB)).toBe('active');
    // The workers keep their web: it still offers its TSA.
    expect(statusOf(sim, 'concourse-ci/1')[0]).toBe('active');
    await sim.grantSecret(pg.secretUri, pg.relationId);
    await sim.updateStatus();
    expect(statusOf(sim, 'concourse-ci/0')[0]).toBe('active');
  });

  test('leadership moves → the new leader runs the web, the old one stops it and becomes a worker', async () => {
    await sim.setLeader('concourse-ci/1');
    await sim.settle();
    expect(active(sim, 'concourse-ci/1', WEB)).toBe('active');
    expect(active(sim, 'concourse-ci/1', WORKER)).toBe('inactive');
    // Juju tells the old leader nothing; its next hook (update-status at the latest) converges it.
    await sim.updateStatus();
    expect(active(sim, 'concourse-ci/0', WEB)).toBe('inactive');
    expect(active(sim, 'concourse-ci/0', WORKER)).toBe('active');
    expect(env(sim, 'concourse-ci/0', 'worker').CONCOURSE_TSA_HOST).toBe('127.0.1.2:2222');
    expect(statusOf(sim, 'concourse-ci/1')).toEqual([
      'active',
      'Web ready (v7.14.2) http://127.0.1.2:8443 · shared volume 4 units',
    ]);
    expect(statusOf(sim, 'concourse-ci/0')).toEqual(['active', 'Worker ready (v7.14.2) · shared volume 4 units']);
  });

  test('the leader is removed → leader-elected moves the web; the removed unit stopped its services', async () => {
    await sim.removeUnit('concourse-ci/1');
    await sim.settle();
    expect(changes(sim, 'concourse-ci/1')).toEqual(expect.arrayContaining([`stop ${WEB}`, `disable ${WEB}`]));
    const leader = sim.status().apps.find((a) => a.name === 'concourse-ci')?.leader ?? '';
    expect(leader).toBe('concourse-ci/0');
    expect(active(sim, leader, WEB)).toBe('active');
    expect(active(sim, leader, WORKER)).toBe('inactive');
    expect(statusOf(sim, 'concourse-ci/2')).toEqual(['active', 'Worker ready (v7.14.2) · shared volume 3 units']);
    expect(env(sim, 'concourse-ci/2', 'worker').CONCOURSE_TSA_HOST).toBe('127.0.1.1:2222');
  });

  test('a worker departs → the web reloads and no longer authorizes its key', async () => {
    const key = unitFile(sim, 'concourse-ci/3', '/etc/concourse/keys/worker_key.pub').trim();
    expect(unitFile(sim, 'concourse-ci/0', '/etc/concourse/keys/authorized_worker_keys')).toContain(key);
    const before = changes(sim, 'concourse-ci/0').length;
    await sim.removeUnit('concourse-ci/3');
    await sim.settle();
    expect(changes(sim, 'concourse-ci/0').slice(before)).toEqual([`reload ${WEB}`]);
    expect(unitFile(sim, 'concourse-ci/0', '/etc/concourse/keys/authorized_worker_keys')).not.toContain(key);
  });
});

describe('mode=all, and separate web and worker applications over tsa/flight', () => {
  let sim: SimModel;

  beforeAll(async () => {
    sim = await model();
    const config = { version: '7.14.2', 'download-url': server.downloadUrlTemplate };
    await sim.deploy('ci', { units: 2, config: { ...config, mode: 'all' } });
    await sim.deploy('web', { units: 1, config: { ...config, mode: 'web' } });
    await sim.deploy('worker', { units: 2, config: { ...config, mode: 'worker' } });
    await relatePostgres(sim, 'ci');
    await relatePostgres(sim, 'web');
    await sim.settle();
  });
  afterAll(async () => sim?.close());

  test('mode=all → web and worker on both units, each worker on its own TSA', () => {
    for (const [u, address] of [
      ['ci/0', '127.0.1.1'],
      ['ci/1', '127.0.1.2'],
    ] as const) {
      expect(statusOf(sim, u)).toEqual([
        'active',
        `Web+worker ready (v7.14.2) http://${address}:8080 · shared volume 2 units`,
      ]);
      expect(active(sim, u, WEB)).toBe('active');
      expect(active(sim, u, WORKER)).toBe('active');
      expect(env(sim, u, 'worker').CONCOURSE_TSA_HOST).toBe('127.0.0.1:2222');
      expect(env(sim, u, 'web').CONCOURSE_POSTGRES_DATABASE).toBe('ci');
    }
    // One application, one set of shared keys: both webs use the same host and session keys.
    for (const f of ['tsa_host_key', 'session_signing_key']) {
      expect(unitFile(sim, 'ci/0', `/etc/concourse/keys/${f}`)).toBe(unitFile(sim, 'ci/1', `/etc/concourse/keys/${f}`));
    }
    const keys = unitFile(sim, 'ci/0', '/etc/concourse/keys/authorized_worker_keys');
    for (const u of ['ci/0', 'ci/1'])
      expect(keys).toContain(unitFile(sim, u, '/etc/concourse/keys/worker_key.pub').trim());
  });

  test('a worker application without a web → blocked naming the integrate command', () => {
    expect(statusOf(sim, 'worker/0')).toEqual([
      'blocked',
      'Worker has no web to register with: juju integrate worker:flight <web-application>:tsa',
    ]);
    expect(statusOf(sim, 'web/0')).toEqual(['active', 'Web ready (v7.14.2) http://127.0.1.3:8080 · volume not shared']);
    expect(sim.status().units.find((u) => u.name === 'web/0')?.ports).toEqual(['2222/tcp', '8080/tcp']);
  });

  test('flight related to tsa → the workers register with the web, which authorizes their keys', async () => {
    const rel = await sim.integrate('worker:flight', 'web:tsa');
    await sim.settle();
    for (const u of ['worker/0', 'worker/1']) {
      expect(statusOf(sim, u)).toEqual(['active', 'Worker ready (v7.14.2) · shared volume 2 units']);
      expect(env(sim, u, 'worker').CONCOURSE_TSA_HOST).toBe('127.0.1.3:2222');
      expect(unitFile(sim, u, '/etc/concourse/keys/worker_tsa_public_keys').trim()).toBe(
        sim.relationData(rel, 'web/0')['tsa-public-key'],
      );
      expect(unitFile(sim, 'web/0', '/etc/concourse/keys/authorized_worker_keys')).toContain(
        unitFile(sim, u, '/etc/concourse/keys/worker_key.pub').trim(),
      );
    }
    expect(sim.relationData(rel, 'web/0')).toMatchObject({
      'tsa-host': '127.0.1.3',
      'tsa-port': '2222',
      'concourse-version': '7.14.2',
    });
    const relations = allRelationData(sim);
    expect(relations).not.toContain('PRIVATE KEY');
    for (const u of ['ci/0', 'web/0']) {
      const password = env(sim, u, 'web').CONCOURSE_ADD_LOCAL_USER?.split(':')[1] ?? '';
      expect(relations).not.toContain(password);
      expect(allText(sim.volumeHostPath(u), ['releases'])).not.toContain(password);
    }
  });

  test('worker-procs (removed: one worker per machine) → refused by juju config as an unknown option', async () => {
    await expect(sim.config('worker', { 'worker-procs': 2 })).rejects.toThrow('unknown option "worker-procs"');
  });

  test('get-admin-password on a worker application → fails saying where to ask', async () => {
    const r = await sim.runAction('worker/0', 'get-admin-password', {});
    expect(r.status).toBe('failed');
    expect(r.message).toContain('run get-admin-password on the web application');
  });

  test('mode changed on running units (all → worker) → the web stops, the worker says what it needs', async () => {
    await sim.config('ci', { mode: 'worker' });
    await sim.settle();
    for (const u of ['ci/0', 'ci/1']) {
      expect(active(sim, u, WEB)).toBe('inactive');
      expect(changes(sim, u)).toEqual(expect.arrayContaining([`stop ${WEB}`, `disable ${WEB}`]));
      expect(statusOf(sim, u)).toEqual([
        'blocked',
        'Worker has no web to register with: juju integrate ci:flight <web-application>:tsa',
      ]);
    }
    expect(sim.status().units.find((u) => u.name === 'ci/0')?.ports).toEqual([]);
  });
});
