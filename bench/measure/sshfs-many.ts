// Measurement 7: many units started at once on one volume shared over sshfs (each unit its own mount and caches,
// as NFS clients have): downloads, errors and the time until every unit is active.

import { SshfsVolume } from '../../sim/sshfs-volume';
import type { BenchContext } from '../lib/context';
import { deployAndSettle, errorOf } from '../lib/deployments';

const GROUP = '7 Many units at once on an sshfs-shared volume';

export async function measureSshfsMany(ctx: BenchContext, units: number): Promise<void> {
  const { rec } = ctx;
  const volume = new SshfsVolume('bench-sshfs');
  const { sim, counts } = await deployAndSettle(ctx, { units, sharedStorage: 'auto', volume });
  try {
    const error = errorOf([{ label: `${units} units on sshfs`, counts }]);
    const once = (median: number) => ({ median, min: median, max: median, runs: 1, ...error });
    rec.add({
      group: GROUP,
      name: `${units} units: downloads`,
      unit: 'downloads',
      ...once(counts.downloads),
      target: '1 per version',
      met: counts.downloads === 1,
    });
    rec.add({
      group: GROUP,
      name: `${units} units: failed hooks + ERROR log lines`,
      unit: 'errors',
      ...once(counts.failedHooks + counts.errorLogs),
    });
    rec.add({ group: GROUP, name: `${units} units: units active`, unit: 'units', ...once(counts.active) });
    rec.add({
      group: GROUP,
      name: `${units} units: time until all settle`,
      unit: 's',
      ...once(counts.settleMs / 1000),
    });
    rec.add({ group: GROUP, name: `${units} units: hooks run`, unit: 'hooks', ...once(counts.hooks) });
    if (counts.downloads !== 1 || counts.errorLogs > 0) {
      // What went wrong, in the charm's own words, so a missed target comes with its first lead.
      const errors = [...new Set(sim.debugLog({ level: 'ERROR' }).map((l) => l.replace(/^.*?juju-log /, '')))];
      rec.note(
        `${units} units on sshfs: ${counts.downloads} downloads; the charm's ERROR lines: ${errors.slice(0, 5).join(' / ') || 'none'}.`,
      );
    }
  } finally {
    await sim.close();
  }
}
