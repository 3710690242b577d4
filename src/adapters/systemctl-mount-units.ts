// Adapter (MountUnits): starts and stops a systemd mount unit with `systemctl`, then checks the mount table, since
// a mount helper can exit 0 without mounting (mount.fuse.ceph does). On failure the error is the helper's own
// words from the unit's journal (`mount error 13 = Permission denied`), not systemd's "see journalctl".

import { execFile } from 'node:child_process';
import { inject, injectable } from 'inversify';
import { MOUNT_TABLE, type MountTable } from '../ports/mount-table';
import { MountFailedError, type MountUnits } from '../ports/shared-fs-host';
import { SYSTEMCTL_RUNNER, type SystemctlRunner } from './systemctl-service-manager';

/** systemd's own lines about a mount unit, which say nothing the helper's lines do not say better. */
const SYSTEMD_CHATTER =
  /^(Mounting |Mounted |Unmounting |Unmounted |Failed to mount |Job for |See "systemctl |.*\.mount: )/;

@injectable()
export class SystemctlMountUnits implements MountUnits {
  constructor(
    @inject(SYSTEMCTL_RUNNER) private readonly systemctl: SystemctlRunner,
    @inject(MOUNT_TABLE) private readonly mounts: MountTable,
  ) {}

  async mount(unit: string, where: string): Promise<void> {
    const started = await this.systemctl.run(['start', unit]);
    if (started.exitCode !== 0) {
      throw new MountFailedError(await this.why(unit, started.stderr));
    }
    const mounted = await this.mounts.mountAt(where);
    if (mounted === undefined) {
      // Leave nothing half-started behind: the next hook starts the unit afresh.
      await this.systemctl.run(['stop', unit]);
      throw new MountFailedError(await this.why(unit, `nothing is mounted at ${where} after ${unit} started`));
    }
  }

  async unmount(unit: string): Promise<void> {
    const stopped = await this.systemctl.run(['stop', unit]);
    if (stopped.exitCode !== 0) throw new MountFailedError(await this.why(unit, stopped.stderr));
  }

  /** The journal's last lines from the mount helper, else what systemctl said. */
  private async why(unit: string, fallback: string): Promise<string> {
    const journal = await new Promise<string>((resolve) => {
      execFile(
        'journalctl',
        ['--no-pager', '-o', 'cat', '-n', '8', '-u', unit],
        { encoding: 'utf8', timeout: 10_000 },
        (error, stdout) => resolve(error === null ? stdout : ''),
      );
    });
    const own = (text: string) =>
      text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !SYSTEMD_CHATTER.test(l));
    const fromJournal = own(journal);
    const fromSystemctl = own(fallback);
    const text =
      fromJournal.length > 0
        ? fromJournal.slice(-3).join('; ')
        : fromSystemctl.length > 0
          ? fromSystemctl.slice(0, 3).join('; ')
          : fallback.trim().split('\n').slice(0, 3).join('; ');
    return text.length > 300 ? `${text.slice(0, 297)}...` : text;
  }
}
