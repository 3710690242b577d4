// Adapter helper (HookTools): the action hook tools (action-get, action-set, action-log, action-fail).

import type { HookTools } from '../ports/hook-tools';
import { type HookToolCli, keyValueArgs, looseMap } from './hook-tool-cli';

/** Action parameters, results, progress messages and failure. */
export class CliActionTools implements Pick<HookTools, 'actionGet' | 'actionSet' | 'actionLog' | 'actionFail'> {
  constructor(private readonly cli: HookToolCli) {}

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/action-get/ */
  async actionGet(): Promise<Readonly<Record<string, unknown>>> {
    const args = ['--format=json'];
    return this.cli.parse('action-get', args, await this.cli.run('action-get', args), looseMap.nullable()) ?? {};
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/action-set/ */
  async actionSet(values: Readonly<Record<string, string>>): Promise<void> {
    await this.cli.run('action-set', keyValueArgs('action-set', values));
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/action-log/ */
  async actionLog(message: string): Promise<void> {
    await this.cli.run('action-log', ['--', message]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/action-fail/ */
  async actionFail(message: string): Promise<void> {
    await this.cli.run('action-fail', ['--', message]);
  }
}
