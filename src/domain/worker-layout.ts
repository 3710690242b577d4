// Domain: where a unit's own worker files live. Derived only from the parsed unit name (which cannot hold `/` or
// `..`), so no unit can address another unit's directory or anything outside the volume. The paths inside the store
// come from volume-layout.ts, the module the store adapter writes `worker/<app>-<n>/state.json` by.

import type { UnitName } from './hook-event';
import { inStore, STORE_PATHS } from './volume-layout';

export const LOCAL_WORKER_ROOT = '/var/lib/concourse-worker';

export interface WorkerLayout {
  /** `<app>-<n>`: the unit's directory under `worker/` (and under `.unit-private/` with shared-storage=none). */
  readonly unitDirName: string;
  /** Absolute; the worker's containers and volumes. Never on a network filesystem. */
  readonly workDir: string;
}

export function workerLayout(input: {
  readonly unit: UnitName;
  readonly volumeRoot: string;
  readonly volumeIsNetworkFilesystem: boolean;
  readonly workDirOverride: string | undefined;
}): WorkerLayout {
  const name = input.unit.dirName;
  // Overlay snapshotters and bind mounts of containerd fail on NFS and FUSE: keep runtime data local there.
  const local = input.volumeIsNetworkFilesystem;
  const workDir =
    input.workDirOverride ??
    (local ? `${LOCAL_WORKER_ROOT}/${name}/work_dir` : inStore(input.volumeRoot, STORE_PATHS.unitWorkDir(name)));
  return { unitDirName: name, workDir };
}
