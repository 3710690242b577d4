// Test support: an in-memory Juju behind the HookTools port, for hook-level tests. State in (Scenario's words),
// calls recorded, relation/state/port/secret writes buffered until `finish('committed')`, and Juju's refusals kept.
//
// What it models, and why:
// - The input state is copied; nothing a hook does changes the caller's object (goopstest mutates it: don't).
// - relation-set, state-set, open/close-port and secret changes are buffered and dropped by `finish('failed')`,
//   as Juju drops them when the hook exits non-zero. status-set, application-version-set and juju-log are immediate.
// - A unit reads its own buffered writes back (relation-get of its own bag, state-get), as in a real hook.
// - Non-leaders get the errors Juju gives: `cannot write relation settings` for app bags, `this unit is not the
//   leader` for application secrets and application status, `permission denied` reading their own app's bag on a
//   non-peer relation. Unknown relation ids fail with `relation not found`.
// - With `metadata` (see loadCharmMetadata), states Juju could not produce are rejected up front: unknown
//   endpoints, config options, storage or resources.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HookToolError, NotLeaderError, RelationNotFoundError } from '../../src/adapters/cli-hook-tools';
import type {
  Databag,
  HookTools,
  LogLevel,
  NetworkAddresses,
  SecretAddOptions,
  SettableStatus,
} from '../../src/ports/hook-tools';

export interface FakeRelation {
  /** `endpoint:number`, as relation-ids prints it. */
  readonly id: string;
  readonly endpoint: string;
  /** A peer relation: remote units are this application's other units, and the app bag is shared. */
  readonly peer?: boolean;
  readonly remoteApp?: string;
  readonly localUnitData?: Databag;
  readonly localAppData?: Databag;
  readonly remoteUnitsData?: Readonly<Record<string, Databag>>;
  /** The remote application's bag (not used for peer relations, whose app bag is localAppData). */
  readonly remoteAppData?: Databag;
}

export interface FakeSecret {
  readonly id: string;
  readonly label?: string;
  readonly description?: string;
  /** `application`/`unit`: this charm owns it; `remote`: another application granted it to us. */
  readonly owner: 'application' | 'unit' | 'remote';
  /** The revision this unit tracks. */
  readonly content: Readonly<Record<string, string>>;
  /** A newer revision, returned by --peek and adopted by --refresh. */
  readonly latestContent?: Readonly<Record<string, string>>;
  readonly grants?: readonly { readonly relationId: string; readonly unit?: string }[];
}

export interface FakeStorage {
  /** `concourse-data/0` */
  readonly id: string;
  readonly location: string;
  readonly kind?: 'filesystem' | 'block';
}

export interface FakeStatus {
  readonly status: SettableStatus | 'unknown';
  readonly message: string;
}

export interface JujuState {
  readonly unit: string;
  readonly leader: boolean;
  readonly config: Readonly<Record<string, unknown>>;
  readonly relations: readonly FakeRelation[];
  readonly secrets: readonly FakeSecret[];
  readonly storage: readonly FakeStorage[];
  /** Resource name → local path resource-get prints (absent: nothing attached). */
  readonly resources: Readonly<Record<string, string>>;
  /** state-get/state-set */
  readonly charmState: Readonly<Record<string, string>>;
  /** `8080/tcp` */
  readonly openedPorts: readonly string[];
  readonly unitStatus: FakeStatus;
  readonly appStatus: FakeStatus;
  readonly workloadVersion: string;
  readonly addresses: {
    readonly private: string;
    readonly public: string;
    /** Per binding; default: both addresses are the private address. */
    readonly bindings?: Readonly<Record<string, NetworkAddresses>>;
  };
  /** Present when the hook is an action. */
  readonly action?: { readonly name: string; readonly params: Readonly<Record<string, unknown>> };
}

/** A complete state from the parts a test cares about. */
export function jujuState(partial: Partial<JujuState> = {}): JujuState {
  return {
    unit: 'concourse-ci/0',
    leader: false,
    config: {},
    relations: [],
    secrets: [],
    storage: [],
    resources: {},
    charmState: {},
    openedPorts: [],
    unitStatus: { status: 'unknown', message: '' },
    appStatus: { status: 'unknown', message: '' },
    workloadVersion: '',
    addresses: { private: '10.0.0.10', public: '10.0.0.10' },
    ...partial,
  };
}

export interface HookToolCall {
  readonly method: keyof HookTools;
  readonly args: readonly unknown[];
}

export interface StatusChange extends FakeStatus {
  readonly target: 'unit' | 'application';
}

export interface CharmMetadata {
  readonly endpoints: ReadonlySet<string>;
  readonly peerEndpoints: ReadonlySet<string>;
  readonly configOptions: ReadonlySet<string>;
  readonly actions: ReadonlySet<string>;
  readonly storage: ReadonlySet<string>;
  readonly resources: ReadonlySet<string>;
}

const endpointMap = z.record(z.string(), z.unknown()).nullish();
const metadataYaml = z.object({
  peers: endpointMap,
  provides: endpointMap,
  requires: endpointMap,
  storage: endpointMap,
  resources: endpointMap,
  'extra-bindings': endpointMap,
});
const configYaml = z.object({ options: z.record(z.string(), z.unknown()).nullish() });
const actionsYaml = z.record(z.string(), z.unknown()).nullish();

/** Reads metadata.yaml, config.yaml and actions.yaml from the charm's root directory. */
export function loadCharmMetadata(charmDir: string): CharmMetadata {
  const read = (name: string): unknown => parseYaml(readFileSync(join(charmDir, name), 'utf8'));
  const meta = metadataYaml.parse(read('metadata.yaml'));
  const config = configYaml.parse(read('config.yaml'));
  const actions = actionsYaml.parse(read('actions.yaml'));
  const keys = (m: Readonly<Record<string, unknown>> | null | undefined) => Object.keys(m ?? {});
  return {
    endpoints: new Set([...keys(meta.peers), ...keys(meta.provides), ...keys(meta.requires)]),
    peerEndpoints: new Set(keys(meta.peers)),
    configOptions: new Set(keys(config.options)),
    actions: new Set(keys(actions)),
    storage: new Set(keys(meta.storage)),
    resources: new Set(keys(meta.resources)),
  };
}

type Bag = Record<string, string>;

interface RelationRecord {
  readonly id: string;
  readonly endpoint: string;
  readonly peer: boolean;
  readonly remoteApp: string | undefined;
  localUnit: Bag;
  localApp: Bag;
  readonly remoteUnits: Map<string, Bag>;
  readonly remoteAppData: Bag;
  /** Buffered relation-set writes (empty value: delete), applied on commit. */
  pendingUnit: Bag;
  pendingApp: Bag;
}

interface SecretRecord {
  id: string;
  label: string | undefined;
  description: string | undefined;
  owner: FakeSecret['owner'];
  content: Bag;
  latestContent: Bag | undefined;
  grants: { relationId: string; unit?: string }[];
}

export class InMemoryHookTools implements HookTools {
  readonly calls: HookToolCall[] = [];
  readonly logs: { readonly level: LogLevel; readonly message: string }[] = [];
  readonly statusHistory: StatusChange[] = [];
  readonly actionLogs: string[] = [];
  readonly actionResults: Record<string, string> = {};
  actionFailure: string | undefined;

  private readonly input: JujuState;
  private readonly relations = new Map<string, RelationRecord>();
  private readonly secrets = new Map<string, SecretRecord>();
  private pendingSecrets = new Map<string, SecretRecord>();
  private pendingState: Bag = {};
  private pendingPorts: { port: string; open: boolean }[] = [];
  private unitStatus: FakeStatus;
  private appStatus: FakeStatus;
  private workloadVersion: string;
  private readonly failures = new Map<keyof HookTools, Error>();
  private nextSecret = 1;
  private finished = false;

  constructor(
    stateIn: JujuState,
    private readonly options: { readonly storageId?: string; readonly metadata?: CharmMetadata } = {},
  ) {
    this.input = structuredClone(stateIn);
    if (options.metadata !== undefined) checkConsistency(this.input, options.metadata);
    for (const r of this.input.relations) {
      this.relations.set(r.id, {
        id: r.id,
        endpoint: r.endpoint,
        peer: r.peer ?? false,
        remoteApp: r.peer === true ? appOf(this.input.unit) : r.remoteApp,
        localUnit: { ...r.localUnitData },
        localApp: { ...r.localAppData },
        remoteUnits: new Map(Object.entries(r.remoteUnitsData ?? {}).map(([u, bag]) => [u, { ...bag }])),
        remoteAppData: { ...r.remoteAppData },
        pendingUnit: {},
        pendingApp: {},
      });
    }
    for (const s of this.input.secrets) this.secrets.set(s.id, secretRecord(s));
    this.unitStatus = this.input.unitStatus;
    this.appStatus = this.input.appStatus;
    this.workloadVersion = this.input.workloadVersion;
  }

  /** The next call of `method` throws `error` instead (one shot): transient faults, odd Juju errors. */
  failNext(method: keyof HookTools, error: Error): void {
    this.failures.set(method, error);
  }

  /** Calls of one method, in order. */
  callsOf(method: keyof HookTools): readonly (readonly unknown[])[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /**
   * Ends the hook and returns the state out. `failed` (the hook exited non-zero) drops buffered writes, as Juju
   * does; statuses, workload version and logs stay.
   */
  finish(outcome: 'committed' | 'failed'): JujuState {
    if (this.finished) throw new Error('finish() was already called for this hook');
    this.finished = true;
    const commit = outcome === 'committed';
    const relations: FakeRelation[] = [...this.relations.values()].map((r) => ({
      id: r.id,
      endpoint: r.endpoint,
      ...(r.peer ? { peer: true } : {}),
      ...(r.remoteApp !== undefined && !r.peer ? { remoteApp: r.remoteApp } : {}),
      localUnitData: commit ? applied(r.localUnit, r.pendingUnit) : { ...r.localUnit },
      localAppData: commit ? applied(r.localApp, r.pendingApp) : { ...r.localApp },
      remoteUnitsData: Object.fromEntries([...r.remoteUnits].map(([u, bag]) => [u, { ...bag }])),
      remoteAppData: { ...r.remoteAppData },
    }));
    const secrets = new Map(this.secrets);
    if (commit) for (const [id, s] of this.pendingSecrets) secrets.set(id, s);
    let ports = [...this.input.openedPorts];
    if (commit) {
      for (const change of this.pendingPorts) {
        ports = ports.filter((p) => p !== change.port);
        if (change.open) ports.push(change.port);
      }
    }
    return structuredClone({
      ...this.input,
      relations,
      secrets: [...secrets.values()].map(fakeSecret),
      charmState: commit ? withoutEmpty({ ...this.input.charmState, ...this.pendingState }) : this.input.charmState,
      openedPorts: ports,
      unitStatus: this.unitStatus,
      appStatus: this.appStatus,
      workloadVersion: this.workloadVersion,
    });
  }

  async jujuLog(level: LogLevel, message: string): Promise<void> {
    this.record('jujuLog', level, message);
    this.logs.push({ level, message });
  }

  async statusSet(
    status: SettableStatus,
    message: string,
    options?: { readonly application?: boolean },
  ): Promise<void> {
    this.record('statusSet', status, message, options);
    if (options?.application === true) {
      this.requireLeader('status-set', ['--application', status, '--', message], 'ERROR this unit is not the leader');
      this.appStatus = { status, message };
      this.statusHistory.push({ target: 'application', status, message });
    } else {
      this.unitStatus = { status, message };
      this.statusHistory.push({ target: 'unit', status, message });
    }
  }

  async applicationVersionSet(version: string): Promise<void> {
    this.record('applicationVersionSet', version);
    this.workloadVersion = version;
  }

  async configGet(): Promise<Readonly<Record<string, unknown>>> {
    this.record('configGet');
    return structuredClone(this.input.config);
  }

  async isLeader(): Promise<boolean> {
    this.record('isLeader');
    return this.input.leader;
  }

  async relationIds(endpoint: string): Promise<readonly string[]> {
    this.record('relationIds', endpoint);
    if (this.options.metadata !== undefined && !this.options.metadata.endpoints.has(endpoint)) {
      throw new HookToolError('relation-ids', ['--format=json', endpoint], 1, `ERROR no endpoint "${endpoint}"\n`);
    }
    return [...this.relations.values()].filter((r) => r.endpoint === endpoint).map((r) => r.id);
  }

  async relationList(relationId: string): Promise<readonly string[]> {
    this.record('relationList', relationId);
    return [...this.relation('relation-list', relationId).remoteUnits.keys()].sort();
  }

  async relationRemoteApp(relationId: string): Promise<string | undefined> {
    this.record('relationRemoteApp', relationId);
    return this.relation('relation-list', relationId).remoteApp;
  }

  async relationGet(relationId: string, unitOrApp: string, options?: { readonly app?: boolean }): Promise<Databag> {
    this.record('relationGet', relationId, unitOrApp, options);
    const r = this.relation('relation-get', relationId);
    const args = ['--format=json', '-r', relationId, '-', unitOrApp, ...(options?.app === true ? ['--app'] : [])];
    const ownApp = appOf(this.input.unit);
    if (options?.app === true) {
      if (unitOrApp === ownApp) {
        if (this.input.leader) return applied(r.localApp, r.pendingApp);
        // Non-leaders read the committed bag through the controller, and only on peer relations.
        if (r.peer) return { ...r.localApp };
        throw new NotLeaderError('relation-get', args, 1, 'ERROR permission denied\n');
      }
      if (unitOrApp === r.remoteApp) return { ...r.remoteAppData };
      throw new HookToolError('relation-get', args, 1, `ERROR application "${unitOrApp}" not found in relation\n`);
    }
    if (unitOrApp === this.input.unit) return applied(r.localUnit, r.pendingUnit);
    const bag = r.remoteUnits.get(unitOrApp);
    if (bag === undefined) {
      throw new HookToolError(
        'relation-get',
        args,
        1,
        `ERROR cannot read settings for unit "${unitOrApp}" in relation "${relationId}": unit "${unitOrApp}": settings not found\n`,
      );
    }
    return { ...bag };
  }

  async relationSet(relationId: string, data: Databag, options?: { readonly app?: boolean }): Promise<void> {
    this.record('relationSet', relationId, data, options);
    const r = this.relation('relation-set', relationId);
    if (options?.app === true) {
      this.requireLeader(
        'relation-set',
        ['-r', relationId, '--app', '--file', '-'],
        'ERROR cannot write relation settings',
      );
      r.pendingApp = { ...r.pendingApp, ...data };
    } else {
      r.pendingUnit = { ...r.pendingUnit, ...data };
    }
  }

  async actionGet(): Promise<Readonly<Record<string, unknown>>> {
    this.record('actionGet');
    return structuredClone(this.requireAction('action-get').params);
  }

  async actionSet(values: Readonly<Record<string, string>>): Promise<void> {
    this.record('actionSet', values);
    this.requireAction('action-set');
    Object.assign(this.actionResults, values);
  }

  async actionLog(message: string): Promise<void> {
    this.record('actionLog', message);
    this.requireAction('action-log');
    this.actionLogs.push(message);
  }

  async actionFail(message: string): Promise<void> {
    this.record('actionFail', message);
    this.requireAction('action-fail');
    this.actionFailure = message;
  }

  async storageGet(storageId: string | undefined, key: 'location' | 'kind'): Promise<string> {
    this.record('storageGet', storageId, key);
    const id = storageId ?? this.options.storageId;
    const storage = this.input.storage.find((s) => s.id === id);
    if (storage === undefined) {
      throw new HookToolError('storage-get', ['--format=json', key], 1, `ERROR storage "${id ?? ''}" not found\n`);
    }
    return key === 'location' ? storage.location : (storage.kind ?? 'filesystem');
  }

  async storageList(name?: string): Promise<readonly string[]> {
    this.record('storageList', name);
    return this.input.storage.map((s) => s.id).filter((id) => name === undefined || id.startsWith(`${name}/`));
  }

  async openPort(port: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<void> {
    this.record('openPort', port, protocol);
    this.pendingPorts.push({ port: `${port}/${protocol}`, open: true });
  }

  async closePort(port: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<void> {
    this.record('closePort', port, protocol);
    this.pendingPorts.push({ port: `${port}/${protocol}`, open: false });
  }

  async unitGet(key: 'private-address' | 'public-address'): Promise<string> {
    this.record('unitGet', key);
    return key === 'private-address' ? this.input.addresses.private : this.input.addresses.public;
  }

  async networkGet(binding: string): Promise<NetworkAddresses> {
    this.record('networkGet', binding);
    return (
      this.input.addresses.bindings?.[binding] ?? {
        ingressAddress: this.input.addresses.private,
        bindAddress: this.input.addresses.private,
      }
    );
  }

  async secretGet(
    idOrLabel: { readonly id: string } | { readonly label: string },
    options?: { readonly refresh?: boolean; readonly peek?: boolean },
  ): Promise<Readonly<Record<string, string>> | undefined> {
    this.record('secretGet', idOrLabel, options);
    const secret = this.findSecret(idOrLabel);
    if (secret === undefined) return undefined;
    if (options?.peek === true) return { ...(secret.latestContent ?? secret.content) };
    if (options?.refresh === true && secret.latestContent !== undefined) {
      secret.content = secret.latestContent;
      secret.latestContent = undefined;
    }
    return { ...secret.content };
  }

  async secretAdd(content: Readonly<Record<string, string>>, options?: SecretAddOptions): Promise<string> {
    this.record('secretAdd', content, options);
    const owner = options?.owner ?? 'application';
    if (owner === 'application')
      this.requireLeader('secret-add', ['--owner', owner], 'ERROR this unit is not the leader');
    const id = `secret:fake${String(this.nextSecret++).padStart(4, '0')}`;
    this.pendingSecrets.set(id, {
      id,
      label: options?.label,
      description: options?.description,
      owner,
      content: { ...content },
      latestContent: undefined,
      grants: [],
    });
    return id;
  }

  async secretSet(id: string, content: Readonly<Record<string, string>>): Promise<void> {
    this.record('secretSet', id, content);
    const secret = this.ownedSecretForWrite('secret-set', id);
    secret.content = { ...content };
    secret.latestContent = undefined;
  }

  async secretGrant(id: string, relationId: string, options?: { readonly unit?: string }): Promise<void> {
    this.record('secretGrant', id, relationId, options);
    this.relation('secret-grant', relationId);
    const secret = this.ownedSecretForWrite('secret-grant', id);
    secret.grants.push({ relationId, ...(options?.unit !== undefined ? { unit: options.unit } : {}) });
  }

  async resourceGet(name: string): Promise<string | undefined> {
    this.record('resourceGet', name);
    return this.input.resources[name];
  }

  async stateGet(key: string): Promise<string | undefined> {
    this.record('stateGet', key);
    const value = this.pendingState[key] ?? this.input.charmState[key];
    return value === undefined || value === '' ? undefined : value;
  }

  async stateGetAll(): Promise<Readonly<Record<string, string>>> {
    this.record('stateGetAll', undefined);
    return { ...this.input.charmState, ...this.pendingState };
  }

  async stateSet(values: Readonly<Record<string, string>>): Promise<void> {
    this.record('stateSet', values);
    this.pendingState = { ...this.pendingState, ...values };
  }

  private record(method: keyof HookTools, ...args: unknown[]): void {
    if (this.finished) throw new Error(`${method} called after the hook finished`);
    this.calls.push({ method, args: structuredClone(args) });
    const failure = this.failures.get(method);
    if (failure !== undefined) {
      this.failures.delete(method);
      throw failure;
    }
  }

  private relation(tool: string, relationId: string): RelationRecord {
    const r = this.relations.get(relationId);
    if (r === undefined) {
      throw new RelationNotFoundError(
        tool,
        ['-r', relationId],
        2,
        `ERROR invalid value "${relationId}" for option -r: relation not found\n`,
      );
    }
    return r;
  }

  private requireLeader(tool: string, args: readonly string[], stderr: string): void {
    if (!this.input.leader) throw new NotLeaderError(tool, args, 1, `${stderr}\n`);
  }

  private requireAction(tool: string): NonNullable<JujuState['action']> {
    if (this.input.action === undefined) throw new HookToolError(tool, [], 1, 'ERROR not running an action\n');
    return this.input.action;
  }

  private findSecret(idOrLabel: { readonly id: string } | { readonly label: string }): SecretRecord | undefined {
    const all = [...this.secrets.values(), ...this.pendingSecrets.values()];
    return 'id' in idOrLabel ? all.find((s) => s.id === idOrLabel.id) : all.find((s) => s.label === idOrLabel.label);
  }

  /** A copy-on-write handle: changes land in the pending set and are committed with the hook. */
  private ownedSecretForWrite(tool: string, id: string): SecretRecord {
    const pending = this.pendingSecrets.get(id);
    if (pending !== undefined) return pending;
    const existing = this.secrets.get(id);
    if (existing === undefined || existing.owner === 'remote') {
      throw new HookToolError(tool, [id], 1, `ERROR secret "${id}" not found\n`);
    }
    if (existing.owner === 'application') this.requireLeader(tool, [id], 'ERROR this unit is not the leader');
    const copy: SecretRecord = structuredClone(existing);
    this.pendingSecrets.set(id, copy);
    return copy;
  }
}

function appOf(unit: string): string {
  const slash = unit.indexOf('/');
  return slash === -1 ? unit : unit.slice(0, slash);
}

/** A bag with buffered writes applied: given keys replace, empty values delete (relation-set semantics). */
function applied(bag: Bag, pending: Bag): Bag {
  return withoutEmpty({ ...bag, ...pending });
}

function withoutEmpty(bag: Bag): Bag {
  return Object.fromEntries(Object.entries(bag).filter(([, v]) => v !== ''));
}

function secretRecord(s: FakeSecret): SecretRecord {
  return {
    id: s.id,
    label: s.label,
    description: s.description,
    owner: s.owner,
    content: { ...s.content },
    latestContent: s.latestContent === undefined ? undefined : { ...s.latestContent },
    grants: (s.grants ?? []).map((g) => ({ ...g })),
  };
}

function fakeSecret(s: SecretRecord): FakeSecret {
  return {
    id: s.id,
    ...(s.label !== undefined ? { label: s.label } : {}),
    ...(s.description !== undefined ? { description: s.description } : {}),
    owner: s.owner,
    content: { ...s.content },
    ...(s.latestContent !== undefined ? { latestContent: { ...s.latestContent } } : {}),
    grants: s.grants.map((g) => ({ ...g })),
  };
}

/** Rejects states Juju could never produce for this charm (a test typo should fail loudly, not pass quietly). */
function checkConsistency(state: JujuState, metadata: CharmMetadata): void {
  const problems: string[] = [];
  for (const key of Object.keys(state.config)) {
    if (!metadata.configOptions.has(key)) problems.push(`config option "${key}" is not in config.yaml`);
  }
  for (const r of state.relations) {
    if (!metadata.endpoints.has(r.endpoint)) problems.push(`endpoint "${r.endpoint}" is not in metadata.yaml`);
    if ((r.peer ?? false) !== metadata.peerEndpoints.has(r.endpoint)) {
      problems.push(`relation ${r.id}: peer must be ${metadata.peerEndpoints.has(r.endpoint)} for "${r.endpoint}"`);
    }
    if (!r.id.startsWith(`${r.endpoint}:`)) problems.push(`relation id ${r.id} does not start with "${r.endpoint}:"`);
  }
  for (const s of state.storage) {
    const name = s.id.split('/')[0] ?? '';
    if (!metadata.storage.has(name)) problems.push(`storage "${name}" is not in metadata.yaml`);
  }
  for (const name of Object.keys(state.resources)) {
    if (!metadata.resources.has(name)) problems.push(`resource "${name}" is not in metadata.yaml`);
  }
  if (state.action !== undefined && !metadata.actions.has(state.action.name)) {
    problems.push(`action "${state.action.name}" is not in actions.yaml`);
  }
  if (problems.length > 0) throw new Error(`inconsistent Juju state: ${problems.join('; ')}`);
}
