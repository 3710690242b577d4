// Test support: the shared-fs side of one unit's machine in memory: the kernel and container facts, apt (a command
// present means nothing to install), and mount units that mount or fail with the helper's words, as systemd would.

import type { HostFilesystemFacts } from '../../src/domain/shared-fs-mount';
import {
  MountFailedError,
  type MountHost,
  type MountUnits,
  type PackageInstaller,
  type PackageNeed,
} from '../../src/ports/shared-fs-host';
import type { FakeMachine } from './fake-machine';

export class FakeSharedFsHost implements MountHost, PackageInstaller, MountUnits {
  facts: HostFilesystemFacts = { kernelFilesystems: ['ext4', 'tmpfs', 'fuse'], inContainer: true };
  /** Commands already on the machine (mount.nfs, ceph-fuse...). */
  readonly commands = new Set<string>();
  /** Packages installed by the charm, in order. */
  readonly installed: string[] = [];
  /** apt's error for the next installs, as the adapter reports it; undefined: apt works. */
  installFailure: string | undefined;
  /** What the mount helper says when the next mounts fail; undefined: mounts succeed. */
  mountFailure: string | undefined;
  /** Every mount and unmount, in order: `mount var-lib-concourse.mount at /var/lib/concourse`. */
  readonly calls: string[] = [];

  constructor(
    private readonly machine: FakeMachine,
    /** What the mount table shows at the location once mounted. */
    private readonly mounted = { source: '10.0.0.5:/srv/concourse', filesystemType: 'nfs4', depth: 1 },
  ) {}

  async filesystemFacts(): Promise<HostFilesystemFacts> {
    return this.facts;
  }

  async ensure(needs: readonly PackageNeed[]): Promise<readonly string[]> {
    const missing = needs.filter((n) => !this.commands.has(n.command));
    if (missing.length === 0) return [];
    if (this.installFailure !== undefined) throw new Error(this.installFailure);
    for (const n of missing) {
      this.commands.add(n.command);
      this.installed.push(n.pkg);
    }
    return missing.map((n) => n.pkg);
  }

  async mount(unit: string, where: string): Promise<void> {
    this.calls.push(`mount ${unit} at ${where}`);
    // The adapter does it with `systemctl start`: in the machine's one record, so tests can read the order.
    this.machine.systemctl.push(`start ${unit}`);
    if (!this.machine.files.has(`/etc/systemd/system/${unit}`)) {
      throw new MountFailedError(`Unit ${unit} not found.`);
    }
    if (this.mountFailure !== undefined) throw new MountFailedError(this.mountFailure);
    this.machine.setActive(unit, true);
    this.machine.mount = this.mounted;
  }

  async unmount(unit: string): Promise<void> {
    this.calls.push(`unmount ${unit}`);
    this.machine.systemctl.push(`stop ${unit}`);
    this.machine.setActive(unit, false);
    this.machine.mount = undefined;
  }
}
