// Adapter (DownloadProgressMarker): `.download_in_progress` at the store root, replaced by rename so a reader never
// sees half a JSON; advisory and rewritten every few seconds, so not fsynced.

import { unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { inject, injectable } from 'inversify';
import { type DownloadProgress, parseDownloadProgress } from '../domain/download-progress';
import { VOLUME_LAYOUT } from '../domain/volume-layout';
import type { DownloadProgressMarker } from '../ports/download-progress-marker';
import { STORE_ROOT } from '../ports/store-root';
import { readJsonIfExists, writeAtomic } from './fs-durable';
import { errorCode } from './fs-errors';

@injectable()
export class FsDownloadProgressMarker implements DownloadProgressMarker {
  private readonly file: string;

  constructor(@inject(STORE_ROOT) root: string) {
    this.file = join(resolve(root), VOLUME_LAYOUT.progress);
  }

  async read(): Promise<DownloadProgress | undefined> {
    const raw = await readJsonIfExists(this.file);
    return raw === undefined ? undefined : parseDownloadProgress(raw);
  }

  async write(progress: DownloadProgress): Promise<void> {
    await writeAtomic(this.file, JSON.stringify(progress), { durable: false });
  }

  async clear(): Promise<void> {
    await unlink(this.file).catch((err: unknown) => {
      if (errorCode(err) !== 'ENOENT') throw err;
    });
  }
}
