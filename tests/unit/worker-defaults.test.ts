// Unit tests of the worker defaults chosen from the machine: baggageclaim's driver from the virtualisation and the
// work dir's filesystem, the build containers' DNS from resolv.conf, and the operator's options overriding both.

import { describe, expect, test } from 'vitest';
import { parseCharmConfig } from '../../src/domain/charm-config';
import {
  chooseWorkerDefaults,
  formatWorkerDefaults,
  nameservers,
  parseWorkerDefaults,
  type WorkerDefaultsChoice,
  type WorkerHostFacts,
} from '../../src/domain/worker-defaults';

const RESOLVED_STUB = [
  '# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).',
  'nameserver 127.0.0.53',
  'options edns0 trust-ad',
  'search lxd',
  '',
].join('\n');
const RESOLVED_UPSTREAM = '# upstream\nnameserver 10.148.1.1\nnameserver fe80::1%eth0\nsearch lxd\n';

const lxd: WorkerHostFacts = {
  virt: { kind: 'container', name: 'lxc' },
  workDirFilesystem: 'zfs',
  resolvConf: RESOLVED_STUB,
  upstreamResolvConf: RESOLVED_UPSTREAM,
};
const vm: WorkerHostFacts = {
  virt: { kind: 'vm', name: 'kvm' },
  workDirFilesystem: 'ext4',
  resolvConf: 'nameserver 10.0.0.2\n',
  upstreamResolvConf: undefined,
};
const auto: WorkerDefaultsChoice = { driver: 'auto', dnsServers: 'auto', dnsProxy: false, extraEnvKeys: [] };

describe('baggageclaim driver', () => {
  test.each<[string, Partial<WorkerHostFacts>, Partial<WorkerDefaultsChoice>, string, string | undefined]>([
    ['LXD container → naive', {}, {}, 'naive', 'naive'],
    ['Docker container on overlay → naive', { virt: { kind: 'container', name: 'docker' } }, {}, 'naive', 'naive'],
    ['VM, work dir on ext4 → overlay', vm, {}, 'overlay', 'overlay'],
    [
      'bare metal, work dir on xfs → overlay',
      { ...vm, virt: { kind: 'none', name: 'none' }, workDirFilesystem: 'xfs' },
      {},
      'overlay',
      'overlay',
    ],
    ['VM, work dir on NFS → naive', { ...vm, workDirFilesystem: 'nfs4' }, {}, 'naive', 'naive'],
    ['VM, work dir on sshfs (FUSE) → naive', { ...vm, workDirFilesystem: 'fuse.sshfs' }, {}, 'naive', 'naive'],
    ['VM, work dir on CephFS → naive', { ...vm, workDirFilesystem: 'ceph' }, {}, 'naive', 'naive'],
    ['VM, work dir on overlay → naive', { ...vm, workDirFilesystem: 'overlay' }, {}, 'naive', 'naive'],
    [
      'VM, filesystem unknown → Concourse detects (no setting)',
      { ...vm, workDirFilesystem: undefined },
      {},
      'detect',
      undefined,
    ],
    [
      'option overlay in a container → overlay (the operator knows: a privileged container)',
      {},
      { driver: 'overlay' },
      'overlay',
      'overlay',
    ],
    ['option detect → passed to Concourse', vm, { driver: 'detect' }, 'detect', 'detect'],
    [
      'worker-extra-env sets it → left to it',
      {},
      { extraEnvKeys: ['CONCOURSE_BAGGAGECLAIM_DRIVER'] },
      'from worker-extra-env',
      undefined,
    ],
  ])('%s', (_name, facts, choice, value, flag) => {
    const d = chooseWorkerDefaults({ ...lxd, ...facts }, { ...auto, ...choice });
    expect(d.driver.value).toBe(value);
    expect(d.flags.find((f) => f.key === 'CONCOURSE_BAGGAGECLAIM_DRIVER')?.value).toBe(flag);
    expect(d.driver.reason.length).toBeGreaterThan(10);
  });

  test('reasons name the machine and the filesystem', () => {
    expect(chooseWorkerDefaults(lxd, auto).driver.reason).toBe(
      'the unit is a lxc container, where overlay mounts fail',
    );
    expect(chooseWorkerDefaults({ ...vm, workDirFilesystem: 'nfs4' }, auto).driver.reason).toBe(
      'the work dir is on nfs4, which overlay cannot write to',
    );
    expect(chooseWorkerDefaults(vm, auto).host).toBe('kvm virtual machine, work dir on ext4');
  });
});

describe('build containers DNS', () => {
  const dns = (facts: Partial<WorkerHostFacts>, choice: Partial<WorkerDefaultsChoice> = {}) => {
    const d = chooseWorkerDefaults({ ...lxd, ...facts }, { ...auto, ...choice });
    return {
      value: d.dns.value,
      server: d.flags.find((f) => f.key === 'CONCOURSE_CONTAINERD_DNS_SERVER')?.value,
      proxy: d.flags.find((f) => f.key === 'CONCOURSE_CONTAINERD_DNS_PROXY_ENABLE')?.value,
    };
  };

  test('resolv.conf with 127.0.0.53 only, resolved upstream known → the upstream servers (zoned ones left out)', () => {
    expect(dns({})).toEqual({ value: '10.148.1.1', server: '10.148.1.1', proxy: undefined });
    expect(chooseWorkerDefaults(lxd, auto).dns.reason).toBe(
      "/etc/resolv.conf lists only 127.0.0.53, unreachable from build containers: systemd-resolved's upstream servers instead",
    );
  });

  test('resolv.conf with a reachable server → nothing set: Concourse copies the host file', () => {
    expect(dns(vm)).toEqual({ value: 'host resolv.conf (10.0.0.2)', server: undefined, proxy: undefined });
  });

  test('loopback and a reachable server mixed → nothing set (Concourse drops the loopback one)', () => {
    expect(dns({ resolvConf: 'nameserver 127.0.0.1\nnameserver 192.168.1.1\n' }).server).toBeUndefined();
  });

  test.each([
    ['127.0.0.53 only, no upstream file', { upstreamResolvConf: undefined }],
    ['127.0.0.53 only, upstream lists loopback only', { upstreamResolvConf: 'nameserver 127.0.0.1\n' }],
    ['no resolv.conf at all', { resolvConf: undefined, upstreamResolvConf: undefined }],
    ['::1 only', { resolvConf: 'nameserver ::1\n', upstreamResolvConf: '' }],
  ])('%s → the DNS proxy', (_name, facts) => {
    expect(dns(facts)).toEqual({ value: 'dns-proxy', server: undefined, proxy: 'true' });
  });

  test('containerd-dns-server set → exactly those servers, whatever resolv.conf says', () => {
    expect(dns({}, { dnsServers: ['1.1.1.1', '8.8.8.8'] })).toEqual({
      value: '1.1.1.1,8.8.8.8',
      server: '1.1.1.1,8.8.8.8',
      proxy: undefined,
    });
  });

  test('containerd-dns-proxy-enable=true → no servers added (the option sets its own flag)', () => {
    expect(dns({}, { dnsProxy: true })).toEqual({ value: 'dns-proxy', server: undefined, proxy: undefined });
  });

  test.each(['CONCOURSE_CONTAINERD_DNS_SERVER', 'CONCOURSE_CONTAINERD_DNS_PROXY_ENABLE'])(
    'worker-extra-env sets %s → nothing added',
    (key) => {
      expect(dns({}, { extraEnvKeys: [key] })).toEqual({
        value: 'from worker-extra-env',
        server: undefined,
        proxy: undefined,
      });
    },
  );

  test('nameserver lines → in order, deduplicated, zoned addresses left out', () => {
    expect(
      nameservers('nameserver 1.1.1.1\n  nameserver 8.8.8.8 \nnameserver 1.1.1.1\nnameserver fe80::1%2\n'),
    ).toEqual(['1.1.1.1', '8.8.8.8']);
  });
});

describe('options and memory', () => {
  test('config defaults → auto for both; explicit values parsed', () => {
    expect(parseCharmConfig({}).workerDefaults).toEqual(auto);
    expect(parseCharmConfig({ 'baggageclaim-driver': '', 'containerd-dns-server': '' }).workerDefaults).toEqual(auto);
    expect(
      parseCharmConfig({
        'baggageclaim-driver': 'naive',
        'containerd-dns-server': ' 1.1.1.1, 2606:4700::1111 ',
        'containerd-dns-proxy-enable': true,
        'worker-extra-env': 'CONCOURSE_CONTAINERD_MTU=1400',
      }).workerDefaults,
    ).toEqual({
      driver: 'naive',
      dnsServers: ['1.1.1.1', '2606:4700::1111'],
      dnsProxy: true,
      extraEnvKeys: ['CONCOURSE_CONTAINERD_MTU'],
    });
  });

  test.each([
    [{ 'baggageclaim-driver': 'zfs' }, 'baggageclaim-driver must be one of auto, detect, naive, btrfs, overlay'],
    [{ 'containerd-dns-server': '1.1.1.1,dns.example' }, 'containerd-dns-server must be auto or comma-separated IP'],
    [{ 'containerd-dns-server': '1.1.1.1;rm -rf /' }, 'containerd-dns-server must be auto or comma-separated IP'],
  ])('%j → blocked naming the option', (raw, reason) => {
    expect(() => parseCharmConfig(raw)).toThrow(reason);
  });

  test('remembered choice → read back; anything else → nothing', () => {
    const d = chooseWorkerDefaults(lxd, auto);
    expect(parseWorkerDefaults(formatWorkerDefaults(d))).toEqual({ driver: d.driver, dns: d.dns, host: d.host });
    expect(parseWorkerDefaults('{"driver":1}')).toBeUndefined();
    expect(parseWorkerDefaults('not json')).toBeUndefined();
  });
});
