// Test support: real child processes and conditions waited for with a deadline, shared by the adapter tests that
// race processes (lock, store, sshfs). Waiting is on a condition, never on time.

import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A child process whose output is captured from the moment it is spawned, so no line can be missed. */
export interface Spawned {
  readonly child: ChildProcess;
  /** Exit code once the child has exited and its output is drained (null when killed by a signal). */
  readonly closed: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first complete stdout line matching `pattern`; rejects if the child closes first. */
  line(pattern: RegExp): Promise<string>;
}

/** Starts capturing a just-spawned child's output. */
export function watch(child: ChildProcess): Spawned {
  let out = '';
  let err = '';
  let isClosed = false;
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    wake();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const closed = new Promise<number | null>((resolveClosed) => {
    child.once('close', (code: number | null) => {
      isClosed = true;
      wake();
      resolveClosed(code);
    });
  });
  const line = (pattern: RegExp) =>
    new Promise<string>((resolveLine, reject) => {
      const check = () => {
        const hit = out
          .split('\n')
          .slice(0, -1)
          .find((l) => pattern.test(l));
        if (hit !== undefined) resolveLine(hit);
        else if (isClosed) reject(new Error(`child closed before printing ${pattern}: ${out}${err}`));
        else waiters.push(check);
      };
      check();
    });
  return { child, closed, stdout: () => out, stderr: () => err, line };
}

/** Polls `probe` until it returns a value, failing after `deadlineMs`. */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, deadlineMs: number, what: string): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

/** Whether a process with this pid exists now (signal 0 only checks). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
