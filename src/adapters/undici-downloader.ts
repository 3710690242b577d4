// Adapter (Downloader): streams a release over HTTP with undici (proxy, redirects, retries, resume by Range) or from
// the attached resource file, through sha1+sha256, gunzip and a guarded node-tar extract, in one pass.

import { createHash, type Hash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { type Readable, Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { inject, injectable } from 'inversify';
import { ReadEntry, Unpack } from 'tar';
import { Agent, type Dispatcher, EnvHttpProxyAgent, interceptors, type RetryHandler } from 'undici';
import { type ArchiveEntry, ArchiveEntryGuard } from '../domain/archive-entry-guard';
import { redactUrl } from '../domain/redact';
import {
  DOWNLOADER_SETTINGS,
  DownloadError,
  type Downloader,
  type DownloaderSettings,
  type DownloadProgressEvent,
  type FetchOptions,
  type FetchResult,
  type ReleaseSource,
} from '../ports/downloader';
import { errorCode } from './fs-errors';
import { proxyUrl } from './proxy-url';

/** The port's settings plus retry pacing, which only tests want to shorten. */
export interface UndiciDownloaderSettings extends DownloaderSettings {
  /** First back-off between attempts, doubled each time. Default 500 ms. */
  readonly retryMinDelayMs?: number;
  /** Longest back-off (and longest Retry-After honoured). Default 30 s. */
  readonly retryMaxDelayMs?: number;
}

const MAX_REDIRECTIONS = 5;
const PROGRESS_INTERVAL_MS = 250;
/** A `.sha1` file is one line; anything bigger is not one. */
const MAX_SHA1_BODY = 64 * 1024;
const USER_AGENT = 'concourse-ci-machine-charm';
/** Longest wait, after a failure, for node-tar's in-flight writes to finish before reporting it. */
const SETTLE_LIMIT_MS = 30_000;

// undici's defaults plus its own timeout errors: a stalled body or a slow first byte is worth another attempt, and
// after the first byte another attempt is a resume by Range (undici's RetryHandler), not a restart.
const RETRYABLE_CODES = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
];
const RETRYABLE_STATUS = [408, 429, 500, 502, 503, 504];

/** What a failure is about, filled in as the fetch advances, so errors say how far it got. */
interface FetchContext {
  /** The URL without its credentials, or the resource label: what the operator recognises. */
  readonly what: string;
  readonly userSignal: AbortSignal | undefined;
  readonly deadline: AbortSignal;
  phase: 'request' | 'body';
  bytes: number;
  total: number | undefined;
  retries: number;
}

/**
 * Why undici's RetryHandler does the resume rather than a hand-rolled loop: it sits below `request()`, so the body
 * stream this adapter hashes and unpacks is one continuous stream across resumes (the digests cover exactly the bytes
 * unpacked), and it already checks the 206's Content-Range start and the ETag (If-Match) before splicing.
 * A server that answers a resume with 200 fails as 'truncated' rather than being spliced blindly.
 */
@injectable()
export class UndiciDownloader implements Downloader {
  constructor(@inject(DOWNLOADER_SETTINGS) private readonly settings: UndiciDownloaderSettings) {}

  async fetchAndExtract(source: ReleaseSource, targetDir: string, options: FetchOptions): Promise<FetchResult> {
    const deadline = AbortSignal.timeout(this.settings.deadlineMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const ctx: FetchContext = {
      what: source.kind === 'url' ? redactForMessage(source.url) : source.label,
      userSignal: options.signal,
      deadline,
      phase: 'request',
      bytes: 0,
      total: undefined,
      retries: 0,
    };
    try {
      signal.throwIfAborted();
      if (source.kind === 'file') return await this.extractFile(source.path, targetDir, options, signal, ctx);
      return await this.extractUrl(source.url, targetDir, options, signal, ctx);
    } catch (err) {
      throw classify(err, ctx, this.settings);
    }
  }

  async fetchSha1(url: string, signal?: AbortSignal): Promise<string> {
    const deadline = AbortSignal.timeout(this.settings.deadlineMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const ctx: FetchContext = {
      what: redactForMessage(url),
      userSignal: signal,
      deadline,
      phase: 'request',
      bytes: 0,
      total: undefined,
      retries: 0,
    };
    const client = this.client(combined, ctx);
    try {
      const body = await this.get(client.dispatcher, url, combined, ctx);
      const text = await readLimited(body, MAX_SHA1_BODY);
      if (text === undefined) {
        throw new DownloadError(
          'bad-archive',
          `${ctx.what} is larger than a .sha1 file can be; check \`download-url\``,
        );
      }
      const digest = text.split(/\s+/).find((token) => /^[0-9a-fA-F]{40}$/.test(token));
      if (digest === undefined) {
        throw new DownloadError(
          'bad-archive',
          `${ctx.what} holds no sha1 digest (starts ${JSON.stringify(text.slice(0, 60))}); check \`download-url\``,
        );
      }
      return digest.toLowerCase();
    } catch (err) {
      throw classify(err, ctx, this.settings);
    } finally {
      await client.close();
    }
  }

  private async extractUrl(
    url: string,
    targetDir: string,
    options: FetchOptions,
    signal: AbortSignal,
    ctx: FetchContext,
  ): Promise<FetchResult> {
    const client = this.client(signal, ctx);
    try {
      const body = await this.get(client.dispatcher, url, signal, ctx);
      return await unpackStream(body, targetDir, options, signal, ctx);
    } finally {
      await client.close();
    }
  }

  private async extractFile(
    path: string,
    targetDir: string,
    options: FetchOptions,
    signal: AbortSignal,
    ctx: FetchContext,
  ): Promise<FetchResult> {
    // Checked up front so that a missing or unreadable resource is reported as such, not as a broken archive.
    const info = await access(path, constants.R_OK)
      .then(() => stat(path))
      .catch((err: unknown) => {
        throw new DownloadError(
          'not-found',
          `Resource ${ctx.what} cannot be read at ${path} (${errorCode(err) ?? String(err)}); attach it again`,
          { cause: err },
        );
      });
    if (!info.isFile()) {
      throw new DownloadError('not-found', `Resource ${ctx.what} at ${path} is not a file; attach it again`);
    }
    ctx.total = info.size;
    ctx.phase = 'body';
    return unpackStream(createReadStream(path), targetDir, options, signal, ctx);
  }

  /** GET with every non-2xx turned into a DownloadError; returns the body positioned at byte 0. */
  private async get(dispatcher: Dispatcher, url: string, signal: AbortSignal, ctx: FetchContext): Promise<Readable> {
    const target = parseHttpUrl(url);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, 'accept-encoding': 'identity' };
    // Credentials in a mirror URL become Basic auth; undici drops the header itself on a cross-origin redirect.
    if (target.username !== '') {
      const user = decodeURIComponent(target.username);
      const pass = decodeURIComponent(target.password);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    }
    const res = await dispatcher.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: 'GET',
      headers,
      signal,
    });
    if (res.statusCode < 200 || res.statusCode > 299) {
      await res.body.dump().catch(() => undefined);
      throw statusError(res.statusCode, ctx.what, ctx);
    }
    const length = Number(headerValue(res.headers['content-length']));
    ctx.total = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
    ctx.phase = 'body';
    return res.body;
  }

  /**
   * One dispatcher per fetch, destroyed at the end: a hook is a short-lived process and must not keep idle sockets.
   * Proxies come only from the settings (Juju's JUJU_CHARM_*_PROXY), never from this process's environment.
   */
  private client(signal: AbortSignal, ctx: FetchContext): { dispatcher: Dispatcher; close(): Promise<void> } {
    const s = this.settings;
    const timeouts = {
      connect: { timeout: s.connectTimeoutMs },
      headersTimeout: s.headersTimeoutMs,
      bodyTimeout: s.bodyIdleTimeoutMs,
    };
    const proxied = Boolean(s.httpProxy || s.httpsProxy);
    const agent: Dispatcher = proxied
      ? new EnvHttpProxyAgent({
          ...timeouts,
          // Empty strings, not undefined: undefined makes undici fall back to HTTP_PROXY & co. from the environment.
          httpProxy: proxyUrl(s.httpProxy),
          httpsProxy: proxyUrl(s.httpsProxy),
          noProxy: s.noProxy ?? '',
          // Plain http:// goes to the proxy in absolute form: many squid setups refuse CONNECT to port 80.
          proxyTunnel: false,
        })
      : new Agent(timeouts);

    /** Back-offs in progress, each with a way to end it now with its error. */
    const pending = new Set<() => void>();
    let closed = false;
    const minDelay = s.retryMinDelayMs ?? 500;
    const maxDelay = s.retryMaxDelayMs ?? 30_000;
    const retry: RetryHandler.RetryCallback = (err, { state }, cb) => {
      if (closed || signal.aborted || !isRetryable(err) || state.counter > s.maxRetries) {
        cb(err);
        return;
      }
      ctx.retries++;
      const backoff = Math.min(retryAfterMs(err) ?? minDelay * 2 ** (state.counter - 1), maxDelay);
      const settle = (result: Error | null) => {
        if (!pending.delete(giveUp)) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', giveUp);
        cb(result);
      };
      // An abort (or the deadline) during the back-off ends the fetch now, not after the back-off.
      const giveUp = () => settle(err);
      const timer = setTimeout(() => settle(null), backoff);
      pending.add(giveUp);
      signal.addEventListener('abort', giveUp, { once: true });
    };

    // compose() wraps in order, so retry is outermost: a resume re-enters the redirect chain from the original URL,
    // which keeps working when the redirect target is a short-lived signed URL (GitHub's objects host).
    const dispatcher = agent.compose(
      interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }),
      interceptors.retry({
        maxRetries: s.maxRetries,
        methods: ['GET'],
        statusCodes: RETRYABLE_STATUS,
        errorCodes: RETRYABLE_CODES,
        retry,
      }),
    );
    return {
      dispatcher,
      close: async () => {
        closed = true;
        for (const giveUp of [...pending]) giveUp();
        await agent.destroy().catch(() => undefined);
      },
    };
  }
}

/** socket|file -> sha1+sha256+count -> gunzip -> guarded tar extract, with backpressure end to end. */
async function unpackStream(
  source: Readable,
  targetDir: string,
  options: FetchOptions,
  signal: AbortSignal,
  ctx: FetchContext,
): Promise<FetchResult> {
  const digest = new DigestStream(ctx, options.onProgress);
  const guard = new ArchiveEntryGuard(options.strip);
  const sink = new UnpackSink(targetDir, options.strip, guard);
  try {
    await pipeline(source, digest, createGunzip(), sink, { signal });
  } catch (err) {
    // Return only once nothing writes into targetDir any more; bounded, so a hung file system cannot hang the hook.
    await within(sink.settled, SETTLE_LIMIT_MS);
    if (await removedUnderUs(err, targetDir)) {
      throw new DownloadError(
        'aborted',
        `Extracting ${ctx.what} stopped: staging directory removed during extraction (${progressText(ctx)})`,
        { cause: err },
      );
    }
    throw err;
  }
  if (ctx.total !== undefined && ctx.bytes !== ctx.total) {
    throw new DownloadError('truncated', `${ctx.what} ended after ${ctx.bytes} of ${ctx.total} bytes`);
  }
  digest.reportFinal();
  return {
    bytes: ctx.bytes,
    sha1: digest.sha1.digest('hex'),
    sha256: digest.sha256.digest('hex'),
    extractedBytes: guard.extractedBytes,
  };
}

/** Hashes and counts the compressed bytes on their way to gunzip, and reports progress at most every 250 ms. */
class DigestStream extends Transform {
  readonly sha1: Hash = createHash('sha1');
  readonly sha256: Hash = createHash('sha256');
  private lastReport = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: FetchContext,
    private readonly onProgress: ((event: DownloadProgressEvent) => void) | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sha1.update(chunk);
    this.sha256.update(chunk);
    this.ctx.bytes += chunk.length;
    const now = performance.now();
    if (now - this.lastReport >= PROGRESS_INTERVAL_MS) {
      this.lastReport = now;
      this.report();
    }
    callback(null, chunk);
  }

  reportFinal(): void {
    this.report();
  }

  private report(): void {
    // Progress is advisory (it feeds the marker other units read): a failing listener must not fail the install.
    try {
      this.onProgress?.({ bytes: this.ctx.bytes, total: this.ctx.total });
    } catch {
      // ignored on purpose, see above
    }
  }
}

/**
 * Feeds node-tar's Unpack from a node stream and finishes only when every entry is on disk. Also insists on the tar
 * end-of-archive marker: a gzip stream that ends cleanly on an entry boundary is still a cut-off release.
 */
class UnpackSink extends Writable {
  /** Resolves once node-tar has no file operation left in flight, whether it finished or failed. */
  readonly settled: Promise<void>;
  private readonly unpack: Unpack;
  private sawEndOfArchive = false;
  private ended = false;

  constructor(targetDir: string, strip: number, guard: ArchiveEntryGuard) {
    super();
    const unpack = new Unpack({
      cwd: targetDir,
      strip,
      // Every tar warning (an entry it would skip or rewrite) becomes an error: skipping silently is not safe here.
      strict: true,
      // Files belong to the extracting user whatever uids the archive claims.
      preserveOwner: false,
      filter: (_path, entry) => {
        // Once anything failed, no further entry reaches the disk; the ones admitted before were safe.
        if (this.destroyed || !(entry instanceof ReadEntry)) return false;
        try {
          const verdict = guard.judge(archiveEntry(entry));
          switch (verdict.kind) {
            case 'admit':
              if (verdict.mode !== undefined) entry.mode = verdict.mode;
              return true;
            case 'skip':
              // Too short to survive `strip`: node-tar would drop it too, so leaving it out changes nothing on disk.
              return false;
            case 'reject':
              this.destroy(new DownloadError('unsafe-archive', verdict.reason));
              return false;
          }
        } catch (err) {
          this.destroy(asError(err));
          return false;
        }
      },
    });
    this.settled = new Promise((resolve) => {
      unpack.once('close', () => resolve());
      // node-tar never closes after a CwdError (the extraction directory is gone: removed under us). It raises one only
      // while checking the directory before the first write, so nothing is in flight and nothing will be.
      unpack.on('error', (err: Error) => {
        if (err.name === 'CwdError') resolve();
      });
    });
    unpack.on('eof', () => {
      this.sawEndOfArchive = true;
    });
    unpack.on('error', (err: Error) => {
      if (!this.destroyed) this.destroy(err);
    });
    this.unpack = unpack;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.unpack.write(chunk)) callback();
    else this.unpack.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.unpack.once('close', () => {
      if (this.sawEndOfArchive) callback();
      else callback(new DownloadError('truncated', 'the tar stream ends without its end-of-archive marker'));
    });
    this.endUnpack();
  }

  /**
   * Ending (not aborting) node-tar on failure is what lets `settled` resolve: an aborted Unpack never says when its
   * last write finished, and the caller is about to delete the directory it writes into. Deferred, because this can
   * run inside Unpack.write (from the filter).
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    queueMicrotask(() => this.endUnpack());
    callback(error);
  }

  private endUnpack(): void {
    if (this.ended) return;
    this.ended = true;
    this.unpack.end();
  }
}

/**
 * Whether extraction failed because the target directory (or part of it) was deleted while node-tar wrote into it:
 * another unit that took the install lock over sweeps staging areas. ENOENT can only arise for a path node-tar is
 * writing under targetDir (it creates every parent first), so it is not the archive's fault.
 */
async function removedUnderUs(err: unknown, targetDir: string): Promise<boolean> {
  if (err instanceof DownloadError || errorCode(err) !== 'ENOENT') return false;
  const path = typeof err === 'object' && err !== null && 'path' in err ? err.path : undefined;
  const root = resolvePath(targetDir);
  if (typeof path === 'string') {
    const p = resolvePath(root, path);
    if (p === root || p.startsWith(`${root}/`)) return true;
  }
  return access(root).then(
    () => false,
    () => true,
  );
}

/**
 * A URL for a message: `https://user:secret@mirror/x` becomes `https://***@mirror/x`. Unlike the domain's redactUrl,
 * a string that does not parse is masked up to its last `@` too: it is echoed in "is not a URL" errors.
 */
function redactForMessage(url: string): string {
  if (URL.canParse(url)) return redactUrl(url);
  return url.replace(/^([^:/?#]*:\/\/)?[\s\S]*@/, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);
}

/** node-tar's entry as the domain guard sees it: the raw header fields, before node-tar applies `strip`. */
function archiveEntry(entry: ReadEntry): ArchiveEntry {
  return { path: entry.path, type: entry.type, linkpath: entry.linkpath, size: entry.size, mode: entry.mode };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Waits for `promise`, but no longer than `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

function parseHttpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // No cause: Node's ERR_INVALID_URL carries the whole input, credentials included, and causes get logged.
    throw new DownloadError(
      'http-error',
      `${JSON.stringify(redactForMessage(url))} is not a URL; check \`download-url\``,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new DownloadError('http-error', `${redactForMessage(url)} is not an http(s) URL; check \`download-url\``);
  }
  return parsed;
}

/** Juju model proxies are often written without a scheme (`squid.internal:3128`). */

/** `what` is the redacted URL (FetchContext.what), never the configured one. */
function statusError(status: number, what: string, ctx: FetchContext): DownloadError {
  if (status === 404 || status === 410) {
    return new DownloadError(
      'not-found',
      `Nothing at ${what} (HTTP ${status}): check the \`version\` and \`download-url\` config`,
    );
  }
  if (status >= 300 && status < 400) {
    return new DownloadError('http-error', `${what} redirects more than ${MAX_REDIRECTIONS} times (HTTP ${status})`);
  }
  return new DownloadError('http-error', `HTTP ${status} from ${what}${attempts(ctx)}`);
}

function attempts(ctx: FetchContext): string {
  return ctx.retries > 0 ? ` after ${ctx.retries + 1} attempts` : '';
}

function isRetryable(err: Error): boolean {
  const code = errorCode(err);
  if (code === 'UND_ERR_REQ_RETRY') {
    const status = statusOf(err);
    return status !== undefined && RETRYABLE_STATUS.includes(status);
  }
  return code !== undefined && RETRYABLE_CODES.includes(code);
}

function retryAfterMs(err: Error): number | undefined {
  if (!('headers' in err) || typeof err.headers !== 'object' || err.headers === null) return undefined;
  const raw = headerValue((err.headers as Record<string, unknown>)['retry-after']);
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function headerValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('statusCode' in err)) return undefined;
  return typeof err.statusCode === 'number' ? err.statusCode : undefined;
}

function tarCodeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('tarCode' in err)) return undefined;
  return typeof err.tarCode === 'string' ? err.tarCode : undefined;
}

async function readLimited(body: Readable, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function seconds(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function progressText(ctx: FetchContext): string {
  return ctx.total === undefined ? `${ctx.bytes} bytes` : `${ctx.bytes} of ${ctx.total} bytes`;
}

/** One place that turns whatever went wrong into the operator's vocabulary. */
function classify(err: unknown, ctx: FetchContext, settings: DownloaderSettings): DownloadError {
  if (err instanceof DownloadError) return err;
  const cause = { cause: err };
  const message = err instanceof Error ? err.message : String(err);
  if (ctx.userSignal?.aborted) return new DownloadError('aborted', `Fetching ${ctx.what} was aborted`, cause);
  if (ctx.deadline.aborted) {
    return new DownloadError(
      'timeout',
      `Fetching ${ctx.what} did not finish within ${seconds(settings.deadlineMs)} (${progressText(ctx)})`,
      cause,
    );
  }
  const code = errorCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new DownloadError('no-space', `No space left while unpacking ${ctx.what} (${progressText(ctx)})`, cause);
  }
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new DownloadError(
        'timeout',
        `Could not connect for ${ctx.what} within ${seconds(settings.connectTimeoutMs)}${attempts(ctx)}`,
        cause,
      );
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new DownloadError(
        'timeout',
        `${ctx.what} sent no response within ${seconds(settings.headersTimeoutMs)}${attempts(ctx)}`,
        cause,
      );
    case 'UND_ERR_BODY_TIMEOUT':
      return new DownloadError(
        'timeout',
        `${ctx.what} stalled: no data for ${seconds(settings.bodyIdleTimeoutMs)} after ${progressText(ctx)}${attempts(ctx)}`,
        cause,
      );
    case 'UND_ERR_REQ_RETRY': {
      const status = statusOf(err);
      if (ctx.phase === 'body') {
        return new DownloadError(
          'truncated',
          `${ctx.what} was cut off after ${progressText(ctx)} and could not be resumed (${message}, HTTP ${status})`,
          cause,
        );
      }
      return status === undefined
        ? new DownloadError('http-error', message, cause)
        : statusError(status, ctx.what, ctx);
    }
    case 'UND_ERR_INVALID_ARG':
      if (/redirect/i.test(message)) {
        return new DownloadError('http-error', `${ctx.what} redirects in a loop: ${message}`, cause);
      }
      break;
    case 'Z_BUF_ERROR':
      return new DownloadError('truncated', `${ctx.what} ends in the middle of its gzip stream`, cause);
    case 'Z_DATA_ERROR':
    case 'Z_STREAM_ERROR':
    case 'Z_NEED_DICT':
      return new DownloadError('bad-archive', `${ctx.what} is not a gzip-compressed tarball (${message})`, cause);
  }
  switch (tarCodeOf(err)) {
    case 'TAR_BAD_ARCHIVE':
      return /truncated/i.test(message)
        ? new DownloadError('truncated', `${ctx.what} ends in the middle of a tar entry`, cause)
        : new DownloadError('bad-archive', `${ctx.what} is not a tarball (${message})`, cause);
    case 'TAR_ENTRY_INVALID':
      return new DownloadError('bad-archive', `${ctx.what} holds a damaged tar entry (${message})`, cause);
    // The guard should have refused these first; node-tar's own checks are the second line.
    case 'TAR_ENTRY_ERROR':
    case 'TAR_ENTRY_UNSUPPORTED':
    case 'TAR_ENTRY_INFO':
      return new DownloadError(
        'unsafe-archive',
        `${ctx.what} holds an entry that cannot be extracted safely (${message})`,
        cause,
      );
  }
  if (ctx.phase === 'body' && code !== undefined && RETRYABLE_CODES.includes(code)) {
    return new DownloadError(
      'truncated',
      `Connection for ${ctx.what} dropped after ${progressText(ctx)}${attempts(ctx)} (${message})`,
      cause,
    );
  }
  return new DownloadError('network', `Could not fetch ${ctx.what}: ${message}${attempts(ctx)}`, cause);
}
