// Contract of the DownloadProgressMarker port, run against the file adapter (tests/adapters) and the in-memory one
// (tests/unit): a marker round-trips, a garbled one reads as none, clearing is idempotent.

import { describe, expect, it } from 'vitest';
import type { DownloadProgress } from '../../../src/domain/download-progress';
import type { DownloadProgressMarker } from '../../../src/ports/download-progress-marker';

export interface DownloadProgressMarkerSubject {
  readonly marker: DownloadProgressMarker;
  /** Leaves half a JSON where the marker is. */
  garble(): Promise<void>;
}

/** A marker as a downloading unit writes it, half-way through. */
export const SAMPLE_PROGRESS: DownloadProgress = {
  version: '7.14.2',
  unit: 'concourse-ci/0',
  host: 'machine-0',
  pid: 1234,
  startedAt: 1,
  updatedAt: 2,
  bytes: 100,
  total: 400,
};

export function downloadProgressMarkerContract(name: string, make: () => Promise<DownloadProgressMarkerSubject>): void {
  describe(`${name} keeps the DownloadProgressMarker contract`, () => {
    it('no marker → none; written → read back; rewritten → the newer one', async () => {
      const { marker } = await make();
      expect(await marker.read()).toBeUndefined();
      await marker.write(SAMPLE_PROGRESS);
      expect(await marker.read()).toEqual(SAMPLE_PROGRESS);
      await marker.write({ ...SAMPLE_PROGRESS, bytes: 300, updatedAt: 3 });
      expect(await marker.read()).toEqual({ ...SAMPLE_PROGRESS, bytes: 300, updatedAt: 3 });
    });

    it('garbled marker → reads as none; cleared twice → none, no error', async () => {
      const subject = await make();
      await subject.marker.write(SAMPLE_PROGRESS);
      await subject.garble();
      expect(await subject.marker.read()).toBeUndefined();
      await subject.marker.clear();
      await subject.marker.clear();
      expect(await subject.marker.read()).toBeUndefined();
    });
  });
}
