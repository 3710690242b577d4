// Hook tests of what a unit writes to and reads from its relations: the relation outbox (one relation-set per bag,
// only changed keys) and the peer view (which peer bags a hook reads, kept in a file on the unit's disk).
import { describe, expect, test } from 'vitest';
import { Cluster, HookWorld, POSTGRES_READY, peers } from './harness';

const UNITS = ['concourse-ci/0', 'concourse-ci/1', 'concourse-ci/2'];
const PEERS = { id: 'peers:0', remoteApp: 'concourse-ci' };

function cluster(): Cluster {
  return new Cluster(new HookWorld(), UNITS, {
    leader: 'concourse-ci/0',
    config: { mode: 'auto', version: '7.14.2' },
    relations: [peers({}), POSTGRES_READY.relation],
    secrets: [POSTGRES_READY.secret],
  });
}

/** relation-set calls of one hook, as `<relation id>[ app]: <keys>`. */
function relationSets(calls: readonly (readonly unknown[])[]): string[] {
  return calls.map(([id, data, options]) => {
    const app = (options as { app?: boolean } | undefined)?.app === true ? ' app' : '';
    return `${String(id)}${app}: ${Object.keys(data as object).join(',')}`;
  });
}

/** Other units whose peer bag a hook of `self` read (relation-get on peers for a unit). */
function peerReads(self: string, calls: readonly (readonly unknown[])[]): string[] {
  return calls
    .filter(([id, , options]) => id === 'peers:0' && (options as { app?: boolean } | undefined)?.app !== true)
    .map(([, unit]) => String(unit))
    .filter((unit) => unit !== self);
}

describe('relation outbox', () => {
  test('first hook of the leader → one relation-set per bag it writes, every key at once', async () => {
    const c = cluster();
    const run = await c.run('concourse-ci/0', 'install');
    expect(relationSets(run.tools.callsOf('relationSet')).sort()).toEqual([
      'peers:0 app: target-version,target-serial,config-version,web-keys-secret',
      'peers:0: roles,volume-id,tsa-host,tsa-port,tsa-public-key,concourse-version,running-version',
      'postgresql:1 app: database,requested-secrets',
    ]);
  });

  test('a later hook that changes the version → one relation-set per bag, with the changed keys only', async () => {
    const c = cluster();
    await c.run('concourse-ci/0', 'install');
    c.update('concourse-ci/0', (s) => ({ config: { ...s.config, version: '7.14.3' } }));
    const run = await c.run('concourse-ci/0', 'config-changed');
    expect(relationSets(run.tools.callsOf('relationSet')).sort()).toEqual([
      'peers:0 app: target-version,target-serial,config-version',
      'peers:0: concourse-version,running-version',
    ]);
  });

  test('a non-leader never writes an application bag (Juju would refuse it)', async () => {
    const c = cluster();
    await c.run('concourse-ci/0', 'install');
    const run = await c.run('concourse-ci/1', 'install');
    expect(run.exitCode).toBe(0);
    // A worker's first start on the web's volume publishes no running-version (the leader reads its state file).
    expect(relationSets(run.tools.callsOf('relationSet'))).toEqual(['peers:0: roles,volume-id,worker-public-key']);
  });
});

describe('peer view', () => {
  test('update-status reads every peer; a peer’s relation-changed reads that peer only; other hooks none', async () => {
    const c = cluster();
    for (const u of UNITS) await c.run(u, 'install');
    const full = await c.run('concourse-ci/1', 'update-status');
    expect(peerReads('concourse-ci/1', full.tools.callsOf('relationGet')).sort()).toEqual([
      'concourse-ci/0',
      'concourse-ci/2',
    ]);
    const one = await c.run('concourse-ci/1', 'peers-relation-changed', {
      relation: { ...PEERS, remoteUnit: 'concourse-ci/2' },
    });
    expect(peerReads('concourse-ci/1', one.tools.callsOf('relationGet'))).toEqual(['concourse-ci/2']);
    const none = await c.run('concourse-ci/1', 'config-changed');
    expect(peerReads('concourse-ci/1', none.tools.callsOf('relationGet'))).toEqual([]);
    // Kept on the unit's disk, tied to this unit's charm state by a token; charm state stays small.
    const file = c.machine('concourse-ci/1').files.get('/var/lib/concourse-charm/peer-view.json');
    expect(file?.mode).toBe(0o600);
    expect(JSON.parse(file?.content ?? '{}').peers['concourse-ci/0']).toMatchObject({ roles: 'web' });
    expect(none.state.charmState['peer-view-token']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a peer departs → dropped from the view without reading any bag; the web stops authorizing its key', async () => {
    const c = cluster();
    for (const u of UNITS) await c.run(u, 'install');
    await c.run('concourse-ci/0', 'update-status');
    const key = c.state('concourse-ci/0').relations.find((r) => r.peer)?.remoteUnitsData?.['concourse-ci/2']?.[
      'worker-public-key'
    ];
    expect(c.machine('concourse-ci/0').files.get('/etc/concourse/keys/authorized_worker_keys')?.content).toContain(key);
    c.update('concourse-ci/0', (s) => ({
      relations: s.relations.map((r) => {
        if (r.peer !== true) return r;
        const { 'concourse-ci/2': _gone, ...rest } = r.remoteUnitsData ?? {};
        return { ...r, remoteUnitsData: rest };
      }),
    }));
    const run = await c.run('concourse-ci/0', 'peers-relation-departed', {
      relation: { ...PEERS, remoteUnit: 'concourse-ci/2' },
    });
    expect(peerReads('concourse-ci/0', run.tools.callsOf('relationGet'))).toEqual([]);
    expect(c.machine('concourse-ci/0').files.get('/etc/concourse/keys/authorized_worker_keys')?.content).not.toContain(
      key,
    );
    expect(c.machine('concourse-ci/0').changes().slice(-1)).toEqual(['reload concourse-server.service']);
    expect(run.state.unitStatus.message).toContain('shared volume 2 units');
  });
});
