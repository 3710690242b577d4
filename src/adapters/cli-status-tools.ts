// Adapter helper (HookTools): the hook tools about the unit itself: logging, status, workload version, config and
// leadership (juju-log, status-set, application-version-set, config-get, is-leader).

import { z } from 'zod';
import type { HookTools, LogLevel, SettableStatus } from '../ports/hook-tools';
import { type HookToolCli, looseMap } from './hook-tool-cli';

/** Logging, status, version, config and leadership. */
export class CliStatusTools
  implements Pick<HookTools, 'jujuLog' | 'statusSet' | 'applicationVersionSet' | 'configGet' | 'isLeader'>
{
  constructor(private readonly cli: HookToolCli) {}

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/juju-log/ */
  async jujuLog(level: LogLevel, message: string): Promise<void> {
    await this.cli.run('juju-log', ['-l', level, '--', message]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/status-set/ */
  async statusSet(
    status: SettableStatus,
    message: string,
    options?: { readonly application?: boolean },
  ): Promise<void> {
    await this.cli.run('status-set', [
      ...(options?.application === true ? ['--application'] : []),
      status,
      '--',
      message,
    ]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/application-version-set/ */
  async applicationVersionSet(version: string): Promise<void> {
    await this.cli.run('application-version-set', ['--', version]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/config-get/ */
  async configGet(): Promise<Readonly<Record<string, unknown>>> {
    const args = ['--format=json'];
    return this.cli.parse('config-get', args, await this.cli.run('config-get', args), looseMap.nullable()) ?? {};
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/is-leader/ */
  async isLeader(): Promise<boolean> {
    const args = ['--format=json'];
    return this.cli.parse('is-leader', args, await this.cli.run('is-leader', args), z.boolean());
  }
}
