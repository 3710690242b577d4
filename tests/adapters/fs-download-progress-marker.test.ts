// Adapter tests for FsDownloadProgressMarker: `.download_in_progress` in a real volume directory.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FsDownloadProgressMarker } from '../../src/adapters/fs-download-progress-marker';
import {
  downloadProgressMarkerContract,
  SAMPLE_PROGRESS,
} from '../support/contracts/download-progress-marker-contract';
import { scratchVolume } from '../support/volume-scratch';

const v = scratchVolume();
let root: string;
let marker: FsDownloadProgressMarker;

beforeEach(() => {
  root = v.root;
  marker = new FsDownloadProgressMarker(root);
});

downloadProgressMarkerContract('FsDownloadProgressMarker', async () => {
  const dir = await mkdtemp(join(v.scratch, 'contract-'));
  return {
    marker: new FsDownloadProgressMarker(dir),
    garble: () => writeFile(join(dir, '.download_in_progress'), '{"version": "7.14.2", "uni'),
  };
});

describe('FsDownloadProgressMarker', () => {
  it('progress marker written, read, garbled and cleared → round trip, garbage reads as none', async () => {
    const progress = SAMPLE_PROGRESS;
    expect(await marker.read()).toBeUndefined();
    await marker.write(progress);
    expect(await marker.read()).toEqual(progress);
    await writeFile(join(root, '.download_in_progress'), '{"version": "7.14.2", "uni');
    expect(await marker.read()).toBeUndefined();
    await marker.clear();
    await marker.clear();
    expect(existsSync(join(root, '.download_in_progress'))).toBe(false);
  });

  it('marker without a total (no Content-Length) written twice → replaced in place, no temp file left', async () => {
    const { total: _, ...progress } = SAMPLE_PROGRESS;
    await marker.write(progress);
    await marker.write({ ...progress, bytes: 200, updatedAt: 3 });
    expect(await marker.read()).toEqual({ ...progress, bytes: 200, updatedAt: 3 });
    expect(await readdir(root)).toEqual(['.download_in_progress']);
  });
});
