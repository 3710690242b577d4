// Adapter tests for ExecKeyMaker: the `concourse` stand-in from a release tarball built by the tests (what the charm
// runs in e2e), and small shell scripts for the failures; real child processes, real temporary directories.

import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x as extract } from 'tar';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildReleaseTarball } from '../../sim/concourse/release-tarball';
import { ExecKeyMaker } from '../../src/adapters/exec-key-maker';
import { parsePublicKey } from '../../src/domain/concourse-links';
import { parseWebKeys, webKeysContent } from '../../src/domain/web-keys';

const PEM = /^-----BEGIN [A-Z ]*PRIVATE KEY-----\n[\s\S]+\n-----END [A-Z ]*PRIVATE KEY-----\n$/;

let work: string;
/** The release's bin/concourse, extracted from a tarball built the way every other test builds one. */
let concourse: string;
const keys = new ExecKeyMaker();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'key-maker-test-'));
  const tarball = join(work, 'concourse.tgz');
  await writeFile(tarball, (await buildReleaseTarball({ version: '7.14.2', fillerBytes: 16 })).data);
  await extract({ file: tarball, cwd: work, strip: 1 });
  concourse = join(work, 'bin/concourse');
});

afterAll(async () => rm(work, { recursive: true, force: true }));

/** An executable sh script in the work directory. */
async function script(name: string, body: string): Promise<string> {
  const path = join(work, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

/**
 * A wrapper that records the key file it was asked to write (`-f FILE`, the 5th argument) and the mode of the
 * directory holding it, then runs `then`: how a test sees the adapter's private temporary directory.
 */
async function recording(name: string, then: string): Promise<{ binary: string; log: string }> {
  const log = join(work, `${name}.log`);
  const binary = await script(name, `echo "$5" > '${log}'\nstat -c %a "$(dirname "$5")" >> '${log}'\n${then}`);
  return { binary, log };
}

async function recorded(log: string): Promise<{ file: string; dir: string; mode: string }> {
  const [file = '', mode = ''] = (await readFile(log, 'utf8')).trim().split('\n');
  return { file, dir: file.slice(0, file.lastIndexOf('/')), mode };
}

describe('generate', () => {
  test('rsa → a PEM private key and no public key', async () => {
    const pair = await keys.generate(concourse, 'rsa');
    expect(pair.privateKey).toMatch(PEM);
    expect(pair.publicKey).toBeUndefined();
  });

  test('ssh → a PEM private key and one OpenSSH public key line, trimmed', async () => {
    const pair = await keys.generate(concourse, 'ssh');
    expect(pair.privateKey).toMatch(PEM);
    expect(pair.publicKey).toBeDefined();
    expect(pair.publicKey).not.toMatch(/\s$/);
    expect(parsePublicKey(pair.publicKey)).toBe(pair.publicKey);
  });

  test('two calls → two different keys', async () => {
    const [a, b] = await Promise.all([keys.generate(concourse, 'ssh'), keys.generate(concourse, 'ssh')]);
    expect(a?.privateKey).not.toBe(b?.privateKey);
    expect(a?.publicKey).not.toBe(b?.publicKey);
  });

  test('what it makes → accepted as the web keys secret the leader writes', async () => {
    const session = await keys.generate(concourse, 'rsa');
    const host = await keys.generate(concourse, 'ssh');
    const web = {
      sessionSigningKey: session.privateKey,
      tsaHostKey: host.privateKey,
      tsaHostPublicKey: host.publicKey ?? '',
      adminPassword: keys.password(),
    };
    expect(parseWebKeys(webKeysContent(web))).toEqual(web);
  });

  test.each(['rsa', 'ssh'] as const)(
    '%s → run in a private (0700) temporary directory, removed afterwards',
    async (type) => {
      const { binary, log } = await recording(`wrap-${type}`, `exec '${concourse}' "$@"`);
      await keys.generate(binary, type);
      const { file, dir, mode } = await recorded(log);
      expect(file).toMatch(/\/key$/);
      expect(dir.startsWith(tmpdir())).toBe(true);
      expect(mode).toBe('700');
      expect(existsSync(dir)).toBe(false);
    },
  );

  test('failing binary → rejects with its stderr, and the temporary directory is removed', async () => {
    const { binary, log } = await recording('fails', `echo 'generate-key: entropy source unavailable' >&2\nexit 3`);
    const error = await keys.generate(binary, 'ssh').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('generate-key -t ssh failed: generate-key: entropy source unavailable');
    expect(existsSync((await recorded(log)).dir)).toBe(false);
  });

  test('stand-in given an unknown type → its own stderr in the message', async () => {
    // Bypasses the type check the way a newer caller might: the binary's refusal must reach the operator.
    await expect(keys.generate(concourse, 'dsa' as 'rsa')).rejects.toThrow(/unknown key type 'dsa'/);
  });

  test('failing silently → rejects with the exit status instead', async () => {
    const binary = await script('silent', 'exit 7');
    await expect(keys.generate(binary, 'rsa')).rejects.toThrow(/generate-key -t rsa failed: Command failed/);
  });

  test('missing binary → rejects naming it', async () => {
    const missing = join(work, 'nowhere/concourse');
    await expect(keys.generate(missing, 'rsa')).rejects.toThrow(missing);
  });

  test('exit 0 but no key written → rejects, temporary directory removed', async () => {
    const { binary, log } = await recording('lazy', 'exit 0');
    await expect(keys.generate(binary, 'rsa')).rejects.toThrow();
    expect(existsSync((await recorded(log)).dir)).toBe(false);
  });

  test('exit 0 but the file is not a private key → rejects', async () => {
    const binary = await script('garbage', 'echo "not a key" > "$5"');
    await expect(keys.generate(binary, 'rsa')).rejects.toThrow(/wrote no private key/);
  });

  test('ssh, private key but no .pub → rejects, temporary directory removed', async () => {
    const { binary, log } = await recording('no-pub', `exec '${concourse}' generate-key -t rsa -f "$5"`);
    await expect(keys.generate(binary, 'ssh')).rejects.toThrow();
    expect(existsSync((await recorded(log)).dir)).toBe(false);
  });
});

describe('password', () => {
  test('→ 32 characters of base64url (no `,` or `:` for CONCOURSE_ADD_LOCAL_USER)', () => {
    for (let i = 0; i < 50; i++) expect(keys.password()).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  test('→ different on every call', () => {
    const seen = new Set(Array.from({ length: 200 }, () => keys.password()));
    expect(seen.size).toBe(200);
  });
});
