// Scenarios: the simulator behind the scenario model (sim/ SimModel, a loopback release server, the PostgreSQL
// stand-in), so every scenario runs in `npm test` with what the simulator can see beyond Juju (the server's count).

import { BindVolume } from '../../sim/bind-volume';
import { POSTGRES_APP, relatePostgres } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { SimModel } from '../../sim/model';
import { packedCharm } from '../support/packed-charm';
import type { JujuStatus, UnitStatusJson } from './juju-json';
import {
  type ActionOutcome,
  type ConfigValues,
  DEFAULT_VOLUME,
  type ExecOutcome,
  type ScenarioModel,
  type StorageInstance,
  type WaitOptions,
} from './scenario-model';

/** Release tarballs this small keep the suite fast; the store's logic does not depend on their size. */
const FILLER_BYTES = 64 * 1024;
/** update-status rounds a wait may run before it gives up: a mount change needs one, its follow-ups one more. */
const UPDATE_STATUS_ROUNDS = 3;

export async function simScenarioModel(versions: readonly string[]): Promise<ScenarioModel> {
  const server = await startReleaseServer();
  try {
    for (const version of versions) await server.addRelease({ version, fillerBytes: FILLER_BYTES });
    const sim = await SimModel.create({ charm: await packedCharm() });
    return new SimBackend(sim, server);
  } catch (e) {
    await server.close();
    throw e;
  }
}

class SimBackend implements ScenarioModel {
  readonly backend = 'simulator' as const;
  readonly downloadUrl: string;
  readonly serverDownloads: (version: string) => number;
  private readonly volumes = new Map<string, BindVolume>();
  /** Which volume each application's units get (shareVolume), for units added later too. */
  private readonly appVolume = new Map<string, BindVolume>();

  constructor(
    private readonly sim: SimModel,
    private readonly server: ReleaseServer,
  ) {
    this.downloadUrl = server.downloadUrlTemplate;
    this.serverDownloads = (version) => server.downloads(version);
  }

  async deploy(app: string, opts: { units: number; config: ConfigValues }): Promise<void> {
    await this.sim.deploy(app, { units: opts.units, config: opts.config, volume: this.appVolume.get(app) ?? null });
  }

  async deployPostgres(): Promise<void> {
    // The stand-in is deployed by relatePostgres with the relation, as it also shares the credentials then.
  }

  addUnit(app: string, count = 1): Promise<string[]> {
    return this.sim.addUnit(app, { count, volume: this.appVolume.get(app) ?? null });
  }

  removeUnit(unit: string): Promise<void> {
    return this.sim.removeUnit(unit);
  }

  config(app: string, values: ConfigValues): Promise<void> {
    return this.sim.config(app, values);
  }

  async integrate(a: string, b: string): Promise<void> {
    const [appA = ''] = a.split(':');
    const [appB = ''] = b.split(':');
    if (appB === POSTGRES_APP) await relatePostgres(this.sim, appA);
    else if (appA === POSTGRES_APP) await relatePostgres(this.sim, appB);
    else await this.sim.integrate(a, b);
  }

  async run(unit: string, action: string, params: ConfigValues = {}): Promise<ActionOutcome> {
    const r = await this.sim.runAction(unit, action, params);
    return { status: r.status, results: r.results, ...(r.message === undefined ? {} : { message: r.message }) };
  }

  async exec(unit: string, argv: readonly string[]): Promise<ExecOutcome> {
    const r = await this.sim.exec(unit, argv);
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  async status(): Promise<JujuStatus> {
    const s = this.sim.status();
    const applications: NonNullable<JujuStatus['applications']> = {};
    for (const app of s.apps) {
      const unitEntries: Record<string, UnitStatusJson> = {};
      for (const u of s.units.filter((x) => x.app === app.name)) {
        unitEntries[u.name] = {
          'workload-status': { current: u.workload.kind, message: u.workload.message },
          'juju-status': { current: u.agent, message: u.agentMessage },
          leader: u.leader,
          machine: u.machine,
          'public-address': u.address,
        };
      }
      applications[app.name] = {
        'application-status': { current: app.status.kind, message: app.status.message },
        units: unitEntries,
      };
    }
    return { model: { name: s.model }, applications };
  }

  async debugLog(): Promise<string[]> {
    return this.sim.debugLog();
  }

  async storage(): Promise<StorageInstance[]> {
    const byId = new Map<string, string[]>();
    const s = this.sim.status();
    const stubs = new Set(s.apps.filter((a) => a.stub).map((a) => a.name));
    for (const u of s.units.filter((x) => !stubs.has(x.app))) {
      for (const m of this.sim.mountsOf(u.name)) {
        if (m.kind === 'juju-storage' && m.storageId !== undefined) {
          byId.set(m.storageId, [...(byId.get(m.storageId) ?? []), u.name]);
        }
      }
    }
    return [...byId].map(([id, units]) => ({ id, kind: 'filesystem', units: units.sort() }));
  }

  async unitRelationData(unit: string, endpoint: string): Promise<Readonly<Record<string, string>>> {
    const [app = ''] = unit.split('/');
    const [id] = this.sim.relationIds(app, endpoint);
    if (id === undefined) throw new Error(`${unit} has no ${endpoint} relation`);
    return this.sim.relationData(id, unit);
  }

  async shareVolume(app: string, volume = DEFAULT_VOLUME): Promise<void> {
    let v = this.volumes.get(volume);
    if (v === undefined) {
      v = new BindVolume(volume);
      this.volumes.set(volume, v);
    }
    this.appVolume.set(app, v);
    const shared = v;
    for (const u of this.sim.status().units.filter((x) => x.app === app)) {
      const mounted = this.sim.mountsOf(u.name).some((m) => m.kind === 'operator');
      if (!mounted) await this.sim.mountVolume(u.name, shared);
    }
  }

  async unshareVolume(unit: string): Promise<void> {
    const [app = ''] = unit.split('/');
    await this.sim.unmountVolume(unit, this.appVolume.get(app));
  }

  async waitFor(what: string, ready: (s: JujuStatus) => boolean, opts: WaitOptions = {}): Promise<JujuStatus> {
    await this.sim.settle();
    for (let round = 0; ; round++) {
      const s = await this.status();
      if (ready(s)) return s;
      if (!opts.updateStatus || round >= UPDATE_STATUS_ROUNDS) {
        throw new Error(`never reached: ${what}\n${this.sim.formatStatus()}`);
      }
      await this.sim.updateStatus();
    }
  }

  async close(): Promise<void> {
    try {
      await this.sim.close();
    } finally {
      await this.server.close();
    }
  }
}
