// Adapter tests for UndiciDownloader: real HTTP against the simulated release server on 127.0.0.1, real temp
// directories, real child processes; every fault is injected by the server, none is timed by a sleep.

import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { access, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import {
  buildReleaseTarball,
  buildTarGz,
  ESCAPE_NAME,
  type HostileVariant,
  writeTar,
} from '../../sim/concourse/release-tarball';
import type { BodyIdleWatch } from '../../src/adapters/body-idle-watch';
import { UndiciDownloader, type UndiciDownloaderSettings } from '../../src/adapters/undici-downloader';
import { DownloadError, type DownloadFailureKind, type DownloadProgressEvent } from '../../src/ports/downloader';

const run = promisify(execFile);
const V = '7.14.2';
const FILLER = 256 * 1024;

/** Generous timeouts (nothing here should hit them) and short back-offs (tests retry a lot). */
const settings: UndiciDownloaderSettings = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  bodyIdleTimeoutMs: 10_000,
  deadlineMs: 50_000,
  maxRetries: 3,
  retryMinDelayMs: 5,
  retryMaxDelayMs: 20,
};

let server: ReleaseServer;
/** Parent of the extraction directory: where escapes would land. */
let root: string;
let target: string;

beforeEach(async () => {
  server = await startReleaseServer();
  root = await mkdtemp(join(tmpdir(), 'undici-downloader-test-'));
  target = join(root, 'target');
  await mkdir(target);
});

afterEach(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

function urlFor(version = V): string {
  return server.downloadUrlTemplate.replaceAll('{version}', version).replaceAll('{arch}', 'amd64');
}

function downloader(overrides: Partial<UndiciDownloaderSettings> = {}): UndiciDownloader {
  return new UndiciDownloader({ ...settings, ...overrides });
}

/**
 * When a body counts as stalled, decided by the server's own fault instead of a wall-clock timer: the first response
 * is idle once `stallAt` bytes arrived (the server then goes silent); later ones (the resume) never are. `log` records
 * what the interceptor asked of the watch.
 */
function stallWatch(stallAt: number): { readonly idle: BodyIdleWatch; readonly log: string[] } {
  const log: string[] = [];
  let responses = 0;
  const idle: BodyIdleWatch = (onIdle) => {
    const first = ++responses === 1;
    let received = 0;
    let stopped = false;
    let fired = false;
    log.push('start');
    return {
      touch: (bytes) => {
        received += bytes;
        if (first && !stopped && !fired && received >= stallAt) {
          fired = true;
          log.push('idle');
          onIdle();
        }
      },
      stop: () => {
        if (stopped) return;
        stopped = true;
        log.push('stop');
      },
    };
  };
  return { idle, log };
}

async function fetchFailure(promise: Promise<unknown>): Promise<DownloadError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DownloadError);
  return err as DownloadError;
}

async function expectKind(promise: Promise<unknown>, kind: DownloadFailureKind): Promise<DownloadError> {
  const err = await fetchFailure(promise);
  expect({ kind: err.kind, message: err.message }).toMatchObject({ kind });
  return err;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('UndiciDownloader.fetchAndExtract from a URL', () => {
  test('healthy release → extracted with strip 1, runnable, digests equal the server’s', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: FILLER });
    const result = await downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 });

    expect(result).toMatchObject({ sha1: added.sha1, sha256: added.sha256, bytes: added.bytes });
    expect(result.extractedBytes).toBeGreaterThan(FILLER);
    const bin = join(target, 'bin', 'concourse');
    expect((await stat(bin)).mode & 0o111).not.toBe(0);
    expect((await run(bin, ['--version'])).stdout.trim()).toBe(V);
    expect(await exists(join(target, 'resource-types', 'registry-image', 'rootfs.tgz'))).toBe(true);
    expect(await exists(join(target, 'fly-assets', 'fly-linux-amd64.tgz'))).toBe(true);
    expect(await readdir(root)).toEqual(['target']);
    expect(server.downloads(V)).toBe(1);
  });

  test('redirect-once (GitHub → objects host) → followed, same digests', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: FILLER });
    server.setFault(V, { kind: 'redirect-once' });
    const result = await downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 });
    expect(result.sha1).toBe(added.sha1);
    expect(server.requests().map((r) => `${r.status} ${r.path}`)).toEqual([
      `302 /download/v${V}/concourse-${V}-linux-amd64.tgz`,
      `200 /objects/v${V}/concourse-${V}-linux-amd64.tgz`,
    ]);
  });

  test('endless redirects → http-error naming the redirects, bounded hops', async () => {
    await server.addRelease({ version: V, fillerBytes: 1024 });
    server.setFault(V, { kind: 'redirect-loop' });
    const err = await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }),
      'http-error',
    );
    expect(err.message).toMatch(/redirect/i);
    // 1 request + 5 redirections, no retries: a redirect loop is not transient.
    expect(server.downloads(V)).toBe(6);
  });

  test('404 → not-found naming the URL and the config to check, no retries', async () => {
    const err = await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: urlFor('9.9.9') }, target, { strip: 1 }),
      'not-found',
    );
    expect(err.message).toContain(urlFor('9.9.9'));
    expect(err.message).toContain('`version`');
    expect(err.message).toContain('`download-url`');
    expect(server.requests()).toHaveLength(1);
  });

  test('500 every time → http-error after 1 + maxRetries attempts', async () => {
    await server.addRelease({ version: V, fillerBytes: 1024 });
    server.setFault(V, { kind: 'status', code: 500 });
    const err = await expectKind(
      downloader({ maxRetries: 2 }).fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }),
      'http-error',
    );
    expect(err.message).toContain('HTTP 500');
    expect(err.message).toContain('3 attempts');
    expect(server.downloads(V)).toBe(3);
  });

  test('503 twice, then healthy → retried and extracted', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: FILLER });
    server.setFault(V, { kind: 'fail-first', times: 2, code: 503 });
    const result = await downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 });
    expect(result.sha1).toBe(added.sha1);
    expect(server.downloads(V)).toBe(3);
  });

  test('connection cut mid-body → resumed by Range once, digests still correct', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: FILLER });
    server.setFault(V, { kind: 'truncate-after', bytes: 100_000 });
    const result = await downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 });
    expect(result).toMatchObject({ sha1: added.sha1, sha256: added.sha256, bytes: added.bytes });
    expect(server.downloads(V)).toBe(1);
    expect(server.resumes(V)).toBe(1);
    expect(server.requests().find((r) => r.range !== undefined)).toMatchObject({
      range: `bytes=100000-${added.bytes - 1}`,
      status: 206,
    });
    expect((await run(join(target, 'bin', 'concourse'), ['--version'])).stdout.trim()).toBe(V);
  });

  test('connection cut mid-body with retries disabled → truncated', async () => {
    await server.addRelease({ version: V, fillerBytes: FILLER });
    server.setFault(V, { kind: 'truncate-after', bytes: 100_000 });
    const err = await expectKind(
      downloader({ maxRetries: 0 }).fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }),
      'truncated',
    );
    expect(err.message).toContain('100000 of');
  });

  test('body stalls past the idle timeout → resumed by Range from the stall point', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: FILLER });
    server.setFault(V, { kind: 'stall-after', bytes: 50_000 });
    const watch = stallWatch(50_000);
    const result = await downloader({ bodyIdleWatch: watch.idle }).fetchAndExtract(
      { kind: 'url', url: urlFor() },
      target,
      { strip: 1 },
    );
    expect(result.sha256).toBe(added.sha256);
    expect(server.resumes(V)).toBe(1);
    expect(server.requests().find((r) => r.range !== undefined)?.range).toBe(`bytes=50000-${added.bytes - 1}`);
    // Two responses watched (the cut one and the resume), each stopped once it ended or was aborted.
    expect(watch.log).toEqual(['start', 'idle', 'stop', 'start', 'stop']);
  });

  test('body stalls with retries disabled → timeout naming the idle limit', async () => {
    await server.addRelease({ version: V, fillerBytes: FILLER });
    server.setFault(V, { kind: 'stall-after', bytes: 50_000 });
    const err = await expectKind(
      downloader({ bodyIdleTimeoutMs: 500, bodyIdleWatch: stallWatch(50_000).idle, maxRetries: 0 }).fetchAndExtract(
        { kind: 'url', url: urlFor() },
        target,
        { strip: 1 },
      ),
      'timeout',
    );
    expect(err.message).toContain('500ms');
    expect(err.message).toContain('50000 of');
  });

  test('slow body past the overall deadline → timeout', async () => {
    await server.addRelease({ version: V, fillerBytes: FILLER });
    server.setFault(V, { kind: 'throttle', bytesPerSecond: 20 * 1024 });
    // ~270 KB at 20 KB/s takes 13 s; the deadline is 300 ms.
    const err = await expectKind(
      downloader({ deadlineMs: 300 }).fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }),
      'timeout',
    );
    expect(err.message).toContain('300ms');
  });

  test('caller aborts during the body → aborted', async () => {
    await server.addRelease({ version: V, fillerBytes: FILLER });
    server.setFault(V, { kind: 'throttle', bytesPerSecond: 50 * 1024 });
    const controller = new AbortController();
    await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, {
        strip: 1,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
      'aborted',
    );
  });

  test('already-aborted signal → aborted without a request', async () => {
    await server.addRelease({ version: V, fillerBytes: 1024 });
    await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1, signal: AbortSignal.abort() }),
      'aborted',
    );
    expect(server.requests()).toHaveLength(0);
  });

  test('throttled download → progress with increasing bytes, last event equals the total', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: 512 * 1024 });
    server.setFault(V, { kind: 'throttle', bytesPerSecond: 512 * 1024 });
    const events: DownloadProgressEvent[] = [];
    await downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, {
      strip: 1,
      onProgress: (e) => events.push(e),
    });
    // The body takes at least a second, so the 250 ms throttle lets through several events plus the final one.
    expect(events.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]?.bytes).toBeGreaterThanOrEqual(events[i - 1]?.bytes ?? 0);
    }
    expect(events.at(-1)).toEqual({ bytes: added.bytes, total: added.bytes });
    expect(events.every((e) => e.total === added.bytes)).toBe(true);
  });

  test('body is not gzip → bad-archive', async () => {
    server.addRawRelease(V, Buffer.from('<html>Sign in to continue</html>\n'.repeat(50)));
    await expectKind(downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }), 'bad-archive');
  });

  test('gzip of something that is not tar → bad-archive', async () => {
    server.addRawRelease(V, gzipSync(Buffer.from('just text, no tar headers\n'.repeat(100))));
    await expectKind(downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }), 'bad-archive');
  });

  test('gzip stream cut short (with a matching Content-Length) → truncated', async () => {
    const full = await buildReleaseTarball({ version: V, fillerBytes: 64 * 1024 });
    server.addRawRelease(V, full.data.subarray(0, full.data.length - 5000));
    await expectKind(downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }), 'truncated');
  });

  test('tar without its end-of-archive marker → truncated', async () => {
    const tar = writeTar([
      { type: 'dir', path: 'concourse/' },
      { type: 'file', path: 'concourse/a', content: 'a' },
    ]);
    // Header + header + one data block: everything but the two zero blocks that end an archive.
    server.addRawRelease(V, gzipSync(tar.subarray(0, 3 * 512)));
    await expectKind(downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }), 'truncated');
  });

  test('tar cut inside an entry → truncated', async () => {
    const tar = writeTar([
      { type: 'dir', path: 'concourse/' },
      { type: 'file', path: 'concourse/a', content: Buffer.alloc(4096, 1) },
    ]);
    server.addRawRelease(V, gzipSync(tar.subarray(0, 2048)));
    await expectKind(downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }), 'truncated');
  });

  test('URL that is not http(s) → http-error before any request', async () => {
    await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: 'file:///etc/passwd' }, target, { strip: 1 }),
      'http-error',
    );
  });

  test('nothing listening → network error after bounded retries', async () => {
    const closed = await startReleaseServer();
    const url = `${closed.baseUrl}/download/v1/concourse-1-linux-amd64.tgz`;
    await closed.close();
    await expectKind(
      downloader({ maxRetries: 1 }).fetchAndExtract({ kind: 'url', url }, target, { strip: 1 }),
      'network',
    );
  });
});

describe('UndiciDownloader with credentials in the download URL', () => {
  const PASSWORD = 's3cret-Pa55';
  /** `http://mirror-user:s3cret-Pa55@127.0.0.1:port/...`: a mirror that wants Basic auth. */
  const withCredentials = (url: string) => url.replace('http://', `http://mirror-user:${PASSWORD}@`);

  /** The message and everything a logger could print of the error (its cause chain) hold no password. */
  function expectRedacted(err: DownloadError): void {
    expect(err.message).toContain('http://***@127.0.0.1:');
    expect(err.message).not.toContain(PASSWORD);
    expect(err.message).not.toContain('mirror-user');
    expect(inspect(err, { depth: 10 })).not.toContain(PASSWORD);
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain(PASSWORD);
  }

  test('404 from a URL with user:password → not-found naming the URL as https://***@host, no password', async () => {
    const err = await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: withCredentials(urlFor('9.9.9')) }, target, { strip: 1 }),
      'not-found',
    );
    expectRedacted(err);
    // The credentials were still used, as Basic auth.
    expect(server.requests()[0]?.authorization).toBe(
      `Basic ${Buffer.from(`mirror-user:${PASSWORD}`).toString('base64')}`,
    );
  });

  test('500 every time from a URL with user:password → http-error after retries, no password', async () => {
    await server.addRelease({ version: V, fillerBytes: 1024 });
    server.setFault(V, { kind: 'status', code: 500 });
    const err = await expectKind(
      downloader({ maxRetries: 1 }).fetchAndExtract({ kind: 'url', url: withCredentials(urlFor()) }, target, {
        strip: 1,
      }),
      'http-error',
    );
    expect(err.message).toContain('HTTP 500');
    expectRedacted(err);
  });

  test('.sha1 missing behind a URL with user:password → not-found, no password', async () => {
    expectRedacted(await expectKind(downloader().fetchSha1(`${withCredentials(urlFor('9.9.9'))}.sha1`), 'not-found'));
  });

  test('unparsable URL with user:password → http-error that masks it, no cause echoing the input', async () => {
    const err = await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: `http://mirror-user:${PASSWORD}@[::1/x.tgz` }, target, {
        strip: 1,
      }),
      'http-error',
    );
    expect(err.message).toContain('http://***@[::1/x.tgz');
    expect(inspect(err, { depth: 10 })).not.toContain(PASSWORD);
    expect(server.requests()).toHaveLength(0);
  });
});

describe('UndiciDownloader when the staging directory is removed', () => {
  test('target removed after the first progress event (another unit swept it) → aborted, nothing recreated', async () => {
    await server.addRelease({ version: V, fillerBytes: FILLER });
    // Throttled so the body is still arriving; the removal itself is tied to the first progress event, not to time.
    server.setFault(V, { kind: 'throttle', bytesPerSecond: 256 * 1024 });
    let removed = false;
    const err = await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, {
        strip: 1,
        onProgress: () => {
          if (removed) return;
          removed = true;
          rmSync(target, { recursive: true, force: true });
        },
      }),
      'aborted',
    );
    expect(removed).toBe(true);
    expect(err.message).toMatch(/staging directory removed during extraction/);
    expect(err.message).toContain(urlFor());
    // node-tar did not recreate the directory or write anywhere else.
    expect(await readdir(root)).toEqual([]);
  });

  test('target removed once files are on disk (mid-extraction) → aborted, not unsafe-archive', async () => {
    await server.addRelease({ version: V, fillerBytes: 128 * 1024 });
    // ~1 s of body, progress every 250 ms: the removal happens at the first event that finds bin/concourse written,
    // so node-tar has already checked its directory and fails on the next entry's parent (an entry error).
    server.setFault(V, { kind: 'throttle', bytesPerSecond: 128 * 1024 });
    let removed = false;
    const err = await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, {
        strip: 1,
        onProgress: () => {
          if (removed || !existsSync(join(target, 'bin', 'concourse'))) return;
          removed = true;
          rmSync(target, { recursive: true, force: true });
        },
      }),
      'aborted',
    );
    expect(removed).toBe(true);
    expect(err.message).toMatch(/staging directory removed during extraction/);
    expect(err.cause).toMatchObject({ code: 'ENOENT', tarCode: 'TAR_ENTRY_ERROR' });
    expect(await readdir(root)).toEqual([]);
  });
});

describe('UndiciDownloader on a full file system', () => {
  test('extraction runs out of space → no-space, and the call returns only after writes stop', async (ctx) => {
    const small = join(root, 'small');
    await mkdir(small);
    // A real ENOSPC needs a small file system: a 256 KiB tmpfs, which needs root (skipped otherwise, saying so).
    const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]).then(
      () => true,
      () => false,
    );
    if (!mounted) ctx.skip('mounting a tmpfs needs root');
    try {
      await server.addRelease({ version: V, fillerBytes: 1024 * 1024 });
      const err = await expectKind(
        downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, small, { strip: 1 }),
        'no-space',
      );
      expect(err.message).toContain(urlFor());
      // Nothing still writes: the directory can be emptied and stays empty.
      await rm(join(small, 'bin'), { recursive: true, force: true });
      expect(await readdir(small)).toEqual([]);
    } finally {
      await run('umount', [small]);
    }
  });
});

describe('UndiciDownloader rejects unsafe archives', () => {
  const variants: HostileVariant[] = [
    'dotdot',
    'absolute',
    'symlink-escape',
    'hardlink-escape',
    'device',
    'symlink-then-file',
  ];

  test.each(variants)('%s entry → unsafe-archive, extraction stopped, nothing written outside', async (hostile) => {
    const absoluteTarget = join(root, 'absolute-escaped');
    const sentinel = join(root, ESCAPE_NAME);
    // The hard link variant needs something to link to; it must come out of this untouched.
    if (hostile === 'hardlink-escape') await writeFile(sentinel, 'original\n');
    await server.addRelease({ version: V, fillerBytes: 1024, hostile, absoluteTarget });

    const err = await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }),
      'unsafe-archive',
    );
    // The guard's own words, not node-tar's fallback: the guard saw it first.
    expect(err.message).toMatch(/^Release archive entry /);

    if (hostile === 'hardlink-escape') {
      expect(await readFile(sentinel, 'utf8')).toBe('original\n');
      expect((await stat(sentinel)).nlink).toBe(1);
      expect((await readdir(root)).sort()).toEqual([ESCAPE_NAME, 'target']);
    } else {
      expect(await exists(sentinel)).toBe(false);
      expect(await readdir(root)).toEqual(['target']);
    }
    expect(await exists(absoluteTarget)).toBe(false);
    // The hostile entry precedes resource-types/ and fly-assets/ in the archive: nothing after it was extracted.
    expect(await exists(join(target, 'resource-types'))).toBe(false);
    expect(await exists(join(target, 'fly-assets'))).toBe(false);
  });

  test('links that look inside but resolve through another link → unsafe-archive', async () => {
    // `here -> .` is harmless alone; `up -> here/..` is lexically `.` but physically the parent of the target.
    server.addRawRelease(
      V,
      buildTarGz([
        { type: 'dir', path: 'concourse/' },
        { type: 'symlink', path: 'concourse/here', target: '.' },
        { type: 'symlink', path: 'concourse/up', target: 'here/..' },
      ]),
    );
    await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }),
      'unsafe-archive',
    );
  });

  test('file written through an in-tree symlink → unsafe-archive', async () => {
    server.addRawRelease(
      V,
      buildTarGz([
        { type: 'dir', path: 'concourse/' },
        { type: 'dir', path: 'concourse/bin/' },
        { type: 'symlink', path: 'concourse/sbin', target: 'bin' },
        { type: 'file', path: 'concourse/sbin/tool', content: 'x' },
      ]),
    );
    await expectKind(
      downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 }),
      'unsafe-archive',
    );
  });

  test('in-tree links and a setuid file → extracted, links kept, setuid bit dropped', async () => {
    server.addRawRelease(
      V,
      buildTarGz([
        { type: 'dir', path: 'concourse/' },
        { type: 'dir', path: 'concourse/bin/' },
        { type: 'file', path: 'concourse/bin/concourse', mode: 0o4755, content: '#!/bin/sh\necho hi\n' },
        { type: 'symlink', path: 'concourse/bin/alias', target: 'concourse' },
        { type: 'symlink', path: 'concourse/lib', target: 'bin/../bin' },
        { type: 'hardlink', path: 'concourse/bin/copy', target: 'concourse/bin/concourse' },
      ]),
    );
    await downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 });
    expect((await stat(join(target, 'bin', 'concourse'))).mode & 0o7777).toBe(0o755);
    expect((await lstat(join(target, 'bin', 'alias'))).isSymbolicLink()).toBe(true);
    expect((await stat(join(target, 'bin', 'copy'))).nlink).toBe(2);
  });
});

describe('UndiciDownloader.fetchAndExtract from the attached resource', () => {
  test('resource file → same pipeline, same digests as the tarball', async () => {
    const t = await buildReleaseTarball({ version: V, fillerBytes: FILLER });
    const file = join(root, 'concourse.tgz');
    await writeFile(file, t.data);
    const events: DownloadProgressEvent[] = [];
    const result = await downloader().fetchAndExtract(
      { kind: 'file', path: file, label: 'concourse-release' },
      target,
      {
        strip: 1,
        onProgress: (e) => events.push(e),
      },
    );
    expect(result).toMatchObject({ sha1: t.sha1, sha256: t.sha256, bytes: t.data.length });
    expect((await run(join(target, 'bin', 'concourse'), ['--version'])).stdout.trim()).toBe(V);
    expect(events.at(-1)).toEqual({ bytes: t.data.length, total: t.data.length });
  });

  test('resource path missing → not-found naming the resource', async () => {
    const err = await expectKind(
      downloader().fetchAndExtract({ kind: 'file', path: join(root, 'nope.tgz'), label: 'concourse-release' }, target, {
        strip: 1,
      }),
      'not-found',
    );
    expect(err.message).toContain('concourse-release');
  });

  test('hostile resource file → unsafe-archive', async () => {
    const t = await buildReleaseTarball({ version: V, fillerBytes: 16, hostile: 'dotdot' });
    const file = join(root, 'concourse.tgz');
    await writeFile(file, t.data);
    await expectKind(
      downloader().fetchAndExtract({ kind: 'file', path: file, label: 'concourse-release' }, target, { strip: 1 }),
      'unsafe-archive',
    );
    expect(await exists(join(root, ESCAPE_NAME))).toBe(false);
  });
});

describe('UndiciDownloader.fetchSha1', () => {
  test('published .sha1 → the lowercase hex digest', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: 16 });
    expect(await downloader().fetchSha1(`${urlFor()}.sha1`)).toBe(added.sha1);
  });

  test('corrupt .sha1 → returned as published (the caller detects the mismatch)', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: 16 });
    server.setFault(V, { kind: 'corrupt-sha1' });
    const digest = await downloader().fetchSha1(`${urlFor()}.sha1`);
    expect(digest).toMatch(/^[0-9a-f]{40}$/);
    expect(digest).not.toBe(added.sha1);
  });

  test('body without a 40-hex token → bad-archive', async () => {
    await server.addRelease({ version: V, fillerBytes: 16 });
    await expectKind(
      downloader().fetchSha1(`${server.baseUrl}/api/repos/concourse/concourse/releases/latest`),
      'bad-archive',
    );
  });

  test('.sha1 missing → not-found', async () => {
    await expectKind(downloader().fetchSha1(`${urlFor('9.9.9')}.sha1`), 'not-found');
  });
});

describe('UndiciDownloader proxies', () => {
  test('httpProxy in settings → requests go through the proxy in absolute form', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: FILLER });
    const proxy = await startForwardProxy();
    try {
      const d = downloader({ httpProxy: proxy.url, noProxy: '' });
      const result = await d.fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 });
      expect(result.sha1).toBe(added.sha1);
      expect(await d.fetchSha1(`${urlFor()}.sha1`)).toBe(added.sha1);
      expect(proxy.seen).toEqual([`GET ${urlFor()}`, `GET ${urlFor()}.sha1`]);
    } finally {
      await proxy.close();
    }
  });

  test('proxy and a retried failure → every attempt goes through the proxy with a valid request line', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: FILLER });
    server.setFault(V, { kind: 'truncate-after', bytes: 70_000 });
    const proxy = await startForwardProxy();
    try {
      const result = await downloader({ httpProxy: proxy.url }).fetchAndExtract(
        { kind: 'url', url: urlFor() },
        target,
        {
          strip: 1,
        },
      );
      expect(result.sha256).toBe(added.sha256);
      expect(proxy.seen).toEqual([`GET ${urlFor()}`, `GET ${urlFor()}`]);
      expect(server.resumes(V)).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  test('noProxy lists 127.0.0.1 → proxy bypassed', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: 1024 });
    const proxy = await startForwardProxy();
    try {
      const result = await downloader({ httpProxy: proxy.url, noProxy: 'localhost,127.0.0.1' }).fetchAndExtract(
        { kind: 'url', url: urlFor() },
        target,
        { strip: 1 },
      );
      expect(result.sha1).toBe(added.sha1);
      expect(proxy.seen).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  test('HTTP_PROXY in the environment but not in settings → ignored, direct connection', async () => {
    const added = await server.addRelease({ version: V, fillerBytes: 1024 });
    const proxy = await startForwardProxy();
    vi.stubEnv('HTTP_PROXY', proxy.url);
    vi.stubEnv('http_proxy', proxy.url);
    vi.stubEnv('NO_PROXY', '');
    try {
      const result = await downloader().fetchAndExtract({ kind: 'url', url: urlFor() }, target, { strip: 1 });
      expect(result.sha1).toBe(added.sha1);
      // Even with a proxy for https only in settings, plain http must not pick HTTP_PROXY up from the environment.
      await rm(target, { recursive: true });
      await mkdir(target);
      await downloader({ httpsProxy: 'http://127.0.0.1:9' }).fetchAndExtract({ kind: 'url', url: urlFor() }, target, {
        strip: 1,
      });
      expect(proxy.seen).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
      await proxy.close();
    }
  });
});

/** A tiny forward proxy for plain http: records the absolute-form request line and relays. CONNECT is refused. */
async function startForwardProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    let upstream: URL;
    try {
      upstream = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request expected\n');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const out = httpRequest(upstream, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      // A cut upstream must look cut downstream too.
      up.on('aborted', () => res.destroy());
      up.on('error', () => res.destroy());
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('connect', (req, socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
