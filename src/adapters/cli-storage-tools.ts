// Adapter helper (HookTools): what Juju keeps for the unit beside relations: storage (storage-get, storage-list),
// resources (resource-get) and the unit's charm state (state-get, state-set).

import { stat } from 'node:fs/promises';
import { z } from 'zod';
import type { HookTools } from '../ports/hook-tools';
import { type HookToolCli, stringList } from './hook-tool-cli';

/** Storage locations, attached resources and charm state. */
export class CliStorageTools
  implements Pick<HookTools, 'storageGet' | 'storageList' | 'resourceGet' | 'stateGet' | 'stateGetAll' | 'stateSet'>
{
  constructor(private readonly cli: HookToolCli) {}

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/storage-get/ */
  async storageGet(storageId: string | undefined, key: 'location' | 'kind'): Promise<string> {
    const args = ['--format=json', ...(storageId !== undefined ? ['-s', storageId] : []), key];
    return this.cli.parse('storage-get', args, await this.cli.run('storage-get', args), z.string());
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/storage-list/ */
  async storageList(name?: string): Promise<readonly string[]> {
    const args = ['--format=json', ...(name !== undefined ? [name] : [])];
    return this.cli.parse('storage-list', args, await this.cli.run('storage-list', args), stringList.nullable()) ?? [];
  }

  /**
   * Prints the local path of the attached file; nothing usable means undefined. A failure other than Juju's "not
   * found" throws ResourceFetchError (see FAILURE_TABLE).
   * @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/resource-get/
   */
  async resourceGet(name: string): Promise<string | undefined> {
    const outcome = await this.cli.runOrAbsent('resource-get', [name]);
    if (outcome.absent) return undefined;
    const path = outcome.stdout.trim();
    if (path === '') return undefined;
    // Charmhub serves a zero-byte placeholder when the operator attached nothing.
    const info = await stat(path).catch(() => undefined);
    return info?.isFile() === true && info.size > 0 ? path : undefined;
  }

  /**
   * A missing key prints `""` (without --strict), which we read as absent.
   * @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/state-get/
   */
  async stateGet(key: string): Promise<string | undefined> {
    const args = ['--format=json', key];
    const value = this.cli.parse('state-get', args, await this.cli.run('state-get', args), z.string().nullable());
    return value === null || value === '' ? undefined : value;
  }

  /** state-get --format=json with no key: the whole map. */
  async stateGetAll(): Promise<Readonly<Record<string, string>>> {
    const args = ['--format=json'];
    const value = this.cli.parse(
      'state-get',
      args,
      await this.cli.run('state-get', args),
      z.record(z.string(), z.string()).nullable(),
    );
    return value ?? {};
  }

  /**
   * (`--file -`: a YAML map on stdin; JSON is one)
   * @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/state-set/
   */
  async stateSet(values: Readonly<Record<string, string>>): Promise<void> {
    await this.cli.run('state-set', ['--file', '-'], JSON.stringify(values));
  }
}
