import { describe, expect, test } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors';
import { describeEndpoint, parseFilesystemEndpoint } from '../../src/domain/shared-fs-endpoint';
import {
  CEPH_CONF_FILE,
  CEPH_KEYRING_FILE,
  CEPH_SECRET_FILE,
  chooseClient,
  MANAGED_MARKER,
  mountSpec,
  mountUnitName,
  renderMountFiles,
} from '../../src/domain/shared-fs-mount';

const FSID = '0b1c5d2e-8f3a-4c6b-9d7e-1a2b3c4d5e6f';
const SECRET = 'secret:cq2rbnl6c0bc79kvp5sg';
const KEY = 'AQBq3XRlAAAAABAAtLb7IgkqcS7VTBP1o4QxVw==';
const ceph = (query: string, hosts = '10.0.0.1,10.0.0.2') => `cephfs://fsuser@(${hosts})/volumes/concourse?${query}`;

describe('parseFilesystemEndpoint', () => {
  test.each([
    [
      'nfs with a port → server, port and path',
      'nfs://(10.0.0.5:2049)/srv/concourse',
      { kind: 'nfs', server: { host: '10.0.0.5', port: 2049 }, path: '/srv/concourse' },
    ],
    [
      'nfs on a hostname without a port → no port',
      'nfs://(nfs.example.com)/export',
      { kind: 'nfs', server: { host: 'nfs.example.com', port: undefined }, path: '/export' },
    ],
    [
      'nfs on IPv6 in brackets → bracketed host',
      'nfs://([fd00::5]:2049)/srv',
      { kind: 'nfs', server: { host: '[fd00::5]', port: 2049 }, path: '/srv' },
    ],
    [
      'percent-encoded path → decoded',
      'nfs://(10.0.0.5)/srv/con%40course',
      { kind: 'nfs', server: { host: '10.0.0.5', port: undefined }, path: '/srv/con@course' },
    ],
    [
      'cephfs with a secret → monitors, user, fsid, name and the secret id',
      ceph(`fsid=${FSID}&name=cephfs&auth=${SECRET}&auth-rev=3`),
      {
        kind: 'cephfs',
        user: 'fsuser',
        monitors: [
          { host: '10.0.0.1', port: undefined },
          { host: '10.0.0.2', port: undefined },
        ],
        path: '/volumes/concourse',
        fsid: FSID,
        fsName: 'cephfs',
        auth: { kind: 'secret', secretId: SECRET },
      },
    ],
    [
      'cephfs with a plain key and a model-qualified secret form → plain key',
      ceph(`fsid=${FSID}&name=cephfs&auth=plain:${KEY}`, '127.0.0.1:6789'),
      {
        kind: 'cephfs',
        user: 'fsuser',
        monitors: [{ host: '127.0.0.1', port: 6789 }],
        path: '/volumes/concourse',
        fsid: FSID,
        fsName: 'cephfs',
        auth: { kind: 'plain', key: KEY },
      },
    ],
  ])('%s', (_, uri, expected) => {
    expect(parseFilesystemEndpoint(uri, 'fs-provider')).toEqual(expected);
  });

  test('secret URI qualified by its model → accepted as is', () => {
    const qualified = 'secret://6a0c2c4e-1b2d-4e5f-8a9b-0c1d2e3f4a5b/cq2rbnl6c0bc79kvp5sg';
    const fs = parseFilesystemEndpoint(ceph(`fsid=${FSID}&name=cephfs&auth=${qualified}`), 'p');
    expect(fs.kind === 'cephfs' && fs.auth).toEqual({ kind: 'secret', secretId: qualified });
  });

  test.each([
    [
      'lustre → not supported, relate NFS or CephFS',
      'lustre://(10.0.0.1%40tcp)/?fs-name=lfs',
      /Lustre, which this charm does not mount/,
    ],
    ['unknown scheme → names it', 'smb://(host)/share', /filesystem type "smb" is not nfs or cephfs/],
    ['no hosts → says so', 'nfs://()/srv', /no host given/],
    ['hosts without parentheses → shape', 'nfs://10.0.0.5/srv', /not <scheme>:\/\//],
    ['comma in the path → refused', 'nfs://(10.0.0.5)/srv,rw', /path must be absolute/],
    ['percent-encoded comma in the path → refused', 'nfs://(10.0.0.5)/srv%2Crw', /path must be absolute/],
    ['semicolon in the path → refused', 'nfs://(10.0.0.5)/srv;rm', /spaces, quotes/],
    ['newline in the path → refused', 'nfs://(10.0.0.5)/srv\nWhat=/', /spaces, quotes/],
    ['encoded newline in the path → refused', 'nfs://(10.0.0.5)/srv%0AOptions=x', /decodes to spaces/],
    ['space → refused', 'nfs://(10.0.0.5)/my share', /spaces, quotes/],
    ['quote → refused', `nfs://(10.0.0.5)/srv'x`, /spaces, quotes/],
    ['.. in the path → refused', 'nfs://(10.0.0.5)/srv/../etc', /must not contain \.\./],
    ['bad port → refused', 'nfs://(10.0.0.5:70000)/srv', /not a hostname or address/],
    ['host with an underscore option → refused', 'nfs://(a=b)/srv', /not a hostname or address/],
    ['cephfs without a user → says so', `cephfs://(10.0.0.1)/v?fsid=${FSID}&name=c&auth=${SECRET}`, /needs a user/],
    ['cephfs without fsid → says so', ceph(`name=c&auth=${SECRET}`), /fsid is missing/],
    ['cephfs with a bad fsid → says so', ceph(`fsid=nope&name=c&auth=${SECRET}`), /fsid must be the cluster UUID/],
    ['cephfs without auth → says so', ceph(`fsid=${FSID}&name=c`), /auth is missing/],
    ['auth that is not a secret URI → says so', ceph(`fsid=${FSID}&name=c&auth=secret:short`), /not a Juju secret URI/],
    ['auth of another kind → says so', ceph(`fsid=${FSID}&name=c&auth=token:abc`), /secret:<id> or plain:<key>/],
    ['option given twice → refused', ceph(`fsid=${FSID}&fsid=${FSID}&name=c&auth=${SECRET}`), /given twice/],
    ['comma in an option value → refused', ceph(`fsid=${FSID}&name=c%2Cx&auth=${SECRET}`), /contains , or &/],
    ['user with a comma → refused', `cephfs://a%2Cb@(10.0.0.1)/v?fsid=${FSID}&name=c&auth=${SECRET}`, /Ceph user/],
  ])('%s', (_, uri, message) => {
    expect(() => parseFilesystemEndpoint(uri, 'fs-provider')).toThrow(InvalidInputError);
    expect(() => parseFilesystemEndpoint(uri, 'fs-provider')).toThrow(message);
  });

  test('a malformed plain key → refused without echoing it', () => {
    const uri = ceph(`fsid=${FSID}&name=c&auth=plain:not*a*key`);
    expect(() => parseFilesystemEndpoint(uri, 'p')).toThrow(/does not hold a cephx key/);
    try {
      parseFilesystemEndpoint(uri, 'p');
    } catch (e) {
      expect(String(e)).not.toContain('not*a*key');
    }
  });

  test('described endpoint → no user, no options, no secret', () => {
    const fs = parseFilesystemEndpoint(ceph(`fsid=${FSID}&name=cephfs&auth=plain:${KEY}`), 'p');
    expect(describeEndpoint(fs)).toBe('cephfs://(10.0.0.1,10.0.0.2)/volumes/concourse');
  });
});

describe('mountUnitName', () => {
  test.each([
    ['/var/lib/concourse → var-lib-concourse.mount', '/var/lib/concourse', 'var-lib-concourse.mount'],
    ['trailing and doubled slashes → collapsed', '//var//lib/concourse/', 'var-lib-concourse.mount'],
    ['a dash → \\x2d', '/srv/my-store', 'srv-my\\x2dstore.mount'],
    ['a leading dot → escaped', '/.hidden/x', '\\x2ehidden-x.mount'],
    ['root → -.mount', '/', '-.mount'],
  ])('%s', (_, path, expected) => {
    expect(mountUnitName(path)).toBe(expected);
  });
});

describe('chooseClient', () => {
  const cephfs = parseFilesystemEndpoint(ceph(`fsid=${FSID}&name=c&auth=${SECRET}`), 'p');
  const nfs = parseFilesystemEndpoint('nfs://(10.0.0.5)/srv', 'p');
  test.each([
    ['nfs anywhere → kernel client', nfs, ['ext4'], true, 'nfs-kernel'],
    ['cephfs, kernel has ceph, not a container → kernel client', cephfs, ['ext4', 'ceph'], false, 'ceph-kernel'],
    ['cephfs, kernel without ceph → ceph-fuse', cephfs, ['ext4', 'fuse'], false, 'ceph-fuse'],
    ['cephfs in a container, even with ceph in the kernel → ceph-fuse', cephfs, ['ceph'], true, 'ceph-fuse'],
  ] as const)('%s', (_, fs, kernelFilesystems, inContainer, client) => {
    expect(chooseClient(fs, { kernelFilesystems: [...kernelFilesystems], inContainer })).toBe(client);
  });
});

describe('renderMountFiles', () => {
  const where = '/var/lib/concourse';
  const cephfs = parseFilesystemEndpoint(
    ceph(`fsid=${FSID}&name=cephfs&auth=${SECRET}`, '10.0.0.1:6789,10.0.0.2'),
    'p',
  );

  test('nfs → unit with What, Type nfs, port option, and no key file', () => {
    const fs = parseFilesystemEndpoint('nfs://(10.0.0.5:2049)/srv/concourse', 'p');
    const files = renderMountFiles(fs, mountSpec(fs, 'nfs-kernel'), where, undefined);
    expect(files.map((f) => f.path)).toEqual([
      '/etc/systemd/system/var-lib-concourse.mount',
      '/etc/concourse/shared-fs/mount.json',
    ]);
    const unit = files[0]?.content ?? '';
    expect(unit.split('\n')[0]).toBe(MANAGED_MARKER);
    expect(unit).toContain(
      'What=10.0.0.5:/srv/concourse\nWhere=/var/lib/concourse\nType=nfs\nOptions=_netdev,port=2049\n',
    );
  });

  test('cephfs kernel client → secretfile option, key only in a root-only file', () => {
    const files = renderMountFiles(cephfs, mountSpec(cephfs, 'ceph-kernel'), where, KEY);
    const secret = files.find((f) => f.path === CEPH_SECRET_FILE);
    expect(secret).toMatchObject({ content: `${KEY}\n`, mode: 0o600, owner: 'root' });
    const unit = files.find((f) => f.path.endsWith('.mount'))?.content ?? '';
    expect(unit).toContain('What=10.0.0.1:6789,10.0.0.2:/volumes/concourse\n');
    expect(unit).toContain(`Type=ceph\nOptions=name=fsuser,secretfile=${CEPH_SECRET_FILE},fs=cephfs,_netdev\n`);
    for (const f of files.filter((x) => x.path !== CEPH_SECRET_FILE)) expect(f.content).not.toContain(KEY);
  });

  test('cephfs through ceph-fuse → conf with monitors, mountpoint and fs; keyring root-only', () => {
    const files = renderMountFiles(cephfs, mountSpec(cephfs, 'ceph-fuse'), where, KEY);
    expect(files.find((f) => f.path === CEPH_KEYRING_FILE)).toMatchObject({
      content: `[client.fsuser]\n\tkey = ${KEY}\n`,
      mode: 0o600,
    });
    const conf = files.find((f) => f.path === CEPH_CONF_FILE)?.content ?? '';
    expect(conf).toContain(`fsid = ${FSID}\nmon_host = 10.0.0.1:6789,10.0.0.2\n`);
    expect(conf).toContain('client_mountpoint = /volumes/concourse\nclient_fs = cephfs\n');
    const unit = files.find((f) => f.path.endsWith('.mount'))?.content ?? '';
    expect(unit).toContain(
      `What=none\nWhere=${where}\nType=fuse.ceph\nOptions=ceph.id=fsuser,ceph.conf=${CEPH_CONF_FILE},_netdev\n`,
    );
    for (const f of files.filter((x) => x.path !== CEPH_KEYRING_FILE)) expect(f.content).not.toContain(KEY);
  });
});
