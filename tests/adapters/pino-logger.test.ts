// Adapter tests for PinoLogger: a real Node child process logs through the real CliHookTools and runner; a fake
// `juju-log` first on PATH appends its argv to a file. Checks stderr lines, mirroring, order, flush and stopAt.

import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const UNIT_SEPARATOR = '\u001f';
const logLine = z.record(z.string(), z.unknown());

let bin: string;
let work: string;
let record: string;

beforeAll(async () => {
  bin = await mkdtemp(join(tmpdir(), 'pino-logger-bin-'));
  // Records argv (fields separated by US); slow for messages holding "slow", fails for messages holding "fail-me".
  await writeFile(
    join(bin, 'juju-log'),
    `#!/bin/sh
case "$*" in *slow*) sleep 0.3 ;; esac
case "$*" in *fail-me*) echo "ERROR juju-log refused" >&2; exit 1 ;; esac
for a in "$@"; do printf '%s\\037' "$a"; done >> "$JUJU_LOG_RECORD"
printf '\\n' >> "$JUJU_LOG_RECORD"
`,
  );
  await chmod(join(bin, 'juju-log'), 0o755);
});

afterAll(async () => {
  await rm(bin, { recursive: true, force: true });
});

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pino-logger-'));
  record = join(work, 'juju-log.record');
  await writeFile(record, '');
  return () => rm(work, { recursive: true, force: true });
});

interface Settings {
  readonly level: 'debug' | 'info' | 'warning' | 'error';
  readonly stopAt?: string;
}

/** A child that builds the real adapter stack and runs `body` with `logger` in scope (ESM, top-level await). */
function startChild(settings: Settings, body: string): ChildProcess {
  const program = `
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
const { PinoLogger } = await import('./src/adapters/pino-logger.ts');
const { CliHookTools } = await import('./src/adapters/cli-hook-tools.ts');
const { ExecHookToolRunner } = await import('./src/adapters/exec-hook-tool-runner.ts');
const settings = { ...JSON.parse(process.env.LOGGER_SETTINGS), unit: 'concourse-ci/0' };
const logger = new PinoLogger(new CliHookTools(new ExecHookToolRunner()), settings);
${body}
`;
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
    cwd: projectRoot,
    env: {
      ...process.env,
      PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
      JUJU_LOG_RECORD: record,
      LOGGER_SETTINGS: JSON.stringify(settings),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function collect(child: ChildProcess): { output: () => { stdout: string; stderr: string }; done: Promise<Finished> } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const done = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { output: () => ({ stdout, stderr }), done };
}

async function run(settings: Settings, body: string): Promise<Finished> {
  return collect(startChild(settings, body)).done;
}

function jsonLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => logLine.parse(JSON.parse(line)));
}

async function jujuLogCalls(): Promise<string[][]> {
  const text = await readFile(record, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(UNIT_SEPARATOR).slice(0, -1));
}

describe('PinoLogger', () => {
  it('events at info and above → one JSON line each on stderr and a juju-log line with the matching level', async () => {
    const result = await run(
      { level: 'debug' },
      `
logger.debug('storage.lock.wait', { ms: 5 });
logger.info('storage.published', { version: '7.14.2', bytes: 1024, path: '/var/lib/concourse/a b', ok: true });
logger.warn('storage.gc', { removed: 0 });
logger.error('storage.download.failed', { version: '7.14.2', error: 'HTTP 404' });
await logger.flush();
`,
    );
    expect(result.code).toBe(0);
    const lines = jsonLines(result.stderr);
    expect(lines.map(({ time, ...rest }) => rest)).toEqual([
      { level: 'debug', unit: 'concourse-ci/0', event: 'storage.lock.wait', ms: 5 },
      {
        level: 'info',
        unit: 'concourse-ci/0',
        event: 'storage.published',
        version: '7.14.2',
        bytes: 1024,
        path: '/var/lib/concourse/a b',
        ok: true,
      },
      { level: 'warn', unit: 'concourse-ci/0', event: 'storage.gc', removed: 0 },
      {
        level: 'error',
        unit: 'concourse-ci/0',
        event: 'storage.download.failed',
        version: '7.14.2',
        error: 'HTTP 404',
      },
    ]);
    for (const line of lines) expect(typeof line.time).toBe('string');
    expect(await jujuLogCalls()).toEqual([
      ['-l', 'INFO', '--', 'storage.published version=7.14.2 bytes=1024 path="/var/lib/concourse/a b" ok=true'],
      ['-l', 'WARNING', '--', 'storage.gc removed=0'],
      ['-l', 'ERROR', '--', 'storage.download.failed version=7.14.2 error="HTTP 404"'],
    ]);
  });

  it('fields named token, password, privateKey (or ending so) → dropped from stderr and juju-log', async () => {
    const result = await run(
      { level: 'info' },
      `
logger.info('secret.created', { token: 't', password: 'p', privateKey: 'k', githubToken: 'g', label: 'tsa-keys' });
await logger.flush();
`,
    );
    expect(result.stderr).not.toMatch(/"(t|p|k|g)"/);
    expect(jsonLines(result.stderr).map(({ time, ...rest }) => rest)).toEqual([
      { level: 'info', unit: 'concourse-ci/0', event: 'secret.created', label: 'tsa-keys' },
    ]);
    expect(await jujuLogCalls()).toEqual([['-l', 'INFO', '--', 'secret.created label=tsa-keys']]);
  });

  it('level warning → debug and info are neither written nor mirrored', async () => {
    const result = await run(
      { level: 'warning' },
      `
logger.debug('a.debug'); logger.info('b.info'); logger.warn('c.warn'); logger.error('d.error');
await logger.flush();
`,
    );
    expect(jsonLines(result.stderr).map((l) => l.event)).toEqual(['c.warn', 'd.error']);
    expect((await jujuLogCalls()).map((argv) => argv[3])).toEqual(['c.warn', 'd.error']);
  });

  it('a slow juju-log first → mirrors still arrive in logging order, and flush() waits for all of them', async () => {
    const result = await run(
      { level: 'info' },
      `
logger.info('first.slow'); logger.info('second'); logger.warn('third');
await logger.flush();
process.stdout.write(readFileSync(process.env.JUJU_LOG_RECORD, 'utf8').split('\\n').filter(Boolean).length + '\\n');
`,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('3\n');
    expect((await jujuLogCalls()).map((argv) => argv[3])).toEqual(['first.slow', 'second', 'third']);
  });

  it('juju-log failing → no exception, a log.mirror.failed note on stderr, later events still mirrored', async () => {
    const result = await run(
      { level: 'info' },
      `
logger.info('one.fail-me'); logger.info('two');
await logger.flush();
process.stdout.write('flushed\\n');
`,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('flushed\n');
    const note = jsonLines(result.stderr).find((l) => l.event === 'log.mirror.failed');
    expect(note).toMatchObject({ level: 'warn', error: 'juju-log failed: ERROR juju-log refused' });
    expect((await jujuLogCalls()).map((argv) => argv[3])).toEqual(['two']);
  });

  it('level error and juju-log failing → the log.mirror.failed note is still written', async () => {
    const result = await run(
      { level: 'error' },
      `
logger.error('boom.fail-me');
await logger.flush();
`,
    );
    expect(jsonLines(result.stderr).map((l) => l.event)).toEqual(['boom.fail-me', 'log.mirror.failed']);
  });

  it('juju-log missing from PATH → no exception and a log.mirror.failed note', async () => {
    const result = await run(
      { level: 'info' },
      `
process.env.PATH = '/nonexistent';
logger.info('lonely.event');
await logger.flush();
process.stdout.write('flushed\\n');
`,
    );
    expect(result.stdout).toBe('flushed\n');
    expect(jsonLines(result.stderr).find((l) => l.event === 'log.mirror.failed')?.error).toMatch(
      /juju-log could not be started/,
    );
  });

  it('stopAt names an event → written, CHARM-STOPPED-AT printed, process stopped; SIGKILL leaves nothing after', async () => {
    const child = startChild(
      { level: 'info', stopAt: 'storage.lock.acquired' },
      `
logger.info('storage.lock.wait');
logger.info('storage.lock.acquired', { ms: 3 });
logger.info('storage.download.start');
process.stderr.write('AFTER-STOP\\n');
`,
    );
    const { output, done } = collect(child);
    await until(() => output().stderr.includes('CHARM-STOPPED-AT storage.lock.acquired\n'));
    const pid = child.pid;
    if (pid === undefined) throw new Error('child has no pid');
    await until(async () => (await processState(pid)) === 'T');

    child.kill('SIGKILL');
    const result = await done;
    expect(result.signal).toBe('SIGKILL');
    const lines = result.stderr.split('\n').filter((l) => l !== '');
    expect(lines.map((l) => (l.startsWith('{') ? logLine.parse(JSON.parse(l)).event : l))).toEqual([
      'storage.lock.wait',
      'storage.lock.acquired',
      'CHARM-STOPPED-AT storage.lock.acquired',
    ]);
  });

  it('stopAt names a debug event below the level → still stops there, though the event is not written', async () => {
    const child = startChild(
      { level: 'info', stopAt: 'storage.reuse' },
      `
logger.debug('storage.reuse');
process.stderr.write('AFTER-STOP\\n');
`,
    );
    const { output, done } = collect(child);
    await until(() => output().stderr.includes('CHARM-STOPPED-AT storage.reuse\n'));
    const pid = child.pid;
    if (pid === undefined) throw new Error('child has no pid');
    await until(async () => (await processState(pid)) === 'T');
    child.kill('SIGKILL');
    const result = await done;
    expect(result.stderr).toBe('CHARM-STOPPED-AT storage.reuse\n');
  });
});

/** Waits for a condition the child process will reach; the test's own timeout bounds it. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The state letter from /proc/<pid>/stat: `T` is stopped by a signal. */
async function processState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return /\) (\S) /.exec(stat)?.[1];
}
