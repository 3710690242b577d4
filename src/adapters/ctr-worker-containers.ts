// Adapter (WorkerContainers): asks the worker's own containerd with the `ctr` of its release for the running tasks
// of Concourse's namespace (the socket is fixed by Concourse: release-layout.md section 6). Bounded; never throws.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { injectable } from 'inversify';
import type { WorkerContainers } from '../ports/worker-containers';

const SOCKET = '/run/containerd/containerd.sock';
const TIMEOUT_MS = 5_000;

@injectable()
export class CtrWorkerContainers implements WorkerContainers {
  count(releaseDir: string): Promise<number | undefined> {
    return new Promise((resolve) => {
      execFile(
        join(releaseDir, 'bin', 'ctr'),
        ['--address', SOCKET, '--namespace', 'concourse', 'tasks', 'list', '--quiet'],
        { timeout: TIMEOUT_MS, maxBuffer: 1024 * 1024, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
        (error, stdout) => {
          if (error !== null) return resolve(undefined);
          resolve(
            String(stdout)
              .split('\n')
              .filter((l) => l.trim() !== '').length,
          );
        },
      );
    });
  }
}
