// Adapter (Downloader): streams a release over HTTP (undici-http-fetch.ts: proxy, redirects, retries, resume by
// Range) or from the attached resource file through the unpack pipeline (tar-unpack-pipeline.ts), in one pass;
// every failure leaves as a DownloadError worded by download-failures.ts.

import { constants, createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { inject, injectable } from 'inversify';
import {
  DOWNLOADER_SETTINGS,
  DownloadError,
  type Downloader,
  type FetchOptions,
  type FetchResult,
  type ReleaseSource,
} from '../ports/downloader';
import { classify, type FetchContext, newFetchContext, redactForMessage } from './download-failures';
import { errorCode } from './fs-errors';
import { unpackStream } from './tar-unpack-pipeline';
import { HttpFetch, type HttpFetchSettings, readLimited } from './undici-http-fetch';

export type UndiciDownloaderSettings = HttpFetchSettings;

/** A `.sha1` file is one line; anything bigger is not one. */
const MAX_SHA1_BODY = 64 * 1024;

@injectable()
export class UndiciDownloader implements Downloader {
  constructor(@inject(DOWNLOADER_SETTINGS) private readonly settings: UndiciDownloaderSettings) {}

  async fetchAndExtract(source: ReleaseSource, targetDir: string, options: FetchOptions): Promise<FetchResult> {
    const deadline = AbortSignal.timeout(this.settings.deadlineMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const what = source.kind === 'url' ? redactForMessage(source.url) : source.label;
    const ctx = newFetchContext(what, options.signal, deadline);
    try {
      signal.throwIfAborted();
      if (source.kind === 'file') return await this.extractFile(source.path, targetDir, options, signal, ctx);
      const http = new HttpFetch(this.settings, signal, ctx);
      try {
        return await unpackStream(await http.get(source.url), targetDir, options, signal, ctx);
      } finally {
        await http.close();
      }
    } catch (err) {
      throw classify(err, ctx, this.settings);
    }
  }

  async fetchSha1(url: string, signal?: AbortSignal): Promise<string> {
    const deadline = AbortSignal.timeout(this.settings.deadlineMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const ctx = newFetchContext(redactForMessage(url), signal, deadline);
    const http = new HttpFetch(this.settings, combined, ctx);
    try {
      const text = await readLimited(await http.get(url), MAX_SHA1_BODY);
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
      await http.close();
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
}
