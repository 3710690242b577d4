// Adapter tests for the simulation's release server and tarball builder: what the downloader tests and the demo
// rely on (layout, determinism, Range, faults, counters), checked over real HTTP on 127.0.0.1.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { list } from 'tar';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { buildReleaseTarball } from '../../sim/concourse/release-tarball';

const run = promisify(execFile);
const V = '7.14.2';

let server: ReleaseServer;
let work: string;

beforeEach(async () => {
  server = await startReleaseServer();
  work = await mkdtemp(join(tmpdir(), 'release-server-test-'));
});

afterEach(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

function tarballUrl(version = V, arch = 'amd64'): string {
  return server.downloadUrlTemplate.replaceAll('{version}', version).replaceAll('{arch}', arch);
}

async function entriesOf(data: Buffer): Promise<Map<string, { type: string; mode: number; size: number }>> {
  const file = join(work, `list-${Math.random().toString(36).slice(2)}.tgz`);
  await writeFile(file, data);
  const entries = new Map<string, { type: string; mode: number; size: number }>();
  await list({ file, onReadEntry: (e) => entries.set(e.path, { type: e.type, mode: e.mode ?? 0, size: e.size }) });
  return entries;
}

describe('buildReleaseTarball', () => {
  test('same version twice → identical bytes and digests', async () => {
    const a = await buildReleaseTarball({ version: V, fillerBytes: 4096 });
    const b = await buildReleaseTarball({ version: V, fillerBytes: 4096 });
    expect(a.sha1).toBe(b.sha1);
    expect(a.data.equals(b.data)).toBe(true);
    expect(a.sha1).toBe(createHash('sha1').update(a.data).digest('hex'));
    expect(a.sha256).toBe(createHash('sha256').update(a.data).digest('hex'));
    const c = await buildReleaseTarball({ version: '7.14.3', fillerBytes: 4096 });
    expect(c.sha1).not.toBe(a.sha1);
  });

  test('default options → upstream layout with 1 MiB of incompressible filler', async () => {
    const t = await buildReleaseTarball({ version: V });
    expect(t.data.length).toBeGreaterThan(1024 * 1024);
    const entries = await entriesOf(t.data);
    expect(entries.get('concourse/bin/concourse')).toMatchObject({ type: 'File', mode: 0o755 });
    expect(entries.get('concourse/bin/gdn')).toMatchObject({ type: 'File', mode: 0o755 });
    expect(entries.get('concourse/bin/.filler')?.size).toBe(1024 * 1024);
    expect(entries.has('concourse/resource-types/registry-image/rootfs.tgz')).toBe(true);
    expect(entries.has('concourse/resource-types/registry-image/resource_metadata.json')).toBe(true);
    expect(entries.has('concourse/fly-assets/fly-linux-amd64.tgz')).toBe(true);
    // Tar blocks are 512 bytes; gunzip must give whole records.
    expect(gunzipSync(t.data).length % 512).toBe(0);
  });

  test('unusable version (shell metacharacters) → refused', async () => {
    await expect(buildReleaseTarball({ version: "7.14.2'; rm -rf /" })).rejects.toThrow(/not usable/);
  });

  test('hostile variants → the hostile entry sits between bin/ and resource-types/', async () => {
    const expectations = {
      dotdot: { path: 'concourse/../escaped', type: 'File' },
      absolute: { path: '/tmp/elsewhere', type: 'File' },
      'symlink-escape': { path: 'concourse/bin/escape', type: 'SymbolicLink' },
      'hardlink-escape': { path: 'concourse/bin/escape', type: 'Link' },
      device: { path: 'concourse/bin/null', type: 'CharacterDevice' },
      'symlink-then-file': { path: 'concourse/out', type: 'SymbolicLink' },
    } as const;
    for (const [hostile, expected] of Object.entries(expectations)) {
      const t = await buildReleaseTarball({
        version: V,
        fillerBytes: 16,
        hostile: hostile as keyof typeof expectations,
        absoluteTarget: '/tmp/elsewhere',
      });
      const paths: { path: string; type: string }[] = [];
      const file = join(work, `${hostile}.tgz`);
      await writeFile(file, t.data);
      // preservePaths: otherwise list() strips the very prefixes this test is about.
      await list({
        file,
        preservePaths: true,
        onReadEntry: (e) => paths.push({ path: e.path, type: e.type }),
      });
      const names = paths.map((p) => p.path);
      const at = names.indexOf(expected.path);
      expect(at, hostile).toBeGreaterThan(names.indexOf('concourse/bin/gdn'));
      expect(at, hostile).toBeLessThan(names.indexOf('concourse/resource-types/'));
      expect(paths[at]?.type, hostile).toBe(expected.type);
    }
  });

  test('stand-in concourse → answers --version, generate-key rsa|ssh, and usage with exit 2', async () => {
    const t = await buildReleaseTarball({ version: V, fillerBytes: 16 });
    const dir = join(work, 'x');
    await mkdir(dir);
    await writeFile(join(work, 'r.tgz'), t.data);
    await run('tar', ['-xzf', join(work, 'r.tgz'), '-C', dir, '--strip-components', '1']);
    const bin = join(dir, 'bin', 'concourse');

    expect((await run(bin, ['--version'])).stdout.trim()).toBe(V);

    await run(bin, ['generate-key', '-t', 'rsa', '-f', join(work, 'session_signing_key')]);
    const rsa = await readFile(join(work, 'session_signing_key'), 'utf8');
    expect(rsa).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END RSA PRIVATE KEY-----\n$/);
    expect((await stat(join(work, 'session_signing_key'))).mode & 0o777).toBe(0o600);

    await run(bin, ['generate-key', '-t', 'ssh', '-f', join(work, 'tsa_host_key')]);
    const pub = await readFile(join(work, 'tsa_host_key.pub'), 'utf8');
    expect(pub).toMatch(/^ssh-rsa AAAA[A-Za-z0-9+/]+ concourse\n$/);
    expect(await readFile(join(work, 'tsa_host_key'), 'utf8')).toContain('BEGIN RSA PRIVATE KEY');

    await expect(run(bin, ['bogus'])).rejects.toMatchObject({ code: 2 });
    await expect(run(bin, ['generate-key', '-t', 'dsa', '-f', join(work, 'k')])).rejects.toMatchObject({ code: 2 });
    expect((await run(join(dir, 'bin', 'gdn'), ['--version'])).stdout).toContain(V);
  });

  test('stand-in web → keeps running until TERM, then exits 0', async () => {
    const t = await buildReleaseTarball({ version: V, fillerBytes: 16 });
    const dir = join(work, 'x');
    await mkdir(dir);
    await writeFile(join(work, 'r.tgz'), t.data);
    await run('tar', ['-xzf', join(work, 'r.tgz'), '-C', dir, '--strip-components', '1']);
    // What `concourse web` needs to start (the stand-in refuses to start without it, as the real binary does): the
    // TSA host key, and a main team someone can log in to.
    const hostKey = join(work, 'tsa_host_key');
    await writeFile(hostKey, '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n');
    const env = {
      CONCOURSE_TSA_HOST_KEY: hostKey,
      CONCOURSE_ADD_LOCAL_USER: 'admin:pw',
      CONCOURSE_MAIN_TEAM_LOCAL_USER: 'admin',
    };
    const child = execFile(join(dir, 'bin', 'concourse'), ['web'], { env });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Its output up to the banner (the connectors it opened come first), or everything it said if it exits instead.
    let out = '';
    const started = new Promise<string>((resolve) => {
      child.stdout?.on('data', (d: Buffer) => {
        out += String(d);
        if (out.includes('running')) resolve(out);
      });
      child.stderr?.on('data', (d: Buffer) => {
        out += String(d);
      });
      void exited.then(() => resolve(out));
    });
    expect(await started).toContain(`connectors: local\nconcourse web ${V}`);
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('startReleaseServer', () => {
  test('added release → tarball and .sha1 served, counted as one download', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: 2048 });
    const res = await fetch(tarballUrl());
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(body.length).toBe(added.bytes);
    expect(createHash('sha1').update(body).digest('hex')).toBe(added.sha1);
    expect(res.headers.get('accept-ranges')).toBe('bytes');

    const sha1 = await (await fetch(`${tarballUrl()}.sha1`)).text();
    expect(sha1).toBe(`${added.sha1}  concourse-${V}-linux-amd64.tgz\n`);
    expect(server.downloads(V)).toBe(1);
    expect(server.downloads()).toBe(1);
    expect(server.resumes(V)).toBe(0);
  });

  test('Range request → 206 with Content-Range, counted as a resume', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: 2048 });
    const res = await fetch(tarballUrl(), { headers: { range: 'bytes=100-' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100-${added.bytes - 1}/${added.bytes}`);
    expect(Buffer.from(await res.arrayBuffer()).length).toBe(added.bytes - 100);
    expect(server.resumes(V)).toBe(1);
    expect(server.downloads(V)).toBe(0);
    const bad = await fetch(tarballUrl(), { headers: { range: `bytes=${added.bytes + 5}-` } });
    expect(bad.status).toBe(416);
  });

  test('unknown version or arch → 404', async () => {
    await server.addRelease({ version: V, fillerBytes: 16 });
    expect((await fetch(tarballUrl('9.9.9'))).status).toBe(404);
    expect((await fetch(tarballUrl(V, 'arm64'))).status).toBe(404);
  });

  test('status and fail-first faults → that status, then normal once the failures are spent', async () => {
    await server.addRelease({ version: V, fillerBytes: 16 });
    server.setFault(V, { kind: 'status', code: 500 });
    expect((await fetch(tarballUrl())).status).toBe(500);
    expect((await fetch(`${tarballUrl()}.sha1`)).status).toBe(200);
    server.setFault(V, { kind: 'fail-first', times: 2, code: 503 });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await fetch(tarballUrl())).status);
    expect(codes).toEqual([503, 503, 200]);
    server.setFault(V, undefined);
    expect((await fetch(tarballUrl())).status).toBe(200);
  });

  test('redirect-once → 302 to the objects path, which serves the tarball', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: 16 });
    server.setFault(V, { kind: 'redirect-once' });
    const first = await fetch(tarballUrl(), { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe(`/objects/v${V}/concourse-${V}-linux-amd64.tgz`);
    const followed = await fetch(tarballUrl());
    expect(
      createHash('sha1')
        .update(Buffer.from(await followed.arrayBuffer()))
        .digest('hex'),
    ).toBe(added.sha1);
  });

  test('redirect-loop → every hop redirects again', async () => {
    await server.addRelease({ version: V, fillerBytes: 16 });
    server.setFault(V, { kind: 'redirect-loop' });
    await expect(fetch(tarballUrl())).rejects.toThrow();
    expect(server.downloads(V)).toBeGreaterThan(5);
  });

  test('corrupt-sha1 → .sha1 names a digest that is not the tarball', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: 16 });
    server.setFault(V, { kind: 'corrupt-sha1' });
    const text = await (await fetch(`${tarballUrl()}.sha1`)).text();
    expect(text).toMatch(/^[0-9a-f]{40} {2}concourse-7\.14\.2-linux-amd64\.tgz\n$/);
    expect(text.slice(0, 40)).not.toBe(added.sha1);
  });

  test('truncate-after → full Content-Length announced, N bytes, then the socket closes', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: 64 * 1024 });
    server.setFault(V, { kind: 'truncate-after', bytes: 1000 });
    const { length, received, error } = await rawGet(tarballUrl());
    expect(length).toBe(added.bytes);
    expect(received).toBe(1000);
    expect(error).toBe(true);
    // A resume from the cut point is served in full.
    const rest = await fetch(tarballUrl(), { headers: { range: 'bytes=1000-' } });
    expect(Buffer.from(await rest.arrayBuffer()).length).toBe(added.bytes - 1000);
  });

  test('stall-after → N bytes then silence, and close() ends the stalled socket', async () => {
    await server.addRelease({ version: V, fillerBytes: 64 * 1024 });
    server.setFault(V, { kind: 'stall-after', bytes: 2000 });
    const got = { bytes: 0 };
    const done = rawGet(tarballUrl(), got);
    await until(() => got.bytes >= 2000);
    expect(got.bytes).toBe(2000);
    await server.close();
    const result = await done;
    expect(result.received).toBe(2000);
    expect(result.error).toBe(true);
  });

  test('throttle → the whole body arrives, no faster than the rate allows', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: 16 * 1024 });
    server.setFault(V, { kind: 'throttle', bytesPerSecond: 100 * 1024 });
    const started = performance.now();
    const body = Buffer.from(await (await fetch(tarballUrl())).arrayBuffer());
    expect(body.length).toBe(added.bytes);
    // ~20 KB at 100 KB/s: at least a few ticks, however fast the machine.
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
  });

  test('raw release → served as given with a matching .sha1', async () => {
    const data = Buffer.from('this is not a tarball');
    server.addRawRelease('1.0.0', data);
    expect(Buffer.from(await (await fetch(tarballUrl('1.0.0'))).arrayBuffer()).equals(data)).toBe(true);
    const sha1 = createHash('sha1').update(data).digest('hex');
    expect(await (await fetch(`${tarballUrl('1.0.0')}.sha1`)).text()).toContain(sha1);
  });

  test('latest release API → highest version, Authorization recorded', async () => {
    await server.addRelease({ version: '7.13.9', fillerBytes: 16 });
    await server.addRelease({ version: '7.14.10', fillerBytes: 16 });
    await server.addRelease({ version: '7.14.2', fillerBytes: 16 });
    const res = await fetch(`${server.baseUrl}/api/repos/concourse/concourse/releases/latest`, {
      headers: { authorization: 'Bearer t0ken' },
    });
    expect(await res.json()).toMatchObject({ tag_name: 'v7.14.10' });
    expect(server.requests().at(-1)).toMatchObject({
      method: 'GET',
      path: '/api/repos/concourse/concourse/releases/latest',
      status: 200,
      authorization: 'Bearer t0ken',
    });
  });
});

/** A plain node:http GET that reports what arrived before the socket ended, which fetch() hides. */
function rawGet(
  url: string,
  progress: { bytes: number } = { bytes: 0 },
): Promise<{ length: number; received: number; error: boolean }> {
  return new Promise((resolve) => {
    const req = get(url, (res) => {
      const length = Number(res.headers['content-length']);
      res.on('data', (chunk: Buffer) => {
        progress.bytes += chunk.length;
      });
      res.on('end', () => resolve({ length, received: progress.bytes, error: false }));
      res.on('error', () => resolve({ length, received: progress.bytes, error: true }));
    });
    req.on('error', () => resolve({ length: Number.NaN, received: progress.bytes, error: true }));
  });
}

/** Polls a condition on the event loop: waits for an observable state, never for a duration. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
