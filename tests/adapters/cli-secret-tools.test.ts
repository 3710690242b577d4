// Adapter tests for the secret hook tools of CliHookTools (cli-secret-tools.ts): argv, content only in private
// files, and what a removed or revoked secret reads as.

import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HookToolOutputError, NotLeaderError } from '../../src/adapters/cli-hook-tools';
import { scriptedHookTools } from '../support/scripted-hook-tool-runner';

const h = scriptedHookTools();

describe('secrets', () => {
  it('secret-get by id → the content map', async () => {
    h.runner.on('secret-get', ['--format=json', 'secret:csb3a5qrc2tc7b5c1s5g'], {
      stdout: '{"private-key":"-----BEGIN…","public-key":"ssh-rsa AAA"}\n',
    });
    expect(await h.tools.secretGet({ id: 'secret:csb3a5qrc2tc7b5c1s5g' })).toEqual({
      'private-key': '-----BEGIN…',
      'public-key': 'ssh-rsa AAA',
    });
  });

  it('secret-get by label with --refresh, and with --peek → flags after the id or label', async () => {
    h.runner
      .on('secret-get', ['--format=json', '--label', 'tsa-keys', '--refresh'], { stdout: '{"a":"1"}\n' })
      .on('secret-get', ['--format=json', 'secret:x1', '--peek'], { stdout: '{"a":"2"}\n' });
    expect(await h.tools.secretGet({ label: 'tsa-keys' }, { refresh: true })).toEqual({ a: '1' });
    expect(await h.tools.secretGet({ id: 'secret:x1' }, { peek: true })).toEqual({ a: '2' });
  });

  it('secret-get of a removed secret (ERROR secret "…" not found) → undefined', async () => {
    h.runner.on('secret-get', ['--format=json', 'secret:csb3a5qrc2tc7b5c1s5g'], {
      exitCode: 1,
      stderr: 'ERROR secret "csb3a5qrc2tc7b5c1s5g" not found\n',
    });
    expect(await h.tools.secretGet({ id: 'secret:csb3a5qrc2tc7b5c1s5g' })).toBeUndefined();
  });

  it('secret-get refused (ERROR permission denied: the grant was revoked) → undefined, nothing to read', async () => {
    h.runner.on('secret-get', ['--format=json', 'secret:x1'], { exitCode: 1, stderr: 'ERROR permission denied\n' });
    expect(await h.tools.secretGet({ id: 'secret:x1' })).toBeUndefined();
  });

  it('secret-get failing otherwise → HookToolError, not a silent undefined', async () => {
    h.runner.on('secret-get', ['--format=json', 'secret:x1'], { exitCode: 1, stderr: 'ERROR connection refused\n' });
    await expect(h.tools.secretGet({ id: 'secret:x1' })).rejects.toThrow('secret-get failed: ERROR connection refused');
  });

  it('secret-add → label, description, owner, then the content in a private file (never argv); prints the URI', async () => {
    h.runner.on(
      'secret-add',
      [
        '--label',
        'tsa-keys',
        '--description',
        'Concourse TSA host key',
        '--owner',
        'application',
        '--file',
        '<file 600: {"private-key":"line one\\nline two","public-key":"ssh-rsa AAA"}>',
      ],
      { stdout: 'secret:csb3a5qrc2tc7b5c1s5g\n' },
    );
    const uri = await h.tools.secretAdd(
      { 'private-key': 'line one\nline two', 'public-key': 'ssh-rsa AAA' },
      { label: 'tsa-keys', description: 'Concourse TSA host key' },
    );
    expect(uri).toBe('secret:csb3a5qrc2tc7b5c1s5g');
  });

  it('secret-add with a key holding = or # → RangeError before any tool runs', async () => {
    await expect(h.tools.secretAdd({ 'a=b': 'x' })).rejects.toThrow(RangeError);
    await expect(h.tools.secretAdd({ 'key#file': '/etc/passwd' })).rejects.toThrow(RangeError);
    expect(h.runner.calls).toEqual([]);
  });

  it('secret-add on a non-leader (ERROR this unit is not the leader) → NotLeaderError', async () => {
    h.runner.on('secret-add', ['--owner', 'application', '--file', '<file 600: {"token":"abc"}>'], {
      exitCode: 1,
      stderr: 'ERROR this unit is not the leader\n',
    });
    await expect(h.tools.secretAdd({ token: 'abc' })).rejects.toBeInstanceOf(NotLeaderError);
  });

  it('secret-add printing something that is not a URI → HookToolOutputError', async () => {
    h.runner.on('secret-add', ['--owner', 'unit', '--file', '<file 600: {"token":"abc"}>'], { stdout: '\n' });
    await expect(h.tools.secretAdd({ token: 'abc' }, { owner: 'unit' })).rejects.toBeInstanceOf(HookToolOutputError);
  });

  it('secret-set and secret-grant → id first, then content or -r and --unit', async () => {
    h.runner
      .on('secret-set', ['secret:x1', '--file', '<file 600: {"password":"two words"}>'])
      .on('secret-grant', ['secret:x1', '-r', 'tsa:4', '--unit', 'worker/0'])
      .on('secret-grant', ['secret:x1', '-r', 'tsa:4']);
    await h.tools.secretSet('secret:x1', { password: 'two words' });
    await h.tools.secretGrant('secret:x1', 'tsa:4', { unit: 'worker/0' });
    await h.tools.secretGrant('secret:x1', 'tsa:4');
    expect(h.runner.calls).toHaveLength(3);
  });

  it('secret content files are gone once the tool returned', async () => {
    h.runner.on('secret-set', ['secret:x1', '--file', '<file 600: {"password":"p"}>']);
    let seen: string | undefined;
    const inner = h.runner.run.bind(h.runner);
    h.runner.run = async (tool, args, stdin) => {
      seen = args[args.indexOf('--file') + 1];
      return inner(tool, args, stdin);
    };
    await h.tools.secretSet('secret:x1', { password: 'p' });
    expect(seen).toMatch(/juju-secret-/);
    expect(existsSync(seen ?? '')).toBe(false);
  });
});
