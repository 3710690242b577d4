// Adapter (PackageInstaller): apt-get, run without a shell, only for packages whose command is not on PATH yet.
// Juju hands a charm its model's proxy as JUJU_CHARM_*_PROXY, which apt does not read: they are passed to apt-get
// as http_proxy/https_proxy/no_proxy (apt's http and https methods honour those).

import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { inject, injectable } from 'inversify';
import type { PackageInstaller, PackageNeed } from '../ports/shared-fs-host';

export interface AptSettings {
  readonly httpProxy?: string;
  readonly httpsProxy?: string;
  readonly noProxy?: string;
  /** The hook's PATH, where commands are looked for and apt-get is found. */
  readonly path: string;
}

export const APT_SETTINGS = Symbol.for('concourse-ci-machine/AptSettings');

/** Mount helpers live in /sbin, which a non-login PATH may lack. */
const SYSTEM_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

export class PackageInstallError extends Error {
  override name = 'PackageInstallError';
}

@injectable()
export class AptPackageInstaller implements PackageInstaller {
  constructor(@inject(APT_SETTINGS) private readonly settings: AptSettings) {}

  async ensure(needs: readonly PackageNeed[]): Promise<readonly string[]> {
    const missing: string[] = [];
    for (const need of needs) if (!(await this.onPath(need.command))) missing.push(need.pkg);
    if (missing.length === 0) return [];
    await this.apt(['update', '-q']);
    await this.apt(['install', '-y', '-q', '--no-install-recommends', ...missing]);
    return missing;
  }

  private async onPath(command: string): Promise<boolean> {
    const dirs = [...this.settings.path.split(delimiter).filter((d) => d !== ''), ...SYSTEM_DIRS];
    for (const dir of dirs) {
      try {
        await access(join(dir, command), constants.X_OK);
        return true;
      } catch {
        // not here
      }
    }
    return false;
  }

  private apt(args: readonly string[]): Promise<void> {
    const s = this.settings;
    const proxy: Record<string, string> = {};
    for (const [names, value] of [
      [['http_proxy', 'HTTP_PROXY'], s.httpProxy],
      [['https_proxy', 'HTTPS_PROXY'], s.httpsProxy],
      [['no_proxy', 'NO_PROXY'], s.noProxy],
    ] as const) {
      if (value !== undefined) for (const name of names) proxy[name] = value;
    }
    const env = { PATH: s.path, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C', ...proxy };
    return new Promise((resolve, reject) => {
      execFile('apt-get', [...args], { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, _out, stderr) => {
        if (error === null) {
          resolve();
          return;
        }
        // apt's own last words (`E: Unable to locate package ...`, a proxy refusing) are what the operator can act on.
        const lines = stderr.split('\n').filter((l) => l.trim() !== '');
        const said = lines.filter((l) => l.startsWith('E:')).join(' ') || lines.slice(-2).join(' ') || error.message;
        reject(new PackageInstallError(`apt-get ${args[0]} failed: ${said}`));
      });
    });
  }
}
