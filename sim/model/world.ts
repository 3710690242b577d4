// Simulator: everything the driver knows about one model (its records, volumes, running hooks, the tool server)
// and the lookups every part of the driver shares; created and torn down here, changed by the parts in sim/model/.

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { Semaphore } from '../async-locks';
import { defaultConfig, SimError } from '../charm-spec';
import { mountsUnder, unmount } from '../host-mounts';
import { detectNamespaceMode, type NamespaceMode, signalGroup } from '../machine';
import { type ConfigValue, parseRelationNumber, parseSecretId, type Secret } from '../model-state';
import { ServiceRunner } from '../services/service-runner';
import { ToolServer } from '../tool-server';
import { recordServiceExit } from '../tools/systemctl';
import { installTools, NODE_ALIAS } from '../tools-bundle';
import type { VolumeProvider } from '../volume-provider';
import type { CharmProfile, SimModelOptions } from './options';
import type { AppRecord, LogEntry, RelationRecord, UnitRecord } from './records';

/** The key of the count over every hook in ModelWorld's running and peak counts. */
const ALL_HOOKS = '';

export class ModelWorld {
  readonly apps = new Map<string, AppRecord>();
  readonly units = new Map<string, UnitRecord>();
  /** Unit dirs, kept after a unit is removed (its logs stay readable). */
  readonly unitDirs = new Map<string, string>();
  readonly relations = new Map<number, RelationRecord>();
  readonly secretStore = new Map<string, Secret>();
  readonly logs: LogEntry[] = [];
  readonly volumes = new Set<VolumeProvider>();
  /** Hook processes not yet finished (close() waits for them). */
  readonly inflight = new Set<Promise<unknown>>();
  /** At most `maxParallelHooks` hooks at once across the model. */
  readonly slots: Semaphore;
  readonly storageCounters = new Map<string, number>();
  /** Hook processes running now and the most that ever ran at once, by hook label and over all (ALL_HOOKS). */
  private readonly runningCount = new Map<string, number>();
  private readonly peakCount = new Map<string, number>();
  /** Runs the units' services when SimModelOptions.services is 'run'. */
  readonly services: ServiceRunner | undefined;
  nextMachine = 0;
  nextRelation = 0;
  closed = false;

  private constructor(
    readonly root: string,
    readonly charmPath: string,
    readonly modelName: string,
    readonly modelUuid: string,
    readonly mode: NamespaceMode,
    readonly options: SimModelOptions,
    private readonly removeRootOnClose: boolean,
    /** Runs the hooks' tool calls (the tools on PATH are clients of it). */
    readonly toolServer: ToolServer,
  ) {
    this.slots = new Semaphore(options.maxParallelHooks ?? 8);
    if (options.services === 'run') {
      this.services = new ServiceRunner(
        (dir) => [...this.units.values()].find((u) => u.dir === dir)?.box,
        recordServiceExit,
        // Inside a unit, the host's node is where its namespace keeps it (machine.ts), or on its own path.
        this.nodeMode === 'snap' ? join(this.toolsPath, NODE_ALIAS) : process.execPath,
      );
      toolServer.services = this.services;
    }
  }

  /** Makes the root (or checks the one given), starts the tool server and installs the tools. */
  static async open(opts: SimModelOptions): Promise<ModelWorld> {
    const charmPath = resolve(opts.charm);
    if (!existsSync(charmPath)) throw new SimError(`charm ${charmPath} not found`);
    const mode = await detectNamespaceMode();
    let root: string;
    let created: boolean;
    if (opts.root === undefined) {
      root = await mkdtemp(join(tmpdir(), 'juju-sim-'));
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
    // mkdtemp makes the root 0700: a service running as its own user (User=) must reach the node it is given there.
    if (opts.services === 'run') await chmod(root, 0o755);
    let toolServer: ToolServer;
    try {
      toolServer = await ToolServer.start();
    } catch (e) {
      if (created) await rm(root, { recursive: true, force: true });
      throw e;
    }
    const modelName = opts.modelName ?? 'sim';
    const world = new ModelWorld(
      root,
      charmPath,
      modelName,
      randomUUID(),
      mode,
      opts,
      created && !opts.keep,
      toolServer,
    );
    try {
      await installTools(world.toolsPath);
      if (world.nodeMode === 'snap') {
        if (mode !== 'root') throw new SimError("node: 'snap' needs root (a /snap mount point); use node: 'path'");
        // The mount point each unit's own /snap is bound on; empty on the host.
        await mkdir('/snap', { recursive: true });
      }
    } catch (e) {
      await toolServer.close();
      if (created) await rm(root, { recursive: true, force: true });
      throw e;
    }
    return world;
  }

  /** Where the machines get Node.js from (SimModelOptions.node). */
  get nodeMode(): 'snap' | 'path' {
    return this.options.node ?? (this.mode === 'root' ? 'snap' : 'path');
  }

  /** The dir holding the fake hook tools: first on every hook's PATH. */
  get toolsPath(): string {
    return join(this.root, 'bin');
  }

  checkOpen(): void {
    if (this.closed) throw new SimError('the model is closed');
  }

  async openVolume(v: VolumeProvider): Promise<void> {
    if (this.volumes.has(v)) return;
    this.volumes.add(v);
    await v.open?.(this.root);
  }

  app(name: string): AppRecord {
    const a = this.apps.get(name);
    if (a === undefined) throw new SimError(`application "${name}" not found`);
    return a;
  }

  unit(name: string): UnitRecord {
    const u = this.units.get(name);
    if (u === undefined) throw new SimError(`unit "${name}" not found`);
    return u;
  }

  charmUnit(name: string): UnitRecord {
    const u = this.unit(name);
    if (u.box === undefined) throw new SimError(`${name} is a stand-in: it runs no hooks`);
    return u;
  }

  relation(id: string | number): RelationRecord {
    const n = typeof id === 'number' ? id : parseRelationNumber(id);
    const rel = n === undefined ? undefined : this.relations.get(n);
    if (rel === undefined) throw new SimError(`relation ${JSON.stringify(id)} not found`);
    return rel;
  }

  secret(uri: string): Secret {
    const id = parseSecretId(uri);
    const s = id === undefined ? undefined : this.secretStore.get(id);
    if (s === undefined) throw new SimError(`secret "${uri}" not found`);
    return s;
  }

  unitsOf(app: string): UnitRecord[] {
    return (this.apps.get(app)?.units ?? [])
      .map((n) => this.units.get(n))
      .filter((u): u is UnitRecord => u !== undefined)
      .sort((x, y) => x.index - y.index);
  }

  /** Charm units of an app that are not being removed. */
  appUnits(a: AppRecord): UnitRecord[] {
    return this.unitsOf(a.name).filter((u) => u.box !== undefined && u.life === 'alive');
  }

  effectiveConfig(a: AppRecord): Record<string, ConfigValue> {
    return { ...defaultConfig(a.spec), ...a.config };
  }

  /** The charm's first storage's location (where operators mount the shared filesystem). */
  storageLocationOf(u: UnitRecord): string {
    const first = Object.values(this.app(u.app).spec.storage)[0];
    if (first === undefined) throw new SimError(`charm of ${u.app} declares no storage`);
    return first.location;
  }

  /** What the simulator knows about the app's charm beyond its metadata (SimModelOptions.charmProfiles). */
  profileOf(app: string): CharmProfile {
    const a = this.app(app);
    return a.stub ? {} : (this.options.charmProfiles?.[a.spec.name] ?? {});
  }

  /** A hook process started (`label`: its hook, `action-<name>` or `juju-exec`). */
  hookStarted(label: string): void {
    for (const key of [ALL_HOOKS, label]) {
      const now = (this.runningCount.get(key) ?? 0) + 1;
      this.runningCount.set(key, now);
      this.peakCount.set(key, Math.max(now, this.peakCount.get(key) ?? 0));
    }
  }

  hookEnded(label: string): void {
    for (const key of [ALL_HOOKS, label]) this.runningCount.set(key, (this.runningCount.get(key) ?? 1) - 1);
  }

  /** The most hook processes (of `label`, or of any) that ever ran at the same time in this model. */
  peakHooks(label: string = ALL_HOOKS): number {
    return this.peakCount.get(label) ?? 0;
  }

  /** Kills what is still running, closes volumes, unmounts, removes the root (unless kept). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    for (const u of this.units.values()) if (u.running !== undefined) signalGroup(u.running.child, 'SIGKILL');
    await Promise.allSettled([...this.inflight]);
    await this.services?.close();
    await this.toolServer.close();
    for (const v of this.volumes) {
      try {
        await v.close();
      } catch (e) {
        errors.push(e);
      }
    }
    // Several passes: a filesystem mounted on a unit's share point sits on the point's own bind (net-mounts.ts).
    for (let pass = 0; pass < 3; pass++) {
      for (const m of await mountsUnder(this.root)) {
        try {
          await unmount(m);
        } catch (e) {
          if (pass === 2) errors.push(e);
        }
      }
    }
    const left = await mountsUnder(this.root);
    if (left.length > 0) errors.push(new Error(`still mounted, so ${this.root} is kept: ${left.join(', ')}`));
    else if (this.removeRootOnClose) await rm(this.root, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, `SimModel.close: ${errors.length} problem(s)`);
  }
}
