// Port: the volume under a release store as a whole: is it usable (exists, directory, writable, free space,
// filesystem type), which volume is it (`.volume-id`), and how much of it is used.

import type { VolumeFacts } from '../domain/volume';

export interface VolumeUsage {
  /** Apparent bytes of the regular files under releases/. */
  readonly releaseBytes: number;
  /** Apparent bytes of the regular files under the root, mounts inside it not counted. */
  readonly volumeBytes: number;
}

export interface VolumeProbe {
  readonly root: string;
  /** Health probe: exists, directory, writable (create + rename + unlink), free space, filesystem type, volume id. */
  inspect(): Promise<VolumeFacts>;
  /** Reads `.volume-id`, creating it (exclusively, so one unit wins) when absent. */
  ensureVolumeId(): Promise<string>;
  /** Creates the store root inside an existing volume (unit-private stores); never the volume itself. */
  ensureRoot(): Promise<void>;
  usage(): Promise<VolumeUsage>;
}

/** The volume under this unit's store root. */
export const VOLUME_PROBE = Symbol.for('concourse-ci-machine/VolumeProbe');
/** The volume at the storage location itself, whatever the config says (removal needs no parsed config). */
export const LOCATION_VOLUME_PROBE = Symbol.for('concourse-ci-machine/LocationVolumeProbe');
