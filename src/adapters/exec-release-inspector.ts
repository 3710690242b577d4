// Adapter (ReleaseInspector): runs the staged `bin/concourse --version`, no shell, bounded in time and output, so a
// broken or hostile binary can only fail the check, not hang the hook.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { injectable } from 'inversify';
import type { ReleaseInspector } from '../ports/release-inspector';

const TIMEOUT_MS = 30_000;

@injectable()
export class ExecReleaseInspector implements ReleaseInspector {
  reportedVersion(releaseDir: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      execFile(
        join(releaseDir, 'bin', 'concourse'),
        ['--version'],
        { timeout: TIMEOUT_MS, maxBuffer: 64 * 1024, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
        (error, stdout) => {
          const text = String(stdout).trim();
          resolve(error !== null || text === '' ? undefined : text);
        },
      );
    });
  }
}
