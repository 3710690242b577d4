// Simulator: the operator's commands on applications and units (`juju deploy`, `add-unit`, `remove-unit`,
// `config`, leadership, `attach-resource`, an operator's mounts): new records and the hooks Juju 3 queues for them.

import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Mutex } from '../async-locks';
import { BindVolume } from '../bind-volume';
import { unpackCharm } from '../charm-archive';
import { type CharmSpec, coerceConfigValue, loadCharmSpec, SimError } from '../charm-spec';
import { SimMachine } from '../machine';
import type { ConfigValue, StorageAttachment } from '../model-state';
import { resourceFaultPath } from '../tools/resource-state-tools';
import { NODE_ALIAS } from '../tools-bundle';
import type { VolumeProvider } from '../volume-provider';
import { queueEvent, queueRelationEvent } from './event-queue';
import type { AddUnitOptions, DeployOptions, StubOptions } from './options';
import { type AppRecord, type MountLayer, NOW, OPERATOR, type UnitRecord } from './records';
import type { Topology } from './topology';
import type { ModelWorld } from './world';

export class AppCommands {
  constructor(
    private readonly world: ModelWorld,
    private readonly topology: Topology,
  ) {}

  async deploy(app: string, opts: DeployOptions): Promise<void> {
    const w = this.world;
    w.checkOpen();
    if (!/^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$/.test(app))
      throw new SimError(`invalid application name "${app}"`);
    if (w.apps.has(app)) throw new SimError(`application "${app}" already exists`);
    const specDir = join(w.root, 'charms', app);
    await unpackCharm(w.charmPath, specDir);
    const spec = await loadCharmSpec(specDir);
    const config: Record<string, ConfigValue> = {};
    for (const [k, v] of Object.entries(opts.config ?? {})) config[k] = coerceConfigValue(spec, k, v);
    const volume = opts.volume === null ? undefined : (opts.volume ?? new BindVolume(app));
    if (volume !== undefined) await w.openVolume(volume);
    w.apps.set(app, newApp(app, spec, false, { config, volume, storageRequest: opts.storage ?? {} }));
    for (const [name, path] of Object.entries(opts.resources ?? {})) await this.attachResource(app, name, path);
    // Juju creates an application's peer relations when it is deployed.
    for (const [endpoint, e] of Object.entries(spec.endpoints)) {
      if (e.role === 'peers') this.topology.createRelation([{ app, endpoint, role: 'peers' }], e.interface, true);
    }
    await this.addUnit(app, { count: opts.units });
  }

  async deployStub(app: string, opts: StubOptions): Promise<string[]> {
    this.world.checkOpen();
    if (this.world.apps.has(app)) throw new SimError(`application "${app}" already exists`);
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
    this.world.apps.set(app, newApp(app, spec, true, { config: {}, volume: undefined, storageRequest: {} }));
    return this.addUnit(app, { count: opts.units ?? 1 });
  }

  async addUnit(app: string, opts: AddUnitOptions = {}): Promise<string[]> {
    this.world.checkOpen();
    const a = this.world.app(app);
    const count = opts.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new SimError(`cannot add ${count} units`);
    const volume = opts.volume === null ? undefined : (opts.volume ?? a.volume);
    if (volume !== undefined) await this.world.openVolume(volume);
    const added: string[] = [];
    for (let i = 0; i < count; i++) added.push(await this.createUnit(a, volume, opts.storage ?? a.storageRequest));
    return added;
  }

  async mountVolume(unit: string, volume: VolumeProvider): Promise<void> {
    this.world.checkOpen();
    const u = this.world.charmUnit(unit);
    const location = this.world.storageLocationOf(u);
    await this.world.openVolume(volume);
    u.layers.push({ kind: 'operator', location, hostPath: await volume.hostPathFor(u.name), provider: volume });
    u.box?.setMounts(u.layers);
  }

  async unmountVolume(unit: string, volume?: VolumeProvider): Promise<void> {
    this.world.checkOpen();
    const u = this.world.charmUnit(unit);
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

  async removeUnit(unit: string): Promise<void> {
    this.world.checkOpen();
    const u = this.world.unit(unit);
    if (u.life === 'dying') return;
    u.life = 'dying';
    const t = this.topology;
    for (const rel of this.world.relations.values()) {
      if (!rel.ends.some((e) => e.app === u.app)) continue;
      for (const other of t.otherSideUnits(rel, u.app)) {
        if (other.name === u.name) continue;
        if (other.box === undefined) rel.views.get(other.name)?.delete(u.name);
        else if (t.expectedView(other, rel).includes(u.name)) {
          queueRelationEvent(other, rel, 'relation-departed', OPERATOR, { remoteUnit: u.name, departingUnit: u.name });
        }
      }
      if (u.box === undefined || !t.awareOf(u, rel)) continue;
      for (const member of t.expectedView(u, rel)) {
        queueRelationEvent(u, rel, 'relation-departed', OPERATOR, { remoteUnit: member, departingUnit: u.name });
      }
      queueRelationEvent(u, rel, 'relation-broken', OPERATOR, {});
    }
    if (u.box === undefined) {
      await t.finalizeUnit(u, OPERATOR);
      return;
    }
    for (const s of u.storage)
      queueEvent(u, { type: 'storage-detaching', hook: `${s.name}-storage-detaching`, storageId: s.id }, OPERATOR);
    queueEvent(u, { type: 'stop', hook: 'stop' }, OPERATOR);
    queueEvent(u, { type: 'remove', hook: 'remove' }, OPERATOR);
  }

  async config(app: string, changes: Readonly<Record<string, string | number | boolean | null>>): Promise<void> {
    this.world.checkOpen();
    const a = this.world.app(app);
    const before = JSON.stringify(this.world.effectiveConfig(a));
    const next: Record<string, ConfigValue> = { ...a.config };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) {
        if (a.spec.options[k] === undefined) throw new SimError(`unknown option "${k}"`);
        delete next[k];
      } else next[k] = coerceConfigValue(a.spec, k, v);
    }
    for (const k of Object.keys(a.config)) delete a.config[k];
    Object.assign(a.config, next);
    if (JSON.stringify(this.world.effectiveConfig(a)) === before) return;
    for (const u of this.world.appUnits(a)) queueEvent(u, { type: 'config-changed', hook: 'config-changed' }, OPERATOR);
  }

  async setLeader(unit: string): Promise<void> {
    this.world.checkOpen();
    const u = this.world.unit(unit);
    const a = this.world.app(u.app);
    if (a.leader === unit) return;
    a.leader = unit;
    this.topology.announceLeader(a, OPERATOR);
  }

  async attachResource(app: string, name: string, path: string): Promise<void> {
    this.world.checkOpen();
    const a = this.world.app(app);
    const declared = a.spec.resources[name];
    if (declared === undefined) throw new SimError(`charm "${a.spec.name}" has no resource "${name}"`);
    const stored = join(this.world.root, 'resources', app, name, declared.filename);
    await mkdir(dirname(stored), { recursive: true });
    await copyFile(path, stored);
    a.resources.set(name, stored);
    // A new upload is served by a controller that works again.
    await rm(resourceFaultPath(this.world.root, app, name), { force: true });
  }

  async failResource(app: string, name: string, message: string | null): Promise<void> {
    this.world.checkOpen();
    const a = this.world.app(app);
    if (a.spec.resources[name] === undefined) throw new SimError(`charm "${a.spec.name}" has no resource "${name}"`);
    const fault = resourceFaultPath(this.world.root, app, name);
    if (message === null) {
      await rm(fault, { force: true });
      return;
    }
    await mkdir(dirname(fault), { recursive: true });
    await writeFile(fault, message);
  }

  /** One new unit on a new machine: its storage and mounts, its record, and Juju 3's first hooks queued. */
  private async createUnit(
    a: AppRecord,
    volume: VolumeProvider | undefined,
    storageRequest: Readonly<Record<string, string>>,
  ): Promise<string> {
    const w = this.world;
    const index = a.nextUnit++;
    const name = `${a.name}/${index}`;
    const machine = w.nextMachine++;
    const address = `127.0.${1 + Math.floor(machine / 254)}.${(machine % 254) + 1}`;
    const dir = join(w.root, 'units', `${a.name}-${index}`);
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
        const k = w.storageCounters.get(storageName) ?? 0;
        w.storageCounters.set(storageName, k + 1);
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
          hostname: `juju-${w.modelUuid.slice(0, 6)}-${machine}`,
          address,
          charmPath: w.charmPath,
          binDir: w.toolsPath,
          node: w.nodeMode,
          nodeAlias: join(w.toolsPath, NODE_ALIAS),
          mode: w.mode,
          localDirs: w.profileOf(a.name).localDirs ?? [],
          netMountLocations: Object.values(a.spec.storage).map((s) => s.location),
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
    w.units.set(name, u);
    w.unitDirs.set(name, dir);
    a.units.push(name);
    const firstLeader = a.leader === undefined;
    if (firstLeader) a.leader = name;
    const relations = [...w.relations.values()].filter((rel) => rel.ends.some((e) => e.app === a.name) && !rel.dying);
    if (box === undefined) {
      for (const rel of relations) this.topology.enterRelationScope(u, rel, OPERATOR);
      return name;
    }
    // Juju 3's order for a new unit.
    for (const s of storage)
      queueEvent(u, { type: 'storage-attached', hook: `${s.name}-storage-attached`, storageId: s.id }, OPERATOR);
    queueEvent(u, { type: 'install', hook: 'install' }, OPERATOR);
    for (const rel of relations) queueRelationEvent(u, rel, 'relation-created', OPERATOR, {});
    queueEvent(
      u,
      firstLeader
        ? { type: 'leader-elected', hook: 'leader-elected' }
        : { type: 'leader-settings-changed', hook: 'leader-settings-changed' },
      OPERATOR,
    );
    queueEvent(u, { type: 'config-changed', hook: 'config-changed' }, OPERATOR);
    queueEvent(u, { type: 'start', hook: 'start' }, OPERATOR);
    return name;
  }
}

/** A new application's record with no units yet. */
function newApp(
  name: string,
  spec: CharmSpec,
  stub: boolean,
  rest: Pick<AppRecord, 'config' | 'volume' | 'storageRequest'>,
): AppRecord {
  return {
    name,
    spec,
    stub,
    leader: undefined,
    nextUnit: 0,
    units: [],
    status: undefined,
    resources: new Map(),
    ...rest,
  };
}
