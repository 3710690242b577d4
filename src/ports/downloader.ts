// Port: fetching a release tarball and unpacking it in one pass (socket -> sha1+sha256 -> gunzip -> tar), from a URL
// or from the attached `concourse-release` resource. Integrity is judged by the caller from the digests returned.

import type { FailureKind } from '../domain/install-policy';

export type ReleaseSource =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'file'; readonly path: string; readonly label: string };

export interface DownloadProgressEvent {
  readonly bytes: number;
  /** Undefined when the server sends no Content-Length. */
  readonly total: number | undefined;
}

export interface FetchResult {
  readonly bytes: number;
  readonly sha1: string;
  readonly sha256: string;
  readonly extractedBytes: number;
}

export interface FetchOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: DownloadProgressEvent) => void;
  /** Leading path components to drop from every entry (upstream tarballs hold `concourse/...`). */
  readonly strip: number;
}

/** Why a fetch failed, in the domain's words, so the install policy can tell the operator what to do. */
export type DownloadFailureKind = FailureKind;

export class DownloadError extends Error {
  constructor(
    readonly kind: DownloadFailureKind,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DownloadError';
  }
}

export interface Downloader {
  /** Streams the source into `targetDir`, rejecting unsafe entries; throws DownloadError. */
  fetchAndExtract(source: ReleaseSource, targetDir: string, options: FetchOptions): Promise<FetchResult>;
  /** The sha1 published beside a tarball (`<url>.sha1`, "hex  filename"); throws DownloadError. */
  fetchSha1(url: string, signal?: AbortSignal): Promise<string>;
}

export const DOWNLOADER = Symbol.for('concourse-ci-machine/Downloader');

/** Proxy and timeout settings, from the Juju model (JUJU_CHARM_HTTP_PROXY...), bound per hook. */
export interface DownloaderSettings {
  readonly httpProxy?: string;
  readonly httpsProxy?: string;
  readonly noProxy?: string;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** Longest silence in a body before the connection counts as stalled. */
  readonly bodyIdleTimeoutMs: number;
  /** Whole fetch, all retries included. */
  readonly deadlineMs: number;
  readonly maxRetries: number;
}

/** Production defaults: patient enough for a 900 MB release over a slow link, bounded all the same. */
export const DEFAULT_DOWNLOADER_SETTINGS: DownloaderSettings = {
  connectTimeoutMs: 30_000,
  headersTimeoutMs: 60_000,
  bodyIdleTimeoutMs: 120_000,
  deadlineMs: 60 * 60_000,
  maxRetries: 5,
};

export const DOWNLOADER_SETTINGS = Symbol.for('concourse-ci-machine/DownloaderSettings');
