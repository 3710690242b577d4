import { describe, expect, test } from 'vitest';
import { type ArchiveEntry, ArchiveEntryGuard, type ArchiveEntryVerdict } from '../../src/domain/archive-entry-guard';

const file = (path: string, size = 1, mode = 0o644): ArchiveEntry => ({ path, type: 'File', size, mode });
const dir = (path: string, mode = 0o755): ArchiveEntry => ({ path, type: 'Directory', size: 0, mode });
const symlink = (path: string, linkpath: string): ArchiveEntry => ({
  path,
  type: 'SymbolicLink',
  linkpath,
  size: 0,
  mode: 0o777,
});
const hardlink = (path: string, linkpath: string, mode = 0o644): ArchiveEntry => ({
  path,
  type: 'Link',
  linkpath,
  size: 0,
  mode,
});
const other = (type: string, path: string): ArchiveEntry => ({ path, type, size: 0, mode: 0o644 });

const admit = (mode: number | undefined): ArchiveEntryVerdict => ({ kind: 'admit', mode });
const skip: ArchiveEntryVerdict = { kind: 'skip' };
const reject = (reason: string): ArchiveEntryVerdict => ({ kind: 'reject', reason });

/** The release's top directories, as upstream tarballs start. */
const TOP = [dir('concourse/'), dir('concourse/bin/')];

interface Case {
  readonly name: string;
  /** Default 1, as the charm extracts upstream tarballs. */
  readonly strip?: number;
  /** Shown to the guard first; each must be admitted, or the case does not test what it says. */
  readonly before?: readonly ArchiveEntry[];
  readonly entry: ArchiveEntry;
  readonly verdict: ArchiveEntryVerdict;
}

function judgeAfter(c: Case): { guard: ArchiveEntryGuard; verdict: ArchiveEntryVerdict } {
  const guard = new ArchiveEntryGuard(c.strip ?? 1);
  for (const earlier of c.before ?? []) expect(guard.judge(earlier).kind, earlier.path).toBe('admit');
  return { guard, verdict: guard.judge(c.entry) };
}

const hostile: Case[] = [
  {
    name: "'..' component in the path (sim dotdot) → rejected",
    before: TOP,
    entry: file('concourse/../escaped'),
    verdict: reject(`Release archive entry "concourse/../escaped" has a '..' path component`),
  },
  {
    name: "'..' only after the stripped prefix → rejected",
    entry: file('concourse/bin/../../escaped'),
    verdict: reject(`Release archive entry "concourse/bin/../../escaped" has a '..' path component`),
  },
  {
    name: "'..' in an entry too short to survive strip → rejected all the same",
    strip: 3,
    entry: file('../x'),
    verdict: reject(`Release archive entry "../x" has a '..' path component`),
  },
  {
    name: 'absolute POSIX path (sim absolute) → rejected',
    before: TOP,
    entry: file('/tmp/concourse-ci-machine-escaped'),
    verdict: reject('Release archive entry "/tmp/concourse-ci-machine-escaped" has an absolute path'),
  },
  {
    name: 'Windows drive path → rejected as absolute',
    entry: file('C:/Windows/evil'),
    verdict: reject('Release archive entry "C:/Windows/evil" has an absolute path'),
  },
  {
    name: 'drive-relative Windows path → rejected as absolute',
    entry: file('c:evil'),
    verdict: reject('Release archive entry "c:evil" has an absolute path'),
  },
  {
    name: 'leading backslash → rejected as absolute',
    entry: file('\\evil'),
    verdict: reject('Release archive entry "\\\\evil" has an absolute path'),
  },
  {
    name: 'NUL byte in the path → rejected',
    before: TOP,
    entry: file('concourse/bin/a\0b'),
    verdict: reject('Release archive entry "concourse/bin/a\\u0000b" has a NUL byte in its path'),
  },
  {
    name: 'character device (sim device) → rejected',
    before: TOP,
    entry: other('CharacterDevice', 'concourse/bin/null'),
    verdict: reject(
      'Release archive entry "concourse/bin/null" is a CharacterDevice; only files, directories and links are allowed',
    ),
  },
  {
    name: 'block device → rejected',
    entry: other('BlockDevice', 'concourse/bin/sda'),
    verdict: reject(
      'Release archive entry "concourse/bin/sda" is a BlockDevice; only files, directories and links are allowed',
    ),
  },
  {
    name: 'fifo → rejected',
    entry: other('FIFO', 'concourse/bin/pipe'),
    verdict: reject(
      'Release archive entry "concourse/bin/pipe" is a FIFO; only files, directories and links are allowed',
    ),
  },
  {
    name: 'device too short to survive strip → rejected all the same',
    strip: 2,
    entry: other('CharacterDevice', 'null'),
    verdict: reject('Release archive entry "null" is a CharacterDevice; only files, directories and links are allowed'),
  },
  {
    name: 'symbolic link escaping the release (sim symlink-escape) → rejected',
    before: TOP,
    entry: symlink('concourse/bin/escape', '../../escaped'),
    verdict: reject(
      'Release archive entry "concourse/bin/escape" is a symbolic link that points outside the release (../../escaped)',
    ),
  },
  {
    name: "symbolic link to the release's parent (sim symlink-then-file, first entry) → rejected",
    before: TOP,
    entry: symlink('concourse/out', '..'),
    verdict: reject('Release archive entry "concourse/out" is a symbolic link that points outside the release (..)'),
  },
  {
    name: 'symbolic link to an absolute path → rejected',
    entry: symlink('concourse/bin/passwd', '/etc/passwd'),
    verdict: reject(
      'Release archive entry "concourse/bin/passwd" is a symbolic link to an absolute path (/etc/passwd)',
    ),
  },
  {
    name: 'symbolic link to a Windows drive path → rejected as absolute',
    entry: symlink('concourse/bin/win', 'C:\\Windows'),
    verdict: reject('Release archive entry "concourse/bin/win" is a symbolic link to an absolute path (C:\\Windows)'),
  },
  {
    name: 'symbolic link with an empty target → rejected as absolute',
    entry: symlink('concourse/bin/empty', ''),
    verdict: reject('Release archive entry "concourse/bin/empty" is a symbolic link to an absolute path ()'),
  },
  {
    name: 'chained symbolic links, lexically inside but physically the parent → rejected',
    before: [dir('concourse/'), symlink('concourse/here', '.')],
    entry: symlink('concourse/up', 'here/..'),
    verdict: reject(
      'Release archive entry "concourse/up" is a symbolic link that points outside the release (here/..)',
    ),
  },
  {
    name: 'symbolic link resolving through another link part-way → rejected',
    before: [...TOP, symlink('concourse/sbin', 'bin')],
    entry: symlink('concourse/tools', 'sbin/../bin'),
    verdict: reject(
      'Release archive entry "concourse/tools" is a symbolic link that points outside the release (sbin/../bin)',
    ),
  },
  {
    name: 'file written through an in-tree symbolic link → rejected',
    before: [...TOP, symlink('concourse/sbin', 'bin')],
    entry: file('concourse/sbin/tool'),
    verdict: reject('Release archive entry "concourse/sbin/tool" would be written through a symbolic link'),
  },
  {
    name: 'file written through a symbolic link further up → rejected',
    before: [...TOP, symlink('concourse/sbin', 'bin')],
    entry: file('concourse/sbin/deep/tool'),
    verdict: reject('Release archive entry "concourse/sbin/deep/tool" would be written through a symbolic link'),
  },
  {
    name: 'directory created through an in-tree symbolic link → rejected',
    before: [...TOP, symlink('concourse/sbin', 'bin')],
    entry: dir('concourse/sbin/sub/'),
    verdict: reject('Release archive entry "concourse/sbin/sub/" would be written through a symbolic link'),
  },
  {
    name: 'file beneath a symbolic link that a directory entry named again → rejected (the link is remembered)',
    before: [...TOP, symlink('concourse/sbin', 'bin'), dir('concourse/sbin/')],
    entry: file('concourse/sbin/tool'),
    verdict: reject('Release archive entry "concourse/sbin/tool" would be written through a symbolic link'),
  },
  {
    name: 'hard link escaping the release (sim hardlink-escape) → rejected',
    before: TOP,
    entry: hardlink('concourse/bin/escape', 'concourse/../escaped'),
    verdict: reject(
      'Release archive entry "concourse/bin/escape" is a hard link that points outside the release (concourse/../escaped)',
    ),
  },
  {
    name: 'hard link to an absolute path → rejected',
    entry: hardlink('concourse/bin/shadow', '/etc/shadow'),
    verdict: reject('Release archive entry "concourse/bin/shadow" is a hard link to an absolute path (/etc/shadow)'),
  },
  {
    name: 'hard link with an empty target → rejected as absolute',
    entry: hardlink('concourse/bin/empty', ''),
    verdict: reject('Release archive entry "concourse/bin/empty" is a hard link to an absolute path ()'),
  },
  {
    name: 'hard link to a directory → rejected',
    before: TOP,
    entry: hardlink('concourse/bin/x', 'concourse/bin'),
    verdict: reject(
      'Release archive entry "concourse/bin/x" is a hard link to concourse/bin, which is not a file of this release',
    ),
  },
  {
    name: 'hard link to a symbolic link → rejected',
    before: [...TOP, file('concourse/bin/concourse'), symlink('concourse/bin/alias', 'concourse')],
    entry: hardlink('concourse/bin/x', 'concourse/bin/alias'),
    verdict: reject(
      'Release archive entry "concourse/bin/x" is a hard link to concourse/bin/alias, which is not a file of this release',
    ),
  },
  {
    name: 'hard link to a file later in the archive → rejected',
    before: TOP,
    entry: hardlink('concourse/bin/x', 'concourse/bin/later'),
    verdict: reject(
      'Release archive entry "concourse/bin/x" is a hard link to concourse/bin/later, which is not a file of this release',
    ),
  },
  {
    name: 'hard link to a file since replaced by a symbolic link → rejected',
    before: [...TOP, file('concourse/bin/tool'), symlink('concourse/bin/tool', 'gdn')],
    entry: hardlink('concourse/bin/x', 'concourse/bin/tool'),
    verdict: reject(
      'Release archive entry "concourse/bin/x" is a hard link to concourse/bin/tool, which is not a file of this release',
    ),
  },
];

const normal: Case[] = [
  {
    name: 'top directory with strip 1 → admitted, mode kept',
    entry: dir('concourse/'),
    verdict: admit(0o755),
  },
  {
    name: 'plain file → admitted, mode kept',
    before: TOP,
    entry: file('concourse/bin/gdn', 10, 0o755),
    verdict: admit(0o755),
  },
  {
    name: 'file without a mode in its header → admitted, no mode to apply',
    before: TOP,
    entry: { path: 'concourse/bin/gdn', type: 'File', size: 10 },
    verdict: admit(undefined),
  },
  {
    name: 'OldFile, ContiguousFile and GNUDumpDir types → admitted',
    before: [...TOP, other('OldFile', 'concourse/bin/a'), other('ContiguousFile', 'concourse/bin/b')],
    entry: other('GNUDumpDir', 'concourse/dump/'),
    verdict: admit(0o644),
  },
  {
    name: 'setuid file → admitted with the setuid bit stripped',
    before: TOP,
    entry: file('concourse/bin/concourse', 10, 0o4755),
    verdict: admit(0o755),
  },
  {
    name: 'setuid, setgid and sticky file → admitted with all three stripped',
    entry: file('concourse/bin/concourse', 10, 0o7777),
    verdict: admit(0o777),
  },
  {
    name: 'sticky directory → admitted with the sticky bit stripped',
    entry: dir('concourse/tmp/', 0o1777),
    verdict: admit(0o777),
  },
  {
    name: 'setgid hard link → admitted with the setgid bit stripped',
    before: [...TOP, file('concourse/bin/concourse')],
    entry: hardlink('concourse/bin/copy', 'concourse/bin/concourse', 0o2755),
    verdict: admit(0o755),
  },
  {
    name: 'entry with fewer components than strip → skipped',
    strip: 2,
    entry: file('concourse'),
    verdict: skip,
  },
  {
    name: 'entry with exactly strip components → admitted (the extractor writes the root itself)',
    strip: 2,
    entry: dir('concourse/'),
    verdict: admit(0o755),
  },
  {
    name: 'strip 0 → the path is judged whole and admitted',
    strip: 0,
    entry: file('bin/concourse', 10, 0o755),
    verdict: admit(0o755),
  },
  {
    name: 'hard link whose target has fewer components than strip → skipped',
    strip: 2,
    before: [dir('concourse/'), dir('concourse/bin/'), file('concourse/bin/tool')],
    entry: hardlink('concourse/bin/copy', 'tool'),
    verdict: skip,
  },
  {
    name: 'relative symbolic link beside its target → admitted',
    before: [...TOP, file('concourse/bin/concourse')],
    entry: symlink('concourse/bin/alias', 'concourse'),
    verdict: admit(0o777),
  },
  {
    name: "symbolic link through '..' that stays inside → admitted",
    before: TOP,
    entry: symlink('concourse/lib', 'bin/../bin'),
    verdict: admit(0o777),
  },
  {
    name: 'symbolic link up into a sibling directory → admitted',
    before: [...TOP, dir('concourse/lib/')],
    entry: symlink('concourse/bin/lib', '../lib'),
    verdict: admit(0o777),
  },
  {
    name: "symbolic link to '.' → admitted",
    before: [dir('concourse/')],
    entry: symlink('concourse/here', '.'),
    verdict: admit(0o777),
  },
  {
    name: "symbolic link with './' and '//' in its target → admitted",
    before: TOP,
    entry: symlink('concourse/bin/alias', './/concourse'),
    verdict: admit(0o777),
  },
  {
    name: 'symbolic link to a symbolic link (last step) → admitted',
    before: [...TOP, symlink('concourse/sbin', 'bin')],
    entry: symlink('concourse/tools', 'sbin'),
    verdict: admit(0o777),
  },
  {
    name: 'hard link to an earlier file → admitted',
    before: [...TOP, file('concourse/bin/concourse')],
    entry: hardlink('concourse/bin/copy', 'concourse/bin/concourse'),
    verdict: admit(0o644),
  },
  {
    name: 'hard link to an earlier hard link → admitted',
    before: [...TOP, file('concourse/bin/concourse'), hardlink('concourse/bin/copy', 'concourse/bin/concourse')],
    entry: hardlink('concourse/bin/copy2', 'concourse/bin/copy'),
    verdict: admit(0o644),
  },
  {
    name: 'hard link with strip 0 → the target is judged whole and admitted',
    strip: 0,
    before: [file('bin/concourse')],
    entry: hardlink('bin/copy', 'bin/concourse'),
    verdict: admit(0o644),
  },
  {
    name: 'symbolic link replaced by a file, then hard-linked → admitted',
    before: [...TOP, symlink('concourse/bin/tool', 'gdn'), file('concourse/bin/tool')],
    entry: hardlink('concourse/bin/copy', 'concourse/bin/tool'),
    verdict: admit(0o644),
  },
];

describe('ArchiveEntryGuard on hostile entries', () => {
  test.each(hostile)('$name', (c) => {
    expect(judgeAfter(c).verdict).toEqual(c.verdict);
  });
});

describe('ArchiveEntryGuard on a normal release', () => {
  test.each(normal)('$name', (c) => {
    expect(judgeAfter(c).verdict).toEqual(c.verdict);
  });
});

describe('ArchiveEntryGuard byte count', () => {
  test('regular files of every kind → counted; directories, links, skipped and rejected entries → not', () => {
    // strip 2, so that an entry can be too short to survive it.
    const guard = new ArchiveEntryGuard(2);
    const verdicts = [
      file('release', 1000),
      dir('release/concourse/'),
      dir('release/concourse/bin/'),
      file('release/concourse/bin/concourse', 100),
      { ...other('OldFile', 'release/concourse/bin/old'), size: 20 },
      { ...other('ContiguousFile', 'release/concourse/bin/contiguous'), size: 3 },
      { ...symlink('release/concourse/bin/alias', 'concourse'), size: 1000 },
      { ...hardlink('release/concourse/bin/copy', 'release/concourse/bin/concourse'), size: 1000 },
      file('release/concourse/../escaped', 1000),
    ].map((e) => guard.judge(e).kind);
    expect(verdicts).toEqual(['skip', 'admit', 'admit', 'admit', 'admit', 'admit', 'admit', 'admit', 'reject']);
    expect(guard.extractedBytes).toBe(123);
  });

  test('fresh guard → zero bytes', () => {
    expect(new ArchiveEntryGuard(1).extractedBytes).toBe(0);
  });
});
