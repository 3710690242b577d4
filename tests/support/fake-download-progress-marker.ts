// Test support: the DownloadProgressMarker port over an InMemoryVolume: stored as the adapter stores it (JSON
// text), so a marker garbled by a test reads as none, as it does on disk.

import { type DownloadProgress, parseDownloadProgress } from '../../src/domain/download-progress';
import type { DownloadProgressMarker } from '../../src/ports/download-progress-marker';
import type { InMemoryVolume } from './in-memory-volume';

export class FakeDownloadProgressMarker implements DownloadProgressMarker {
  /** Every marker written, in order: what waiting units could have read. */
  readonly written: DownloadProgress[] = [];

  constructor(readonly volume: InMemoryVolume) {}

  async read(): Promise<DownloadProgress | undefined> {
    this.volume.assertReadable('.download_in_progress');
    const text = this.volume.progress;
    if (text === undefined || this.volume.absent) return undefined;
    try {
      return parseDownloadProgress(JSON.parse(text));
    } catch {
      return undefined;
    }
  }

  async write(progress: DownloadProgress): Promise<void> {
    this.volume.assertWritable('.download_in_progress');
    this.volume.progress = JSON.stringify(progress);
    this.written.push(progress);
  }

  async clear(): Promise<void> {
    if (this.volume.absent || this.volume.progress === undefined) return;
    this.volume.assertWritable('.download_in_progress');
    this.volume.progress = undefined;
  }
}
