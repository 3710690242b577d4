// Domain: how a shared filesystem is mounted at the storage location: which client (NFS kernel client, CephFS
// kernel client or ceph-fuse), the systemd mount unit (named from the path as systemd names it), and the files
// beside it (Ceph key, client config), all under /etc on the unit. Pure rendering; adapters write and start them.
// The Concourse units already carry `RequiresMountsFor=<location>`, so systemd orders them after this mount.

import type { RenderedFile } from './concourse-services';
import { CONCOURSE_CONFIG_DIR, SYSTEMD_UNIT_DIR } from './concourse-services';
import { describeEndpoint, hostText, type SharedFilesystem } from './shared-fs-endpoint';

export type MountClient = 'nfs-kernel' | 'ceph-kernel' | 'ceph-fuse';

export const SHARED_FS_DIR = `${CONCOURSE_CONFIG_DIR}/shared-fs`;
export const CEPH_SECRET_FILE = `${SHARED_FS_DIR}/ceph.secret`;
export const CEPH_KEYRING_FILE = `${SHARED_FS_DIR}/ceph.keyring`;
export const CEPH_CONF_FILE = `${SHARED_FS_DIR}/ceph.conf`;
/** What storage-status shows about the mount: no secret, no key path content. */
export const MOUNT_SUMMARY_FILE = `${SHARED_FS_DIR}/mount.json`;
/** First line of every mount unit the charm writes: only such a unit is ever removed by the charm. */
export const MANAGED_MARKER = '# Managed by concourse-ci-machine (shared-fs relation): changes are overwritten';

/** Where each client's mount helper is found; its absence is what makes the package install necessary. */
export const CLIENT_PACKAGES: Readonly<Record<MountClient, { readonly command: string; readonly pkg: string }>> = {
  'nfs-kernel': { command: 'mount.nfs', pkg: 'nfs-common' },
  'ceph-kernel': { command: 'mount.ceph', pkg: 'ceph-common' },
  'ceph-fuse': { command: 'ceph-fuse', pkg: 'ceph-fuse' },
};

/** What the host offers a CephFS client: `/proc/filesystems` and whether this machine is a container. */
export interface HostFilesystemFacts {
  readonly kernelFilesystems: readonly string[];
  readonly inContainer: boolean;
}

/**
 * NFS always uses the kernel client. CephFS uses the kernel client when the kernel has a `ceph` filesystem and the
 * machine is not a container (an LXD container cannot load modules, and its mounts of kernel filesystems are
 * refused); otherwise ceph-fuse, which needs only /dev/fuse.
 */
export function chooseClient(fs: SharedFilesystem, host: HostFilesystemFacts): MountClient {
  if (fs.kind === 'nfs') return 'nfs-kernel';
  return host.kernelFilesystems.includes('ceph') && !host.inContainer ? 'ceph-kernel' : 'ceph-fuse';
}

/**
 * The unit name systemd gives a mount at `path` (systemd.unit(5), `systemd-escape --path --suffix=mount`): slashes
 * trimmed and collapsed, `/` becomes `-`, every byte outside `[A-Za-z0-9:_.]` (and a leading `.`) becomes `\xNN`.
 */
export function mountUnitName(path: string): string {
  const trimmed = path
    .split('/')
    .filter((p) => p !== '')
    .join('/');
  if (trimmed === '') return '-.mount';
  let out = '';
  for (const [i, ch] of [...trimmed].entries()) {
    if (ch === '/') out += '-';
    else if (/[A-Za-z0-9:_]/.test(ch) || (ch === '.' && i > 0)) out += ch;
    else out += [...new TextEncoder().encode(ch)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  }
  return `${out}.mount`;
}

/** The mount as systemd is told it and storage-status shows it. Options never hold a key, only file paths. */
export interface MountSpec {
  readonly endpoint: string;
  readonly client: MountClient;
  readonly what: string;
  readonly type: string;
  readonly options: string;
}

export function mountSpec(fs: SharedFilesystem, client: MountClient): MountSpec {
  const endpoint = describeEndpoint(fs);
  if (fs.kind === 'nfs') {
    const port = fs.server.port === undefined ? [] : [`port=${fs.server.port}`];
    return {
      endpoint,
      client,
      what: `${fs.server.host}:${fs.path}`,
      type: 'nfs',
      options: ['_netdev', ...port].join(','),
    };
  }
  if (client === 'ceph-kernel') {
    return {
      endpoint,
      client,
      what: `${fs.monitors.map(hostText).join(',')}:${fs.path}`,
      type: 'ceph',
      options: `name=${fs.user},secretfile=${CEPH_SECRET_FILE},fs=${fs.fsName},_netdev`,
    };
  }
  // mount.fuse.ceph turns `ceph.<option>=<value>` into ceph-fuse's `--<option>=<value>`; the rest is in ceph.conf.
  return {
    endpoint,
    client,
    what: 'none',
    type: 'fuse.ceph',
    options: `ceph.id=${fs.user},ceph.conf=${CEPH_CONF_FILE},_netdev`,
  };
}

/**
 * Every file the mount needs: the unit, the key (root-only) and, for ceph-fuse, its client config. `key` is the
 * cephx key read from the provider's secret (or `plain:`); undefined for NFS.
 */
export function renderMountFiles(
  fs: SharedFilesystem,
  spec: MountSpec,
  location: string,
  key: string | undefined,
): RenderedFile[] {
  const unit: RenderedFile = {
    path: `${SYSTEMD_UNIT_DIR}/${mountUnitName(location)}`,
    content: [
      MANAGED_MARKER,
      '[Unit]',
      `Description=Concourse shared release store (${spec.endpoint})`,
      'Wants=network-online.target',
      'After=network-online.target',
      '',
      '[Mount]',
      `What=${spec.what}`,
      `Where=${location}`,
      `Type=${spec.type}`,
      `Options=${spec.options}`,
      'TimeoutSec=90',
      '',
      '[Install]',
      'WantedBy=remote-fs.target',
      '',
    ].join('\n'),
    mode: 0o644,
    owner: 'root',
    group: 'root',
  };
  const summary: RenderedFile = {
    path: MOUNT_SUMMARY_FILE,
    content: `${JSON.stringify({ endpoint: spec.endpoint, source: spec.what, type: spec.type, client: spec.client, options: spec.options })}\n`,
    mode: 0o644,
    owner: 'root',
    group: 'root',
  };
  if (fs.kind === 'nfs') return [unit, summary];
  if (key === undefined) throw new Error('a CephFS mount needs its key');
  const secret = (path: string, content: string): RenderedFile => ({
    path,
    content,
    mode: 0o600,
    owner: 'root',
    group: 'root',
  });
  if (spec.client === 'ceph-kernel') return [secret(CEPH_SECRET_FILE, `${key}\n`), unit, summary];
  const conf: RenderedFile = {
    path: CEPH_CONF_FILE,
    content: [
      '[global]',
      `fsid = ${fs.fsid}`,
      `mon_host = ${fs.monitors.map(hostText).join(',')}`,
      '',
      `[client.${fs.user}]`,
      `keyring = ${CEPH_KEYRING_FILE}`,
      `client_mountpoint = ${fs.path}`,
      `client_fs = ${fs.fsName}`,
      '',
    ].join('\n'),
    mode: 0o644,
    owner: 'root',
    group: 'root',
  };
  return [secret(CEPH_KEYRING_FILE, `[client.${fs.user}]\n\tkey = ${key}\n`), conf, unit, summary];
}
