// Hook tests' harness: runs one hook or action through the real per-hook container (src/hooks/run-hook.ts), with
// every port that touches the machine rebound (container.rebind) to an in-memory fake: Juju's hook tools (frozen
// state in, state out, checked against metadata.yaml, config.yaml and actions.yaml), the volume, the mirror, the
// lock, systemd and the unit's files, the mount table, the clock, keys, the latest-release lookup, migrations.
// No root, no simulator, no process: a hook runs in milliseconds.

import { join } from 'node:path';
import type { Container, ResolutionContext } from 'inversify';
import { CharmProblem } from '../../src/domain/errors';
import { runHook as runRealHook } from '../../src/hooks/run-hook';
import { CLOCK } from '../../src/ports/clock';
import { DOWNLOAD_PROGRESS_MARKER } from '../../src/ports/download-progress-marker';
import { DOWNLOADER } from '../../src/ports/downloader';
import { HOOK_TOOLS, type HookTools } from '../../src/ports/hook-tools';
import { KEY_MAKER, type KeyMaker, type KeyPair } from '../../src/ports/key-maker';
import { LOCK } from '../../src/ports/lock';
import { LOGGER } from '../../src/ports/logger';
import { MOUNT_TABLE } from '../../src/ports/mount-table';
import { OIDC_DISCOVERY } from '../../src/ports/oidc-discovery';
import { RELEASE_INSPECTOR } from '../../src/ports/release-inspector';
import { RELEASE_RESOLVER, type ReleaseResolver } from '../../src/ports/release-resolver';
import { RELEASE_STORE } from '../../src/ports/release-store';
import { SCHEMA_MIGRATOR, type SchemaMigrator } from '../../src/ports/schema-migrator';
import { SERVICE_MANAGER } from '../../src/ports/service-manager';
import { MOUNT_HOST, MOUNT_UNITS, PACKAGE_INSTALLER } from '../../src/ports/shared-fs-host';
import { STORE_ROOT } from '../../src/ports/store-root';
import { TLS_CRYPTO } from '../../src/ports/tls-crypto';
import { UNIT_FILES } from '../../src/ports/unit-files';
import { LOCATION_UNIT_STATE_STORE, UNIT_STATE_STORE } from '../../src/ports/unit-state-store';
import { LOCATION_VOLUME_PROBE, VOLUME_PROBE } from '../../src/ports/volume-probe';
import { WEB_PROBE } from '../../src/ports/web-probe';
import { WORKER_CONTAINERS } from '../../src/ports/worker-containers';
import { WORKER_HOST } from '../../src/ports/worker-host';
import { FakeDownloadProgressMarker } from '../support/fake-download-progress-marker';
import { RecordingLock } from '../support/fake-lock';
import { FakeMachine, SteppingClock } from '../support/fake-machine';
import { FakeOidcDiscovery } from '../support/fake-oidc-discovery';
import { FakeMirror, StagedReleaseInspector, volumeUnder } from '../support/fake-release-mirror';
import { FakeReleaseStore } from '../support/fake-release-store';
import { FakeTlsCrypto, TlsSerials } from '../support/fake-tls-crypto';
import { FakeUnitStateStore } from '../support/fake-unit-state-store';
import { FakeVolumeProbe } from '../support/fake-volume-probe';
import {
  type CharmMetadata,
  type FakeRelation,
  InMemoryHookTools,
  type JujuState,
  jujuState,
  loadCharmMetadata,
} from '../support/in-memory-hook-tools';
import { InMemoryVolume } from '../support/in-memory-volume';
import { RecordingLogger } from '../support/recording-logger';

export const LOCATION = '/var/lib/concourse';
const metadata: CharmMetadata = loadCharmMetadata(join(import.meta.dirname, '..', '..'));

/** What several units share: the volume, the mirror it downloads from, the lock on the volume, time. */
export class HookWorld {
  /** The volume at the storage location (shared by every unit of the test, as a shared mount is). */
  readonly volume = new InMemoryVolume(LOCATION);
  readonly mirror: FakeMirror;
  readonly lock = new RecordingLock();
  readonly clock = new SteppingClock();
  /** What GitHub calls the latest release; undefined: it cannot be reached. */
  latest: string | undefined;
  /** Database schema each release knows (concourse migrate --supported-db-version). */
  readonly schemas = new Map<string, number>();
  /** Down-migrations run: `<running release> -> <schema>`. */
  readonly migrations: string[] = [];
  /** OIDC providers: each answers for the issuer it is asked about unless a test says otherwise. */
  readonly oidc = new FakeOidcDiscovery();
  /** Numbered across every unit and hook, so no two keys are the same. */
  readonly keys: KeyMaker = new CountingKeyMaker();
  /** Keys and CSRs of the certificates relation, numbered the same way. */
  readonly tlsSerials = new TlsSerials();

  constructor(options: { readonly versions?: readonly string[]; readonly volumeId?: string } = {}) {
    this.volume.volumeId = options.volumeId ?? 'vol-a';
    this.mirror = new FakeMirror(options.versions ?? ['7.14.2', '7.14.3'], this.volume);
  }
}

export interface HookRun {
  readonly exitCode: number;
  /** Juju's state after the hook: buffered writes committed when it exited 0, dropped otherwise. */
  readonly state: JujuState;
  /** Status history, juju-log, action results and failure, every hook-tool call. */
  readonly tools: InMemoryHookTools;
  readonly logger: RecordingLogger;
}

export interface HookInput {
  /** A hook name (`config-changed`); for an action, `state.action` names it. */
  readonly hook?: string;
  readonly state: JujuState;
  readonly world: HookWorld;
  readonly machine: FakeMachine;
  /** The relation the hook is about, for relation hooks. */
  readonly relation?: { readonly id: string; readonly remoteUnit?: string; readonly remoteApp?: string };
  /** One hook-tool call that fails (a transient fault): the hook exits non-zero. */
  readonly failNext?: readonly [keyof HookTools, Error];
}

export async function runHook(input: HookInput): Promise<HookRun> {
  const { state, world, machine } = input;
  const tools = new InMemoryHookTools(state, { metadata });
  if (input.failNext !== undefined) tools.failNext(...input.failNext);
  const logger = new RecordingLogger();
  const action = state.action?.name;
  const name = action ?? input.hook;
  if (name === undefined) throw new Error('runHook needs a hook name or an action in the state');
  const env: Record<string, string> = {
    JUJU_DISPATCH_PATH: action === undefined ? `hooks/${name}` : `actions/${name}`,
    JUJU_UNIT_NAME: state.unit,
    JUJU_MODEL_NAME: 'test',
    JUJU_MODEL_UUID: 'f00dcafe-0000-4000-8000-000000000000',
    CONCOURSE_CHARM_START_SETTLE_MS: '0',
  };
  if (input.relation !== undefined) {
    env.JUJU_RELATION_ID = input.relation.id;
    env.JUJU_RELATION = input.relation.id.split(':')[0] ?? '';
    if (input.relation.remoteUnit !== undefined) env.JUJU_REMOTE_UNIT = input.relation.remoteUnit;
    if (input.relation.remoteApp !== undefined) env.JUJU_REMOTE_APP = input.relation.remoteApp;
  }
  const exitCode = await runRealHook(env, (c) => rebindToFakes(c, { tools, logger, world, machine }));
  return { exitCode, state: tools.finish(exitCode === 0 ? 'committed' : 'failed'), tools, logger };
}

function rebindToFakes(
  c: Container,
  fakes: { tools: InMemoryHookTools; logger: RecordingLogger; world: HookWorld; machine: FakeMachine },
): void {
  const { tools, logger, world, machine } = fakes;
  c.rebindSync(HOOK_TOOLS).toConstantValue(tools);
  c.rebindSync(LOGGER).toConstantValue(logger);
  c.rebindSync(CLOCK).toConstantValue(world.clock);
  c.rebindSync(LOCK).toConstantValue(world.lock);
  c.rebindSync(DOWNLOADER).toConstantValue(world.mirror);
  c.rebindSync(RELEASE_INSPECTOR).toConstantValue(new StagedReleaseInspector());
  // The store ports over the volume under this hook's store root (the location, or a unit-private store below it).
  const at = async (ctx: ResolutionContext) => volumeUnder(world.volume, await ctx.getAsync<string>(STORE_ROOT));
  c.rebindSync(VOLUME_PROBE).toDynamicValue(async (ctx) => new FakeVolumeProbe(await at(ctx)));
  c.rebindSync(RELEASE_STORE).toDynamicValue(async (ctx) => new FakeReleaseStore(await at(ctx)));
  c.rebindSync(DOWNLOAD_PROGRESS_MARKER).toDynamicValue(async (ctx) => new FakeDownloadProgressMarker(await at(ctx)));
  c.rebindSync(UNIT_STATE_STORE).toDynamicValue(async (ctx) => new FakeUnitStateStore(await at(ctx)));
  c.rebindSync(LOCATION_VOLUME_PROBE).toConstantValue(new FakeVolumeProbe(world.volume));
  c.rebindSync(LOCATION_UNIT_STATE_STORE).toConstantValue(new FakeUnitStateStore(world.volume));
  c.rebindSync(UNIT_FILES).toConstantValue(machine);
  c.rebindSync(SERVICE_MANAGER).toConstantValue(machine);
  c.rebindSync(MOUNT_TABLE).toConstantValue(machine);
  c.rebindSync(WEB_PROBE).toConstantValue(machine);
  c.rebindSync(OIDC_DISCOVERY).toConstantValue(world.oidc);
  c.rebindSync(MOUNT_HOST).toConstantValue(machine.sharedFs);
  c.rebindSync(PACKAGE_INSTALLER).toConstantValue(machine.sharedFs);
  c.rebindSync(MOUNT_UNITS).toConstantValue(machine.sharedFs);
  c.rebindSync(WORKER_CONTAINERS).toConstantValue(machine);
  c.rebindSync(WORKER_HOST).toConstantValue(machine);
  c.rebindSync(KEY_MAKER).toConstantValue(world.keys);
  c.rebindSync(TLS_CRYPTO).toConstantValue(new FakeTlsCrypto(machine, world.tlsSerials));
  c.rebindSync(RELEASE_RESOLVER).toConstantValue(new LatestFromWorld(world));
  c.rebindSync(SCHEMA_MIGRATOR).toConstantValue(new RecordingMigrator(world));
}

/** Keys in the formats `concourse generate-key` writes, numbered so each is distinct. */
class CountingKeyMaker implements KeyMaker {
  private n = 0;

  async generate(_binary: string, type: 'rsa' | 'ssh'): Promise<KeyPair> {
    const n = String(++this.n).padStart(4, '0');
    const privateKey = `-----BEGIN ${type === 'rsa' ? 'RSA' : 'OPENSSH'} PRIVATE KEY-----\nkey${n}\n-----END ${type === 'rsa' ? 'RSA' : 'OPENSSH'} PRIVATE KEY-----\n`;
    return { privateKey, publicKey: type === 'ssh' ? `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA${n} concourse` : undefined };
  }

  password(): string {
    return `password-${++this.n}-abcdefghijklmnopqrstuv`;
  }
}

class LatestFromWorld implements ReleaseResolver {
  constructor(private readonly world: HookWorld) {}

  async latest(): Promise<string> {
    if (this.world.latest === undefined) throw new CharmProblem('waiting', 'Cannot reach GitHub (test)');
    return this.world.latest;
  }
}

class RecordingMigrator implements SchemaMigrator {
  constructor(private readonly world: HookWorld) {}

  async supportedSchema(releaseDir: string): Promise<number | undefined> {
    return this.world.schemas.get(releaseDir.split('/').pop() ?? '');
  }

  async migrateTo(releaseDir: string, schema: number): Promise<void> {
    this.world.migrations.push(`${releaseDir.split('/').pop()} -> ${schema}`);
  }
}

/** The peer relation as Juju would hold it for `unit`: other units' bags and the application bag. */
export function peers(options: {
  readonly local?: Readonly<Record<string, string>>;
  readonly app?: Readonly<Record<string, string>>;
  readonly units?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}): FakeRelation {
  return {
    id: 'peers:0',
    endpoint: 'peers',
    peer: true,
    localUnitData: options.local ?? {},
    localAppData: options.app ?? {},
    remoteUnitsData: options.units ?? {},
  };
}

/** A PostgreSQL relation whose provider shared the endpoint and the credentials secret. */
export const POSTGRES_READY = {
  relation: {
    id: 'postgresql:1',
    endpoint: 'postgresql',
    remoteApp: 'postgresql',
    remoteUnitsData: { 'postgresql/0': {} },
    remoteAppData: { endpoints: '10.20.30.40:5432', 'secret-user': 'secret:pg-user' },
  } satisfies FakeRelation,
  secret: {
    id: 'secret:pg-user',
    owner: 'remote' as const,
    content: { username: 'relation_1', password: 'pg-password-1' },
  },
};

/**
 * Units of one application taking turns, each with its own machine and Juju state: what a hook commits to the peer
 * relation (its unit bag, the application bag) and the application's secrets reach the other units' states, as
 * Juju shows them to the next hook. Nothing is delivered on its own: the test runs the hooks it means.
 */
export class Cluster {
  readonly machines = new Map<string, FakeMachine>();
  private readonly states = new Map<string, JujuState>();

  constructor(
    readonly world: HookWorld,
    units: readonly string[],
    base: Omit<Partial<JujuState>, 'leader'> & { readonly leader: string },
  ) {
    for (const [i, unit] of units.entries()) {
      this.machines.set(unit, new FakeMachine());
      const { leader, ...rest } = base;
      this.states.set(
        unit,
        jujuState({
          relations: [peers({})],
          ...rest,
          unit,
          leader: unit === leader,
          addresses: { private: `10.0.0.${10 + i}`, public: `10.0.0.${10 + i}` },
        }),
      );
    }
  }

  state(unit: string): JujuState {
    const s = this.states.get(unit);
    if (s === undefined) throw new Error(`no unit ${unit}`);
    return s;
  }

  machine(unit: string): FakeMachine {
    const m = this.machines.get(unit);
    if (m === undefined) throw new Error(`no unit ${unit}`);
    return m;
  }

  /** Changes a unit's state between hooks (config, leadership, relations), as the operator or Juju would. */
  update(unit: string, change: (s: JujuState) => Partial<JujuState>): void {
    const s = this.state(unit);
    this.states.set(unit, { ...s, ...change(s) });
  }

  setLeader(unit: string): void {
    for (const u of this.states.keys()) this.update(u, () => ({ leader: u === unit }));
  }

  async run(unit: string, hook: string, options: Omit<HookInput, 'state' | 'world' | 'machine' | 'hook'> = {}) {
    return this.finish(
      unit,
      await runHook({ ...options, hook, state: this.state(unit), world: this.world, machine: this.machine(unit) }),
    );
  }

  async action(unit: string, name: string, params: Readonly<Record<string, unknown>> = {}) {
    const state = { ...this.state(unit), action: { name, params } };
    return this.finish(unit, await runHook({ state, world: this.world, machine: this.machine(unit) }));
  }

  private finish(unit: string, run: HookRun): HookRun {
    const { action: _action, ...out } = run.state;
    this.states.set(unit, out);
    const mine = out.relations.find((r) => r.peer === true);
    const appSecrets = out.secrets.filter((s) => s.owner === 'application');
    for (const [other, s] of this.states) {
      if (other === unit) continue;
      const relations = s.relations.map((r) =>
        r.peer === true && mine !== undefined
          ? {
              ...r,
              localAppData: mine.localAppData,
              remoteUnitsData: { ...r.remoteUnitsData, [unit]: mine.localUnitData ?? {} },
            }
          : r,
      );
      const secrets = [...s.secrets.filter((x) => !appSecrets.some((a) => a.id === x.id)), ...appSecrets];
      this.states.set(other, { ...s, relations, secrets });
    }
    return run;
  }
}

/**
 * An application deployed on `units` (mode=auto unless `config` says otherwise, version 7.14.2, PostgreSQL ready,
 * the first unit leading): `prepare` shapes the machines first, every unit installs, and with `settle` a round of
 * update-status lets each see the others' peer data.
 */
export async function deployedCluster(
  units: readonly string[],
  config: Readonly<Record<string, unknown>> = {},
  options: { readonly settle?: boolean; readonly prepare?: (cluster: Cluster) => void } = {},
): Promise<Cluster> {
  const cluster = new Cluster(new HookWorld(), units, {
    leader: units[0] ?? '',
    config: { mode: 'auto', version: '7.14.2', ...config },
    relations: [peers({}), POSTGRES_READY.relation],
    secrets: [POSTGRES_READY.secret],
  });
  options.prepare?.(cluster);
  for (const u of units) await cluster.run(u, 'install');
  if (options.settle === true) for (const u of units) await cluster.run(u, 'update-status');
  return cluster;
}
