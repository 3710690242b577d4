// Adapter (Downloader): loads undici and tar (a third of the bundle's start-up time) only when a hook downloads.
// Most hooks reuse a published release and never need them; each hook is a fresh process, so start-up counts.

import { inject, injectable } from 'inversify';
import {
  DOWNLOADER_SETTINGS,
  type Downloader,
  type DownloaderSettings,
  type FetchOptions,
  type FetchResult,
  type ReleaseSource,
} from '../ports/downloader';

@injectable()
export class LazyDownloader implements Downloader {
  private real: Promise<Downloader> | undefined;

  constructor(@inject(DOWNLOADER_SETTINGS) private readonly settings: DownloaderSettings) {}

  async fetchAndExtract(source: ReleaseSource, targetDir: string, options: FetchOptions): Promise<FetchResult> {
    return (await this.load()).fetchAndExtract(source, targetDir, options);
  }

  async fetchSha1(url: string, signal?: AbortSignal): Promise<string> {
    return (await this.load()).fetchSha1(url, signal);
  }

  private load(): Promise<Downloader> {
    this.real ??= import('./undici-downloader').then((m) => new m.UndiciDownloader(this.settings));
    return this.real;
  }
}
