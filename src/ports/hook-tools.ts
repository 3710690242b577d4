// Port: the Juju hook tools a hook may call (https://documentation.ubuntu.com/juju/3.6/reference/hook-command/).
// Adapters spawn the real tools; tests use a fake Juju. Outputs are parsed values, never raw JSON.

export type SettableStatus = 'active' | 'blocked' | 'waiting' | 'maintenance';
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

/** A relation data bag: Juju's relation data is string-to-string. */
export type Databag = Readonly<Record<string, string>>;

export interface SecretAddOptions {
  readonly label?: string;
  readonly description?: string;
  /** `application` (default for app-owned secrets created by the leader) or `unit`. */
  readonly owner?: 'application' | 'unit';
}

export interface NetworkAddresses {
  readonly ingressAddress: string;
  readonly bindAddress: string;
}

export interface HookTools {
  /** juju-log: https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/juju-log/ */
  jujuLog(level: LogLevel, message: string): Promise<void>;
  /** status-set: https://documentation.ubuntu.com/juju/3.6/reference/hook-command/list-of-hook-commands/status-set/ */
  statusSet(status: SettableStatus, message: string, options?: { readonly application?: boolean }): Promise<void>;
  /** application-version-set */
  applicationVersionSet(version: string): Promise<void>;
  /** config-get --format=json: the whole config map. */
  configGet(): Promise<Readonly<Record<string, unknown>>>;
  /** is-leader --format=json */
  isLeader(): Promise<boolean>;
  /** relation-ids --format=json <endpoint> */
  relationIds(endpoint: string): Promise<readonly string[]>;
  /** relation-list --format=json -r <id> (remote units); with app=true, the remote application name. */
  relationList(relationId: string): Promise<readonly string[]>;
  relationRemoteApp(relationId: string): Promise<string | undefined>;
  /** relation-get --format=json -r <id> - <unit-or-app> [--app] */
  relationGet(relationId: string, unitOrApp: string, options?: { readonly app?: boolean }): Promise<Databag>;
  /** relation-set -r <id> --file - [--app]: keys with empty values are deleted by Juju. */
  relationSet(relationId: string, data: Databag, options?: { readonly app?: boolean }): Promise<void>;
  /** action-get --format=json */
  actionGet(): Promise<Readonly<Record<string, unknown>>>;
  /** action-set key=value ... (nested keys flattened with dots by the caller). */
  actionSet(values: Readonly<Record<string, string>>): Promise<void>;
  actionLog(message: string): Promise<void>;
  actionFail(message: string): Promise<void>;
  /** storage-get --format=json -s <id> location */
  storageGet(storageId: string | undefined, key: 'location' | 'kind'): Promise<string>;
  /** storage-list --format=json [name] */
  storageList(name?: string): Promise<readonly string[]>;
  openPort(port: number, protocol?: 'tcp' | 'udp'): Promise<void>;
  closePort(port: number, protocol?: 'tcp' | 'udp'): Promise<void>;
  /** unit-get --format=json private-address */
  unitGet(key: 'private-address' | 'public-address'): Promise<string>;
  /** network-get --format=json <binding> */
  networkGet(binding: string): Promise<NetworkAddresses>;
  /** secret-get --format=json <id> [--refresh|--peek]; undefined when the secret does not exist or was revoked. */
  secretGet(
    idOrLabel: { readonly id: string } | { readonly label: string },
    options?: { readonly refresh?: boolean; readonly peek?: boolean },
  ): Promise<Readonly<Record<string, string>> | undefined>;
  /** secret-add: returns the new secret's URI. */
  secretAdd(content: Readonly<Record<string, string>>, options?: SecretAddOptions): Promise<string>;
  secretSet(id: string, content: Readonly<Record<string, string>>): Promise<void>;
  secretGrant(id: string, relationId: string, options?: { readonly unit?: string }): Promise<void>;
  /**
   * resource-get <name>: the local path, or undefined when the operator attached none (or an empty file); throws
   * ResourceFetchError when the controller could not serve it (nothing says whether one is attached).
   */
  resourceGet(name: string): Promise<string | undefined>;
  /** state-get --format=json <key>: per-unit charm state kept by the controller. */
  stateGet(key: string): Promise<string | undefined>;
  /** state-get --format=json: every key at once (one call instead of one per key). */
  stateGetAll(): Promise<Readonly<Record<string, string>>>;
  stateSet(values: Readonly<Record<string, string>>): Promise<void>;
}

export const HOOK_TOOLS = Symbol.for('concourse-ci-machine/HookTools');

/** A hook tool exited non-zero. The message ends in the tool's own stderr, which is what an operator can act on. */
export class HookToolError extends Error {
  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    const detail = stderr.trim();
    super(detail === '' ? `${tool} failed with exit code ${exitCode}` : `${tool} failed: ${detail}`);
    this.name = new.target.name;
  }
}

/** The relation id is unknown to this hook: the relation was removed (or never existed). */
export class RelationNotFoundError extends HookToolError {}

/** Juju refused a leader-only write (application data bag, application-owned secret, application status). */
export class NotLeaderError extends HookToolError {}

/**
 * resource-get failed for another reason than "not found" (the controller is unreachable, restarting, or answered
 * 500): whether a resource is attached is unknown, so nothing may be concluded from it.
 */
export class ResourceFetchError extends HookToolError {
  /** Juju's own words: the first non-empty line of stderr, without the CLI's `ERROR ` prefix. */
  get jujuMessage(): string {
    const first = this.stderr.split('\n').find((line) => line.trim() !== '') ?? '';
    const text = first.trim().replace(/^ERROR\s+/, '');
    return text === '' ? `exit code ${this.exitCode}` : text;
  }
}

/** One spawned hook tool run; the only place a process is started for hook tools. */
export interface HookToolResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface HookToolRunner {
  run(tool: string, args: readonly string[], stdin?: string): Promise<HookToolResult>;
}

export const HOOK_TOOL_RUNNER = Symbol.for('concourse-ci-machine/HookToolRunner');
