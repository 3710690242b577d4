// Adapter helper: one HTTP GET of a release or its `.sha1` with undici: proxies from Juju's model settings only,
// redirects, retries with resume by Range, stall detection, Basic auth from a mirror URL's credentials.

import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, EnvHttpProxyAgent, interceptors, type RetryHandler } from 'undici';
import { DownloadError, type DownloaderSettings } from '../ports/downloader';
import { type BodyIdleWatch, bodyIdleInterceptor } from './body-idle-watch';
import {
  type FetchContext,
  isRetryable,
  MAX_REDIRECTIONS,
  RETRYABLE_CODES,
  RETRYABLE_STATUS,
  redactForMessage,
  statusError,
} from './download-failures';
import { proxyUrl } from './proxy-url';

/** The port's settings plus what only tests want to change: retry pacing and when a body counts as stalled. */
export interface HttpFetchSettings extends DownloaderSettings {
  /** First back-off between attempts, doubled each time. Default 500 ms. */
  readonly retryMinDelayMs?: number;
  /** Longest back-off (and longest Retry-After honoured). Default 30 s. */
  readonly retryMaxDelayMs?: number;
  /** When a body is stalled; default: silent for bodyIdleTimeoutMs while not held back by backpressure. */
  readonly bodyIdleWatch?: BodyIdleWatch;
}

const USER_AGENT = 'concourse-ci-machine-charm';

/**
 * One dispatcher per fetch, destroyed by `close`: a hook is a short-lived process and must not keep idle sockets.
 * Why undici's RetryHandler does the resume rather than a hand-rolled loop: it sits below `request()`, so the body
 * stream the caller hashes and unpacks is one continuous stream across resumes (the digests cover exactly the bytes
 * unpacked), and it already checks the 206's Content-Range start and the ETag (If-Match) before splicing.
 * A server that answers a resume with 200 fails as 'truncated' rather than being spliced blindly.
 */
export class HttpFetch {
  private readonly agent: Dispatcher;
  private readonly dispatcher: Dispatcher;
  /** Back-offs in progress, each with a way to end it now with its error. */
  private readonly pending = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly settings: HttpFetchSettings,
    private readonly signal: AbortSignal,
    private readonly ctx: FetchContext,
  ) {
    const s = settings;
    const timeouts = {
      connect: { timeout: s.connectTimeoutMs },
      headersTimeout: s.headersTimeoutMs,
      // Stalls are detected by bodyIdleInterceptor, which can tell a silent server from a reader applying backpressure.
      bodyTimeout: 0,
    };
    const proxied = Boolean(s.httpProxy || s.httpsProxy);
    // Proxies come only from the settings (Juju's JUJU_CHARM_*_PROXY), never from this process's environment.
    this.agent = proxied
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
    // compose() wraps in order, so retry is outermost: a resume re-enters the redirect chain from the original URL,
    // which keeps working when the redirect target is a short-lived signed URL (GitHub's objects host). The idle
    // watch is innermost: every response, resumes included, is watched on its own.
    this.dispatcher = this.agent.compose(
      bodyIdleInterceptor(s.bodyIdleTimeoutMs, s.bodyIdleWatch),
      interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }),
      interceptors.retry({
        maxRetries: s.maxRetries,
        methods: ['GET'],
        statusCodes: RETRYABLE_STATUS,
        errorCodes: RETRYABLE_CODES,
        retry: (err, { state }, cb) => this.retry(err, state.counter, cb),
      }),
    );
  }

  /** GET with every non-2xx turned into a DownloadError; returns the body positioned at byte 0. */
  async get(url: string): Promise<Readable> {
    const target = parseHttpUrl(url);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, 'accept-encoding': 'identity' };
    // Credentials in a mirror URL become Basic auth; undici drops the header itself on a cross-origin redirect.
    if (target.username !== '') {
      const user = decodeURIComponent(target.username);
      const pass = decodeURIComponent(target.password);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    }
    const res = await this.dispatcher.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: 'GET',
      headers,
      signal: this.signal,
    });
    if (res.statusCode < 200 || res.statusCode > 299) {
      await res.body.dump().catch(() => undefined);
      throw statusError(res.statusCode, this.ctx.what, this.ctx);
    }
    const length = Number(headerValue(res.headers['content-length']));
    this.ctx.total = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
    this.ctx.phase = 'body';
    return res.body;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const giveUp of [...this.pending]) giveUp();
    await this.agent.destroy().catch(() => undefined);
  }

  private retry(err: Error, counter: number, cb: Parameters<RetryHandler.RetryCallback>[2]): void {
    const s = this.settings;
    if (this.closed || this.signal.aborted || !isRetryable(err) || counter > s.maxRetries) {
      cb(err);
      return;
    }
    this.ctx.retries++;
    const minDelay = s.retryMinDelayMs ?? 500;
    const backoff = Math.min(retryAfterMs(err) ?? minDelay * 2 ** (counter - 1), s.retryMaxDelayMs ?? 30_000);
    const settle = (result: Error | null) => {
      if (!this.pending.delete(giveUp)) return;
      clearTimeout(timer);
      this.signal.removeEventListener('abort', giveUp);
      cb(result);
    };
    // An abort (or the deadline) during the back-off ends the fetch now, not after the back-off.
    const giveUp = () => settle(err);
    const timer = setTimeout(() => settle(null), backoff);
    this.pending.add(giveUp);
    this.signal.addEventListener('abort', giveUp, { once: true });
  }
}

/** The body as text, or undefined once it passes `limit` bytes (then it is destroyed, not read to the end). */
export async function readLimited(body: Readable, limit: number): Promise<string | undefined> {
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
