// Adapter helper (HookTools): the secret hook tools (secret-get, secret-add, secret-set, secret-grant). Secret
// content never goes into argv: it is written to a private file that is removed whatever happens.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { HookTools, SecretAddOptions } from '../ports/hook-tools';
import { type HookToolCli, stringMap } from './hook-tool-cli';

const secretUri = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string().regex(/^secret:\S+$/, 'a secret URI'));

/** Secrets: read, create, update, grant. */
export class CliSecretTools implements Pick<HookTools, 'secretGet' | 'secretAdd' | 'secretSet' | 'secretGrant'> {
  constructor(private readonly cli: HookToolCli) {}

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/secret-get/ */
  async secretGet(
    idOrLabel: { readonly id: string } | { readonly label: string },
    options?: { readonly refresh?: boolean; readonly peek?: boolean },
  ): Promise<Readonly<Record<string, string>> | undefined> {
    const args = [
      '--format=json',
      ...('id' in idOrLabel ? [idOrLabel.id] : ['--label', idOrLabel.label]),
      ...(options?.refresh === true ? ['--refresh'] : []),
      ...(options?.peek === true ? ['--peek'] : []),
    ];
    const outcome = await this.cli.runOrAbsent('secret-get', args);
    if (outcome.absent) return undefined;
    return this.cli.parse('secret-get', args, outcome.stdout, stringMap);
  }

  /**
   * Content goes in a `--file` (YAML; JSON is YAML) private to this process, never in argv, which every local user
   * can read in /proc; Juju prints the new secret's URI.
   * @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/secret-add/
   */
  async secretAdd(content: Readonly<Record<string, string>>, options?: SecretAddOptions): Promise<string> {
    return withContentFile('secret-add', content, async (file) => {
      const args = [
        ...(options?.label !== undefined ? ['--label', options.label] : []),
        ...(options?.description !== undefined ? ['--description', options.description] : []),
        '--owner',
        options?.owner ?? 'application',
        '--file',
        file,
      ];
      return this.cli.parse('secret-add', args, await this.cli.run('secret-add', args), secretUri, false);
    });
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/secret-set/ */
  async secretSet(id: string, content: Readonly<Record<string, string>>): Promise<void> {
    await withContentFile('secret-set', content, (file) => this.cli.run('secret-set', [id, '--file', file]));
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/secret-grant/ */
  async secretGrant(id: string, relationId: string, options?: { readonly unit?: string }): Promise<void> {
    await this.cli.run('secret-grant', [
      id,
      '-r',
      relationId,
      ...(options?.unit !== undefined ? ['--unit', options.unit] : []),
    ]);
  }
}

/** Secret content in a 0600 file of a fresh 0700 directory, removed whatever happens. */
async function withContentFile<T>(
  tool: string,
  values: Readonly<Record<string, string>>,
  use: (file: string) => Promise<T>,
): Promise<T> {
  for (const key of Object.keys(values)) {
    if (!/^[a-z](?:-?[a-z0-9])*$/.test(key)) throw new RangeError(`${tool}: invalid key ${JSON.stringify(key)}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'juju-secret-'));
  try {
    const file = join(dir, 'content.yaml');
    await writeFile(file, JSON.stringify(values), { mode: 0o600, flag: 'wx' });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
