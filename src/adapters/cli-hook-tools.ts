// Adapter (HookTools): each port method builds the argv of one Juju hook tool, runs it through the injected
// HookToolRunner, maps failures through one table, and parses stdout with a schema into plain values.

import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import {
  type Databag,
  HOOK_TOOL_RUNNER,
  HookToolError,
  type HookToolRunner,
  type HookTools,
  type LogLevel,
  type NetworkAddresses,
  NotLeaderError,
  RelationNotFoundError,
  ResourceFetchError,
  type SecretAddOptions,
  type SettableStatus,
} from '../ports/hook-tools';

// The failures callers can tell apart belong to the port; re-exported for the adapter's own users.
export { HookToolError, NotLeaderError, RelationNotFoundError, ResourceFetchError };

/** A tool exited 0 but printed something its schema rejects: a Juju version we do not understand, or a bug. */
export class HookToolOutputError extends Error {
  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    readonly stdout: string,
    problem: string,
  ) {
    // secret-get prints secret content: never quote it (this message reaches debug-log and action results).
    const shown =
      tool === 'secret-get' ? `${stdout.length} characters, not shown` : JSON.stringify(stdout.slice(0, 200));
    super(`${tool} printed unexpected output (${problem}): ${shown}`);
    this.name = new.target.name;
  }
}

type FailureOutcome = 'absent' | typeof RelationNotFoundError | typeof NotLeaderError | typeof ResourceFetchError;

interface FailureRule {
  readonly tools: readonly string[];
  readonly stderr: RegExp;
  /** Only when the argv has this flag (leadership errors on relation-get apply to `--app` reads only). */
  readonly withFlag?: string;
  readonly outcome: FailureOutcome;
}

/**
 * The one table from a failed tool's stderr (as Juju 3.x prints it) to what callers see. Anything not matched
 * stays a plain HookToolError.
 */
const FAILURE_TABLE: readonly FailureRule[] = [
  // `ERROR invalid value "peers:3" for option -r: relation not found` (the relation was removed).
  {
    tools: ['relation-get', 'relation-set', 'relation-list'],
    stderr: /relation not found/i,
    outcome: RelationNotFoundError,
  },
  // A non-leader writing the application bag: `ERROR cannot write relation settings`.
  { tools: ['relation-set'], stderr: /cannot write relation settings|permission denied/i, outcome: NotLeaderError },
  // A non-leader reading its own application's bag on a non-peer relation.
  { tools: ['relation-get'], stderr: /permission denied/i, withFlag: '--app', outcome: NotLeaderError },
  // secret-add/-set/-grant of an application-owned secret and `status-set --application` on a non-leader.
  {
    tools: ['secret-add', 'secret-set', 'secret-grant', 'status-set'],
    stderr: /not the leader|permission denied/i,
    outcome: NotLeaderError,
  },
  // `ERROR secret "csb3…" not found` (removed) or `ERROR permission denied` (the grant was revoked): either way
  // there is nothing this unit may read.
  { tools: ['secret-get'], stderr: /not found|permission denied/i, outcome: 'absent' },
  // Nothing attached, and only that: `ERROR could not download resource: HTTP request failed: Get https://…/units/
  // unit-x-0/resources/<name>: resource#<app>/<name> not found`. The jujuc command annotates "could not download
  // resource" (juju/juju internal/worker/uniter/runner/jujuc/resource-get.go), the controller's store answers
  // errors.NotFoundf("resource#<app>/<name>") (state/resources.go: resourcePersistence.one, applicationResourceID).
  { tools: ['resource-get'], stderr: /resource#[^\s/]+\/\S+ not found/, outcome: 'absent' },
  // Anything else (`ERROR connection is shut down`, a 500 from the controller) says nothing about what is attached:
  // it must surface, never become a download from elsewhere.
  { tools: ['resource-get'], stderr: /.*/s, outcome: ResourceFetchError },
];

/** Exported for tests: what a failed run becomes. */
export function classifyFailure(failure: HookToolError): HookToolError | 'absent' {
  for (const rule of FAILURE_TABLE) {
    if (!rule.tools.includes(failure.tool)) continue;
    if (rule.withFlag !== undefined && !failure.args.includes(rule.withFlag)) continue;
    if (!rule.stderr.test(failure.stderr)) continue;
    if (rule.outcome === 'absent') return 'absent';
    return new rule.outcome(failure.tool, failure.args, failure.exitCode, failure.stderr);
  }
  return failure;
}

type RunOutcome = { readonly absent: false; readonly stdout: string } | { readonly absent: true };

// Wire shapes (kebab-case, as the tools print them). They stay in this file.
const stringMap = z.record(z.string(), z.string());
const looseMap = z.record(z.string(), z.unknown());
const stringList = z.array(z.string());
const networkInfo = z.object({
  'bind-addresses': z
    .array(
      z.object({
        addresses: z.array(z.object({ value: z.string().optional(), address: z.string().optional() })).nullish(),
      }),
    )
    .nullish(),
  'ingress-addresses': z.array(z.string()).nullish(),
});
const secretUri = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string().regex(/^secret:\S+$/, 'a secret URI'));

@injectable()
export class CliHookTools implements HookTools {
  constructor(@inject(HOOK_TOOL_RUNNER) private readonly runner: HookToolRunner) {}

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/juju-log/ */
  async jujuLog(level: LogLevel, message: string): Promise<void> {
    await this.run('juju-log', ['-l', level, '--', message]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/status-set/ */
  async statusSet(
    status: SettableStatus,
    message: string,
    options?: { readonly application?: boolean },
  ): Promise<void> {
    await this.run('status-set', [...(options?.application === true ? ['--application'] : []), status, '--', message]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/application-version-set/ */
  async applicationVersionSet(version: string): Promise<void> {
    await this.run('application-version-set', ['--', version]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/config-get/ */
  async configGet(): Promise<Readonly<Record<string, unknown>>> {
    const args = ['--format=json'];
    return this.parse('config-get', args, await this.run('config-get', args), looseMap.nullable()) ?? {};
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/is-leader/ */
  async isLeader(): Promise<boolean> {
    const args = ['--format=json'];
    return this.parse('is-leader', args, await this.run('is-leader', args), z.boolean());
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/relation-ids/ */
  async relationIds(endpoint: string): Promise<readonly string[]> {
    const args = ['--format=json', endpoint];
    return this.parse('relation-ids', args, await this.run('relation-ids', args), stringList.nullable()) ?? [];
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/relation-list/ */
  async relationList(relationId: string): Promise<readonly string[]> {
    const args = ['--format=json', '-r', relationId];
    return this.parse('relation-list', args, await this.run('relation-list', args), stringList.nullable()) ?? [];
  }

  /**
   * (`--app`: the remote application's name)
   * @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/relation-list/
   */
  async relationRemoteApp(relationId: string): Promise<string | undefined> {
    const args = ['--format=json', '-r', relationId, '--app'];
    const name = this.parse('relation-list', args, await this.run('relation-list', args), z.string().nullable());
    return name === null || name === '' ? undefined : name;
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/relation-get/ */
  async relationGet(relationId: string, unitOrApp: string, options?: { readonly app?: boolean }): Promise<Databag> {
    const args = ['--format=json', '-r', relationId, '-', unitOrApp, ...(options?.app === true ? ['--app'] : [])];
    return this.parse('relation-get', args, await this.run('relation-get', args), stringMap.nullable()) ?? {};
  }

  /**
   * (JSON is a YAML map, which `--file -` reads from stdin)
   * @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/relation-set/
   */
  async relationSet(relationId: string, data: Databag, options?: { readonly app?: boolean }): Promise<void> {
    const args = ['-r', relationId, ...(options?.app === true ? ['--app'] : []), '--file', '-'];
    await this.run('relation-set', args, JSON.stringify(data));
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/action-get/ */
  async actionGet(): Promise<Readonly<Record<string, unknown>>> {
    const args = ['--format=json'];
    return this.parse('action-get', args, await this.run('action-get', args), looseMap.nullable()) ?? {};
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/action-set/ */
  async actionSet(values: Readonly<Record<string, string>>): Promise<void> {
    await this.run('action-set', keyValueArgs('action-set', values));
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/action-log/ */
  async actionLog(message: string): Promise<void> {
    await this.run('action-log', ['--', message]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/action-fail/ */
  async actionFail(message: string): Promise<void> {
    await this.run('action-fail', ['--', message]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/storage-get/ */
  async storageGet(storageId: string | undefined, key: 'location' | 'kind'): Promise<string> {
    const args = ['--format=json', ...(storageId !== undefined ? ['-s', storageId] : []), key];
    return this.parse('storage-get', args, await this.run('storage-get', args), z.string());
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/storage-list/ */
  async storageList(name?: string): Promise<readonly string[]> {
    const args = ['--format=json', ...(name !== undefined ? [name] : [])];
    return this.parse('storage-list', args, await this.run('storage-list', args), stringList.nullable()) ?? [];
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/open-port/ */
  async openPort(port: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<void> {
    await this.run('open-port', [portSpec(port, protocol)]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/close-port/ */
  async closePort(port: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<void> {
    await this.run('close-port', [portSpec(port, protocol)]);
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/unit-get/ */
  async unitGet(key: 'private-address' | 'public-address'): Promise<string> {
    const args = ['--format=json', key];
    return this.parse('unit-get', args, await this.run('unit-get', args), z.string().min(1));
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/network-get/ */
  async networkGet(binding: string): Promise<NetworkAddresses> {
    const args = ['--format=json', binding];
    const stdout = await this.run('network-get', args);
    const info = this.parse('network-get', args, stdout, networkInfo);
    const first = info['bind-addresses']?.[0]?.addresses?.[0];
    const bindAddress = first?.value || first?.address;
    const ingressAddress = info['ingress-addresses']?.[0] || bindAddress;
    if (bindAddress === undefined || bindAddress === '' || ingressAddress === undefined) {
      throw new HookToolOutputError('network-get', args, stdout, `no address for binding ${binding}`);
    }
    return { ingressAddress, bindAddress };
  }

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
    const outcome = await this.runOrAbsent('secret-get', args);
    if (outcome.absent) return undefined;
    return this.parse('secret-get', args, outcome.stdout, stringMap);
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
      return this.parse('secret-add', args, await this.run('secret-add', args), secretUri, false);
    });
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/secret-set/ */
  async secretSet(id: string, content: Readonly<Record<string, string>>): Promise<void> {
    await withContentFile('secret-set', content, (file) => this.run('secret-set', [id, '--file', file]));
  }

  /** @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/secret-grant/ */
  async secretGrant(id: string, relationId: string, options?: { readonly unit?: string }): Promise<void> {
    await this.run('secret-grant', [
      id,
      '-r',
      relationId,
      ...(options?.unit !== undefined ? ['--unit', options.unit] : []),
    ]);
  }

  /**
   * Prints the local path of the attached file; nothing usable means undefined. A failure other than Juju's "not
   * found" throws ResourceFetchError (see FAILURE_TABLE).
   * @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/resource-get/
   */
  async resourceGet(name: string): Promise<string | undefined> {
    const outcome = await this.runOrAbsent('resource-get', [name]);
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
    const value = this.parse('state-get', args, await this.run('state-get', args), z.string().nullable());
    return value === null || value === '' ? undefined : value;
  }

  /** state-get --format=json with no key: the whole map. */
  async stateGetAll(): Promise<Readonly<Record<string, string>>> {
    const args = ['--format=json'];
    const value = this.parse(
      'state-get',
      args,
      await this.run('state-get', args),
      z.record(z.string(), z.string()).nullable(),
    );
    return value ?? {};
  }

  /**
   * (`--file -`: a YAML map on stdin; JSON is one)
   * @see https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/state-set/
   */
  async stateSet(values: Readonly<Record<string, string>>): Promise<void> {
    await this.run('state-set', ['--file', '-'], JSON.stringify(values));
  }

  private async run(tool: string, args: readonly string[], stdin?: string): Promise<string> {
    const result = await this.runner.run(tool, args, stdin);
    if (result.exitCode === 0) return result.stdout;
    const failure = new HookToolError(tool, args, result.exitCode, result.stderr);
    const mapped = classifyFailure(failure);
    // Only tools whose absence callers expect go through runOrAbsent; elsewhere "absent" is still a failure.
    throw mapped === 'absent' ? failure : mapped;
  }

  private async runOrAbsent(tool: string, args: readonly string[]): Promise<RunOutcome> {
    const result = await this.runner.run(tool, args);
    if (result.exitCode === 0) return { absent: false, stdout: result.stdout };
    const mapped = classifyFailure(new HookToolError(tool, args, result.exitCode, result.stderr));
    if (mapped === 'absent') return { absent: true };
    throw mapped;
  }

  private parse<T>(tool: string, args: readonly string[], stdout: string, schema: z.ZodType<T>, json = true): T {
    let raw: unknown = stdout;
    if (json) {
      try {
        raw = JSON.parse(stdout);
      } catch {
        throw new HookToolOutputError(tool, args, stdout, 'not JSON');
      }
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new HookToolOutputError(tool, args, stdout, z.prettifyError(parsed.error));
    return parsed.data;
  }
}

/** `key=value` arguments; a key holding `=` or `#` would be re-split or read as `#file`/`#base64` by Juju. */
function keyValueArgs(tool: string, values: Readonly<Record<string, string>>): string[] {
  return Object.entries(values).map(([key, value]) => {
    if (key === '' || key.includes('=') || key.includes('#') || key.startsWith('-')) {
      throw new RangeError(`${tool}: invalid key ${JSON.stringify(key)}`);
    }
    return `${key}=${value}`;
  });
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

function portSpec(port: number, protocol: 'tcp' | 'udp'): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`invalid port ${port}`);
  return `${port}/${protocol}`;
}
