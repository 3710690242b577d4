// Adapter helper (HookTools): the relation hook tools (relation-ids, relation-list, relation-get, relation-set);
// data bags are JSON in and out, never `key=value` argv.

import { z } from 'zod';
import type { Databag, HookTools } from '../ports/hook-tools';
import { type HookToolCli, stringList, stringMap } from './hook-tool-cli';

/** Relations: ids, remote units and application, data bags. */
export class CliRelationTools
  implements Pick<HookTools, 'relationIds' | 'relationList' | 'relationRemoteApp' | 'relationGet' | 'relationSet'>
{
  constructor(private readonly cli: HookToolCli) {}

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/relation-ids/ */
  async relationIds(endpoint: string): Promise<readonly string[]> {
    const args = ['--format=json', endpoint];
    return this.cli.parse('relation-ids', args, await this.cli.run('relation-ids', args), stringList.nullable()) ?? [];
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/relation-list/ */
  async relationList(relationId: string): Promise<readonly string[]> {
    const args = ['--format=json', '-r', relationId];
    return (
      this.cli.parse('relation-list', args, await this.cli.run('relation-list', args), stringList.nullable()) ?? []
    );
  }

  /**
   * (`--app`: the remote application's name)
   * @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/relation-list/
   */
  async relationRemoteApp(relationId: string): Promise<string | undefined> {
    const args = ['--format=json', '-r', relationId, '--app'];
    const name = this.cli.parse(
      'relation-list',
      args,
      await this.cli.run('relation-list', args),
      z.string().nullable(),
    );
    return name === null || name === '' ? undefined : name;
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/relation-get/ */
  async relationGet(relationId: string, unitOrApp: string, options?: { readonly app?: boolean }): Promise<Databag> {
    const args = ['--format=json', '-r', relationId, '-', unitOrApp, ...(options?.app === true ? ['--app'] : [])];
    return this.cli.parse('relation-get', args, await this.cli.run('relation-get', args), stringMap.nullable()) ?? {};
  }

  /**
   * (JSON is a YAML map, which `--file -` reads from stdin)
   * @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/relation-set/
   */
  async relationSet(relationId: string, data: Databag, options?: { readonly app?: boolean }): Promise<void> {
    const args = ['-r', relationId, ...(options?.app === true ? ['--app'] : []), '--file', '-'];
    await this.cli.run('relation-set', args, JSON.stringify(data));
  }
}
