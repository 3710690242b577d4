// Test support: the VolumeProbe port over an InMemoryVolume. Reports what the adapter would (a missing volume has
// no free space and no id), creates the volume id once whichever unit asks first, and refuses writes the same way.

import { randomUUID } from 'node:crypto';
import type { VolumeFacts } from '../../src/domain/volume';
import type { VolumeProbe, VolumeUsage } from '../../src/ports/volume-probe';
import type { InMemoryVolume } from './in-memory-volume';

export class FakeVolumeProbe implements VolumeProbe {
  constructor(readonly volume: InMemoryVolume) {}

  get root(): string {
    return this.volume.root;
  }

  async inspect(): Promise<VolumeFacts> {
    const v = this.volume;
    if (v.state === 'missing' || v.state === 'not-directory' || v.state === 'unreadable') {
      return {
        path: v.root,
        state: v.state,
        detail: `${v.root}: ${v.state}`,
        freeBytes: 0,
        totalBytes: 0,
        networkFilesystem: false,
        filesystemType: 'unknown',
        volumeId: undefined,
      };
    }
    return {
      path: v.root,
      state: v.state,
      ...(v.state === 'read-only' ? { detail: 'write probe failed: EROFS: read-only file system' } : {}),
      freeBytes: v.freeBytes,
      totalBytes: v.totalBytes,
      networkFilesystem: v.networkFilesystem,
      filesystemType: v.filesystemType,
      volumeId: v.volumeId,
    };
  }

  async ensureVolumeId(): Promise<string> {
    this.volume.assertReadable('.volume-id');
    if (this.volume.volumeId !== undefined && !this.volume.absent) return this.volume.volumeId;
    this.volume.assertWritable('.volume-id');
    this.volume.volumeId = randomUUID();
    return this.volume.volumeId;
  }

  async ensureRoot(): Promise<void> {
    if (this.volume.state === 'missing' && this.volume.rootCreatable) this.volume.state = 'ok';
  }

  async usage(): Promise<VolumeUsage> {
    this.volume.assertReadable('usage');
    return this.volume.absent ? { releaseBytes: 0, volumeBytes: 0 } : this.volume.bytes();
  }
}
