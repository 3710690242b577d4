// Port: what mounting a shared filesystem needs from the machine: its kernel and container facts (which CephFS
// client works here), the client packages (installed only when missing), and the mount unit started and stopped.

import type { HostFilesystemFacts } from '../domain/shared-fs-mount';

export interface MountHost {
  /** The filesystems the kernel offers (/proc/filesystems) and whether this machine is a container. */
  filesystemFacts(): Promise<HostFilesystemFacts>;
}

export const MOUNT_HOST = Symbol.for('concourse-ci-machine/MountHost');

export interface PackageNeed {
  /** A command the package provides (`mount.nfs`): present on PATH means nothing to install. */
  readonly command: string;
  readonly pkg: string;
}

export interface PackageInstaller {
  /** Installs the packages whose command is missing (apt, through the model's proxy); returns what it installed. */
  ensure(needs: readonly PackageNeed[]): Promise<readonly string[]>;
}

export const PACKAGE_INSTALLER = Symbol.for('concourse-ci-machine/PackageInstaller');

export interface MountUnits {
  /**
   * Starts the mount unit and resolves once a filesystem is mounted at `where`; throws MountFailedError carrying the
   * mount helper's own words otherwise.
   */
  mount(unit: string, where: string): Promise<void>;
  /** Stops the mount unit (unmounts); nothing to do when it is not mounted. */
  unmount(unit: string): Promise<void>;
}

export const MOUNT_UNITS = Symbol.for('concourse-ci-machine/MountUnits');

/** The mount did not happen; `detail` is what the mount helper or systemd said (never a key: options hold paths). */
export class MountFailedError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}
