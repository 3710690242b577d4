// Scenarios: real Juju 3.6 on LXD behind the scenario model: the `juju` CLI with JSON output, the shared disk put on
// each unit's container by scripts/share-volume-lxd.sh, a real postgresql from Charmhub, waits polled to a deadline.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../support/processes';
import { jujuArgv, lxcRemoveDeviceArgv } from './juju-cli';
import {
  instanceIds,
  type JujuStatus,
  parseActionOutput,
  parseExecOutput,
  parseShowUnitRelationData,
  parseStatus,
  parseStorage,
  unitsOf,
} from './juju-json';
import {
  type ActionOutcome,
  type ConfigValues,
  DEFAULT_VOLUME,
  type ExecOutcome,
  type ScenarioModel,
  type StorageInstance,
  type WaitOptions,
} from './scenario-model';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one program with argv (never a shell); the tests give a recording stand-in. */
export type Runner = (program: string, argv: readonly string[]) => Promise<CommandResult>;

/** Polls a condition until it holds or the deadline passes (the pause between polls is not synchronisation). */
export type Poller = (check: () => Promise<boolean>, deadlineMs: number, what: () => string) => Promise<void>;

export interface JujuBackendOptions {
  readonly charm: string;
  /** Host directory under which each shared volume gets its own directory (never under /tmp: cleaned at boot). */
  readonly volumesRoot: string;
  readonly model?: string;
  readonly run?: Runner;
  readonly poll?: Poller;
  /** How long a wait may take: real machines, real downloads. Default 20 minutes. */
  readonly waitMs?: number;
}

export const SHARE_SCRIPT = join(PROJECT_ROOT, 'scripts/share-volume-lxd.sh');
const POLL_INTERVAL_MS = 5_000;

export const execRunner: Runner = (program, argv) =>
  new Promise((resolve) => {
    execFile(program, [...argv], { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });

export const intervalPoller: Poller = async (check, deadlineMs, what) => {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`gave up after ${Math.round(deadlineMs / 1000)} s: ${what()}`);
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
};

/** Adds a fresh model for the scenario on the current controller, with update-status every minute. */
export async function jujuScenarioModel(opts: JujuBackendOptions): Promise<JujuBackend> {
  const backend = new JujuBackend(opts);
  await backend.juju(backend.argv.addModel());
  await backend.juju(backend.argv.modelConfig());
  return backend;
}

export class JujuBackend implements ScenarioModel {
  readonly backend = 'juju' as const;
  /** The charm's default: GitHub's releases. */
  readonly downloadUrl = undefined;
  readonly model: string;
  readonly argv: ReturnType<typeof jujuArgv>;
  private readonly runCommand: Runner;
  private readonly poll: Poller;
  private readonly waitMs: number;
  private readonly appVolume = new Map<string, string>();

  constructor(private readonly opts: JujuBackendOptions) {
    this.model = opts.model ?? `concourse-scenario-${randomBytes(3).toString('hex')}`;
    this.argv = jujuArgv(this.model);
    this.runCommand = opts.run ?? execRunner;
    this.poll = opts.poll ?? intervalPoller;
    this.waitMs = opts.waitMs ?? 20 * 60_000;
  }

  /** Runs `juju`; a non-zero exit is an error naming the command and Juju's message. */
  async juju(argv: readonly string[]): Promise<string> {
    const r = await this.runCommand('juju', argv);
    if (r.code !== 0) throw new Error(`juju ${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  async deploy(app: string, opts: { units: number; config: ConfigValues }): Promise<void> {
    const to = await this.sharedMachines(app, opts.units);
    await this.juju(this.argv.deploy(this.opts.charm, app, opts.units, opts.config, to));
  }

  async deployPostgres(): Promise<void> {
    await this.juju(this.argv.deployPostgres());
  }

  async addUnit(app: string, count = 1): Promise<string[]> {
    const before = new Set(unitsOf(await this.status(), app).map(([n]) => n));
    const to = await this.sharedMachines(app, count);
    await this.juju(this.argv.addUnit(app, count, to));
    return unitsOf(await this.status(), app)
      .map(([n]) => n)
      .filter((n) => !before.has(n));
  }

  async removeUnit(unit: string): Promise<void> {
    await this.juju(this.argv.removeUnit(unit));
  }

  async config(app: string, values: ConfigValues): Promise<void> {
    await this.juju(this.argv.config(app, values));
  }

  async integrate(a: string, b: string): Promise<void> {
    await this.juju(this.argv.integrate(a, b));
  }

  async run(unit: string, action: string, params: ConfigValues = {}): Promise<ActionOutcome> {
    // A failed action exits non-zero and still prints its result.
    const r = await this.runCommand('juju', this.argv.run(unit, action, params));
    if (r.stdout.trim() === '') throw new Error(`juju run ${unit} ${action} printed nothing: ${r.stderr.trim()}`);
    return parseActionOutput(r.stdout, unit);
  }

  async exec(unit: string, argv: readonly string[]): Promise<ExecOutcome> {
    const r = await this.runCommand('juju', this.argv.exec(unit, argv));
    if (r.stdout.trim() === '') throw new Error(`juju exec on ${unit} printed nothing: ${r.stderr.trim()}`);
    return parseExecOutput(r.stdout, unit);
  }

  async status(): Promise<JujuStatus> {
    return parseStatus(await this.juju(this.argv.status()));
  }

  async debugLog(): Promise<string[]> {
    return (await this.juju(this.argv.debugLog())).split('\n').filter((l) => l !== '');
  }

  async storage(): Promise<StorageInstance[]> {
    return parseStorage(await this.juju(this.argv.storage()));
  }

  async unitRelationData(unit: string, endpoint: string): Promise<Readonly<Record<string, string>>> {
    return parseShowUnitRelationData(await this.juju(this.argv.showUnit(unit)), unit, endpoint);
  }

  /** The README's way: a disk device on each unit's container, now (if deployed) and for the machines made later. */
  async shareVolume(app: string, volume = DEFAULT_VOLUME): Promise<void> {
    this.appVolume.set(app, volume);
    if (unitsOf(await this.status(), app).length > 0) await this.share(app, []);
  }

  async unshareVolume(unit: string): Promise<void> {
    const s = await this.status();
    const [app = ''] = unit.split('/');
    const machine = unitsOf(s, app).find(([n]) => n === unit)?.[1].machine;
    const container = machine === undefined ? undefined : instanceIds(s)[machine];
    if (container === undefined) throw new Error(`${unit} has no container yet`);
    const r = await this.runCommand('lxc', lxcRemoveDeviceArgv(container));
    if (r.code !== 0) throw new Error(`lxc ${lxcRemoveDeviceArgv(container).join(' ')}: ${r.stderr.trim()}`);
  }

  async waitFor(what: string, ready: (s: JujuStatus) => boolean, _opts: WaitOptions = {}): Promise<JujuStatus> {
    // update-status runs on its own every UPDATE_STATUS_INTERVAL (set on the model): nothing to trigger here.
    let last: JujuStatus | undefined;
    await this.poll(
      async () => {
        last = await this.status();
        return settled(last) && ready(last);
      },
      this.waitMs,
      () => `${what}\n${JSON.stringify(last?.applications ?? {}, null, 1)}`,
    );
    if (last === undefined) throw new Error(`no status read while waiting for ${what}`);
    return last;
  }

  async close(): Promise<void> {
    await this.juju(this.argv.destroyModel());
  }

  /** With a shared volume: `count` new machines carrying the disk before anything is deployed on them. */
  private async sharedMachines(app: string, count: number): Promise<string[]> {
    if (!this.appVolume.has(app)) return [];
    const before = new Set(Object.keys((await this.status()).machines ?? {}));
    await this.juju(this.argv.addMachines(count));
    let made: string[] = [];
    await this.poll(
      async () => {
        const s = await this.status();
        made = Object.keys(s.machines ?? {}).filter((id) => !before.has(id));
        const ids = instanceIds(s);
        return (
          made.length === count &&
          made.every((id) => s.machines?.[id]?.['juju-status']?.current === 'started' && ids[id])
        );
      },
      this.waitMs,
      () => `machines ${made.join(', ')} started`,
    );
    await this.share(app, made);
    return made;
  }

  private async share(app: string, machines: readonly string[]): Promise<void> {
    const dir = join(this.opts.volumesRoot, this.model, this.appVolume.get(app) ?? DEFAULT_VOLUME);
    const r = await this.runCommand(SHARE_SCRIPT, ['-m', this.model, app, dir, ...machines]);
    if (r.code !== 0) throw new Error(`share-volume-lxd.sh ${app} ${dir}: ${r.stderr.trim()}`);
  }
}

/** Every unit's agent idle: no hook running or queued that Juju shows. */
function settled(s: JujuStatus): boolean {
  return Object.values(s.applications ?? {}).every((a) =>
    Object.values(a.units ?? {}).every((u) => u['juju-status'].current === 'idle'),
  );
}
