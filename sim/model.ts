// Simulator driver, the public facade: a Juju model in one process. It queues events per unit as Juju 3 would, runs
// each unit's hooks one at a time (different units in parallel) through `dispatch` in the unit's own namespace, and
// is the only writer of model state: hooks read a snapshot and their buffered changes are committed only when they
// exit 0. The parts live in sim/model/ (see sim/README.md); this class only names the operations and wires them.

import { CONCOURSE_CHARM, CONCOURSE_PROFILE } from './concourse/charm-profile';
import { AppCommands } from './model/app-commands';
import { Commit } from './model/commit';
import { DirectRuns } from './model/direct-runs';
import { HookRunner } from './model/hook-runner';
import { HookSetup } from './model/hook-setup';
import { Inspection } from './model/inspection';
import type {
  ActionResult,
  AddUnitOptions,
  CharmProfile,
  DeployOptions,
  ExecResult,
  HookOptions,
  HookRun,
  SecretInfo,
  SimModelOptions,
  StartedHook,
  StubOptions,
  SystemctlCall,
} from './model/options';
import { RelationCommands } from './model/relation-commands';
import { Scheduler } from './model/scheduler';
import { Topology } from './model/topology';
import { UserSecrets } from './model/user-secrets';
import { ModelWorld } from './model/world';
import { type Bag, parseSecretId, secretUri } from './model-state';
import { formatStatusTable, type SimStatus } from './status-table';
import type { VolumeProvider } from './volume-provider';

export { SimError } from './charm-spec';
export { NAMESPACE_HELP, SimUnavailableError } from './machine';
export type * from './model/options';
export type { AppStatus, RelationStatus, SimStatus, UnitStatus } from './status-table';

/** The charms this repository's simulator knows more about than their metadata says (SimModelOptions.charmProfiles). */
export const KNOWN_CHARM_PROFILES: Readonly<Record<string, CharmProfile>> = { [CONCOURSE_CHARM]: CONCOURSE_PROFILE };

export class SimModel {
  private readonly inspection: Inspection;
  private readonly apps: AppCommands;
  private readonly relations: RelationCommands;
  private readonly commit: Commit;
  private readonly userSecrets: UserSecrets;
  private readonly scheduler: Scheduler;
  private readonly direct: DirectRuns;

  private constructor(private readonly world: ModelWorld) {
    const topology = new Topology(world);
    this.inspection = new Inspection(world);
    this.apps = new AppCommands(world, topology);
    this.relations = new RelationCommands(world, topology);
    this.commit = new Commit(world, topology);
    this.userSecrets = new UserSecrets(world);
    const runner = new HookRunner(world, new HookSetup(world, this.inspection), this.commit);
    this.scheduler = new Scheduler(world, topology, runner);
    this.direct = new DirectRuns(world, this.scheduler, runner);
  }

  static async create(opts: SimModelOptions): Promise<SimModel> {
    return new SimModel(await ModelWorld.open({ ...opts, charmProfiles: opts.charmProfiles ?? KNOWN_CHARM_PROFILES }));
  }

  get root(): string {
    return this.world.root;
  }

  get modelName(): string {
    return this.world.modelName;
  }

  get modelUuid(): string {
    return this.world.modelUuid;
  }

  /** Where the machines get Node.js from (SimModelOptions.node). */
  get nodeMode(): 'snap' | 'path' {
    return this.world.nodeMode;
  }

  /** The dir holding the fake hook tools: first on every hook's PATH. */
  get toolsPath(): string {
    return this.world.toolsPath;
  }

  /** Hook tool calls answered so far (each is one run of a tool on a hook's PATH). */
  get toolCalls(): number {
    return this.world.toolServer.calls;
  }

  /** The argv of every hook tool call so far (systemctl included), with the calling unit. */
  toolArgv(): ReadonlyArray<{ readonly unit: string; readonly tool: string; readonly argv: readonly string[] }> {
    return this.world.toolServer.argvLog;
  }

  // ---------------------------------------------------------------- operator commands (settle() runs their hooks)

  /** `juju deploy <charm> <app> -n <units>`: queues each unit's first hooks; call settle() to run them. */
  deploy(app: string, opts: DeployOptions): Promise<void> {
    return this.apps.deploy(app, opts);
  }

  /** A stand-in application (a database, say) whose units run no hooks; the test writes its data. */
  deployStub(app: string, opts: StubOptions): Promise<string[]> {
    return this.apps.deployStub(app, opts);
  }

  /**
   * `juju add-unit`: returns the new unit names; their hooks are queued (settle() runs them). `volume`: what the
   * operator mounted on the new machines beforehand (default: the application's; null: none); `storage` as deploy's.
   */
  addUnit(app: string, opts: AddUnitOptions = {}): Promise<string[]> {
    return this.apps.addUnit(app, opts);
  }

  /**
   * The operator mounts a filesystem at a unit's storage location while it runs (`lxc config device add <container>
   * ... path=/var/lib/concourse`, `mount -t nfs ...`). Juju notices nothing and runs no hook: the charm sees the mount
   * in its next hook (update-status at the latest). It lands on top of whatever is mounted there.
   */
  mountVolume(unit: string, volume: VolumeProvider): Promise<void> {
    return this.apps.mountVolume(unit, volume);
  }

  /**
   * The operator removes a mount from under a running unit (`lxc config device remove`, `umount`): the topmost mount
   * of `volume` (default: the topmost operator mount). No hook runs; what was beneath shows through.
   */
  unmountVolume(unit: string, volume?: VolumeProvider): Promise<void> {
    return this.apps.unmountVolume(unit, volume);
  }

  /** `juju remove-unit`: queues departed/broken, storage-detaching, stop and remove; settle() runs them. */
  removeUnit(unit: string): Promise<void> {
    return this.apps.removeUnit(unit);
  }

  /** `juju config app k=v`: null resets to the default; an unknown key is refused. Queues config-changed. */
  config(app: string, changes: Readonly<Record<string, string | number | boolean | null>>): Promise<void> {
    return this.apps.config(app, changes);
  }

  /** `juju integrate a:x b:y`: returns the relation id as seen from `a` (`tsa:3`). Queues created/joined/changed. */
  integrate(a: string, b: string): Promise<string> {
    return this.relations.integrate(a, b);
  }

  /**
   * `juju remove-relation`: departed for every member, then broken, on every unit. The relation stays listed by
   * relation-ids on a unit until its broken hook has run (see tools/relation-tools.ts).
   */
  removeRelation(id: string | number): Promise<void> {
    return this.relations.removeRelation(id);
  }

  /**
   * Juju's leadership change: leader-elected on the new leader, and nothing at all on the unit that lost it (Juju
   * promises it no hook: resigning runs none, see Topology.announceLeader).
   */
  setLeader(unit: string): Promise<void> {
    return this.apps.setLeader(unit);
  }

  /** Makes `resource-get <name>` return a copy of `path` (as `juju attach-resource`, without upgrade-charm). */
  attachResource(app: string, name: string, path: string): Promise<void> {
    return this.apps.attachResource(app, name, path);
  }

  /**
   * Makes the controller fail to serve resource `name` (attached or not): `resource-get` prints `ERROR <message>`
   * and exits 1, as for `connection is shut down` or a 500 from the API server. Takes effect at once, in running
   * hooks too; `null` (or attachResource) ends it.
   */
  failResource(app: string, name: string, message: string | null): Promise<void> {
    return this.apps.failResource(app, name, message);
  }

  /** `juju resolve [--no-retry]`: clears a unit's hook error; retry (default) runs the failed hook again first. */
  resolve(unit: string, opts: { retry?: boolean } = {}): Promise<void> {
    return this.scheduler.resolve(unit, opts);
  }

  // ---------------------------------------------------------------- running hooks

  /**
   * Runs every queued event until no unit has one. Units run in parallel, each one hook at a time in FIFO order;
   * a unit in error waits for resolve(). Throws when an event's causal chain gets longer than maxRounds.
   */
  settle(opts: { maxRounds?: number } = {}): Promise<void> {
    return this.scheduler.settle(opts);
  }

  /** Runs update-status on every unit and settles. */
  updateStatus(): Promise<void> {
    return this.scheduler.updateStatus();
  }

  /** Runs one hook on `unit` now (after any hook it is running), like the uniter would; failure → agent error. */
  async runHook(unit: string, hook: string, opts: HookOptions = {}): Promise<HookRun> {
    return (await this.direct.startHook(unit, hook, opts)).done;
  }

  /** Starts one hook and returns at once, for fault tests (stop at a named step, kill). */
  startHook(unit: string, hook: string, opts: HookOptions = {}): Promise<StartedHook> {
    return this.direct.startHook(unit, hook, opts);
  }

  /** `juju run <unit> <action> k=v`: validates params against actions.yaml and runs the action on the unit. */
  runAction(unit: string, name: string, params: Readonly<Record<string, unknown>> = {}): Promise<ActionResult> {
    return this.direct.runAction(unit, name, params);
  }

  /** `juju exec --unit`: runs a command in the unit's namespace with the hook tools; no effect on its agent. */
  exec(
    unit: string,
    argv: readonly string[],
    opts: { env?: Readonly<Record<string, string>> } = {},
  ): Promise<ExecResult> {
    return this.direct.exec(unit, argv, opts);
  }

  // ---------------------------------------------------------------- stand-in applications

  /** Writes a stand-in unit's (or app's) relation data, as its charm would; queues relation-changed. */
  setRelationData(relationId: string | number, unitOrApp: string, data: Readonly<Bag>): Promise<void> {
    return this.commit.setRelationData(relationId, unitOrApp, data);
  }

  /** A secret owned by a stand-in application; returns its URI. */
  addSecret(ownerApp: string, content: Readonly<Bag>, opts: { label?: string } = {}): Promise<string> {
    return this.commit.addSecret(ownerApp, content, opts);
  }

  /** Grants a secret to the application on the other side of `relationId` from its owner. */
  grantSecret(uri: string, relationId: string | number, opts: { unit?: string } = {}): Promise<void> {
    return this.commit.grantSecret(uri, relationId, opts);
  }

  /** Like `secret-revoke -r <relation>` by the owner: the consumers on that relation can no longer read it. */
  revokeSecret(uri: string, relationId: string | number): Promise<void> {
    return this.commit.revokeSecret(uri, relationId);
  }

  /**
   * A new revision of a secret (as its owner would `secret-set`, or the operator `juju update-secret` for a user
   * secret, named by URI or name): consumers tracking an older one get secret-changed.
   */
  updateSecret(uriOrName: string, content: Readonly<Bag>): Promise<void> {
    const uri = parseSecretId(uriOrName) === undefined ? secretUri(this.userSecrets.find(uriOrName).id) : uriOrName;
    return this.commit.updateSecret(uri, content);
  }

  /** `juju add-secret <name> key=value...`: a user secret owned by the model; returns its URI. */
  async addUserSecret(name: string, content: Readonly<Bag>): Promise<string> {
    return this.userSecrets.add(name, content);
  }

  /** `juju grant-secret <name|uri> <app>[,<app>]`: every unit of those applications may read it (no hook runs). */
  async grantUserSecret(secret: string, apps: string | readonly string[]): Promise<void> {
    this.userSecrets.grant(secret, typeof apps === 'string' ? apps.split(',') : apps);
  }

  /** `juju revoke-secret <name|uri> <app>[,<app>]`: their next secret-get answers `permission denied` (no hook runs). */
  async revokeUserSecret(secret: string, apps: string | readonly string[]): Promise<void> {
    this.userSecrets.revoke(secret, typeof apps === 'string' ? apps.split(',') : apps);
  }

  // ---------------------------------------------------------------- observation

  status(): SimStatus {
    return this.inspection.status();
  }

  formatStatus(): string {
    return formatStatusTable(this.status());
  }

  /** juju-log lines as `juju debug-log` prints them: `unit-concourse-ci-0: 12:00:01 INFO unit.concourse-ci/0.juju-log …`. */
  debugLog(filter: { unit?: string; level?: string } = {}): string[] {
    return this.inspection.debugLog(filter);
  }

  /** Everything the unit's hooks printed, with a header per hook. */
  unitLog(unit: string): string {
    return this.inspection.unitLog(unit);
  }

  /** Committed relation data of a unit or an application (`concourse-ci` or `concourse-ci/0`). */
  relationData(relationId: string | number, unitOrApp: string): Bag {
    return this.inspection.relationData(relationId, unitOrApp);
  }

  /** Relation ids (`peers:0`) of an application's endpoint. */
  relationIds(app: string, endpoint: string): string[] {
    return this.inspection.relationIds(app, endpoint);
  }

  secrets(): SecretInfo[] {
    return this.inspection.secrets();
  }

  /** Every systemctl call the unit's hooks made, in order, with timestamps. */
  systemctlCalls(unit: string): SystemctlCall[] {
    return this.inspection.systemctlCalls(unit);
  }

  /** The fake systemd's view of one service on the unit: active state, loaded ExecStart, failure. */
  serviceState(
    unit: string,
    service: string,
  ): { active: string; execStart: string; mainPid?: number; failure?: string } | undefined {
    return this.inspection.serviceState(unit, service);
  }

  /** A service's output (services: 'run'): `units/<u>/systemd/journal/<service>.log`. */
  serviceJournal(unit: string, service: string): string {
    return this.inspection.serviceJournal(unit, service);
  }

  /** Main pids of the services running now in this model (services: 'run'); empty after close(). */
  runningServicePids(): number[] {
    return this.world.services?.pids() ?? [];
  }

  /** The unit's dir on the host (charm, its filesystem layers, hook dirs, logs). */
  unitRoot(unit: string): string {
    return this.inspection.unitRoot(unit);
  }

  /** Where on the host what the unit wrote at `inside` lands (/etc/x → its private upper layer, and so on). */
  unitPath(unit: string, inside: string): string {
    return this.inspection.unitPath(unit, inside);
  }

  /** The host path of what the unit sees at its storage location: the topmost mount, or its bare directory. */
  volumeHostPath(unit: string): string {
    return this.inspection.volumeHostPath(unit);
  }

  /** What is mounted at the unit's storage location, bottom to top (operator mounts and Juju storage binds). */
  mountsOf(unit: string): ReadonlyArray<{ kind: 'operator' | 'juju-storage'; hostPath: string; storageId?: string }> {
    return this.inspection.mountsOf(unit);
  }

  /** Events waiting on each unit (for debugging a test). */
  pendingEvents(): Record<string, string[]> {
    return this.inspection.pendingEvents();
  }

  /**
   * The most hook processes that ran at the same time in this model, from spawn to exit: of the hook (or action,
   * `action-<name>`, or `juju-exec`) named, or of any. Bounded by SimModelOptions.maxParallelHooks.
   */
  peakRunningHooks(hook?: string): number {
    return this.world.peakHooks(hook);
  }

  /** Kills what is still running, closes volumes, unmounts, removes the root (unless kept). Safe to call twice. */
  close(): Promise<void> {
    return this.world.close();
  }
}
