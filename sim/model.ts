// Simulator driver: a Juju model in one process. It queues events per unit as Juju 3 would, runs each unit's hooks
// one at a time (different units in parallel) through `dispatch` in the unit's own namespace, and is the only
// writer of model state: hooks read a snapshot and their buffered changes are committed only when they exit 0.

import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { Mutex, Semaphore } from './async-locks';
import { BindVolume } from './bind-volume';
import { unpackCharm } from './charm-archive';
import {
  type CharmSpec,
  coerceConfigValue,
  defaultConfig,
  loadCharmSpec,
  SimError,
  validateActionParams,
} from './charm-spec';
import { mountsUnder, unmount } from './host-mounts';
import { detectNamespaceMode, MACHINE_PATH_DIRS, type NamespaceMode, SimMachine } from './machine';
import {
  applyBagUpdate,
  applySecretChange,
  type Bag,
  type Change,
  ChangeSchema,
  type ConfigValue,
  type Effect,
  EffectSchema,
  type EndpointRole,
  HOOK_FILES,
  type HookSnapshot,
  parseJsonLines,
  parseRelationNumber,
  parseSecretId,
  type RelationView,
  type Secret,
  type StorageAttachment,
  secretUri,
  type WorkloadStatus,
} from './model-state';
import { classifyHook, describeEvent, type EventType, enqueue, type SimEvent } from './sim-event';
import {
  type AgentStatus,
  type AppStatus,
  deriveAppStatus,
  formatStatusTable,
  type RelationStatus,
  type SimStatus,
  type UnitStatus,
} from './status-table';
import { ToolServer } from './tool-server';
import { charmStateCommitError, DEFAULT_MAX_CHARM_STATE_SIZE, resourceFaultPath } from './tools/resource-state-tools';
import { ServiceStateSchema, type SystemctlCall, SystemctlCallSchema } from './tools/systemctl';
import { installTools, NODE_ALIAS } from './tools-bundle';
import type { VolumeProvider } from './volume-provider';

export { SimError } from './charm-spec';
export { NAMESPACE_HELP, SimUnavailableError } from './machine';
export type { AppStatus, RelationStatus, SimStatus, UnitStatus } from './status-table';

const JUJU_VERSION = '3.6.4';
const CHAIN_LENGTH = 8;

export interface SimModelOptions {
  /** Where the model lives; default: a fresh dir under os.tmpdir(). Must not be under /etc, /run or /var/lib. */
  readonly root?: string;
  /** The .charm to deploy. */
  readonly charm: string;
  readonly modelName?: string;
  /** Added to every hook's environment (and overridable per hook). */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** Keep the root on close() (it is always kept if it existed before create()). */
  readonly keep?: boolean;
  /** Hooks running at once across the model (each unit still runs one at a time). Default 8. */
  readonly maxParallelHooks?: number;
  /** A hook still running after this long is killed and fails. Default 180 s. */
  readonly hookTimeoutMs?: number;
  /**
   * The controller's `max-charm-state-size`: bytes of charm state (BSON-encoded, as Juju counts) each unit may keep;
   * 0 for no limit. Default 2 MiB, as Juju. Keys (256 bytes) and values (64 KiB) have Juju's fixed limits.
   */
  readonly maxCharmStateSize?: number;
  /**
   * Node.js on the machines. `snap` (the default as root): none on PATH, as on a fresh Ubuntu machine, and a snapd
   * whose `snap install node` provides one at /snap/bin/node (the host gets an empty /snap as the mount point);
   * `path`: the host's Node.js on PATH (the default in user-namespace mode, where /snap cannot be made).
   */
  readonly node?: 'snap' | 'path';
  /**
   * The model's proxy settings, as Juju puts them in every hook's environment (juju/juju
   * internal/worker/uniter/runner/context/context.go HookVars): `juju` (model config `juju-http-proxy`...) only as
   * JUJU_CHARM_HTTP_PROXY..., always exported, empty when unset; `legacy` (model config `http-proxy`...) as
   * http_proxy and HTTP_PROXY..., lower and upper case, only when set.
   */
  readonly proxy?: {
    readonly juju?: ProxySettings;
    readonly legacy?: ProxySettings;
  };
  /**
   * Juju retries a failed hook by itself, with back-off (juju/juju apiserver/facades/agent/retrystrategy/
   * retrystrategy.go: 5 s doubling to 5 min, with jitter; the uniter's retryHookTimer). settle() does the same on a shorter clock: the failed hook runs again after `firstDelayMs`,
   * then twice as long each time up to `maxDelayMs`; after `attempts` retries in a row it leaves the unit in error
   * (Juju would go on) so a test sees a hook that keeps failing. `false`: only resolve() retries.
   * Default { firstDelayMs: 50, maxDelayMs: 400, attempts: 3 }.
   */
  readonly hookRetry?:
    | false
    | { readonly firstDelayMs: number; readonly maxDelayMs: number; readonly attempts: number };
}

export interface ProxySettings {
  readonly http?: string;
  readonly https?: string;
  readonly ftp?: string;
  readonly noProxy?: string;
}

export type ConfigInput = Readonly<Record<string, string | number | boolean>>;

export interface DeployOptions {
  readonly units: number;
  readonly config?: ConfigInput;
  /**
   * A filesystem the operator mounted at the storage location on every machine before deploying (an LXD disk device
   * on machines made with `juju add-machine`, an NFS mount): default a BindVolume named after the app, shared by its
   * units; `null` for none (the unit sees the bare directory of its root disk).
   */
  readonly volume?: VolumeProvider | null;
  /**
   * `--storage <name>=<pool>`: Juju storage instances to create for each unit (beyond the charm's minimum, which
   * Juju creates anyway). The rootfs pool's directory is bind-mounted over the location before the first hook.
   */
  readonly storage?: Readonly<Record<string, string>>;
  /** Resource name → file to attach. */
  readonly resources?: Readonly<Record<string, string>>;
}

export interface HookOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** For relation hooks: which relation (`peers:0` or 0); default: the unit's first relation on that endpoint. */
  readonly relationId?: string | number;
  readonly remoteUnit?: string;
  readonly remoteApp?: string;
}

export interface HookRun {
  readonly unit: string;
  readonly hook: string;
  /** null when the hook was killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
}

export interface StartedHook {
  readonly pid: number;
  /** Resolves with `<event>` once stderr shows `CHARM-STOPPED-AT <event>`; rejects if the hook ends first. */
  readonly stoppedAt: Promise<string>;
  /** Signals the hook's whole process group (a stopped process is continued so it sees the signal). */
  kill(signal?: NodeJS.Signals): void;
  readonly done: Promise<HookRun>;
}

export interface ActionResult {
  readonly status: 'completed' | 'failed';
  readonly results: Record<string, unknown>;
  readonly message?: string;
  readonly log: string[];
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export type { SystemctlCall } from './tools/systemctl';

export interface SecretInfo {
  readonly uri: string;
  readonly owner: string;
  readonly label: string | undefined;
  readonly revisions: ReadonlyArray<{ revision: number; content: Bag }>;
  readonly grants: ReadonlyArray<{ relationId: number; app: string; unit?: string }>;
  readonly consumers: Readonly<Record<string, { revision: number; label?: string }>>;
}

export interface StubOptions {
  readonly endpoints: Readonly<Record<string, { readonly interface: string; readonly role: 'provides' | 'requires' }>>;
  readonly units?: number;
}

interface AppRecord {
  readonly name: string;
  readonly spec: CharmSpec;
  readonly stub: boolean;
  /** Values the operator set; effective config is the defaults merged with these. */
  readonly config: Record<string, ConfigValue>;
  leader: string | undefined;
  nextUnit: number;
  readonly units: string[];
  status: WorkloadStatus | undefined;
  readonly volume: VolumeProvider | undefined;
  readonly storageRequest: Readonly<Record<string, string>>;
  readonly resources: Map<string, string>;
}

/** One filesystem over a unit's storage location: an operator's mount, or a Juju storage instance's bind. */
interface MountLayer {
  readonly kind: 'operator' | 'juju-storage';
  readonly location: string;
  readonly hostPath: string;
  readonly provider?: VolumeProvider;
  readonly storageId?: string;
}

interface RunningHook {
  readonly hookDir: string;
  readonly label: string;
  readonly child: ChildProcess;
}

interface UnitRecord {
  readonly name: string;
  readonly app: string;
  readonly index: number;
  readonly machine: number;
  readonly address: string;
  readonly dir: string;
  readonly box: SimMachine | undefined;
  readonly storage: StorageAttachment[];
  /** What is mounted at storage locations, bottom to top (the unit sees the last). */
  readonly layers: MountLayer[];
  workload: WorkloadStatus;
  charmSetStatus: boolean;
  agent: AgentStatus;
  agentMessage: string;
  workloadVersion: string;
  readonly ports: Set<string>;
  state: Bag;
  life: 'alive' | 'dying';
  started: boolean;
  readonly knownRelations: Set<number>;
  readonly queue: SimEvent[];
  headRunning: boolean;
  failed: SimEvent | undefined;
  /** Automatic retries of the failed hook so far, and when the next one is due (epoch ms). */
  retries: number;
  retryAt: number | undefined;
  readonly lock: Mutex;
  hookSeq: number;
  running: RunningHook | undefined;
}

interface RelationEnd {
  readonly app: string;
  readonly endpoint: string;
  readonly role: EndpointRole;
}

interface RelationRecord {
  readonly id: number;
  readonly peer: boolean;
  readonly interface: string;
  readonly ends: readonly RelationEnd[];
  readonly unitData: Map<string, Bag>;
  readonly appData: Map<string, Bag>;
  /** Per unit: the remote units it has seen join (what relation-list prints). */
  readonly views: Map<string, Set<string>>;
  /** Units that have entered the relation's scope (after their start hook, or at once for stubs). */
  readonly scope: Set<string>;
  dying: boolean;
  readonly brokenPending: Set<string>;
}

interface LogEntry {
  readonly unit: string;
  readonly level: string;
  readonly message: string;
  readonly at: string;
}

interface Cause {
  readonly generation: number;
  readonly chain: readonly string[];
}

interface Launch {
  readonly event: SimEvent | undefined;
  readonly action:
    | { readonly name: string; readonly uuid: string; readonly params: Record<string, unknown> }
    | undefined;
  readonly dispatchPath: string;
  readonly label: string;
  readonly argv: readonly string[] | undefined;
  readonly env: Readonly<Record<string, string>> | undefined;
}

interface Finished {
  readonly run: HookRun;
  readonly effects: Effect[];
}

const OPERATOR: Cause = { generation: 0, chain: [] };
const NOW = () => new Date().toISOString();

export class SimModel {
  private readonly apps = new Map<string, AppRecord>();
  private readonly units = new Map<string, UnitRecord>();
  private readonly unitDirs = new Map<string, string>();
  private readonly relations = new Map<number, RelationRecord>();
  private readonly secretStore = new Map<string, Secret>();
  private readonly logs: LogEntry[] = [];
  private readonly volumes = new Set<VolumeProvider>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly slots: Semaphore;
  private readonly storageCounters = new Map<string, number>();
  private nextMachine = 0;
  private nextRelation = 0;
  private closed = false;

  private constructor(
    readonly root: string,
    private readonly charmPath: string,
    readonly modelName: string,
    readonly modelUuid: string,
    private readonly mode: NamespaceMode,
    private readonly options: SimModelOptions,
    private readonly removeRootOnClose: boolean,
    /** Runs the hooks' tool calls (the tools on PATH are clients of it). */
    private readonly toolServer: ToolServer,
  ) {
    this.slots = new Semaphore(options.maxParallelHooks ?? 8);
  }

  static async create(opts: SimModelOptions): Promise<SimModel> {
    const charmPath = resolve(opts.charm);
    if (!existsSync(charmPath)) throw new SimError(`charm ${charmPath} not found`);
    const mode = await detectNamespaceMode();
    let root: string;
    let created: boolean;
    if (opts.root === undefined) {
      root = await mkdtemp(join(tmpdir(), 'concourse-sim-'));
      created = true;
    } else {
      root = resolve(opts.root);
      for (const hidden of ['/etc', '/run', '/var/lib']) {
        if (root === hidden || root.startsWith(hidden + sep)) {
          throw new SimError(`sim root ${root} is under ${hidden}, which every unit sees its own copy of`);
        }
      }
      created = !existsSync(root);
      await mkdir(root, { recursive: true });
    }
    let toolServer: ToolServer;
    try {
      toolServer = await ToolServer.start();
    } catch (e) {
      if (created) await rm(root, { recursive: true, force: true });
      throw e;
    }
    const model = new SimModel(
      root,
      charmPath,
      opts.modelName ?? 'sim',
      randomUUID(),
      mode,
      opts,
      created && opts.keep !== true,
      toolServer,
    );
    try {
      await installTools(model.toolsPath);
      if (model.nodeMode === 'snap') {
        if (mode !== 'root') throw new SimError("node: 'snap' needs root (a /snap mount point); use node: 'path'");
        // The mount point each unit's own /snap is bound on; empty on the host.
        await mkdir('/snap', { recursive: true });
      }
    } catch (e) {
      await model.toolServer.close();
      if (created) await rm(root, { recursive: true, force: true });
      throw e;
    }
    return model;
  }

  /** Where the machines get Node.js from (SimModelOptions.node). */
  get nodeMode(): 'snap' | 'path' {
    return this.options.node ?? (this.mode === 'root' ? 'snap' : 'path');
  }

  /** The dir holding the fake hook tools: first on every hook's PATH. */
  get toolsPath(): string {
    return join(this.root, 'bin');
  }

  /** Hook tool calls answered so far (each is one run of a tool on a hook's PATH). */
  get toolCalls(): number {
    return this.toolServer.calls;
  }

  // ---------------------------------------------------------------- operator commands

  /** `juju deploy <charm> <app> -n <units>`: queues each unit's first hooks; call settle() to run them. */
  async deploy(app: string, opts: DeployOptions): Promise<void> {
    this.checkOpen();
    if (!/^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$/.test(app))
      throw new SimError(`invalid application name "${app}"`);
    if (this.apps.has(app)) throw new SimError(`application "${app}" already exists`);
    const specDir = join(this.root, 'charms', app);
    await unpackCharm(this.charmPath, specDir);
    const spec = await loadCharmSpec(specDir);
    const config: Record<string, ConfigValue> = {};
    for (const [k, v] of Object.entries(opts.config ?? {})) config[k] = coerceConfigValue(spec, k, v);
    const volume = opts.volume === null ? undefined : (opts.volume ?? new BindVolume(app));
    if (volume !== undefined) await this.openVolume(volume);
    const record: AppRecord = {
      name: app,
      spec,
      stub: false,
      config,
      leader: undefined,
      nextUnit: 0,
      units: [],
      status: undefined,
      volume,
      storageRequest: opts.storage ?? {},
      resources: new Map(),
    };
    this.apps.set(app, record);
    for (const [name, path] of Object.entries(opts.resources ?? {})) await this.attachResource(app, name, path);
    // Juju creates an application's peer relations when it is deployed.
    for (const [endpoint, e] of Object.entries(spec.endpoints)) {
      if (e.role === 'peers') this.createRelation([{ app, endpoint, role: 'peers' }], e.interface, true);
    }
    await this.addUnit(app, { count: opts.units });
  }

  /** A stand-in application (a database, say) whose units run no hooks; the test writes its data. */
  async deployStub(app: string, opts: StubOptions): Promise<string[]> {
    this.checkOpen();
    if (this.apps.has(app)) throw new SimError(`application "${app}" already exists`);
    const endpoints: CharmSpec['endpoints'] = Object.fromEntries(
      Object.entries(opts.endpoints).map(([name, e]) => [
        name,
        { interface: e.interface, role: e.role, limit: undefined },
      ]),
    );
    const spec: CharmSpec = {
      name: app,
      endpoints,
      bindings: Object.keys(endpoints),
      storage: {},
      resources: {},
      options: {},
      actions: {},
    };
    this.apps.set(app, {
      name: app,
      spec,
      stub: true,
      config: {},
      leader: undefined,
      nextUnit: 0,
      units: [],
      status: undefined,
      volume: undefined,
      storageRequest: {},
      resources: new Map(),
    });
    return this.addUnit(app, { count: opts.units ?? 1 });
  }

  /**
   * `juju add-unit`: returns the new unit names; their hooks are queued (settle() runs them). `volume`: what the
   * operator mounted on the new machines beforehand (default: the application's; null: none); `storage` as deploy's.
   */
  async addUnit(
    app: string,
    opts: { count?: number; volume?: VolumeProvider | null; storage?: Readonly<Record<string, string>> } = {},
  ): Promise<string[]> {
    this.checkOpen();
    const a = this.app(app);
    const count = opts.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new SimError(`cannot add ${count} units`);
    const volume = opts.volume === null ? undefined : (opts.volume ?? a.volume);
    if (volume !== undefined) await this.openVolume(volume);
    const added: string[] = [];
    for (let i = 0; i < count; i++) added.push(await this.createUnit(a, volume, opts.storage ?? a.storageRequest));
    return added;
  }

  /**
   * The operator mounts a filesystem at a unit's storage location while it runs (`lxc config device add <container>
   * ... path=/var/lib/concourse`, `mount -t nfs ...`). Juju notices nothing and runs no hook: the charm sees the mount
   * in its next hook (update-status at the latest). It lands on top of whatever is mounted there.
   */
  async mountVolume(unit: string, volume: VolumeProvider): Promise<void> {
    this.checkOpen();
    const u = this.charmUnit(unit);
    const location = this.storageLocationOf(u);
    await this.openVolume(volume);
    u.layers.push({ kind: 'operator', location, hostPath: await volume.hostPathFor(u.name), provider: volume });
    u.box?.setMounts(u.layers);
  }

  /**
   * The operator removes a mount from under a running unit (`lxc config device remove`, `umount`): the topmost mount
   * of `volume` (default: the topmost operator mount). No hook runs; what was beneath shows through.
   */
  async unmountVolume(unit: string, volume?: VolumeProvider): Promise<void> {
    this.checkOpen();
    const u = this.charmUnit(unit);
    let index = -1;
    u.layers.forEach((l, i) => {
      if (l.kind === 'operator' && (volume === undefined || l.provider === volume)) index = i;
    });
    if (index < 0) throw new SimError(`${unit} has no such mount`);
    const [layer] = u.layers.splice(index, 1);
    u.box?.setMounts(u.layers);
    if (layer?.provider !== undefined && !u.layers.some((l) => l.provider === layer.provider)) {
      await layer.provider.release(u.name);
    }
  }

  /** `juju remove-unit`: queues departed/broken, storage-detaching, stop and remove; settle() runs them. */
  async removeUnit(unit: string): Promise<void> {
    this.checkOpen();
    const u = this.unit(unit);
    if (u.life === 'dying') return;
    u.life = 'dying';
    for (const rel of this.relations.values()) {
      if (!rel.ends.some((e) => e.app === u.app)) continue;
      for (const other of this.otherSideUnits(rel, u.app)) {
        if (other.name === u.name) continue;
        if (other.box === undefined) rel.views.get(other.name)?.delete(u.name);
        else if (this.expectedView(other, rel).includes(u.name)) {
          this.queueRelation(other, rel, 'relation-departed', OPERATOR, { remoteUnit: u.name, departingUnit: u.name });
        }
      }
      if (u.box === undefined || !this.awareOf(u, rel)) continue;
      for (const member of this.expectedView(u, rel)) {
        this.queueRelation(u, rel, 'relation-departed', OPERATOR, { remoteUnit: member, departingUnit: u.name });
      }
      this.queueRelation(u, rel, 'relation-broken', OPERATOR, {});
    }
    if (u.box === undefined) {
      await this.finalizeUnit(u, OPERATOR);
      return;
    }
    for (const s of u.storage)
      this.queue(u, { type: 'storage-detaching', hook: `${s.name}-storage-detaching`, storageId: s.id }, OPERATOR);
    this.queue(u, { type: 'stop', hook: 'stop' }, OPERATOR);
    this.queue(u, { type: 'remove', hook: 'remove' }, OPERATOR);
  }

  /** `juju config app k=v`: null resets to the default; an unknown key is refused. Queues config-changed. */
  async config(app: string, changes: Readonly<Record<string, string | number | boolean | null>>): Promise<void> {
    this.checkOpen();
    const a = this.app(app);
    const before = JSON.stringify(this.effectiveConfig(a));
    const next: Record<string, ConfigValue> = { ...a.config };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) {
        if (a.spec.options[k] === undefined) throw new SimError(`unknown option "${k}"`);
        delete next[k];
      } else next[k] = coerceConfigValue(a.spec, k, v);
    }
    for (const k of Object.keys(a.config)) delete a.config[k];
    Object.assign(a.config, next);
    if (JSON.stringify(this.effectiveConfig(a)) === before) return;
    for (const u of this.appUnits(a)) this.queue(u, { type: 'config-changed', hook: 'config-changed' }, OPERATOR);
  }

  /** `juju integrate a:x b:y`: returns the relation id as seen from `a` (`tsa:3`). Queues created/joined/changed. */
  async integrate(a: string, b: string): Promise<string> {
    this.checkOpen();
    const [endA, endB] = this.matchEndpoints(a, b);
    const rel = this.createRelation(
      [endA, endB],
      this.app(endA.app).spec.endpoints[endA.endpoint]?.interface ?? '',
      false,
    );
    for (const end of rel.ends) {
      for (const u of this.unitsOf(end.app)) {
        if (u.box === undefined) {
          // Stand-ins are in scope at once; charm units enter after their relation-created (and start).
          this.enterRelationScope(u, rel, OPERATOR);
        } else this.queueRelation(u, rel, 'relation-created', OPERATOR, {});
      }
    }
    return `${endA.endpoint}:${rel.id}`;
  }

  /**
   * `juju remove-relation`: departed for every member, then broken, on every unit. The relation stays listed by
   * relation-ids on a unit until its broken hook has run (see tools/relation-tools.ts).
   */
  async removeRelation(id: string | number): Promise<void> {
    this.checkOpen();
    const rel = this.relation(id);
    if (rel.peer) throw new SimError('cannot remove a peer relation');
    if (rel.dying) return;
    rel.dying = true;
    for (const end of rel.ends) {
      for (const u of this.unitsOf(end.app)) {
        if (u.box === undefined || !this.awareOf(u, rel)) continue;
        // Once a relation is Dying, Juju's uniter runs only departed and broken hooks for it: a joined or changed
        // still pending never runs (juju/juju internal/worker/uniter/relation/resolver.go NextOp: a Dying relation's
        // remote snapshot is emptied, so nextHookForRelation yields departed for known members, then broken).
        const keep = u.queue.filter(
          (e, i) =>
            (i === 0 && u.headRunning) ||
            e.relationId !== rel.id ||
            (e.type !== 'relation-joined' && e.type !== 'relation-changed'),
        );
        u.queue.splice(0, u.queue.length, ...keep);
        for (const member of this.expectedView(u, rel)) {
          // The remote unit is the one departing (resolver.go: DepartingUnit is the local unit only when it is the
          // one dying), so Juju sets JUJU_DEPARTING_UNIT to it.
          this.queueRelation(u, rel, 'relation-departed', OPERATOR, { remoteUnit: member, departingUnit: member });
        }
        this.queueRelation(u, rel, 'relation-broken', OPERATOR, {});
        rel.brokenPending.add(u.name);
      }
    }
    if (rel.brokenPending.size === 0) this.finalizeRelation(rel);
  }

  /**
   * Juju's leadership change: leader-elected on the new leader, and nothing at all on the unit that lost it (Juju
   * promises it no hook: resigning runs none, see announceLeader).
   */
  async setLeader(unit: string): Promise<void> {
    this.checkOpen();
    const u = this.unit(unit);
    const a = this.app(u.app);
    if (a.leader === unit) return;
    a.leader = unit;
    this.announceLeader(a, OPERATOR);
  }

  /** Makes `resource-get <name>` return a copy of `path` (as `juju attach-resource`, without upgrade-charm). */
  async attachResource(app: string, name: string, path: string): Promise<void> {
    this.checkOpen();
    const a = this.app(app);
    const declared = a.spec.resources[name];
    if (declared === undefined) throw new SimError(`charm "${a.spec.name}" has no resource "${name}"`);
    const stored = join(this.root, 'resources', app, name, declared.filename);
    await mkdir(dirname(stored), { recursive: true });
    await copyFile(path, stored);
    a.resources.set(name, stored);
    // A new upload is served by a controller that works again.
    await rm(resourceFaultPath(this.root, app, name), { force: true });
  }

  /**
   * Makes the controller fail to serve resource `name` (attached or not): `resource-get` prints `ERROR <message>`
   * and exits 1, as for `connection is shut down` or a 500 from the API server. Takes effect at once, in running
   * hooks too; `null` (or attachResource) ends it.
   */
  async failResource(app: string, name: string, message: string | null): Promise<void> {
    this.checkOpen();
    const a = this.app(app);
    if (a.spec.resources[name] === undefined) throw new SimError(`charm "${a.spec.name}" has no resource "${name}"`);
    const fault = resourceFaultPath(this.root, app, name);
    if (message === null) {
      await rm(fault, { force: true });
      return;
    }
    await mkdir(dirname(fault), { recursive: true });
    await writeFile(fault, message);
  }

  /** Runs update-status on every unit and settles. */
  async updateStatus(): Promise<void> {
    this.checkOpen();
    for (const a of this.apps.values()) {
      for (const u of this.appUnits(a)) this.queue(u, { type: 'update-status', hook: 'update-status' }, OPERATOR);
    }
    await this.settle();
  }

  /** `juju resolve [--no-retry]`: clears a unit's hook error; retry (default) runs the failed hook again first. */
  async resolve(unit: string, opts: { retry?: boolean } = {}): Promise<void> {
    const u = this.unit(unit);
    const failed = u.failed;
    if (failed === undefined) throw new SimError(`unit "${unit}" is not in an error state`);
    u.failed = undefined;
    u.retryAt = undefined;
    u.retries = 0;
    u.agent = 'idle';
    u.agentMessage = '';
    if (opts.retry ?? true) u.queue.unshift(failed);
    else await this.afterSuccess(u, failed);
  }

  // ---------------------------------------------------------------- running hooks

  /**
   * Runs every queued event until no unit has one. Units run in parallel, each one hook at a time in FIFO order;
   * a unit in error waits for resolve(). Throws when an event's causal chain gets longer than maxRounds.
   */
  async settle(opts: { maxRounds?: number } = {}): Promise<void> {
    this.checkOpen();
    const maxRounds = opts.maxRounds ?? 50;
    const active = new Map<string, Promise<void>>();
    const problems: unknown[] = [];
    const looping: UnitRecord[] = [];
    for (;;) {
      if (problems.length === 0 && looping.length === 0) {
        this.retryDueHooks();
        for (const u of this.units.values()) {
          const head = u.queue[0];
          if (active.has(u.name) || u.box === undefined || u.failed !== undefined || head === undefined) continue;
          if (head.generation > maxRounds) {
            looping.push(u);
            continue;
          }
          if (!u.lock.tryAcquire()) continue; // busy with a runHook/runAction from the test: left for later
          const p = this.runHead(u)
            .catch((e: unknown) => {
              problems.push(e);
            })
            .finally(() => {
              u.lock.release();
              active.delete(u.name);
            });
          active.set(u.name, p);
        }
      }
      if (active.size === 0) {
        const wait = problems.length === 0 && looping.length === 0 ? this.nextRetryIn() : undefined;
        if (wait === undefined) break;
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      await Promise.race(active.values());
    }
    if (problems.length > 0) throw problems[0];
    if (looping.length > 0) {
      const lines = looping.map((u) => {
        const head = u.queue[0];
        return head === undefined ? u.name : `${describeEvent(u.name, head)} after ${head.chain.join(' → ')}`;
      });
      throw new SimError(`model did not settle after ${maxRounds} rounds; still looping:\n${lines.join('\n')}`);
    }
  }

  /** Runs one hook on `unit` now (after any hook it is running), like the uniter would; failure → agent error. */
  async runHook(unit: string, hook: string, opts: HookOptions = {}): Promise<HookRun> {
    const started = await this.startHook(unit, hook, opts);
    return started.done;
  }

  /** Starts one hook and returns at once, for fault tests (stop at a named step, kill). */
  async startHook(unit: string, hook: string, opts: HookOptions = {}): Promise<StartedHook> {
    this.checkOpen();
    const u = this.charmUnit(unit);
    const event = this.eventForHook(u, hook, opts);
    await u.lock.acquire();
    try {
      const started = await this.launch(u, {
        event,
        action: undefined,
        dispatchPath: `hooks/${hook}`,
        label: hook,
        argv: undefined,
        env: opts.env,
      });
      const done = started.finished.then(async ({ run }) => {
        if (run.ok) await this.afterSuccess(u, event);
        else this.fail(u, event);
        return run;
      });
      done.finally(() => u.lock.release()).catch(() => {});
      return { pid: started.pid, stoppedAt: started.stoppedAt, kill: started.kill, done };
    } catch (e) {
      u.lock.release();
      throw e;
    }
  }

  /** `juju run <unit> <action> k=v`: validates params against actions.yaml and runs the action on the unit. */
  async runAction(unit: string, name: string, params: Readonly<Record<string, unknown>> = {}): Promise<ActionResult> {
    this.checkOpen();
    const u = this.charmUnit(unit);
    const full = validateActionParams(this.app(u.app).spec, unit, name, params);
    await u.lock.acquire();
    try {
      const started = await this.launch(u, {
        event: undefined,
        action: { name, uuid: randomUUID(), params: full },
        dispatchPath: `actions/${name}`,
        label: `action-${name}`,
        argv: undefined,
        env: undefined,
      });
      const { run, effects } = await started.finished;
      const results: Record<string, unknown> = {};
      const log: string[] = [];
      let failMessage: string | undefined;
      for (const e of effects) {
        if (e.op === 'action-set') setNested(results, e.key, e.value);
        if (e.op === 'action-log') log.push(e.message);
        if (e.op === 'action-fail') failMessage = e.message;
      }
      const failed = failMessage !== undefined || !run.ok;
      const message =
        failMessage ??
        (run.ok ? undefined : run.exitCode === null ? `killed by ${run.signal}` : `exit status ${run.exitCode}`);
      return {
        status: failed ? 'failed' : 'completed',
        results,
        ...(message === undefined ? {} : { message }),
        log,
        exitCode: run.exitCode,
        stdout: run.stdout,
        stderr: run.stderr,
      };
    } finally {
      u.lock.release();
    }
  }

  /** `juju exec --unit`: runs a command in the unit's namespace with the hook tools; no effect on its agent. */
  async exec(
    unit: string,
    argv: readonly string[],
    opts: { env?: Readonly<Record<string, string>> } = {},
  ): Promise<ExecResult> {
    this.checkOpen();
    const u = this.charmUnit(unit);
    await u.lock.acquire();
    try {
      const started = await this.launch(u, {
        event: undefined,
        action: undefined,
        dispatchPath: 'juju-exec',
        label: 'juju-exec',
        argv,
        env: opts.env,
      });
      const { run } = await started.finished;
      return { exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr };
    } finally {
      u.lock.release();
    }
  }

  // ---------------------------------------------------------------- stand-in applications

  /** Writes a stand-in unit's (or app's) relation data, as its charm would; queues relation-changed. */
  async setRelationData(relationId: string | number, unitOrApp: string, data: Readonly<Bag>): Promise<void> {
    this.checkOpen();
    const rel = this.relation(relationId);
    const isUnit = unitOrApp.includes('/');
    const app = this.app(isUnit ? this.unit(unitOrApp).app : unitOrApp);
    if (!app.stub) throw new SimError(`${unitOrApp} runs a charm: only stand-in applications' data is set by the test`);
    this.applyRelationSet(
      isUnit ? this.unit(unitOrApp) : undefined,
      app.name,
      { op: 'relation-set', relationId: rel.id, app: !isUnit, data: { ...data } },
      OPERATOR,
    );
  }

  /** A secret owned by a stand-in application; returns its URI. */
  async addSecret(ownerApp: string, content: Readonly<Bag>, opts: { label?: string } = {}): Promise<string> {
    this.app(ownerApp);
    const id = randomUUID().replace(/-/g, '').slice(0, 20).replace(/[w-z]/g, 'v');
    this.secretStore.set(id, {
      id,
      ownerApp,
      label: opts.label,
      revisions: [{ revision: 1, content: { ...content } }],
      grants: [],
      consumers: {},
    });
    return secretUri(id);
  }

  /** Grants a secret to the application on the other side of `relationId` from its owner. */
  async grantSecret(uri: string, relationId: string | number, opts: { unit?: string } = {}): Promise<void> {
    const s = this.secret(uri);
    const rel = this.relation(relationId);
    const app = rel.peer ? s.ownerApp : (rel.ends.find((e) => e.app !== s.ownerApp)?.app ?? s.ownerApp);
    s.grants.push({ relationId: rel.id, app, unit: opts.unit });
  }

  /** A new revision of a secret (as its owner would `secret-set`): consumers tracking an older one get secret-changed. */
  /** Like `secret-revoke -r <relation>` by the owner: the consumers on that relation can no longer read it. */
  async revokeSecret(uri: string, relationId: string | number): Promise<void> {
    const s = this.secret(uri);
    const rel = this.relation(relationId);
    s.grants = s.grants.filter((g) => g.relationId !== rel.id);
  }

  async updateSecret(uri: string, content: Readonly<Bag>): Promise<void> {
    const s = this.secret(uri);
    s.revisions.push({ revision: (s.revisions[s.revisions.length - 1]?.revision ?? 0) + 1, content: { ...content } });
    this.notifySecretConsumers(s, OPERATOR);
  }

  // ---------------------------------------------------------------- observation

  status(): SimStatus {
    const units: UnitStatus[] = [];
    const apps: AppStatus[] = [];
    for (const a of [...this.apps.values()].sort((x, y) => x.name.localeCompare(y.name))) {
      const appUnits = this.unitsOf(a.name).map((u) => this.unitStatus(u));
      units.push(...appUnits);
      apps.push({
        name: a.name,
        charm: a.spec.name,
        scale: appUnits.length,
        status: a.status === undefined ? deriveAppStatus(appUnits) : { kind: a.status.kind, message: a.status.message },
        version: this.unitsOf(a.name).find((u) => u.workloadVersion !== '')?.workloadVersion ?? '',
        leader: a.leader,
        units: appUnits.map((u) => u.name),
        stub: a.stub,
      });
    }
    const relations: RelationStatus[] = [...this.relations.values()].map((r) => {
      const names = r.ends.map((e) => `${e.app}:${e.endpoint}`);
      const provider = r.ends.find((e) => e.role !== 'requires') ?? r.ends[0];
      const requirer = r.ends.find((e) => e.role === 'requires') ?? r.ends[0];
      return {
        id: r.id,
        interface: r.interface,
        peer: r.peer,
        endpoints: names,
        provider: provider === undefined ? '' : `${provider.app}:${provider.endpoint}`,
        requirer: requirer === undefined ? '' : `${requirer.app}:${requirer.endpoint}`,
      };
    });
    return { model: this.modelName, apps, units, relations };
  }

  formatStatus(): string {
    return formatStatusTable(this.status());
  }

  /** juju-log lines as `juju debug-log` prints them: `unit-concourse-ci-0: 12:00:01 INFO unit.concourse-ci/0.juju-log …`. */
  debugLog(filter: { unit?: string; level?: string } = {}): string[] {
    // Hooks finish out of order; debug-log reads in time order.
    const entries = [...this.logs, ...this.liveLogs()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    return entries
      .filter((e) => filter.unit === undefined || e.unit === filter.unit)
      .filter((e) => filter.level === undefined || e.level === filter.level.toUpperCase())
      .map(
        (e) =>
          `unit-${e.unit.replace('/', '-')}: ${e.at.slice(11, 19)} ${e.level} unit.${e.unit}.juju-log ${e.message}`,
      );
  }

  /** Everything the unit's hooks printed, with a header per hook. */
  unitLog(unit: string): string {
    const dir = this.unitDirs.get(unit);
    if (dir === undefined) throw new SimError(`unit "${unit}" not found`);
    try {
      return readFileSync(join(dir, 'hooks.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Committed relation data of a unit or an application (`concourse-ci` or `concourse-ci/0`). */
  relationData(relationId: string | number, unitOrApp: string): Bag {
    const rel = this.relation(relationId);
    const bag = unitOrApp.includes('/') ? rel.unitData.get(unitOrApp) : rel.appData.get(unitOrApp);
    return { ...(bag ?? {}) };
  }

  /** Relation ids (`peers:0`) of an application's endpoint. */
  relationIds(app: string, endpoint: string): string[] {
    return [...this.relations.values()]
      .filter((r) => r.ends.some((e) => e.app === app && e.endpoint === endpoint))
      .map((r) => `${endpoint}:${r.id}`);
  }

  secrets(): SecretInfo[] {
    return [...this.secretStore.values()].map((s) => ({
      uri: secretUri(s.id),
      owner: s.ownerUnit ?? s.ownerApp,
      label: s.label,
      revisions: structuredClone(s.revisions),
      grants: structuredClone(s.grants),
      consumers: structuredClone(s.consumers),
    }));
  }

  /** Every systemctl call the unit's hooks made, in order, with timestamps. */
  systemctlCalls(unit: string): SystemctlCall[] {
    const text = this.readUnitFile(unit, join('systemd', 'calls.jsonl'));
    return parseJsonLines(text, (v) => SystemctlCallSchema.parse(v));
  }

  /** The fake systemd's view of one service on the unit: active state, loaded ExecStart, failure. */
  serviceState(unit: string, service: string): { active: string; execStart: string; failure?: string } | undefined {
    const name = service.includes('.') ? service : `${service}.service`;
    const text = this.readUnitFile(unit, join('systemd', 'units', `${name}.json`));
    if (text === '') return undefined;
    const state = ServiceStateSchema.parse(JSON.parse(text));
    return {
      active: state.active,
      execStart: state.loaded?.execStart ?? '',
      ...(state.failure === undefined ? {} : { failure: state.failure }),
    };
  }

  /** The unit's dir on the host (charm, its filesystem layers, hook dirs, logs). */
  unitRoot(unit: string): string {
    const dir = this.unitDirs.get(unit);
    if (dir === undefined) throw new SimError(`unit "${unit}" not found`);
    return dir;
  }

  /** Where on the host what the unit wrote at `inside` lands (/etc/x → its private upper layer, and so on). */
  unitPath(unit: string, inside: string): string {
    const box = this.unit(unit).box;
    if (box === undefined) throw new SimError(`${unit} is a stand-in and has no filesystem`);
    return box.hostPath(inside);
  }

  /** The host path of what the unit sees at its storage location: the topmost mount, or its bare directory. */
  volumeHostPath(unit: string): string {
    const u = this.charmUnit(unit);
    if (u.box === undefined) throw new SimError(`${unit} is a stand-in and has no filesystem`);
    return u.box.hostPath(this.storageLocationOf(u));
  }

  /** What is mounted at the unit's storage location, bottom to top (operator mounts and Juju storage binds). */
  mountsOf(unit: string): ReadonlyArray<{ kind: 'operator' | 'juju-storage'; hostPath: string; storageId?: string }> {
    return this.charmUnit(unit).layers.map((l) => ({
      kind: l.kind,
      hostPath: l.hostPath,
      ...(l.storageId === undefined ? {} : { storageId: l.storageId }),
    }));
  }

  /** Events waiting on each unit (for debugging a test). */
  pendingEvents(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const u of this.units.values()) {
      if (u.queue.length > 0 || u.failed !== undefined) {
        out[u.name] = [
          ...(u.failed === undefined ? [] : [`(failed) ${u.failed.hook}`]),
          ...u.queue.map((e) => describeEvent(u.name, e)),
        ];
      }
    }
    return out;
  }

  /** Kills what is still running, closes volumes, unmounts, removes the root (unless kept). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    for (const u of this.units.values()) if (u.running !== undefined) signalGroup(u.running.child, 'SIGKILL');
    await Promise.allSettled([...this.inflight]);
    await this.toolServer.close();
    for (const v of this.volumes) {
      try {
        await v.close();
      } catch (e) {
        errors.push(e);
      }
    }
    for (const m of await mountsUnder(this.root)) {
      try {
        await unmount(m);
      } catch (e) {
        errors.push(e);
      }
    }
    const left = await mountsUnder(this.root);
    if (left.length > 0) errors.push(new Error(`still mounted, so ${this.root} is kept: ${left.join(', ')}`));
    else if (this.removeRootOnClose) await rm(this.root, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, `SimModel.close: ${errors.length} problem(s)`);
  }

  // ---------------------------------------------------------------- internals: units and relations

  private checkOpen(): void {
    if (this.closed) throw new SimError('the model is closed');
  }

  private async openVolume(v: VolumeProvider): Promise<void> {
    if (this.volumes.has(v)) return;
    this.volumes.add(v);
    await v.open?.(this.root);
  }

  private app(name: string): AppRecord {
    const a = this.apps.get(name);
    if (a === undefined) throw new SimError(`application "${name}" not found`);
    return a;
  }

  private unit(name: string): UnitRecord {
    const u = this.units.get(name);
    if (u === undefined) throw new SimError(`unit "${name}" not found`);
    return u;
  }

  private charmUnit(name: string): UnitRecord {
    const u = this.unit(name);
    if (u.box === undefined) throw new SimError(`${name} is a stand-in: it runs no hooks`);
    return u;
  }

  private relation(id: string | number): RelationRecord {
    const n = typeof id === 'number' ? id : parseRelationNumber(id);
    const rel = n === undefined ? undefined : this.relations.get(n);
    if (rel === undefined) throw new SimError(`relation ${JSON.stringify(id)} not found`);
    return rel;
  }

  private secret(uri: string): Secret {
    const id = parseSecretId(uri);
    const s = id === undefined ? undefined : this.secretStore.get(id);
    if (s === undefined) throw new SimError(`secret "${uri}" not found`);
    return s;
  }

  private unitsOf(app: string): UnitRecord[] {
    return (this.apps.get(app)?.units ?? [])
      .map((n) => this.units.get(n))
      .filter((u): u is UnitRecord => u !== undefined)
      .sort((x, y) => x.index - y.index);
  }

  /** Charm units of an app that are not being removed. */
  private appUnits(a: AppRecord): UnitRecord[] {
    return this.unitsOf(a.name).filter((u) => u.box !== undefined && u.life === 'alive');
  }

  private effectiveConfig(a: AppRecord): Record<string, ConfigValue> {
    return { ...defaultConfig(a.spec), ...a.config };
  }

  /** The charm's first storage's location (where operators mount the shared filesystem). */
  private storageLocationOf(u: UnitRecord): string {
    const first = Object.values(this.app(u.app).spec.storage)[0];
    if (first === undefined) throw new SimError(`charm of ${u.app} declares no storage`);
    return first.location;
  }

  private async createUnit(
    a: AppRecord,
    volume: VolumeProvider | undefined,
    storageRequest: Readonly<Record<string, string>>,
  ): Promise<string> {
    const index = a.nextUnit++;
    const name = `${a.name}/${index}`;
    const machine = this.nextMachine++;
    const address = `127.0.${1 + Math.floor(machine / 254)}.${(machine % 254) + 1}`;
    const dir = join(this.root, 'units', `${a.name}-${index}`);
    await mkdir(dir, { recursive: true });
    const storage: StorageAttachment[] = [];
    const layers: MountLayer[] = [];
    const [firstStorage] = Object.values(a.spec.storage);
    // The operator's mount, made on the machine before the unit's agent ran (an LXD disk device, NFS).
    if (volume !== undefined && firstStorage !== undefined && !a.stub) {
      layers.push({
        kind: 'operator',
        location: firstStorage.location,
        hostPath: await volume.hostPathFor(name),
        provider: volume,
      });
    }
    for (const [storageName, s] of Object.entries(a.spec.storage)) {
      // Juju creates the charm's minimum, or one when `--storage` names it (max 1 here: location used as-is).
      const count = storageRequest[storageName] !== undefined ? Math.max(1, s.minCount) : s.minCount;
      for (let i = 0; i < Math.min(count, s.maxCount); i++) {
        const k = this.storageCounters.get(storageName) ?? 0;
        this.storageCounters.set(storageName, k + 1);
        const id = `${storageName}/${k}`;
        storage.push({ id, name: storageName, kind: s.kind, location: s.location });
        // The rootfs provider makes /var/lib/juju/storage/<machine>/<n> and bind-mounts it over the location before
        // the first hook, on top of anything mounted there: juju/juju internal/storage/provider/rootfs.go (mount,
        // tryBindMount). Here it is a dir of the unit's own.
        const hostPath = join(dir, 'juju-storage', storageName, String(k));
        await mkdir(hostPath, { recursive: true });
        layers.push({ kind: 'juju-storage', location: s.location, hostPath, storageId: id });
      }
    }
    const box = a.stub
      ? undefined
      : await SimMachine.create({
          unit: name,
          dir,
          hostname: `juju-${this.modelUuid.slice(0, 6)}-${machine}`,
          address,
          charmPath: this.charmPath,
          binDir: this.toolsPath,
          node: this.nodeMode,
          nodeAlias: join(this.toolsPath, NODE_ALIAS),
          mode: this.mode,
        });
    box?.setMounts(layers);
    const u: UnitRecord = {
      name,
      app: a.name,
      index,
      machine,
      address,
      dir,
      box,
      storage,
      layers,
      workload: a.stub
        ? { kind: 'active', message: '', since: NOW() }
        : { kind: 'waiting', message: 'waiting for machine', since: NOW() },
      charmSetStatus: false,
      agent: a.stub ? 'idle' : 'allocating',
      agentMessage: '',
      workloadVersion: '',
      ports: new Set(),
      state: {},
      life: 'alive',
      started: a.stub,
      knownRelations: new Set(),
      queue: [],
      headRunning: false,
      failed: undefined,
      retries: 0,
      retryAt: undefined,
      lock: new Mutex(),
      hookSeq: 0,
      running: undefined,
    };
    this.units.set(name, u);
    this.unitDirs.set(name, dir);
    a.units.push(name);
    const firstLeader = a.leader === undefined;
    if (firstLeader) a.leader = name;
    if (box === undefined) {
      for (const rel of this.relations.values()) {
        if (rel.ends.some((e) => e.app === a.name) && !rel.dying) this.enterRelationScope(u, rel, OPERATOR);
      }
      return name;
    }
    // Juju 3's order for a new unit.
    for (const s of storage)
      this.queue(u, { type: 'storage-attached', hook: `${s.name}-storage-attached`, storageId: s.id }, OPERATOR);
    this.queue(u, { type: 'install', hook: 'install' }, OPERATOR);
    for (const rel of this.relations.values()) {
      if (rel.ends.some((e) => e.app === a.name) && !rel.dying)
        this.queueRelation(u, rel, 'relation-created', OPERATOR, {});
    }
    this.queue(
      u,
      firstLeader
        ? { type: 'leader-elected', hook: 'leader-elected' }
        : { type: 'leader-settings-changed', hook: 'leader-settings-changed' },
      OPERATOR,
    );
    this.queue(u, { type: 'config-changed', hook: 'config-changed' }, OPERATOR);
    this.queue(u, { type: 'start', hook: 'start' }, OPERATOR);
    return name;
  }

  private createRelation(ends: RelationEnd[], iface: string, peer: boolean): RelationRecord {
    const rel: RelationRecord = {
      id: this.nextRelation++,
      peer,
      interface: iface,
      ends,
      unitData: new Map(),
      appData: new Map(),
      views: new Map(),
      scope: new Set(),
      dying: false,
      brokenPending: new Set(),
    };
    this.relations.set(rel.id, rel);
    return rel;
  }

  private matchEndpoints(a: string, b: string): [RelationEnd, RelationEnd] {
    const parse = (s: string): { app: string; endpoint: string | undefined } => {
      const [app = '', endpoint] = s.split(':');
      this.app(app);
      return { app, endpoint };
    };
    const pa = parse(a);
    const pb = parse(b);
    const ends = (p: { app: string; endpoint: string | undefined }): RelationEnd[] => {
      const spec = this.app(p.app).spec;
      if (p.endpoint !== undefined) {
        const e = spec.endpoints[p.endpoint];
        if (e === undefined) throw new SimError(`application "${p.app}" has no "${p.endpoint}" relation`);
        if (e.role === 'peers') throw new SimError(`cannot integrate peer endpoint "${p.app}:${p.endpoint}"`);
        return [{ app: p.app, endpoint: p.endpoint, role: e.role }];
      }
      return Object.entries(spec.endpoints)
        .filter(([, e]) => e.role !== 'peers')
        .map(([endpoint, e]) => ({ app: p.app, endpoint, role: e.role }));
    };
    const iface = (e: RelationEnd) => this.app(e.app).spec.endpoints[e.endpoint]?.interface;
    const pairs: Array<[RelationEnd, RelationEnd]> = [];
    for (const x of ends(pa)) {
      for (const y of ends(pb)) {
        const roles = new Set([x.role, y.role]);
        if (roles.has('provides') && roles.has('requires') && iface(x) === iface(y)) pairs.push([x, y]);
      }
    }
    if (pairs.length === 0) throw new SimError(`no relations found between "${a}" and "${b}"`);
    if (pairs.length > 1) {
      const options = pairs.map(([x, y]) => `${x.app}:${x.endpoint} ${y.app}:${y.endpoint}`).join(', ');
      throw new SimError(`ambiguous relation: "${a} ${b}" could refer to ${options}`);
    }
    const [x, y] = pairs[0] ?? [];
    if (x === undefined || y === undefined) throw new SimError('no relations found');
    for (const rel of this.relations.values()) {
      const same = (e: RelationEnd) => rel.ends.some((r) => r.app === e.app && r.endpoint === e.endpoint);
      if (same(x) && same(y))
        throw new SimError(`relation ${x.app}:${x.endpoint} ${y.app}:${y.endpoint} already exists`);
    }
    for (const e of [x, y]) {
      const limit = this.app(e.app).spec.endpoints[e.endpoint]?.limit;
      const count = [...this.relations.values()].filter((r) =>
        r.ends.some((r2) => r2.app === e.app && r2.endpoint === e.endpoint),
      ).length;
      if (limit !== undefined && count >= limit) {
        throw new SimError(
          `establishing a new relation for ${e.app}:${e.endpoint} would exceed its maximum relation limit of ${limit}`,
        );
      }
    }
    return [x, y];
  }

  private endpointOf(rel: RelationRecord, app: string): string {
    return (rel.ends.find((e) => e.app === app) ?? rel.ends[0])?.endpoint ?? '';
  }

  private remoteAppOf(rel: RelationRecord, app: string): string {
    return rel.peer ? app : (rel.ends.find((e) => e.app !== app)?.app ?? app);
  }

  /** The units on the other side of a relation from `app` (for a peer relation: the app's own units). */
  private otherSideUnits(rel: RelationRecord, app: string): UnitRecord[] {
    return this.unitsOf(this.remoteAppOf(rel, app));
  }

  /** Whether the unit knows the relation or will once its queued relation-created runs. */
  private awareOf(u: UnitRecord, rel: RelationRecord): boolean {
    return (
      u.knownRelations.has(rel.id) || u.queue.some((e) => e.type === 'relation-created' && e.relationId === rel.id)
    );
  }

  /** The members the unit will have seen once its queued joined/departed events have run, in unit order. */
  private expectedView(u: UnitRecord, rel: RelationRecord): string[] {
    const view = new Set(rel.views.get(u.name) ?? []);
    for (const e of u.queue) {
      if (e.relationId !== rel.id || e.remoteUnit === undefined) continue;
      if (e.type === 'relation-joined') view.add(e.remoteUnit);
      if (e.type === 'relation-departed') view.delete(e.remoteUnit);
    }
    return [...view].sort(byUnitOrder);
  }

  private enterRelationScope(u: UnitRecord, rel: RelationRecord, cause: Cause): void {
    if (rel.scope.has(u.name) || rel.dying) return;
    rel.scope.add(u.name);
    // Juju puts a unit's addresses in its bag when it joins.
    const bag = rel.unitData.get(u.name) ?? {};
    bag['private-address'] ??= u.address;
    bag['ingress-address'] ??= u.address;
    bag['egress-subnets'] ??= `${u.address}/32`;
    rel.unitData.set(u.name, bag);
    const remoteApp = this.remoteAppOf(rel, u.app);
    for (const v of this.unitsOf(remoteApp)) {
      if (v.name === u.name || !rel.scope.has(v.name)) continue;
      for (const [me, them] of [
        [u, v],
        [v, u],
      ] as const) {
        if (me.box === undefined) {
          const view = rel.views.get(me.name) ?? new Set();
          view.add(them.name);
          rel.views.set(me.name, view);
          continue;
        }
        this.queueRelation(me, rel, 'relation-joined', cause, { remoteUnit: them.name });
        this.queueRelation(me, rel, 'relation-changed', cause, { remoteUnit: them.name });
      }
    }
  }

  /**
   * Only the new leader hears of a leadership change. The unit that lost it runs no hook: resigning is an internal
   * operation (juju/juju internal/worker/uniter/operation/leader.go, resignLeadership: no hook), and whether a deposed
   * unit later sees leader-settings-changed depends on a settings version, so the strictest reading is modelled:
   * nothing, so that the charm never comes to rely on it.
   */
  private announceLeader(a: AppRecord, cause: Cause): void {
    for (const u of this.appUnits(a)) {
      if (u.name === a.leader) this.queue(u, { type: 'leader-elected', hook: 'leader-elected' }, cause);
    }
  }

  private async finalizeUnit(u: UnitRecord, cause: Cause): Promise<void> {
    const a = this.app(u.app);
    a.units.splice(a.units.indexOf(u.name), 1);
    this.units.delete(u.name);
    for (const rel of this.relations.values()) {
      rel.scope.delete(u.name);
      rel.views.delete(u.name);
      rel.brokenPending.delete(u.name);
    }
    if (a.leader === u.name) {
      a.leader = this.unitsOf(a.name).find((v) => v.life === 'alive')?.name;
      if (a.leader !== undefined) this.announceLeader(a, cause);
    }
    const providers = new Set(u.layers.flatMap((l) => (l.provider === undefined ? [] : [l.provider])));
    for (const p of providers) await p.release(u.name);
  }

  private finalizeRelation(rel: RelationRecord): void {
    this.relations.delete(rel.id);
    for (const u of this.units.values()) u.knownRelations.delete(rel.id);
    for (const s of this.secretStore.values()) s.grants = s.grants.filter((g) => g.relationId !== rel.id);
  }

  // ---------------------------------------------------------------- internals: queueing

  private queue(u: UnitRecord, e: Omit<SimEvent, 'generation' | 'chain'>, cause: Cause): void {
    if (u.box === undefined) return;
    enqueue(u.queue, { ...e, generation: cause.generation, chain: cause.chain }, u.headRunning);
  }

  private queueRelation(
    u: UnitRecord,
    rel: RelationRecord,
    type: Extract<EventType, `relation-${string}`>,
    cause: Cause,
    extra: { remoteUnit?: string; departingUnit?: string; remoteApp?: string },
  ): void {
    const endpoint = this.endpointOf(rel, u.app);
    this.queue(
      u,
      {
        type,
        hook: `${endpoint}-${type}`,
        relationId: rel.id,
        endpoint,
        remoteApp: extra.remoteApp ?? this.remoteAppOf(rel, u.app),
        remoteUnit: extra.remoteUnit,
        departingUnit: extra.departingUnit,
      },
      cause,
    );
  }

  /** What a hook of `event` on `u` causes: one round deeper, its chain one longer. */
  private causeOf(u: UnitRecord, event: SimEvent | undefined): Cause {
    if (event === undefined) return { generation: 1, chain: [`${u.name} (action or exec)`] };
    return {
      generation: event.generation + 1,
      chain: [...event.chain, describeEvent(u.name, event)].slice(-CHAIN_LENGTH),
    };
  }

  private eventForHook(u: UnitRecord, hook: string, opts: HookOptions): SimEvent {
    const a = this.app(u.app);
    const c = classifyHook(hook, Object.keys(a.spec.endpoints), Object.keys(a.spec.storage));
    if (c.endpoint !== undefined) {
      const rel =
        opts.relationId !== undefined
          ? this.relation(opts.relationId)
          : [...this.relations.values()].find((r) => r.ends.some((e) => e.app === u.app && e.endpoint === c.endpoint));
      if (rel === undefined) throw new SimError(`${u.name} has no relation on endpoint "${c.endpoint}"`);
      return {
        type: c.type,
        hook,
        relationId: rel.id,
        endpoint: c.endpoint,
        remoteApp: opts.remoteApp ?? this.remoteAppOf(rel, u.app),
        remoteUnit: opts.remoteUnit,
        generation: 0,
        chain: [],
      };
    }
    if (c.storage !== undefined) {
      return {
        type: c.type,
        hook,
        storageId: u.storage.find((s) => s.name === c.storage)?.id,
        generation: 0,
        chain: [],
      };
    }
    return { type: c.type, hook, generation: 0, chain: [] };
  }

  // ---------------------------------------------------------------- internals: one hook

  /** Runs the head of the unit's queue (the caller holds the unit's lock). */
  private async runHead(u: UnitRecord): Promise<void> {
    const event = u.queue[0];
    if (event === undefined) return;
    u.headRunning = true;
    let finished: Finished;
    try {
      const started = await this.launch(u, {
        event,
        action: undefined,
        dispatchPath: `hooks/${event.hook}`,
        label: event.hook,
        argv: undefined,
        env: undefined,
      });
      finished = await started.finished;
    } finally {
      u.headRunning = false;
    }
    u.queue.shift();
    if (finished.run.ok) await this.afterSuccess(u, event);
    else this.fail(u, event);
  }

  private fail(u: UnitRecord, event: SimEvent): void {
    u.failed = event;
    u.agent = 'error';
    u.agentMessage = `hook failed: "${event.hook}"`;
    const retry = this.options.hookRetry ?? { firstDelayMs: 50, maxDelayMs: 400, attempts: 3 };
    u.retryAt =
      retry === false || u.retries >= retry.attempts
        ? undefined
        : Date.now() + Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** u.retries);
  }

  /** The failed hooks whose automatic retry is due now are queued again (Juju's uniter re-runs the same hook). */
  private retryDueHooks(): void {
    for (const u of this.units.values()) {
      if (u.failed === undefined || u.retryAt === undefined || u.retryAt > Date.now()) continue;
      const failed = u.failed;
      u.failed = undefined;
      u.retryAt = undefined;
      u.retries += 1;
      u.agent = 'idle';
      u.agentMessage = '';
      u.queue.unshift(failed);
    }
  }

  /** Milliseconds until the next automatic retry, or undefined when none is pending. */
  private nextRetryIn(): number | undefined {
    const due = [...this.units.values()].flatMap((u) =>
      u.failed !== undefined && u.retryAt !== undefined ? [u.retryAt] : [],
    );
    return due.length === 0 ? undefined : Math.max(0, Math.min(...due) - Date.now());
  }

  /** Juju's bookkeeping once a hook has run (or was resolved without retry). */
  private async afterSuccess(u: UnitRecord, event: SimEvent): Promise<void> {
    u.retries = 0;
    const cause = this.causeOf(u, event);
    const rel = event.relationId === undefined ? undefined : this.relations.get(event.relationId);
    switch (event.type) {
      case 'start':
        u.started = true;
        if (!u.charmSetStatus) u.workload = { kind: 'unknown', message: '', since: NOW() };
        for (const r of this.relations.values()) if (u.knownRelations.has(r.id)) this.enterRelationScope(u, r, cause);
        break;
      case 'relation-created':
        if (rel !== undefined && u.started) this.enterRelationScope(u, rel, cause);
        break;
      case 'relation-broken':
        if (rel !== undefined) {
          u.knownRelations.delete(rel.id);
          rel.brokenPending.delete(u.name);
          if (rel.dying && rel.brokenPending.size === 0) this.finalizeRelation(rel);
        }
        break;
      case 'remove':
        await this.finalizeUnit(u, cause);
        break;
      default:
        break;
    }
  }

  /** Bookkeeping Juju does before a hook runs: who the unit sees in its relations. */
  private beforeHook(u: UnitRecord, event: SimEvent): void {
    if (event.relationId === undefined) return;
    const rel = this.relations.get(event.relationId);
    if (rel === undefined) return;
    const view = rel.views.get(u.name) ?? new Set<string>();
    rel.views.set(u.name, view);
    if (event.type === 'relation-created') u.knownRelations.add(rel.id);
    if (event.type === 'relation-joined' && event.remoteUnit !== undefined) view.add(event.remoteUnit);
    if (event.type === 'relation-departed' && event.remoteUnit !== undefined) view.delete(event.remoteUnit);
    if (event.type === 'install' && !u.charmSetStatus)
      u.workload = { kind: 'maintenance', message: 'installing charm software', since: NOW() };
  }

  private snapshot(u: UnitRecord, launch: Launch): HookSnapshot {
    const a = this.app(u.app);
    const view = (rel: RelationRecord): RelationView => {
      const readable = new Set<string>(rel.unitData.keys());
      for (const end of rel.ends) for (const v of this.unitsOf(end.app)) readable.add(v.name);
      return {
        id: rel.id,
        endpoint: this.endpointOf(rel, u.app),
        interface: rel.interface,
        peer: rel.peer,
        localApp: u.app,
        remoteApp: this.remoteAppOf(rel, u.app),
        dying: rel.dying,
        members: [...(rel.views.get(u.name) ?? [])],
        readableUnits: [...readable],
        unitData: Object.fromEntries(rel.unitData),
        appData: Object.fromEntries(rel.appData),
      };
    };
    const appUnits = this.unitsOf(a.name);
    return {
      modelName: this.modelName,
      modelUuid: this.modelUuid,
      unit: u.name,
      app: u.app,
      machine: String(u.machine),
      address: u.address,
      leader: a.leader === u.name,
      dispatchPath: launch.dispatchPath,
      config: this.effectiveConfig(a),
      endpoints: Object.fromEntries(
        Object.entries(a.spec.endpoints).map(([k, e]) => [k, { interface: e.interface, role: e.role }]),
      ),
      bindings: [...a.spec.bindings],
      relations: [...this.relations.values()].filter((r) => u.knownRelations.has(r.id)).map(view),
      storage: u.storage,
      ports: [...u.ports],
      unitStatus: u.workload,
      appStatus: a.status ?? { ...deriveAppStatus(appUnits.map((v) => this.unitStatus(v))), since: NOW() },
      appUnitStatuses: Object.fromEntries(appUnits.map((v) => [v.name, v.workload])),
      workloadVersion: u.workloadVersion,
      secrets: [...this.secretStore.values()],
      state: u.state,
      resources: Object.fromEntries(
        Object.entries(a.spec.resources).map(([name, r]) => [
          name,
          { filename: r.filename, hostPath: a.resources.get(name) ?? null },
        ]),
      ),
      ...(launch.action === undefined ? {} : { action: launch.action }),
    };
  }

  private hookEnv(u: UnitRecord, box: SimMachine, hookDir: string, launch: Launch): Record<string, string> {
    const env: Record<string, string> = {
      // Juju's hook PATH: its tools, then the agent's (juju/juju internal/worker/uniter/runner/context/env.go).
      PATH: [
        this.toolsPath,
        ...(this.nodeMode === 'path' ? [dirname(process.execPath)] : []),
        ...MACHINE_PATH_DIRS,
        '/snap/bin',
      ].join(':'),
      HOME: '/root',
      LANG: 'C.UTF-8',
      JUJU_VERSION,
      JUJU_MODEL_NAME: this.modelName,
      JUJU_MODEL_UUID: this.modelUuid,
      JUJU_UNIT_NAME: u.name,
      JUJU_MACHINE_ID: String(u.machine),
      JUJU_PRINCIPAL_UNIT: '',
      JUJU_AVAILABILITY_ZONE: '',
      JUJU_CHARM_DIR: box.charmDir,
      JUJU_CONTEXT_ID: `${u.name}-${launch.label}-${u.hookSeq}`,
      JUJU_API_ADDRESSES: '127.0.0.1:17070',
      ...proxyEnv(this.options.proxy),
      JUJU_SIM_ROOT: this.root,
      JUJU_SIM_HOOK_DIR: hookDir,
      JUJU_SIM_UNIT_DIR: u.dir,
      ...this.toolServer.env,
    };
    if (launch.dispatchPath !== 'juju-exec') env.JUJU_DISPATCH_PATH = launch.dispatchPath;
    const e = launch.event;
    if (e !== undefined) {
      env.JUJU_HOOK_NAME = e.hook;
      if (e.relationId !== undefined) {
        env.JUJU_RELATION = e.endpoint ?? '';
        env.JUJU_RELATION_ID = `${e.endpoint ?? ''}:${e.relationId}`;
        env.JUJU_REMOTE_APP = e.remoteApp ?? '';
        if (e.remoteUnit !== undefined) env.JUJU_REMOTE_UNIT = e.remoteUnit;
        if (e.departingUnit !== undefined) env.JUJU_DEPARTING_UNIT = e.departingUnit;
      }
      if (e.storageId !== undefined) env.JUJU_STORAGE_ID = e.storageId;
      if (e.secretId !== undefined) {
        env.JUJU_SECRET_ID = e.secretId;
        env.JUJU_SECRET_LABEL = e.secretLabel ?? '';
        if (e.secretRevision !== undefined) env.JUJU_SECRET_REVISION = String(e.secretRevision);
      }
    }
    if (launch.action !== undefined) {
      env.JUJU_ACTION_NAME = launch.action.name;
      env.JUJU_ACTION_UUID = launch.action.uuid;
      env.JUJU_ACTION_ID = launch.action.uuid;
    }
    // The fake systemd decides a start's outcome at once: the charm need not wait for a service to stay up.
    return { ...env, CONCOURSE_CHARM_START_SETTLE_MS: '0', ...this.options.extraEnv, ...launch.env };
  }

  /** Starts one process in the unit's namespace; `finished` settles after its changes are committed. */
  private async launch(u: UnitRecord, launch: Launch): Promise<StartedHook & { readonly finished: Promise<Finished> }> {
    const box = u.box;
    if (box === undefined) throw new SimError(`${u.name} runs no hooks`);
    await this.slots.acquire();
    let child: ChildProcess;
    let hookDir: string;
    try {
      this.checkOpen();
      if (launch.event !== undefined) this.beforeHook(u, launch.event);
      u.hookSeq += 1;
      hookDir = join(u.dir, 'hooks', `${String(u.hookSeq).padStart(5, '0')}-${launch.label}`);
      await mkdir(hookDir, { recursive: true });
      await writeFile(join(hookDir, HOOK_FILES.snapshot), JSON.stringify(this.snapshot(u, launch)));
      child = box.spawn({
        argv: launch.argv ?? [join(box.charmDir, 'dispatch')],
        env: this.hookEnv(u, box, hookDir, launch),
        cwd: box.charmDir,
      });
    } catch (e) {
      this.slots.release();
      throw e;
    }
    const dir = hookDir;
    const startedAt = Date.now();
    u.running = { hookDir: dir, label: launch.label, child };
    const trackAgent = launch.dispatchPath !== 'juju-exec';
    if (trackAgent) {
      u.agent = 'executing';
      u.agentMessage = `running ${launch.label} hook`;
    }
    let stdout = '';
    let stderr = '';
    const chunks: string[] = [];
    let resolveStop: (event: string) => void = () => {};
    let rejectStop: (e: Error) => void = () => {};
    const stoppedAt = new Promise<string>((res, rej) => {
      resolveStop = res;
      rejectStop = rej;
    });
    stoppedAt.catch(() => {}); // a test that never asks must not see an unhandled rejection
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (t: string) => {
      stdout += t;
      chunks.push(t);
    });
    child.stderr?.on('data', (t: string) => {
      stderr += t;
      chunks.push(t);
      const m = /CHARM-STOPPED-AT (\S+)/.exec(stderr);
      if (m?.[1] !== undefined) resolveStop(m[1]);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child, 'SIGKILL');
    }, this.options.hookTimeoutMs ?? 180_000);
    const closed = new Promise<void>((res) => child.once('close', () => res()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      child.once('error', (err) => {
        stderr += `\nspawn failed: ${err.message}\n`;
        res({ code: 127, signal: null });
      });
      child.once('exit', (code, signal) => {
        // Nothing a hook started may outlive it: a leftover would keep the unit's namespace (and overlay) alive.
        signalGroup(child, 'SIGKILL');
        res({ code, signal });
      });
    });
    const finished = exited.then(async ({ code, signal }) => {
      clearTimeout(timer);
      // Output still in the pipes arrives before 'close'; a spawn error never closes, so bound the wait.
      await Promise.race([closed, new Promise<void>((res) => setTimeout(res, 2_000).unref())]);
      this.slots.release();
      const m = /CHARM-STOPPED-AT/.test(stderr);
      if (!m)
        rejectStop(
          new Error(
            `${u.name} ${launch.label} ended (exit ${code ?? signal}) before CHARM-STOPPED-AT:\n${stderr.slice(-2000)}`,
          ),
        );
      const run: HookRun = {
        unit: u.name,
        hook: launch.label,
        exitCode: code,
        signal,
        ok: code === 0,
        stdout,
        stderr,
        durationMs: Date.now() - startedAt,
        timedOut,
      };
      return this.finishHook(u, launch, dir, run, chunks.join(''));
    });
    const tracked = finished.finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
    tracked.catch(() => {});
    return {
      pid: child.pid ?? -1,
      stoppedAt,
      kill: (signal: NodeJS.Signals = 'SIGKILL') => {
        signalGroup(child, signal);
        if (signal !== 'SIGKILL' && signal !== 'SIGCONT') signalGroup(child, 'SIGCONT');
      },
      done: finished.then((f) => f.run),
      finished,
    };
  }

  /** Applies what the hook did: immediate effects always, buffered changes only if it exited 0. */
  private async finishHook(
    u: UnitRecord,
    launch: Launch,
    dir: string,
    run: HookRun,
    output: string,
  ): Promise<Finished> {
    await writeFile(join(dir, HOOK_FILES.closed), '');
    u.running = undefined;
    const effects = parseJsonLines(await readText(join(dir, HOOK_FILES.effects)), (v) => EffectSchema.parse(v));
    const a = this.app(u.app);
    for (const e of effects) {
      if (e.op === 'status') {
        const s = { kind: e.kind, message: e.message, since: e.at };
        if (e.application) a.status = s;
        else {
          u.workload = s;
          u.charmSetStatus = true;
        }
      }
      if (e.op === 'log') this.logs.push({ unit: u.name, level: e.level, message: e.message, at: e.at });
      if (e.op === 'workload-version') u.workloadVersion = e.version;
    }
    if (run.ok) {
      const changes = parseJsonLines(await readText(join(dir, HOOK_FILES.changes)), (v) => ChangeSchema.parse(v));
      // Juju commits a hook's changes in one transaction (CommitHookChanges) when the uniter flushes the context; a
      // charm-state quota refusal fails it whole, and the hook is reported failed though its process exited 0
      // (internal/worker/uniter/runner/context/context.go: Flush, doFlush "cannot apply changes"). An action fails
      // with that message instead (finalizeAction) and the agent is not put in error.
      const maxState = this.options.maxCharmStateSize ?? DEFAULT_MAX_CHARM_STATE_SIZE;
      const refused = charmStateCommitError(u.state, changes, maxState);
      if (refused === undefined) this.commit(u, changes, this.causeOf(u, launch.event));
      else {
        const message = `cannot apply changes: ${refused}`;
        this.logs.push({ unit: u.name, level: 'ERROR', message, at: NOW() });
        if (launch.action !== undefined) effects.push({ op: 'action-fail', message });
        run = { ...run, ok: false };
        output += `${output.endsWith('\n') || output === '' ? '' : '\n'}ERROR ${message}\n`;
      }
    }
    if (launch.dispatchPath !== 'juju-exec' && u.failed === undefined) {
      u.agent = 'idle';
      u.agentMessage = '';
    }
    const verdict = run.timedOut
      ? `killed after ${this.options.hookTimeoutMs ?? 180_000} ms`
      : run.exitCode === null
        ? `killed by ${run.signal}`
        : `exit ${run.exitCode}`;
    await appendFile(
      join(u.dir, 'hooks.log'),
      `--- ${new Date().toISOString()} ${launch.dispatchPath} (${verdict}, ${run.durationMs} ms)\n${output}${output.endsWith('\n') || output === '' ? '' : '\n'}`,
    );
    return { run, effects };
  }

  private commit(u: UnitRecord, changes: readonly Change[], cause: Cause): void {
    for (const c of changes) {
      switch (c.op) {
        case 'relation-set':
          this.applyRelationSet(u, u.app, c, cause);
          break;
        case 'state-set':
          applyBagUpdate(u.state, c.data);
          break;
        case 'state-delete':
          delete u.state[c.key];
          break;
        case 'open-port':
          u.ports.add(c.port);
          break;
        case 'close-port':
          u.ports.delete(c.port);
          break;
        default: {
          const before = this.secretStore.get(c.id)?.revisions.length ?? 0;
          applySecretChange(this.secretStore, c, u.name, u.app);
          const s = this.secretStore.get(c.id);
          if (s !== undefined && c.op === 'secret-set' && s.revisions.length > before)
            this.notifySecretConsumers(s, cause);
        }
      }
    }
  }

  /** Commits one relation-set and queues relation-changed where Juju would. `writer` is undefined for app data. */
  private applyRelationSet(
    writer: UnitRecord | undefined,
    app: string,
    c: Extract<Change, { op: 'relation-set' }>,
    cause: Cause,
  ): void {
    const rel = this.relations.get(c.relationId);
    if (rel === undefined) return;
    const map = c.app ? rel.appData : rel.unitData;
    const key = c.app || writer === undefined ? app : writer.name;
    const bag = map.get(key) ?? {};
    const before = JSON.stringify(Object.entries(bag).sort());
    applyBagUpdate(bag, c.data);
    map.set(key, bag);
    // A Dying relation gets only departed and broken hooks (juju/juju internal/worker/uniter/relation/resolver.go).
    if (JSON.stringify(Object.entries(bag).sort()) === before || rel.dying) return;
    if (!c.app && writer !== undefined) {
      for (const v of this.units.values()) {
        if (v.name === writer.name || v.box === undefined) continue;
        if (rel.views.get(v.name)?.has(writer.name) === true) {
          this.queueRelation(v, rel, 'relation-changed', cause, { remoteUnit: writer.name, remoteApp: app });
        }
      }
      return;
    }
    for (const v of this.otherSideUnits(rel, app)) {
      if (v.box === undefined || (writer !== undefined && v.name === writer.name) || !this.awareOf(v, rel)) continue;
      this.queueRelation(v, rel, 'relation-changed', cause, { remoteApp: app });
    }
  }

  private notifySecretConsumers(s: Secret, cause: Cause): void {
    const latest = s.revisions[s.revisions.length - 1]?.revision ?? 0;
    for (const [unit, tracked] of Object.entries(s.consumers)) {
      const v = this.units.get(unit);
      if (v === undefined || tracked.revision >= latest) continue;
      this.queue(
        v,
        {
          type: 'secret-changed',
          hook: 'secret-changed',
          secretId: secretUri(s.id),
          secretLabel: tracked.label,
          secretRevision: latest,
        },
        cause,
      );
    }
  }

  private unitStatus(u: UnitRecord): UnitStatus {
    const live = this.liveWorkload(u);
    return {
      name: u.name,
      app: u.app,
      leader: this.apps.get(u.app)?.leader === u.name,
      machine: String(u.machine),
      address: u.address,
      ports: [...u.ports].sort(),
      workload: { kind: live.kind, message: live.message },
      agent: u.agent,
      agentMessage: u.agentMessage,
      workloadVersion: u.workloadVersion,
      life: u.life,
    };
  }

  /** A running hook's status-set counts at once, as in Juju. */
  private liveWorkload(u: UnitRecord): WorkloadStatus {
    if (u.running === undefined) return u.workload;
    let s = u.workload;
    for (const e of this.runningEffects(u))
      if (e.op === 'status' && !e.application) s = { kind: e.kind, message: e.message, since: e.at };
    return s;
  }

  private liveLogs(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const u of this.units.values()) {
      for (const e of this.runningEffects(u))
        if (e.op === 'log') out.push({ unit: u.name, level: e.level, message: e.message, at: e.at });
    }
    return out;
  }

  private runningEffects(u: UnitRecord): Effect[] {
    if (u.running === undefined) return [];
    try {
      return parseJsonLines(readFileSync(join(u.running.hookDir, HOOK_FILES.effects), 'utf8'), (v) =>
        EffectSchema.parse(v),
      );
    } catch {
      return [];
    }
  }

  private readUnitFile(unit: string, rel: string): string {
    try {
      return readFileSync(join(this.unitRoot(unit), rel), 'utf8');
    } catch {
      return '';
    }
  }
}

/** `app/2` before `app/10`: Juju lists units by application, then number. */
function byUnitOrder(a: string, b: string): number {
  const [appA = '', nA = '0'] = a.split('/');
  const [appB = '', nB = '0'] = b.split('/');
  return appA === appB ? Number(nA) - Number(nB) : appA.localeCompare(appB);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** action-set's dotted keys become nested maps (`a.b=1` → `{a: {b: '1'}}`). */
function setNested(target: Record<string, unknown>, keys: readonly string[], value: string): void {
  let node = target;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) {
      node[k] = value;
      return;
    }
    const next = node[k];
    if (isRecord(next)) node = next;
    else {
      const fresh: Record<string, unknown> = {};
      node[k] = fresh;
      node = fresh;
    }
  });
}

/** Juju's two sets of proxy variables (see SimModelOptions.proxy). */
function proxyEnv(proxy: SimModelOptions['proxy']): Record<string, string> {
  const juju = proxy?.juju ?? {};
  const env: Record<string, string> = {
    JUJU_CHARM_HTTP_PROXY: juju.http ?? '',
    JUJU_CHARM_HTTPS_PROXY: juju.https ?? '',
    JUJU_CHARM_FTP_PROXY: juju.ftp ?? '',
    JUJU_CHARM_NO_PROXY: juju.noProxy ?? '',
  };
  const legacy = proxy?.legacy ?? {};
  for (const [name, value] of [
    ['http_proxy', legacy.http],
    ['https_proxy', legacy.https],
    ['ftp_proxy', legacy.ftp],
    ['no_proxy', legacy.noProxy],
  ] as const) {
    if (value === undefined || value === '') continue;
    env[name] = value;
    env[name.toUpperCase()] = value;
  }
  return env;
}
