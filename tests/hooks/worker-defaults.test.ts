// Hook tests of the worker defaults chosen from the machine: what the worker's env gets on an LXD container with
// systemd-resolved and on a VM, the options overriding, the choice logged once per change (not every hook) and
// reported by storage-status, and a web-only unit not asked at all.
import { describe, expect, test } from 'vitest';
import type { WorkerHostFacts } from '../../src/domain/worker-defaults';
import { Cluster, deployedCluster, HookWorld, POSTGRES_READY, peers } from './harness';

const WORKER = 'concourse-worker.service';
const UNITS = ['concourse-ci/0', 'concourse-ci/1'];

const LXD: WorkerHostFacts = {
  virt: { kind: 'container', name: 'lxc' },
  workDirFilesystem: 'zfs',
  resolvConf: '# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lxd\n',
  upstreamResolvConf: 'nameserver 10.148.1.1\n',
};

/** mode=auto, concourse-ci/1 a worker on `host`; both units deployed and seeing each other. */
function deployed(host: WorkerHostFacts, config: Readonly<Record<string, unknown>> = {}): Promise<Cluster> {
  return deployedCluster(UNITS, config, {
    settle: true,
    prepare: (cluster) => {
      cluster.machine('concourse-ci/1').host = host;
    },
  });
}

function workerEnv(cluster: Cluster): string {
  return cluster.machine('concourse-ci/1').files.get('/etc/concourse/worker.env')?.content ?? '';
}

describe('worker defaults from the machine', () => {
  test('LXD container with resolved stub → naive and resolved’s upstream server; said once, in storage-status', async () => {
    const cluster = await deployed(LXD);
    expect(workerEnv(cluster)).toContain('CONCOURSE_BAGGAGECLAIM_DRIVER="naive"');
    expect(workerEnv(cluster)).toContain('CONCOURSE_CONTAINERD_DNS_SERVER="10.148.1.1"');
    expect(workerEnv(cluster)).not.toContain('CONCOURSE_CONTAINERD_DNS_PROXY_ENABLE');
    const again = await cluster.run('concourse-ci/1', 'update-status');
    expect(again.logger.names()).not.toContain('worker.defaults.chosen');
    expect(cluster.machine('concourse-ci/1').changes()).toEqual([`start ${WORKER}`]);

    const status = await cluster.action('concourse-ci/1', 'storage-status');
    expect(status.tools.actionResults).toMatchObject({
      'worker.host': 'lxc container, work dir on zfs',
      'worker.baggageclaim-driver': 'naive',
      'worker.baggageclaim-driver-reason': 'the unit is a lxc container, where overlay mounts fail',
      'worker.dns': '10.148.1.1',
      'worker.dns-reason': expect.stringContaining('/etc/resolv.conf lists only 127.0.0.53'),
    });
  });

  test('the first hook with a worker → the choice logged with its reasons', async () => {
    const cluster = new Cluster(new HookWorld(), UNITS, {
      leader: 'concourse-ci/0',
      config: { mode: 'all', version: '7.14.2' },
      relations: [peers({}), POSTGRES_READY.relation],
      secrets: [POSTGRES_READY.secret],
    });
    cluster.machine('concourse-ci/0').host = LXD;
    const run = await cluster.run('concourse-ci/0', 'install');
    expect(run.logger.events.find((e) => e.event === 'worker.defaults.chosen')?.fields).toEqual({
      host: 'lxc container, work dir on zfs',
      'baggageclaim-driver': 'naive',
      'driver-reason': 'the unit is a lxc container, where overlay mounts fail',
      dns: '10.148.1.1',
      'dns-reason': expect.stringContaining('systemd-resolved'),
    });
  });

  test('VM with a reachable resolver → overlay, DNS left to Concourse (host resolv.conf)', async () => {
    const cluster = await deployed({
      virt: { kind: 'vm', name: 'kvm' },
      workDirFilesystem: 'ext4',
      resolvConf: 'nameserver 10.0.0.2\n',
      upstreamResolvConf: undefined,
    });
    expect(workerEnv(cluster)).toContain('CONCOURSE_BAGGAGECLAIM_DRIVER="overlay"');
    expect(workerEnv(cluster)).not.toContain('CONCOURSE_CONTAINERD_DNS');
  });

  test('options set → they win over the machine; the new choice logged again, the worker drained and restarted', async () => {
    const cluster = await deployed(LXD);
    cluster.update('concourse-ci/1', (s) => ({
      config: { ...s.config, 'baggageclaim-driver': 'overlay', 'containerd-dns-server': '1.1.1.1,8.8.8.8' },
    }));
    const run = await cluster.run('concourse-ci/1', 'config-changed');
    expect(workerEnv(cluster)).toContain('CONCOURSE_BAGGAGECLAIM_DRIVER="overlay"');
    expect(workerEnv(cluster)).toContain('CONCOURSE_CONTAINERD_DNS_SERVER="1.1.1.1,8.8.8.8"');
    expect(run.logger.events.find((e) => e.event === 'worker.defaults.chosen')?.fields).toMatchObject({
      'driver-reason': 'set by baggageclaim-driver',
      'dns-reason': 'set by containerd-dns-server',
    });
    expect(cluster.machine('concourse-ci/1').changes().slice(1)).toEqual([
      `kill --kill-who=main --signal=SIGUSR1 ${WORKER}`,
      `start ${WORKER}`,
    ]);
  });

  test('containerd-dns-proxy-enable=true → the proxy, no server added', async () => {
    const cluster = await deployed(LXD, { 'containerd-dns-proxy-enable': true });
    expect(workerEnv(cluster)).toContain('CONCOURSE_CONTAINERD_DNS_PROXY_ENABLE="true"');
    expect(workerEnv(cluster)).not.toContain('CONCOURSE_CONTAINERD_DNS_SERVER');
  });

  test('the machine changes (resolved’s upstream server) → the worker follows, the change logged', async () => {
    const cluster = await deployed(LXD);
    cluster.machine('concourse-ci/1').host = { ...LXD, upstreamResolvConf: 'nameserver 10.148.9.9\n' };
    const run = await cluster.run('concourse-ci/1', 'update-status');
    expect(workerEnv(cluster)).toContain('CONCOURSE_CONTAINERD_DNS_SERVER="10.148.9.9"');
    expect(run.logger.names()).toContain('worker.defaults.chosen');
  });

  test('a bad containerd-dns-server → blocked naming the option, the worker untouched', async () => {
    const cluster = await deployed(LXD);
    const before = workerEnv(cluster);
    cluster.update('concourse-ci/1', (s) => ({ config: { ...s.config, 'containerd-dns-server': 'dns.example' } }));
    const run = await cluster.run('concourse-ci/1', 'config-changed');
    expect(run.state.unitStatus).toMatchObject({
      status: 'blocked',
      message: expect.stringContaining('containerd-dns-server must be auto or comma-separated IP addresses'),
    });
    expect(workerEnv(cluster)).toBe(before);
  });

  test('a web-only unit → the machine is not examined, nothing reported', async () => {
    const cluster = await deployed(LXD);
    expect(cluster.machine('concourse-ci/0').hostAsked).toEqual([]);
    const status = await cluster.action('concourse-ci/0', 'storage-status');
    expect(status.tools.actionResults['worker.baggageclaim-driver']).toBeUndefined();
  });
});
