// Port: the mount table, to tell a mounted volume from the bare directory beneath it (the storage location is
// where operators mount a shared filesystem, and where Juju binds a storage instance when asked for one).

import type { MountFacts } from '../domain/volume-identity';

export interface MountTable {
  /** The topmost filesystem mounted exactly at `path`, or undefined when `path` is not a mount point. */
  mountAt(path: string): Promise<MountFacts | undefined>;
}

export const MOUNT_TABLE = Symbol.for('concourse-ci-machine/MountTable');
