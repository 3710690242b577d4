// Adapter helper: turns whatever went wrong while fetching or unpacking a release (undici, zlib, node-tar, fs codes)
// into a DownloadError in the operator's vocabulary, saying how far the fetch got and how often it was retried.

import { redactUrl } from '../domain/redact';
import { DownloadError, type DownloaderSettings } from '../ports/downloader';
import { errorCode } from './fs-errors';

export const MAX_REDIRECTIONS = 5;

// undici's defaults plus its own timeout errors: a stalled body or a slow first byte is worth another attempt, and
// after the first byte another attempt is a resume by Range (undici's RetryHandler), not a restart.
export const RETRYABLE_CODES = [
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
export const RETRYABLE_STATUS = [408, 429, 500, 502, 503, 504];

/** What a failure is about, filled in as the fetch advances, so errors say how far it got. */
export interface FetchContext {
  /** The URL without its credentials, or the resource label: what the operator recognises. */
  readonly what: string;
  readonly userSignal: AbortSignal | undefined;
  readonly deadline: AbortSignal;
  phase: 'request' | 'body';
  bytes: number;
  total: number | undefined;
  retries: number;
}

export function newFetchContext(
  what: string,
  userSignal: AbortSignal | undefined,
  deadline: AbortSignal,
): FetchContext {
  return { what, userSignal, deadline, phase: 'request', bytes: 0, total: undefined, retries: 0 };
}

/**
 * A URL for a message: `https://user:secret@mirror/x` becomes `https://***@mirror/x`. Unlike the domain's redactUrl,
 * a string that does not parse is masked up to its last `@` too: it is echoed in "is not a URL" errors.
 */
export function redactForMessage(url: string): string {
  if (URL.canParse(url)) return redactUrl(url);
  return url.replace(/^([^:/?#]*:\/\/)?[\s\S]*@/, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);
}

/** `what` is the redacted URL (FetchContext.what), never the configured one. */
export function statusError(status: number, what: string, ctx: FetchContext): DownloadError {
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

export function isRetryable(err: Error): boolean {
  const code = errorCode(err);
  if (code === 'UND_ERR_REQ_RETRY') {
    const status = statusOf(err);
    return status !== undefined && RETRYABLE_STATUS.includes(status);
  }
  return code !== undefined && RETRYABLE_CODES.includes(code);
}

export function progressText(ctx: FetchContext): string {
  return ctx.total === undefined ? `${ctx.bytes} bytes` : `${ctx.bytes} of ${ctx.total} bytes`;
}

function attempts(ctx: FetchContext): string {
  return ctx.retries > 0 ? ` after ${ctx.retries + 1} attempts` : '';
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('statusCode' in err)) return undefined;
  return typeof err.statusCode === 'number' ? err.statusCode : undefined;
}

function tarCodeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('tarCode' in err)) return undefined;
  return typeof err.tarCode === 'string' ? err.tarCode : undefined;
}

function receivedBytesOf(err: unknown): number {
  if (typeof err !== 'object' || err === null || !('receivedBytes' in err)) return 0;
  return typeof err.receivedBytes === 'number' ? err.receivedBytes : 0;
}

function seconds(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** One place that turns whatever went wrong into the operator's vocabulary. */
export function classify(err: unknown, ctx: FetchContext, settings: DownloaderSettings): DownloadError {
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
    case 'UND_ERR_BODY_TIMEOUT': {
      // The bytes that arrived before the silence, whether or not the unpack pipeline had hashed them all yet.
      const got = { ...ctx, bytes: Math.max(ctx.bytes, receivedBytesOf(err)) };
      return new DownloadError(
        'timeout',
        `${ctx.what} stalled: no data for ${seconds(settings.bodyIdleTimeoutMs)} after ${progressText(got)}${attempts(ctx)}`,
        cause,
      );
    }
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
