// Measurement 5: the install lock (`.install.lock`, proper-lockfile): an uncontended acquire and release, and the
// hand-over from a holder to a waiter, on a local directory and on one export seen through two sshfs mounts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshfsVolume } from '../../sim/sshfs-volume';
import { defaultLockTiming, ProperLockfileLock } from '../../src/adapters/proper-lockfile-lock';
import type { BenchContext } from '../lib/context';
import { summarize } from '../lib/stats';

const GROUP = '5 Install lock';
/** How often the waiter tries: tight, so the figure is the lock's own latency, not a poll interval. */
const WAITER_POLL_MS = 2;
/** What the charm itself waits between attempts (src/hooks/container.ts pollIntervalMs). */
const CHARM_POLL_MS = 1_000;

export async function measureLock(ctx: BenchContext): Promise<void> {
  const samples = ctx.quick ? 5 : 30;
  // Over sshfs a hand-over waits out the waiter's attribute cache (seconds each): few samples.
  const sshfsHandOvers = ctx.quick ? 1 : 3;
  const local = mkdtempSync(join(tmpdir(), 'bench-lock-'));
  try {
    await measureOn(ctx, 'local directory', local, local, samples, samples);
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
  const root = mkdtempSync(join(tmpdir(), 'bench-lock-sshfs-'));
  const volume = new SshfsVolume('bench-lock');
  try {
    await volume.open(root);
    // Two units, two mounts of one export: each with its own attribute cache, as two machines would have.
    const a = await volume.hostPathFor('holder/0');
    const b = await volume.hostPathFor('waiter/1');
    await measureOn(ctx, 'sshfs, two mounts', a, b, samples, sshfsHandOvers);
  } finally {
    await volume.close();
    rmSync(root, { recursive: true, force: true });
  }
  ctx.rec.note(
    `The lock hand-over is measured with a waiter trying every ${WAITER_POLL_MS} ms; a unit of the charm tries every ${CHARM_POLL_MS} ms, so in a deployment a waiter starts on average ${CHARM_POLL_MS / 2} ms later than the figure.`,
  );
}

async function measureOn(
  ctx: BenchContext,
  where: string,
  holderRoot: string,
  waiterRoot: string,
  n: number,
  handOvers: number,
) {
  const holderLock = new ProperLockfileLock(holderRoot, defaultLockTiming);
  const waiterLock = new ProperLockfileLock(waiterRoot, defaultLockTiming);
  const acquire: number[] = [];
  const release: number[] = [];
  const handOver: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const h = await holderLock.tryAcquire();
    const t1 = performance.now();
    if (h === undefined) throw new Error(`lock on ${where} not free at attempt ${i}`);
    await h.release();
    acquire.push(t1 - t0);
    release.push(performance.now() - t1);
  }
  for (let i = 0; i < handOvers; i++) {
    const held = await holderLock.tryAcquire();
    if (held === undefined) throw new Error(`lock on ${where} not free for the holder`);
    let releasedAt = Number.NaN;
    const waiter = (async () => {
      for (;;) {
        const h = await waiterLock.tryAcquire();
        if (h !== undefined) {
          const at = performance.now();
          await h.release();
          return at;
        }
        await new Promise((r) => setTimeout(r, WAITER_POLL_MS));
      }
    })();
    // Let the waiter find the lock taken at least once before it is handed over.
    await new Promise((r) => setTimeout(r, 20));
    await held.release();
    releasedAt = performance.now();
    handOver.push((await waiter) - releasedAt);
  }
  const { rec } = ctx;
  rec.summary({ group: GROUP, name: `${where}: uncontended acquire`, unit: 'ms' }, summarize(acquire));
  rec.summary({ group: GROUP, name: `${where}: release`, unit: 'ms' }, summarize(release));
  rec.summary(
    { group: GROUP, name: `${where}: hand-over, release to the waiter holding it`, unit: 'ms' },
    summarize(handOver),
  );
}
