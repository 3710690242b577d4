// Adapter tests for the simulator's sshfs shared volume: two units' sshfs mounts of one export over a loopback sshd,
// checked for what the charm relies on (visibility, mkdir as a lock, rename into place, link) and for clean teardown.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmod,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  statfs,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder } from '../../sim/host-mounts';
import { aliveAmong, descendantsOf } from '../../sim/loopback-sshd';
import { SshfsVolume } from '../../sim/sshfs-volume';
import { errorCode, pollUntil } from '../support/processes';

const FUSE_SUPER_MAGIC = 0x65735546;
/** Short caches keep the visibility test quick; the polling deadline stays far above them, so speed never matters. */
const CACHE_SECONDS = 2;
const VISIBLE_WITHIN_MS = 30_000;
const IS_ROOT = process.getuid?.() === 0;

async function codeOf(action: Promise<unknown>): Promise<string> {
  try {
    await action;
    return 'ok';
  } catch (err) {
    return errorCode(err) ?? String(err);
  }
}

/**
 * A process that, once told to go, mkdirs every name under `dir` in order and reports each outcome. Two of them on
 * two mounts race for every name at once: one spawn per side, so process start-up is not part of the race.
 */
const MKDIR_RACER = `
const fs = require('node:fs');
const [dir, count] = process.argv.slice(1);
process.stdout.write('ready\\n');
process.stdin.once('data', () => {
  const codes = [];
  for (let i = 0; i < Number(count); i++) {
    try { fs.mkdirSync(dir + '/race-' + i); codes.push('ok'); } catch (e) { codes.push(e.code); }
  }
  process.stdout.write(JSON.stringify(codes) + '\\n');
  process.exit(0);
});
`;

async function startRacer(
  dir: string,
  count: number,
  children: ChildProcess[],
): Promise<{ result: Promise<string[]>; go(): void }> {
  const child = spawn(process.execPath, ['-e', MKDIR_RACER, dir, String(count)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8');
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      if (out.startsWith('ready\n')) resolve();
    });
    child.once('exit', () => reject(new Error(`racer on ${dir} exited before it was ready`)));
  });
  await ready;
  const result = once(child, 'exit').then(() => JSON.parse(out.slice('ready\n'.length)) as string[]);
  return { result, go: () => child.stdin?.end('go\n') };
}

describe.skipIf(!IS_ROOT)('SshfsVolume (needs root: it mounts FUSE and runs sshd)', () => {
  let simRoot: string;
  let volume: SshfsVolume | undefined;
  let exportPath: string;
  let mountA: string;
  let mountB: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    simRoot = await mkdtemp(join(tmpdir(), 'sshfs-volume-'));
    // mkdtemp makes it 0700; the non-root test process has to reach the mounts below it.
    await chmod(simRoot, 0o755);
    volume = new SshfsVolume('shared', { cacheTimeoutSeconds: CACHE_SECONDS });
    await volume.open(simRoot);
    const path = volume.exportPath;
    if (path === undefined) throw new Error('open() left no export path');
    exportPath = path;
    mountA = await volume.hostPathFor('concourse/0');
    mountB = await volume.hostPathFor('concourse/1');
  });

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    try {
      await volume?.close();
    } finally {
      // Deleting with a mount still in place would delete through it: only remove the tree once nothing is mounted.
      if (simRoot !== undefined && (await mountsUnder(simRoot)).length === 0) {
        await rm(simRoot, { recursive: true, force: true });
      }
    }
  });

  it('two units → two separate FUSE mounts of the one export', async () => {
    expect(mountA).not.toBe(mountB);
    const mounted = await mountsUnder(simRoot);
    expect(mounted).toEqual(expect.arrayContaining([mountA, mountB]));
    expect(mounted).not.toContain(exportPath);
    expect((await statfs(mountA)).type).toBe(FUSE_SUPER_MAGIC);
    expect((await statfs(mountB)).type).toBe(FUSE_SUPER_MAGIC);
  });

  it('the same unit asks twice → the same mount, not a second one', async () => {
    const before = await mountsUnder(simRoot);
    expect(await volume?.hostPathFor('concourse/0')).toBe(mountA);
    expect(await mountsUnder(simRoot)).toEqual(before);
  });

  it('a file written through one mount → lands in the export at once and shows through the other mount', async () => {
    await mkdir(join(mountA, 'seen'));
    // Listing through B first fills B's directory cache, so B only sees the new file once that cache expires.
    expect(
      await pollUntil(
        async () => (await readdir(mountB).catch((): string[] => [])).includes('seen') || undefined,
        VISIBLE_WITHIN_MS,
        'seen/ through B',
      ),
    ).toBe(true);
    expect(await readdir(join(mountB, 'seen'))).toEqual([]);

    await writeFile(join(mountA, 'seen', 'note'), 'written through A\n');
    // close() through sshfs waits for the server's write replies: the export has the bytes when writeFile returns.
    expect(await readFile(join(exportPath, 'seen', 'note'), 'utf8')).toBe('written through A\n');

    const throughB = await pollUntil(
      async () => {
        if (!(await readdir(join(mountB, 'seen'))).includes('note')) return undefined;
        return readFile(join(mountB, 'seen', 'note'), 'utf8');
      },
      VISIBLE_WITHIN_MS,
      'seen/note through B',
    );
    expect(throughB).toBe('written through A\n');
  });

  it('two units mkdir the same dirs at once through different mounts → exactly one wins each, the other gets EEXIST', async () => {
    const count = 100;
    await mkdir(join(mountA, 'locks'));
    await pollUntil(
      async () => (await stat(join(mountB, 'locks')).catch(() => undefined))?.isDirectory() || undefined,
      VISIBLE_WITHIN_MS,
      'locks/ through B',
    );
    const racers = [
      await startRacer(join(mountA, 'locks'), count, children),
      await startRacer(join(mountB, 'locks'), count, children),
    ];
    for (const racer of racers) racer.go();
    const [codesA, codesB] = await Promise.all(racers.map((r) => r.result));
    expect(codesA).toHaveLength(count);
    expect(codesB).toHaveLength(count);
    const outcomes = new Set<string>();
    for (let i = 0; i < count; i++) {
      const pair = [codesA?.[i], codesB?.[i]].sort();
      outcomes.add(pair.join('+'));
      // proper-lockfile's lock is a mkdir: it treats EEXIST as "held" and any other error as a failure.
      expect(pair, `race-${i}`).toEqual(['EEXIST', 'ok']);
    }
    expect(outcomes).toEqual(new Set(['EEXIST+ok']));
    expect((await readdir(join(exportPath, 'locks'))).length).toBe(count);
  });

  it('mkdir of a dir another unit already made → EEXIST', async () => {
    await mkdir(join(mountA, 'held'));
    expect(await codeOf(mkdir(join(mountB, 'held')))).toBe('EEXIST');
    expect(await codeOf(mkdir(join(mountA, 'held')))).toBe('EEXIST');
  });

  it('a staged directory renamed into releases/ → appears whole through the other mount', async () => {
    await mkdir(join(mountA, 'staging', 'r1', 'bin'), { recursive: true });
    await writeFile(join(mountA, 'staging', 'r1', 'bin', 'concourse'), '#!/bin/sh\n');
    await mkdir(join(mountA, 'releases'));
    await rename(join(mountA, 'staging', 'r1'), join(mountA, 'releases', '7.11.0'));

    expect(await readFile(join(exportPath, 'releases', '7.11.0', 'bin', 'concourse'), 'utf8')).toBe('#!/bin/sh\n');
    const throughB = await pollUntil(
      async () => readFile(join(mountB, 'releases', '7.11.0', 'bin', 'concourse'), 'utf8').catch(() => undefined),
      VISIBLE_WITHIN_MS,
      'the published release through B',
    );
    expect(throughB).toBe('#!/bin/sh\n');
    expect(await readdir(join(exportPath, 'staging'))).toEqual([]);
  });

  it('a directory renamed onto an empty directory → replaces it', async () => {
    await mkdir(join(mountA, 'empty-target'));
    await mkdir(join(mountA, 'incoming'));
    await writeFile(join(mountA, 'incoming', 'f'), 'x');
    await rename(join(mountA, 'incoming'), join(mountA, 'empty-target'));
    expect(await readdir(join(exportPath, 'empty-target'))).toEqual(['f']);
  });

  it('a directory renamed onto a non-empty directory → EPERM (sftp has no ENOTEMPTY), both left as they were', async () => {
    // What the charm's publish sees when another unit published the same version first: on this filesystem the
    // refusal is EPERM, so "target exists" has to be recognised by looking at the target, not only by errno.
    await mkdir(join(mountA, 'theirs'));
    await writeFile(join(mountA, 'theirs', 'mark'), 'theirs');
    await mkdir(join(mountA, 'mine'));
    await writeFile(join(mountA, 'mine', 'mark'), 'mine');
    expect(await codeOf(rename(join(mountA, 'mine'), join(mountA, 'theirs')))).toBe('EPERM');
    expect(await readFile(join(exportPath, 'theirs', 'mark'), 'utf8')).toBe('theirs');
    expect(await readFile(join(exportPath, 'mine', 'mark'), 'utf8')).toBe('mine');
  });

  it('a fresh symlink renamed over `current` → current points to the new release, through both mounts', async () => {
    await symlink('releases/7.10.0', join(mountA, 'current'));
    await symlink('releases/7.11.0', join(mountA, 'current.tmp'));
    await rename(join(mountA, 'current.tmp'), join(mountA, 'current'));

    expect(await readlink(join(exportPath, 'current'))).toBe('releases/7.11.0');
    expect(await readlink(join(mountA, 'current'))).toBe('releases/7.11.0');
    expect((await lstat(join(mountA, 'current'))).isSymbolicLink()).toBe(true);
    const throughB = await pollUntil(
      async () => {
        const target = await readlink(join(mountB, 'current')).catch(() => undefined);
        return target === 'releases/7.11.0' ? target : undefined;
      },
      VISIBLE_WITHIN_MS,
      'the switched current through B',
    );
    expect(throughB).toBe('releases/7.11.0');
    expect(await readdir(exportPath)).not.toContain('current.tmp');
  });

  it('a file renamed over an existing file → replaced in one step', async () => {
    await writeFile(join(mountA, 'installed-version'), '7.10.0\n');
    await writeFile(join(mountA, 'installed-version.tmp'), '7.11.0\n');
    await rename(join(mountA, 'installed-version.tmp'), join(mountA, 'installed-version'));
    expect(await readFile(join(exportPath, 'installed-version'), 'utf8')).toBe('7.11.0\n');
  });

  it('link(2) of a written temp file → a hard link (no EPERM fallback needed); a second link → EEXIST', async () => {
    await writeFile(join(mountA, '.volume-id.tmp'), 'id-a\n');
    await link(join(mountA, '.volume-id.tmp'), join(mountA, '.volume-id'));
    expect((await stat(join(exportPath, '.volume-id'))).nlink).toBe(2);
    expect((await stat(join(exportPath, '.volume-id'))).ino).toBe((await stat(join(exportPath, '.volume-id.tmp'))).ino);

    await writeFile(join(mountB, '.volume-id.tmp-b'), 'id-b\n');
    await pollUntil(
      async () => (await stat(join(mountB, '.volume-id')).catch(() => undefined)) && true,
      VISIBLE_WITHIN_MS,
      '.volume-id through B',
    );
    expect(await codeOf(link(join(mountB, '.volume-id.tmp-b'), join(mountB, '.volume-id')))).toBe('EEXIST');
    expect(await readFile(join(exportPath, '.volume-id'), 'utf8')).toBe('id-a\n');
  });

  it('a non-root process on the mount → may read what root wrote, may not write into dirs root owns', async () => {
    // allow_other lets a unit's service users in at all; default_permissions makes the kernel check modes, as NFS does.
    await mkdir(join(mountA, 'perm'), { mode: 0o755 });
    await writeFile(join(mountA, 'perm', 'readable'), 'r\n', { mode: 0o644 });
    const script = `
      const fs = require('node:fs');
      const dir = process.argv[1];
      const read = fs.readFileSync(dir + '/readable', 'utf8');
      let write = 'ok';
      try { fs.writeFileSync(dir + '/nobody-was-here', 'x'); } catch (e) { write = e.code; }
      process.stdout.write(JSON.stringify({ read, write }));
    `;
    const child = spawn(process.execPath, ['-e', script, join(mountA, 'perm')], {
      uid: 65534,
      gid: 65534,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
    });
    const [code] = await once(child, 'close');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ read: 'r\n', write: 'EACCES' });
    expect(await readdir(join(exportPath, 'perm'))).toEqual(['readable']);
  });

  it('release(unit) → unmounts that unit only; its data stays and the other unit keeps working', async () => {
    await writeFile(join(mountB, 'from-b'), 'b\n');
    await volume?.release('concourse/1');

    const mounted = await mountsUnder(simRoot);
    expect(mounted).not.toContain(mountB);
    expect(mounted).toContain(mountA);
    expect(await readFile(join(exportPath, 'from-b'), 'utf8')).toBe('b\n');
    await writeFile(join(mountA, 'after-release'), 'a\n');
    expect(await readFile(join(exportPath, 'after-release'), 'utf8')).toBe('a\n');
  });

  it('a released unit asks again → a fresh mount of the same export', async () => {
    const again = await volume?.hostPathFor('concourse/1');
    expect(again).toBe(mountB);
    expect(await mountsUnder(simRoot)).toContain(mountB);
    expect(await readFile(join(mountB, 'from-b'), 'utf8')).toBe('b\n');
  });

  it('close() → no mounts left under the sim root and no sshd process left; the export keeps its data', async () => {
    const pid = volume?.sshdPid;
    if (pid === undefined) throw new Error('no sshd pid while open');
    const sshdProcesses = [pid, ...(await descendantsOf(pid))];
    // One session per mounted unit at least, or this test would not be looking at the right processes.
    expect(sshdProcesses.length).toBeGreaterThan(2);

    await volume?.close();

    expect(await mountsUnder(simRoot)).toEqual([]);
    expect(await aliveAmong(sshdProcesses)).toEqual([]);
    expect(await readFile(join(exportPath, 'from-b'), 'utf8')).toBe('b\n');
    expect(volume?.exportPath).toBeUndefined();
  });
});
