// Adapter tests for ExecHookToolRunner: real child processes. Small sh scripts in a temp dir first on PATH stand in
// for hook tools, so PATH lookup, argv without a shell, stdin, exit codes and stderr are all exercised for real.

import 'reflect-metadata';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecHookToolRunner } from '../../src/adapters/exec-hook-tool-runner';

let bin: string;
const originalPath = process.env.PATH;

async function tool(name: string, body: string): Promise<void> {
  const path = join(bin, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
}

beforeAll(async () => {
  bin = await mkdtemp(join(tmpdir(), 'hook-tools-'));
  // Prints each argument on its own line between brackets, so word splitting would show.
  await tool('echo-args', 'for a in "$@"; do printf "[%s]\\n" "$a"; done');
  await tool('cat-stdin', 'cat');
  await tool('fail-loudly', 'echo "partial output"; echo "ERROR cannot write relation settings" >&2; exit 3');
  await tool('no-stdin-reader', 'exit 0');
  await tool('kill-self', 'kill -TERM $$');
  await writeFile(join(bin, 'not-executable'), '#!/bin/sh\nexit 0\n');
  process.env.PATH = `${bin}${delimiter}${originalPath ?? ''}`;
});

afterAll(async () => {
  process.env.PATH = originalPath;
  await rm(bin, { recursive: true, force: true });
});

describe('ExecHookToolRunner', () => {
  const runner = new ExecHookToolRunner();

  it('a tool on PATH with awkward arguments → each arrives as one argv entry, untouched by a shell', async () => {
    const args = ['--', 'two words', '$HOME', '`id`', "it's", '', 'a;b|c'];
    const result = await runner.run('echo-args', args);
    expect(result).toEqual({ exitCode: 0, stdout: `${args.map((a) => `[${a}]`).join('\n')}\n`, stderr: '' });
  });

  it('stdin given → the tool reads it exactly', async () => {
    const stdin = '{"volume-id":"v-1","note":"ünïcode and\\nnewlines"}\n';
    const result = await runner.run('cat-stdin', [], stdin);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(stdin);
  });

  it('no stdin → the tool sees end of input at once instead of waiting', async () => {
    const result = await runner.run('cat-stdin', []);
    expect(result).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });

  it('a large stdin the tool never reads → still resolves with the exit code', async () => {
    const result = await runner.run('no-stdin-reader', [], 'x'.repeat(4 * 1024 * 1024));
    expect(result.exitCode).toBe(0);
  });

  it('a non-zero exit → resolves with the exit code, stdout and stderr (never throws)', async () => {
    const result = await runner.run('fail-loudly', ['-r', 'peers:0']);
    expect(result).toEqual({
      exitCode: 3,
      stdout: 'partial output\n',
      stderr: 'ERROR cannot write relation settings\n',
    });
  });

  it('a tool killed by a signal → resolves with 128 + the signal number', async () => {
    const result = await runner.run('kill-self', []);
    expect(result.exitCode).toBe(128 + 15);
  });

  it('a tool missing from PATH → rejects with an error naming the tool', async () => {
    await expect(runner.run('no-such-hook-tool', ['--format=json'])).rejects.toThrow(
      /hook tool no-such-hook-tool could not be started/,
    );
  });

  it('a file on PATH that is not executable → rejects with an error naming the tool', async () => {
    await expect(runner.run('not-executable', [])).rejects.toThrow(/not-executable could not be started/);
  });
});
