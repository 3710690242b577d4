// Adapter tests for FsUnitFiles: a scratch root with its own /etc/passwd and /etc/group, real files, real chown
// (the suite runs as root), a real concurrent reader in another process, and the real `useradd --prefix`.

import 'reflect-metadata';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FsUnitFiles } from '../../src/adapters/fs-unit-files';
import type { RenderedFile } from '../../src/domain/concourse-services';
import { type Spawned, watch } from '../support/processes';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nconcourse:x:999:998::/nonexistent:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nconcourse:x:998:\n';
const UID = 999;
const GID = 998;

// Every write chowns, so the suite runs as root (like the hooks). `useradd --prefix` (shadow 4.6+) writes another
// root's /etc: probed once, so that the one test needing it is skipped with its reason rather than failing.
const canUseraddPrefix =
  process.getuid?.() === 0 &&
  (spawnSync('useradd', ['--help'], { encoding: 'utf8' }).stdout ?? '').includes('--prefix');

/** A private parent of the unit root, so that an escape to `<root>/..` lands where no other process writes. */
let sandbox: string;
let root: string;
let files: FsUnitFiles;
const children: Spawned[] = [];

beforeEach(async () => {
  sandbox = await mkdtemp(join(tmpdir(), 'unit-files-test-'));
  root = join(sandbox, 'unit');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/passwd'), PASSWD);
  await writeFile(join(root, 'etc/group'), GROUP);
  files = new FsUnitFiles(root);
});

afterEach(async () => {
  for (const c of children.splice(0)) {
    c.child.kill('SIGKILL');
    await c.closed;
  }
  await rm(sandbox, { recursive: true, force: true });
});

const keyFile = (over: Partial<RenderedFile> = {}): RenderedFile => ({
  path: '/etc/concourse/keys/session_signing_key',
  content: '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n',
  mode: 0o640,
  owner: 'root',
  group: 'concourse',
  ...over,
});

const onDisk = (path: string) => join(root, path);

describe('write', () => {
  test('missing parents → created; file has its content, mode and owner', async () => {
    const f = keyFile();
    expect(await files.write(f)).toBe(true);
    const s = await stat(onDisk(f.path));
    expect(s.isFile()).toBe(true);
    expect(s.mode & 0o7777).toBe(0o640);
    expect([s.uid, s.gid]).toEqual([0, GID]);
    expect(await readFile(onDisk(f.path), 'utf8')).toBe(f.content);
    expect((await stat(onDisk('/etc/concourse/keys'))).isDirectory()).toBe(true);
  });

  test('owner and group by name from <root>/etc → their numeric ids', async () => {
    const f = keyFile({ path: '/etc/concourse/web.env', owner: 'concourse', group: 'concourse', mode: 0o600 });
    await files.write(f);
    const s = await stat(onDisk(f.path));
    expect([s.uid, s.gid, s.mode & 0o7777]).toEqual([UID, GID, 0o600]);
  });

  test('same file twice → true, then false and the file untouched (same inode)', async () => {
    const f = keyFile();
    expect(await files.write(f)).toBe(true);
    const before = await stat(onDisk(f.path));
    expect(await files.write(f)).toBe(false);
    const after = await stat(onDisk(f.path));
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  test.each<[string, Partial<RenderedFile>]>([
    ['only the content', { content: 'other\n' }],
    ['only the mode', { mode: 0o600 }],
    ['only the owner', { owner: 'concourse' }],
    ['only the group', { group: 'root' }],
  ])('%s changed → rewritten, returns true, and right on disk', async (_, change) => {
    await files.write(keyFile());
    const changed = keyFile(change);
    expect(await files.write(changed)).toBe(true);
    const s = await stat(onDisk(changed.path));
    expect(s.mode & 0o7777).toBe(changed.mode);
    expect(s.uid).toBe(changed.owner === 'root' ? 0 : UID);
    expect(s.gid).toBe(changed.group === 'root' ? 0 : GID);
    expect(await readFile(onDisk(changed.path), 'utf8')).toBe(changed.content);
    expect(await files.write(changed)).toBe(false);
  });

  test('mode changed by hand on disk → put back', async () => {
    const f = keyFile();
    await files.write(f);
    await chmod(onDisk(f.path), 0o644);
    expect(await files.write(f)).toBe(true);
    expect((await stat(onDisk(f.path))).mode & 0o7777).toBe(0o640);
  });

  test('content as bytes → UTF-8, and non-ASCII content compared as text (no spurious rewrite)', async () => {
    const f = keyFile({ content: 'CONCOURSE_MAIN_TEAM_LOCAL_USER="zoë"\n✓\n' });
    expect(await files.write(f)).toBe(true);
    expect(await readFile(onDisk(f.path))).toEqual(Buffer.from(f.content, 'utf8'));
    expect(await files.write(f)).toBe(false);
  });

  test('empty content → an empty file', async () => {
    const f = keyFile({ path: '/etc/concourse/keys/authorized_worker_keys', content: '' });
    expect(await files.write(f)).toBe(true);
    expect((await stat(onDisk(f.path))).size).toBe(0);
    expect(await files.write(f)).toBe(false);
  });

  test('after many writes → no temp file left beside the target', async () => {
    for (let i = 0; i < 20; i++) await files.write(keyFile({ content: `v${i}\n`, mode: i % 2 ? 0o600 : 0o640 }));
    expect(await readdir(onDisk('/etc/concourse/keys'))).toEqual(['session_signing_key']);
  });

  test('rename fails (a directory is in the way) → error, and the temp file is removed', async () => {
    const f = keyFile();
    await mkdir(onDisk(f.path), { recursive: true });
    await writeFile(onDisk(`${f.path}/inside`), 'x');
    await expect(files.write(f)).rejects.toThrow();
    expect(await readdir(onDisk('/etc/concourse/keys'))).toEqual(['session_signing_key']);
    expect(await readdir(onDisk(f.path))).toEqual(['inside']);
  });

  test('rewrite → a reader that opened the old file still reads it whole (new inode, not overwritten in place)', async () => {
    const f = keyFile({ content: 'old '.repeat(10_000) });
    await files.write(f);
    const handle = await open(onDisk(f.path), 'r');
    try {
      await files.write({ ...f, content: 'new\n' });
      expect(await handle.readFile('utf8')).toBe(f.content);
    } finally {
      await handle.close();
    }
    expect(await readFile(onDisk(f.path), 'utf8')).toBe('new\n');
  });

  test('rewrites racing a reader in another process → it only ever sees a whole old or whole new file', async () => {
    const size = 512 * 1024;
    const a = 'a'.repeat(size);
    const b = 'b'.repeat(size);
    const f = keyFile({ content: a });
    await files.write(f);
    const stop = join(root, 'stop-reader');
    // Reads as fast as it can until told to stop; reports every change of version it sees and every torn read.
    const reader = `
      const { readFileSync, existsSync } = require('node:fs');
      const [path, stop, size] = process.argv.slice(1);
      let last = '', reads = 0, torn = 0, missing = 0;
      console.log('ready');
      while (!existsSync(stop)) {
        let text;
        try { text = readFileSync(path, 'utf8'); } catch { missing++; continue; }
        reads++;
        const whole = text.length === Number(size) && (text === 'a'.repeat(text.length) || text === 'b'.repeat(text.length));
        if (!whole) torn++;
        else if (text[0] !== last) { last = text[0]; console.log('flip'); }
      }
      console.log(JSON.stringify({ reads, torn, missing }));
    `;
    const child = watch(spawn(process.execPath, ['-e', reader, onDisk(f.path), stop, String(size)]));
    children.push(child);
    await child.line(/^ready$/);
    const flips = () =>
      child
        .stdout()
        .split('\n')
        .filter((l) => l === 'flip').length;
    // Enough rewrites that the reader has provably seen the file change many times while it was being rewritten.
    let writes = 0;
    while (flips() < 20 && writes < 5_000) {
      await files.write({ ...f, content: writes % 2 === 0 ? b : a });
      writes++;
    }
    await writeFile(stop, '');
    expect(await child.closed).toBe(0);
    const result = JSON.parse(child.stdout().trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
    expect(flips()).toBeGreaterThanOrEqual(20);
    expect(result).toMatchObject({ torn: 0, missing: 0 });
    expect(result.reads).toBeGreaterThan(0);
    expect(await readdir(onDisk('/etc/concourse/keys'))).toEqual(['session_signing_key']);
  });

  test.each([
    ['owner', { owner: 'ghost' }, /no user named ghost on this machine/],
    ['group', { group: 'phantoms' }, /no group named phantoms on this machine/],
  ])('unknown %s → error naming it, nothing written', async (_, change, message) => {
    const f = keyFile(change);
    await expect(files.write(f)).rejects.toThrow(message);
    expect(existsSync(onDisk(f.path))).toBe(false);
  });

  test('user known only as a group (or the reverse) → not mixed up', async () => {
    await writeFile(join(root, 'etc/group'), `${GROUP}workers:x:1234:\n`);
    await expect(files.write(keyFile({ owner: 'workers' }))).rejects.toThrow(/no user named workers/);
    await expect(files.write(keyFile({ group: 'workers' }))).resolves.toBe(true);
    expect((await stat(onDisk(keyFile().path))).gid).toBe(1234);
  });

  test('root → uid 0 even when <root>/etc/passwd is missing', async () => {
    await rm(join(root, 'etc/passwd'));
    await rm(join(root, 'etc/group'));
    const f = keyFile({ group: 'root' });
    expect(await files.write(f)).toBe(true);
    const s = await stat(onDisk(f.path));
    expect([s.uid, s.gid]).toEqual([0, 0]);
  });
});

describe('read', () => {
  test('missing file → undefined; missing directory → undefined', async () => {
    expect(await files.read('/etc/concourse/web.env')).toBeUndefined();
    expect(await files.read('/nowhere/at/all')).toBeUndefined();
  });

  test('existing file → its text, read under the root', async () => {
    await files.write(keyFile({ content: 'hello\n' }));
    expect(await files.read(keyFile().path)).toBe('hello\n');
    expect(await files.read('/etc/passwd')).toBe(PASSWD);
  });

  test('a directory → the error, not undefined', async () => {
    await expect(files.read('/etc')).rejects.toThrow(/EISDIR/);
  });
});

describe('ensureDirectory', () => {
  test('missing → created with its parents, mode and owner', async () => {
    await files.ensureDirectory({
      path: '/var/lib/concourse/work',
      mode: 0o750,
      owner: 'concourse',
      group: 'concourse',
    });
    const s = await stat(onDisk('/var/lib/concourse/work'));
    expect(s.isDirectory()).toBe(true);
    expect([s.mode & 0o7777, s.uid, s.gid]).toEqual([0o750, UID, GID]);
  });

  test('existing with another mode and owner → corrected, content kept', async () => {
    await mkdir(onDisk('/etc/concourse'), { recursive: true, mode: 0o777 });
    await writeFile(onDisk('/etc/concourse/web.env'), 'x');
    await files.ensureDirectory({ path: '/etc/concourse', mode: 0o750, owner: 'root', group: 'concourse' });
    const s = await stat(onDisk('/etc/concourse'));
    expect([s.mode & 0o7777, s.uid, s.gid]).toEqual([0o750, 0, GID]);
    expect(await readFile(onDisk('/etc/concourse/web.env'), 'utf8')).toBe('x');
  });

  test('mode beyond the umask (group-writable, sticky) → exactly that mode', async () => {
    await files.ensureDirectory({ path: '/srv/shared', mode: 0o1770, owner: 'root', group: 'root' });
    expect((await stat(onDisk('/srv/shared'))).mode & 0o7777).toBe(0o1770);
  });

  test('called twice → same result, no error', async () => {
    const spec = { path: '/etc/concourse/keys', mode: 0o700, owner: 'root', group: 'root' };
    await files.ensureDirectory(spec);
    await files.ensureDirectory(spec);
    expect((await stat(onDisk(spec.path))).mode & 0o7777).toBe(0o700);
  });

  test.each([
    ['owner', { owner: 'ghost', group: 'root' }, /no user named ghost/],
    ['group', { owner: 'root', group: 'phantoms' }, /no group named phantoms/],
  ])('unknown %s → error naming it', async (_, who, message) => {
    await expect(files.ensureDirectory({ path: '/etc/concourse', mode: 0o750, ...who })).rejects.toThrow(message);
  });
});

describe('paths', () => {
  test.each(['/etc/../../escape', '/etc/concourse/../../../x', '/..', 'etc/concourse/web.env', '', './etc/passwd'])(
    '%j → refused by write, read and ensureDirectory, nothing created outside',
    async (path) => {
      await expect(files.write(keyFile({ path }))).rejects.toThrow(/not a clean absolute path/);
      await expect(files.read(path)).rejects.toThrow(/not a clean absolute path/);
      await expect(files.ensureDirectory({ path, mode: 0o755, owner: 'root', group: 'root' })).rejects.toThrow(
        /not a clean absolute path/,
      );
      expect(existsSync(join(root, '../escape'))).toBe(false);
      expect(existsSync(join(root, '../x'))).toBe(false);
    },
  );

  test('a name merely containing dots → allowed', async () => {
    const f = keyFile({ path: '/etc/concourse/..hidden..', content: 'ok' });
    expect(await files.write(f)).toBe(true);
    expect(await files.read(f.path)).toBe('ok');
  });
});

describe('ensureSystemUser', () => {
  test.skipIf(!canUseraddPrefix)(
    'missing user → added to <root>/etc/passwd with its own group, no login (needs root and useradd --prefix)',
    async () => {
      await files.ensureSystemUser('concourse-web');
      const passwd = await readFile(join(root, 'etc/passwd'), 'utf8');
      const group = await readFile(join(root, 'etc/group'), 'utf8');
      const line = passwd.split('\n').find((l) => l.startsWith('concourse-web:'));
      expect(line).toBeDefined();
      const [, , uid, gid, , home, shell] = (line ?? '').split(':');
      expect(home).toBe('/nonexistent');
      expect(shell).toBe('/usr/sbin/nologin');
      expect(group.split('\n').some((l) => new RegExp(`^concourse-web:[^:]*:${gid}:$`).test(l))).toBe(true);
      // Nothing on the host itself changed, and the new user is usable as an owner at once.
      expect(spawnSync('getent', ['passwd', 'concourse-web']).status).not.toBe(0);
      await files.write(keyFile({ owner: 'concourse-web', group: 'concourse-web' }));
      const s = await stat(onDisk(keyFile().path));
      expect([s.uid, s.gid]).toEqual([Number(uid), Number(gid)]);
      expect(existsSync(join(root, 'nonexistent'))).toBe(false);
    },
  );

  test('existing user → no-op: useradd not run, passwd and group untouched', async () => {
    await files.ensureSystemUser('concourse');
    expect(await readFile(join(root, 'etc/passwd'), 'utf8')).toBe(PASSWD);
    expect(await readFile(join(root, 'etc/group'), 'utf8')).toBe(GROUP);
    // useradd leaves backups (passwd-, group-) behind whenever it runs.
    expect((await readdir(join(root, 'etc'))).sort()).toEqual(['group', 'passwd']);
  });

  test.skipIf(!canUseraddPrefix)('name useradd refuses → error naming the user and useradd’s reason', async () => {
    await expect(files.ensureSystemUser('Not A Name')).rejects.toThrow(/useradd Not A Name failed: .+/);
    expect(await readFile(join(root, 'etc/passwd'), 'utf8')).toBe(PASSWD);
  });
});

describe('remove', () => {
  test('an existing file → true, and it is gone under the root', async () => {
    await files.write(keyFile());
    expect(await files.remove(keyFile().path)).toBe(true);
    expect(await files.read(keyFile().path)).toBeUndefined();
  });

  test('a missing file → false, nothing else touched', async () => {
    expect(await files.remove('/etc/concourse/shared-fs/ceph.keyring')).toBe(false);
    expect(await files.read('/etc/passwd')).toBe(PASSWD);
  });

  test('a path escaping the root → refused', async () => {
    await expect(files.remove('/etc/../../outside')).rejects.toThrow(/not a clean absolute path/);
  });
});
