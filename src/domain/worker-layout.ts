// Domain: where a unit's own files live. Derived only from the parsed unit name (which cannot hold `/` or `..`),
// so no unit can address another unit's directory or anything outside the volume.

import type { UnitName } from './hook-event';

export const LOCAL_WORKER_ROOT = '/var/lib/concourse-worker';

export interface WorkerLayout {
  /** Relative to the volume root: `worker/<app>-<n>`. */
  readonly unitDir: string;
  readonly unitDirName: string;
  /** Absolute. */
  readonly stateFile: string;
  /** Absolute; the worker's containers and volumes. Never on a network filesystem. */
  readonly workDir: string;
  readonly workDirIsLocal: boolean;
}

export function workerLayout(input: {
  readonly unit: UnitName;
  readonly volumeRoot: string;
  readonly volumeIsNetworkFilesystem: boolean;
  readonly workDirOverride: string | undefined;
}): WorkerLayout {
  const name = input.unit.dirName;
  const root = input.volumeRoot.replace(/\/+$/, '');
  const unitDir = `worker/${name}`;
  // Overlay snapshotters and bind mounts of containerd fail on NFS and FUSE: keep runtime data local there.
  const workDirIsLocal = input.workDirOverride === undefined && input.volumeIsNetworkFilesystem;
  const workDir =
    input.workDirOverride ?? (workDirIsLocal ? `${LOCAL_WORKER_ROOT}/${name}/work_dir` : `${root}/${unitDir}/work_dir`);
  return { unitDir, unitDirName: name, stateFile: `${root}/${unitDir}/state.json`, workDir, workDirIsLocal };
}
