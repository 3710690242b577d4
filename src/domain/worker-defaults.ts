// Domain: the worker settings whose working value depends on where the unit runs: baggageclaim's volume driver and
// the DNS servers of build containers. From plain facts (container or VM, the work dir's filesystem, resolv.conf)
// chooses what works there unless the operator chose, and says which and why (storage-status, the log).
//
// Why the charm chooses at all (release-layout.md sections 5 and 6): Concourse's `detect` picks overlay on any modern
// kernel, which fails in an unprivileged container and on a network filesystem; and where /etc/resolv.conf points at
// systemd-resolved's 127.0.0.53 only, 7.x build containers get no nameserver at all.

import { z } from 'zod';
import type { OperatorFlag } from './concourse-options';
import { parseRememberedJson } from './remembered-json';

export type VirtKind = 'container' | 'vm' | 'none';

/** What the unit's machine is, as `systemd-detect-virt` names it (`lxc`, `docker`, `kvm`, `none`). */
export interface Virtualisation {
  readonly kind: VirtKind;
  readonly name: string;
}

export interface WorkerHostFacts {
  readonly virt: Virtualisation;
  /** Filesystem type of the mount holding the work dir (`ext4`, `nfs4`, `fuse.sshfs`); undefined when unknown. */
  readonly workDirFilesystem: string | undefined;
  /** /etc/resolv.conf, undefined when missing. */
  readonly resolvConf: string | undefined;
  /** systemd-resolved's list of upstream servers (/run/systemd/resolve/resolv.conf), undefined when missing. */
  readonly upstreamResolvConf: string | undefined;
}

export const BAGGAGECLAIM_DRIVERS = ['detect', 'naive', 'btrfs', 'overlay'] as const;
export type BaggageclaimDriver = (typeof BAGGAGECLAIM_DRIVERS)[number];

/** The operator's say: `auto` lets the charm choose from the facts. */
export interface WorkerDefaultsChoice {
  readonly driver: 'auto' | BaggageclaimDriver;
  readonly dnsServers: 'auto' | readonly string[];
  readonly dnsProxy: boolean;
  /** Keys worker-extra-env sets: the operator's, never overridden. */
  readonly extraEnvKeys: readonly string[];
}

/** One chosen setting: what the worker gets and why, as an operator reads it. */
export interface ChosenSetting {
  readonly value: string;
  readonly reason: string;
}

export interface WorkerDefaults {
  readonly driver: ChosenSetting;
  readonly dns: ChosenSetting;
  /** `lxc container, work dir on ext4`: the facts the choice was made from. */
  readonly host: string;
  /** Settings the charm adds to the worker's env for these choices (the options' own flags are not repeated). */
  readonly flags: readonly OperatorFlag[];
}

const DRIVER_ENV = 'CONCOURSE_BAGGAGECLAIM_DRIVER';
const DNS_SERVER_ENV = 'CONCOURSE_CONTAINERD_DNS_SERVER';
const DNS_PROXY_ENV = 'CONCOURSE_CONTAINERD_DNS_PROXY_ENABLE';

/** Filesystems overlay refuses as its upper layer (only local ones qualify; FUSE only with features none of these have). */
const NETWORK_FILESYSTEMS = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  'ceph',
  'glusterfs',
  '9p',
  'afs',
  'lustre',
]);

export function isNetworkFilesystem(type: string): boolean {
  return NETWORK_FILESYSTEMS.has(type) || type === 'fuse' || type.startsWith('fuse.');
}

export function chooseWorkerDefaults(facts: WorkerHostFacts, choice: WorkerDefaultsChoice): WorkerDefaults {
  const driver = chooseDriver(facts, choice);
  const dns = chooseDns(facts, choice);
  return {
    driver: driver.setting,
    dns: dns.setting,
    host: describeHost(facts),
    flags: [...driver.flags, ...dns.flags],
  };
}

interface Decision {
  readonly setting: ChosenSetting;
  readonly flags: readonly OperatorFlag[];
}

const DETECTED = 'auto (detected)';

function chooseDriver(facts: WorkerHostFacts, choice: WorkerDefaultsChoice): Decision {
  if (choice.extraEnvKeys.includes(DRIVER_ENV)) {
    return { setting: { value: 'from worker-extra-env', reason: `${DRIVER_ENV} set in worker-extra-env` }, flags: [] };
  }
  if (choice.driver !== 'auto') {
    return {
      setting: { value: choice.driver, reason: 'set by baggageclaim-driver' },
      flags: [{ key: DRIVER_ENV, value: choice.driver, from: 'baggageclaim-driver' }],
    };
  }
  const chosen = (value: BaggageclaimDriver, reason: string): Decision => ({
    setting: { value, reason },
    flags: [{ key: DRIVER_ENV, value, from: `baggageclaim-driver=${DETECTED}` }],
  });
  const fs = facts.workDirFilesystem;
  if (facts.virt.kind === 'container') {
    return chosen('naive', `the unit is a ${facts.virt.name} container, where overlay mounts fail`);
  }
  if (fs !== undefined && isNetworkFilesystem(fs)) {
    return chosen('naive', `the work dir is on ${fs}, which overlay cannot write to`);
  }
  if (fs === 'overlay') return chosen('naive', 'the work dir is on overlay, which overlay cannot stack on');
  if (fs === undefined) {
    return {
      setting: { value: 'detect', reason: "the work dir's filesystem is unknown: Concourse's own detection" },
      flags: [],
    };
  }
  return chosen('overlay', `${describeVirt(facts.virt)} with the work dir on ${fs}: copy-on-write overlay works`);
}

function chooseDns(facts: WorkerHostFacts, choice: WorkerDefaultsChoice): Decision {
  const fromExtra = [DNS_SERVER_ENV, DNS_PROXY_ENV].find((k) => choice.extraEnvKeys.includes(k));
  if (fromExtra !== undefined) {
    return { setting: { value: 'from worker-extra-env', reason: `${fromExtra} set in worker-extra-env` }, flags: [] };
  }
  if (choice.dnsServers !== 'auto') {
    const value = choice.dnsServers.join(',');
    return {
      setting: { value, reason: 'set by containerd-dns-server' },
      flags: [{ key: DNS_SERVER_ENV, value, from: 'containerd-dns-server' }],
    };
  }
  if (choice.dnsProxy) {
    // The option's own flag is already in the worker's settings.
    return { setting: { value: 'dns-proxy', reason: 'set by containerd-dns-proxy-enable' }, flags: [] };
  }
  const local = nameservers(facts.resolvConf);
  const reachable = local.filter((s) => !isLoopback(s));
  if (reachable.length > 0) {
    return {
      setting: {
        value: `host resolv.conf (${reachable.join(',')})`,
        reason: '/etc/resolv.conf lists servers build containers can reach: Concourse copies them',
      },
      flags: [],
    };
  }
  const stub = local.length > 0 ? `/etc/resolv.conf lists only ${local.join(',')}` : '/etc/resolv.conf lists no server';
  const upstream = nameservers(facts.upstreamResolvConf).filter((s) => !isLoopback(s));
  if (upstream.length > 0) {
    const value = upstream.join(',');
    return {
      setting: {
        value,
        reason: `${stub}, unreachable from build containers: systemd-resolved's upstream servers instead`,
      },
      flags: [{ key: DNS_SERVER_ENV, value, from: `containerd-dns-server=${DETECTED}` }],
    };
  }
  return {
    setting: {
      value: 'dns-proxy',
      reason: `${stub} and no upstream server is known: the worker's DNS proxy forwards to the host's resolver`,
    },
    flags: [{ key: DNS_PROXY_ENV, value: 'true', from: `containerd-dns-proxy-enable=${DETECTED}` }],
  };
}

/** `nameserver` lines, in order; addresses with a zone (`fe80::1%eth0`) mean nothing inside a build container. */
export function nameservers(text: string | undefined): readonly string[] {
  const servers: string[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const server = m?.[1];
    if (server !== undefined && !server.includes('%') && !servers.includes(server)) servers.push(server);
  }
  return servers;
}

/** 127.0.0.0/8, ::1 and the unspecified address: the host itself, never reachable from a build container. */
export function isLoopback(server: string): boolean {
  return /^127\./.test(server) || server === '::1' || server === '0.0.0.0' || server === '::';
}

function describeVirt(virt: Virtualisation): string {
  switch (virt.kind) {
    case 'container':
      return `${virt.name} container`;
    case 'vm':
      return `${virt.name} virtual machine`;
    case 'none':
      return 'a machine with no virtualisation';
  }
}

function describeHost(facts: WorkerHostFacts): string {
  return `${describeVirt(facts.virt)}, work dir on ${facts.workDirFilesystem ?? 'an unknown filesystem'}`;
}

/** The choice as one line for the log and unit memory: a change of it is logged once. */
export function formatWorkerDefaults(d: WorkerDefaults): string {
  return JSON.stringify({ driver: d.driver, dns: d.dns, host: d.host });
}

const REMEMBERED = z.object({
  driver: z.object({ value: z.string(), reason: z.string() }),
  dns: z.object({ value: z.string(), reason: z.string() }),
  host: z.string(),
});

/** What formatWorkerDefaults wrote; undefined for nothing or anything else (an older charm's word). */
export function parseWorkerDefaults(text: string | undefined): Omit<WorkerDefaults, 'flags'> | undefined {
  return parseRememberedJson(REMEMBERED, text);
}
