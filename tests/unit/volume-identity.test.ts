import { describe, expect, test } from 'vitest';
import { StorageProblem } from '../../src/domain/errors';
import { compareVersions } from '../../src/domain/version';
import {
  formatRememberedVolume,
  judgeVolume,
  parseRememberedVolume,
  type RememberedVolume,
  rememberVolume,
} from '../../src/domain/volume-identity';

const location = '/var/lib/concourse';
const lxd = { source: '/dev/sdb1', filesystemType: 'ext4', depth: 1 };
const nfs = { source: '10.0.0.5:/srv/concourse', filesystemType: 'nfs4', depth: 1 };
const nfsOverJuju = { ...nfs, depth: 2 };
const jujuUnder = { source: '/dev/vda1', filesystemType: 'ext4', depth: 1 };
const bare = (id: string): RememberedVolume => ({ id, attachment: { kind: 'bare' } });
const mounted = (id: string, mount = '/dev/sdb1 (ext4)', depth = 1): RememberedVolume => ({
  id,
  attachment: { kind: 'mounted', mount, depth },
});
const legacy = (id: string): RememberedVolume => ({ id, attachment: { kind: 'unknown' } });

describe('judgeVolume', () => {
  test.each([
    ['nothing remembered, bare directory → first', undefined, undefined, undefined, { kind: 'first' }],
    ['nothing remembered, a mount → first', undefined, 'v1', lxd, { kind: 'first' }],
    ['same id on the same mount → same', mounted('v1'), 'v1', lxd, { kind: 'same' }],
    ['same id on the bare directory → same', bare('v1'), 'v1', undefined, { kind: 'same' }],
    [
      'a shared mount appears over the bare directory → adopted',
      bare('v1'),
      'v2',
      nfs,
      { kind: 'adopt', previous: 'v1', reason: '10.0.0.5:/srv/concourse (nfs4) was mounted over the directory' },
    ],
    [
      'an empty volume mounted over the bare directory → adopted',
      bare('v1'),
      undefined,
      nfs,
      { kind: 'adopt', previous: 'v1', reason: '10.0.0.5:/srv/concourse (nfs4) was mounted over the directory' },
    ],
    [
      'a shared mount over a private Juju volume → adopted',
      mounted('v1'),
      'v2',
      nfsOverJuju,
      {
        kind: 'adopt',
        previous: 'v1',
        reason: '10.0.0.5:/srv/concourse (nfs4) (volume v2) replaced the volume',
      },
    ],
    [
      'a new empty mount replaces the one used → adopted',
      mounted('v1'),
      undefined,
      nfs,
      { kind: 'adopt', previous: 'v1', reason: 'an empty volume, 10.0.0.5:/srv/concourse (nfs4), is mounted now' },
    ],
    [
      'remembered by an older revision, a mount with another id → adopted',
      legacy('v1'),
      'v2',
      lxd,
      { kind: 'adopt', previous: 'v1', reason: '/dev/sdb1 (ext4) (volume v2) replaced the volume' },
    ],
    [
      'its own bare directory emptied by hand → started again',
      bare('v1'),
      undefined,
      undefined,
      { kind: 'adopt', previous: 'v1', reason: '/var/lib/concourse was emptied' },
    ],
  ] as const)('%s', (_name, remembered, seenId, mount, verdict) => {
    expect(judgeVolume({ remembered, seenId, mount, location })).toEqual(verdict);
  });

  test.each([
    [
      'the mount went away, the bare directory shows → blocked naming the lost mount',
      mounted('abcdef123456', '10.0.0.5:/srv/concourse (nfs4)'),
      undefined,
      'Storage /var/lib/concourse is no longer mounted (10.0.0.5:/srv/concourse (nfs4) held volume abcdef12): remount it there; nothing is installed on the bare directory',
    ],
    [
      'the mount went away and the bare directory has its own id → still blocked, never a fallback',
      mounted('abcdef123456'),
      'bare-dir-id',
      'Storage /var/lib/concourse is no longer mounted (/dev/sdb1 (ext4) held volume abcdef12): remount it there; nothing is installed on the bare directory',
    ],
    [
      'an older revision remembered a volume, now an empty bare directory → blocked: remount',
      legacy('abcdef123456'),
      undefined,
      'Storage /var/lib/concourse is empty but this unit used volume abcdef12: remount the shared volume there',
    ],
    [
      'another id on a bare directory → blocked naming both',
      bare('aaaaaaaa1'),
      'bbbbbbbb2',
      'Storage /var/lib/concourse is volume bbbbbbbb, this unit used aaaaaaaa: remount the original volume, or mount the new one at /var/lib/concourse to move onto it',
    ],
  ] as const)('%s', (_name, remembered, seenId, message) => {
    expect(() => judgeVolume({ remembered, seenId, mount: undefined, location })).toThrow(
      new StorageProblem('blocked', message),
    );
  });

  test('the shared mount over a Juju volume removed, the Juju volume shows through → blocked, not adopted', () => {
    expect(() =>
      judgeVolume({
        remembered: mounted('abcdef123456', '10.0.0.5:/srv/concourse (nfs4)', 2),
        seenId: '99999999-juju',
        mount: jujuUnder,
        location,
      }),
    ).toThrow(
      new StorageProblem(
        'blocked',
        'Storage /var/lib/concourse is no longer mounted (10.0.0.5:/srv/concourse (nfs4) held volume abcdef12; volume 99999999 beneath it shows through): remount it there',
      ),
    );
  });

  test('a remembered mount without a depth (this revision before depths) → read as depth 1', () => {
    expect(parseRememberedVolume('{"id":"v1","mount":"/dev/sdb1 (ext4)"}')).toEqual(mounted('v1'));
  });
});

describe('remembered volume', () => {
  test.each([
    ['a mount → kept with its source', rememberVolume('v1', nfs), mounted('v1', '10.0.0.5:/srv/concourse (nfs4)')],
    [
      'a mount over another → kept with its depth',
      rememberVolume('v1', nfsOverJuju),
      mounted('v1', '10.0.0.5:/srv/concourse (nfs4)', 2),
    ],
    ['the bare directory → kept as bare', rememberVolume('v1', undefined), bare('v1')],
  ])('%s', (_name, value, expected) => {
    expect(value).toEqual(expected);
    expect(parseRememberedVolume(formatRememberedVolume(value))).toEqual(expected);
  });

  test.each([
    ['a bare id (older revisions) → unknown attachment', 'abc', legacy('abc')],
    ['nothing → undefined', undefined, undefined],
    ['empty → undefined', '', undefined],
    ['broken JSON → undefined (judged as first sight)', '{"id":', undefined],
    ['JSON without an id → undefined', '{"mount":null}', undefined],
  ])('%s', (_name, text, expected) => {
    expect(parseRememberedVolume(text)).toEqual(expected);
  });

  test('the value stays small whatever the mount → well under Juju’s 64 KiB', () => {
    expect(formatRememberedVolume(rememberVolume('2f1c3a9e-5b7d-4c1e-9a0b-1c2d3e4f5a6b', nfs)).length).toBeLessThan(
      200,
    );
  });
});

test('versions → ordered as ConcourseVersion.compare, pre-releases first, leftovers oldest', () => {
  expect(['7.14.3', 'junk', '7.14.3-rc.1', '7.2.0', '7.14.10'].sort(compareVersions)).toEqual([
    'junk',
    '7.2.0',
    '7.14.3-rc.1',
    '7.14.3',
    '7.14.10',
  ]);
});
