// Domain: what a unit can observe about the storage location, and the verdict on whether it can be used.

export type VolumeState = 'ok' | 'missing' | 'not-directory' | 'read-only' | 'unreadable';

export interface VolumeFacts {
  readonly path: string;
  readonly state: VolumeState;
  /** Why the state is not ok (errno text), for logs. */
  readonly detail?: string;
  readonly freeBytes: number;
  readonly totalBytes: number;
  /** statfs type: nfs, fuse.sshfs, cephfs... on which worker runtime data must not live. */
  readonly networkFilesystem: boolean;
  readonly filesystemType: string;
  /** `.volume-id` as read now; undefined when the volume has none yet. */
  readonly volumeId: string | undefined;
}
