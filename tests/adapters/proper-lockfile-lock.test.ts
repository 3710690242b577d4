// Adapter tests for ProperLockfileLock: real lock directories on a real filesystem, contended by real processes.
// Child processes run the adapter itself through tsx, so what is tested is what the charm bundles.

import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Container } from 'inversify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_FILE } from '../../src/adapters/lock-heartbeat-fs';
import {
  defaultLockTiming,
  effectiveLockTiming,
  LOCK_DIR_NAME,
  LockLostError,
  lockTimingFromEnv,
  ProperLockfileLock,
} from '../../src/adapters/proper-lockfile-lock';
import { formatHeartbeat, parseHeartbeat } from '../../src/domain/lock-liveness';
import { LOCK, LOCK_TIMING, type Lock, type LockTiming } from '../../src/ports/lock';
import { STORE_ROOT } from '../../src/ports/store-root';
import { PROJECT_ROOT, pollUntil, type Spawned, watch } from '../support/processes';

const ADAPTER = join(PROJECT_ROOT, 'src/adapters/proper-lockfile-lock.ts');
const SHORT: LockTiming = { staleMs: 2_000, updateMs: 1_000 };

let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lock-test-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs a TypeScript module in a fresh node process through tsx. reflect-metadata is preloaded the way the charm's
 * entry point loads it; both are resolved from the project (the script itself lives in the temp dir).
 */
async function spawnScript(source: string, args: readonly string[]): Promise<Spawned> {
  const file = join(dir, `script-${children.length}-${process.pid}.mts`);
  await writeFile(file, source);
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', 'reflect-metadata', file, ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return watch(child);
}

/**
 * A lock directory as another unit left it: its mtime as this client sees it (on NFS or sshfs, maybe a cached copy
 * tens of seconds old) and the heartbeat the holder wrote inside (read as content, fresh), or none.
 */
async function lockAsSeen(mtimeAgoMs: number, heartbeatAgoMs: number | undefined): Promise<string> {
  const lockDir = join(dir, LOCK_DIR_NAME);
  await mkdir(lockDir);
  if (heartbeatAgoMs !== undefined) {
    await writeFile(join(lockDir, HEARTBEAT_FILE), formatHeartbeat(Date.now() - heartbeatAgoMs));
  }
  const mtime = new Date(Date.now() - mtimeAgoMs);
  await utimes(lockDir, mtime, mtime);
  return lockDir;
}

describe('ProperLockfileLock heartbeat', () => {
  it('lock dir mtime older than stale but the heartbeat fresh → held, not taken over', async () => {
    await lockAsSeen(60_000, 100);
    const lock = new ProperLockfileLock(dir, SHORT);
    expect(await lock.tryAcquire()).toBeUndefined();
    expect(await lock.isHeld()).toBe(true);
  });

  it('lock dir mtime and heartbeat both older than stale → taken over, with a fresh heartbeat of its own', async () => {
    const lockDir = await lockAsSeen(60_000, 60_000);
    const lock = new ProperLockfileLock(dir, SHORT);
    const handle = await lock.tryAcquire();
    expect(handle).toBeDefined();
    const beat = parseHeartbeat(await readFile(join(lockDir, HEARTBEAT_FILE), 'utf8'));
    expect(beat).toBeGreaterThan(Date.now() - SHORT.staleMs);
    await handle?.release();
  });

  it('lock dir without a heartbeat (an older charm) and an old mtime → taken over by the mtime', async () => {
    await lockAsSeen(60_000, undefined);
    const handle = await new ProperLockfileLock(dir, SHORT).tryAcquire();
    expect(handle).toBeDefined();
    await handle?.release();
  });

  it('held lock → its heartbeat is refreshed with the mtime; release → the directory is gone', async () => {
    const lock = new ProperLockfileLock(dir, SHORT);
    const handle = await lock.tryAcquire();
    if (handle === undefined) throw new Error('expected the lock');
    const file = join(dir, LOCK_DIR_NAME, HEARTBEAT_FILE);
    const first = parseHeartbeat(await readFile(file, 'utf8')) ?? 0;
    await pollUntil(
      async () => ((parseHeartbeat(await readFile(file, 'utf8')) ?? 0) > first ? true : undefined),
      10_000,
      'the heartbeat refreshed',
    );
    expect(handle.lost.aborted).toBe(false);
    await handle.release();
    await expect(stat(join(dir, LOCK_DIR_NAME))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('ProperLockfileLock', () => {
  it('two handles on one volume → only one holds, the other gets it after release', async () => {
    const a = new ProperLockfileLock(dir, defaultLockTiming);
    const b = new ProperLockfileLock(dir, defaultLockTiming);

    const held = await a.tryAcquire();
    expect(held).toBeDefined();
    expect(await b.tryAcquire()).toBeUndefined();
    expect(await b.isHeld()).toBe(true);
    expect((await stat(join(dir, LOCK_DIR_NAME))).isDirectory()).toBe(true);

    await held?.release();
    expect(await b.isHeld()).toBe(false);
    const second = await b.tryAcquire();
    expect(second).toBeDefined();
    await second?.release();
  });

  it('release called twice → second call is a no-op and the lock is free', async () => {
    const lock = new ProperLockfileLock(dir, defaultLockTiming);
    const handle = await lock.tryAcquire();
    if (handle === undefined) throw new Error('expected the lock');
    await handle.release();
    await expect(handle.release()).resolves.toBeUndefined();
    expect(await lock.isHeld()).toBe(false);
    expect(handle.lost.aborted).toBe(false);
  });

  it('lock directory removed under a holder → lost aborts with the reason, no crash, release tolerated', async () => {
    const lock = new ProperLockfileLock(dir, SHORT);
    const handle = await lock.tryAcquire();
    if (handle === undefined) throw new Error('expected the lock');
    const lost = once(handle.lost, 'abort');

    await rm(join(dir, LOCK_DIR_NAME), { recursive: true });
    await lost;

    expect(handle.lost.reason).toBeInstanceOf(LockLostError);
    // A new holder took it meanwhile: the old handle's release must not remove the new holder's lock.
    const other = await new ProperLockfileLock(dir, SHORT).tryAcquire();
    expect(other).toBeDefined();
    await expect(handle.release()).resolves.toBeUndefined();
    expect(await lock.isHeld()).toBe(true);
    await other?.release();
    expect(await lock.isHeld()).toBe(false);
  });

  it('volume root missing → tryAcquire rejects instead of reporting the lock as held', async () => {
    const lock = new ProperLockfileLock(join(dir, 'absent'), defaultLockTiming);
    await expect(lock.tryAcquire()).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await lock.isHeld()).toBe(false);
  });

  it('resolved from an inversify container → tokens wire root and timing', async () => {
    const container = new Container();
    container.bind(STORE_ROOT).toConstantValue(dir);
    container.bind(LOCK_TIMING).toConstantValue(defaultLockTiming);
    container.bind<Lock>(LOCK).to(ProperLockfileLock);
    const lock = container.get<Lock>(LOCK);
    const handle = await lock.tryAcquire();
    expect(handle).toBeDefined();
    expect((await stat(join(dir, LOCK_DIR_NAME))).isDirectory()).toBe(true);
    await handle?.release();
  });

  it('10 processes racing for the lock → never two holders at once, every process gets its turns', async () => {
    const marker = join(dir, 'in-critical-section');
    const rounds = 5;
    const script = `
      import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
      import { ProperLockfileLock } from ${JSON.stringify(ADAPTER)};
      const [root, marker, rounds] = process.argv.slice(2);
      const lock = new ProperLockfileLock(root, { staleMs: 120000, updateMs: 10000 });
      let turns = 0;
      while (turns < Number(rounds)) {
        const handle = await lock.tryAcquire();
        if (handle === undefined) { await new Promise((r) => setTimeout(r, 2)); continue; }
        let fd;
        try {
          fd = openSync(marker, 'wx');
        } catch (err) {
          console.log('OVERLAP ' + err.code);
          process.exit(3);
        }
        writeSync(fd, String(process.pid));
        // Hold across a few event-loop turns so an overlapping holder would have time to show up.
        await new Promise((r) => setTimeout(r, 3));
        closeSync(fd);
        unlinkSync(marker);
        await handle.release();
        turns++;
      }
      console.log('TURNS ' + turns);
    `;
    const procs = await Promise.all(
      Array.from({ length: 10 }, () => spawnScript(script, [dir, marker, String(rounds)])),
    );
    const codes = await Promise.all(procs.map((p) => p.closed));

    for (const [i, proc] of procs.entries()) {
      expect(proc.stdout(), proc.stderr()).toContain(`TURNS ${rounds}`);
      expect(codes[i]).toBe(0);
    }
    expect(await new ProperLockfileLock(dir, defaultLockTiming).isHeld()).toBe(false);
  });

  it('holder killed with SIGKILL → lock is taken over only once its mtime is older than stale', async () => {
    const script = `
      import { ProperLockfileLock } from ${JSON.stringify(ADAPTER)};
      const lock = new ProperLockfileLock(process.argv[2], { staleMs: 2000, updateMs: 1000 });
      const handle = await lock.tryAcquire();
      console.log(handle === undefined ? 'BUSY' : 'HELD');
      setInterval(() => {}, 1000);
    `;
    const holder = await spawnScript(script, [dir]);
    expect(await holder.line(/^(HELD|BUSY)$/)).toBe('HELD');

    holder.child.kill('SIGKILL');
    await holder.closed;
    // After the kill nothing refreshes the lock: its mtime now is the last refresh the holder made.
    const lastRefresh = (await stat(join(dir, LOCK_DIR_NAME))).mtimeMs;

    const lock = new ProperLockfileLock(dir, SHORT);
    const handle = await pollUntil(() => lock.tryAcquire(), 15_000, 'stale takeover');
    expect(Date.now() - lastRefresh).toBeGreaterThanOrEqual(SHORT.staleMs);
    expect(handle.lost.aborted).toBe(false);
    await handle.release();
  });

  it('holder process whose lock directory is removed → it sees lost and keeps running', async () => {
    const script = `
      import { ProperLockfileLock } from ${JSON.stringify(ADAPTER)};
      const lock = new ProperLockfileLock(process.argv[2], { staleMs: 2000, updateMs: 1000 });
      const handle = await lock.tryAcquire();
      console.log(handle === undefined ? 'BUSY' : 'HELD');
      handle.lost.addEventListener('abort', async () => {
        await handle.release();
        console.log('LOST ' + handle.lost.reason.name);
        process.exit(0);
      });
      setInterval(() => {}, 1000);
    `;
    const holder = await spawnScript(script, [dir]);
    expect(await holder.line(/^(HELD|BUSY)$/)).toBe('HELD');
    await rm(join(dir, LOCK_DIR_NAME), { recursive: true });
    const code = await holder.closed;
    expect(holder.stdout(), holder.stderr()).toContain('LOST LockLostError');
    expect(code).toBe(0);
  });
});

describe('lock timing', () => {
  it('no override → production timing of 120 s stale, 10 s refresh', () => {
    expect(lockTimingFromEnv({})).toEqual({ staleMs: 120_000, updateMs: 10_000 });
    expect(lockTimingFromEnv({ CONCOURSE_CHARM_LOCK_STALE_MS: '' })).toEqual(defaultLockTiming);
  });

  it('stale override → refresh is a third of it, within proper-lockfile bounds', () => {
    expect(lockTimingFromEnv({ CONCOURSE_CHARM_LOCK_STALE_MS: '6000' })).toEqual({ staleMs: 6_000, updateMs: 2_000 });
    expect(lockTimingFromEnv({ CONCOURSE_CHARM_LOCK_STALE_MS: '2000' })).toEqual({ staleMs: 2_000, updateMs: 1_000 });
    expect(lockTimingFromEnv({ CONCOURSE_CHARM_LOCK_STALE_MS: '300000' })).toEqual({
      staleMs: 300_000,
      updateMs: 10_000,
    });
  });

  it('stale below proper-lockfile minimum → raised to 2000 ms', () => {
    expect(lockTimingFromEnv({ CONCOURSE_CHARM_LOCK_STALE_MS: '500' })).toEqual({ staleMs: 2_000, updateMs: 1_000 });
    expect(effectiveLockTiming({ staleMs: 10_000, updateMs: 9_000 })).toEqual({ staleMs: 10_000, updateMs: 5_000 });
  });

  it('override that is not a number → rejected naming the variable', () => {
    expect(() => lockTimingFromEnv({ CONCOURSE_CHARM_LOCK_STALE_MS: '2s' })).toThrow(/CONCOURSE_CHARM_LOCK_STALE_MS/);
  });
});
