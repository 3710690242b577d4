// Scenarios: the model interface the deployment scenarios are written against, shaped like the Juju CLI an operator
// uses, so the same scenario functions drive the simulator (npm test) and real Juju on LXD (npm run test:juju).

import type { JujuStatus } from './juju-json';

export type ConfigValues = Readonly<Record<string, string | number | boolean>>;

export interface ActionOutcome {
  readonly status: 'completed' | 'failed';
  readonly results: Readonly<Record<string, unknown>>;
  readonly message?: string;
}

export interface ExecOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One Juju storage instance (`juju storage --format=json`): its id and the units it is attached to. */
export interface StorageInstance {
  readonly id: string;
  readonly kind: string;
  readonly units: readonly string[];
}

export interface WaitOptions {
  /**
   * Let update-status run while waiting (Juju's periodic hook, the only one Juju runs after a mount appears or goes):
   * the simulator runs it explicitly, real Juju on its model's `update-status-hook-interval`.
   */
  readonly updateStatus?: boolean;
}

export interface ScenarioModel {
  readonly backend: 'simulator' | 'juju';
  /** The charm's `download-url` for this backend: a loopback release server, or undefined for GitHub's releases. */
  readonly downloadUrl: string | undefined;
  /** `juju deploy` of the packed charm (`-n units`), onto machines sharing its volume when shareVolume came first. */
  deploy(app: string, opts: { readonly units: number; readonly config: ConfigValues }): Promise<void>;
  /** `juju deploy postgresql --channel 16/stable` (the simulator: a stand-in answering the charm's request). */
  deployPostgres(): Promise<void>;
  /** `juju add-unit -n count`: the new units' names. */
  addUnit(app: string, count?: number): Promise<string[]>;
  removeUnit(unit: string): Promise<void>;
  config(app: string, values: ConfigValues): Promise<void>;
  integrate(a: string, b: string): Promise<void>;
  /** `juju run <unit> <action> k=v`. */
  run(unit: string, action: string, params?: ConfigValues): Promise<ActionOutcome>;
  /** `juju exec --unit <unit> -- argv`. */
  exec(unit: string, argv: readonly string[]): Promise<ExecOutcome>;
  /** `juju status --format=json`, parsed. */
  status(): Promise<JujuStatus>;
  /** `juju debug-log --replay --no-tail`, one line each. */
  debugLog(): Promise<string[]>;
  /** `juju storage --format=json`: the Juju storage instances of the model. */
  storage(): Promise<StorageInstance[]>;
  /** `juju show-unit`: the unit's own data on one of its relations. */
  unitRelationData(unit: string, endpoint: string): Promise<Readonly<Record<string, string>>>;
  /**
   * Puts one filesystem at the storage location of every unit of `app`, now and for units added later, the way the
   * README tells operators to (an LXD disk device per container). The same `volume` name is the same filesystem.
   */
  shareVolume(app: string, volume?: string): Promise<void>;
  /** Takes the shared filesystem away from one unit (the disk device removed); shareVolume puts it back. */
  unshareVolume(unit: string): Promise<void>;
  /** Waits until `ready` holds of a settled model; fails with `what` and the last status when it never does. */
  waitFor(what: string, ready: (s: JujuStatus) => boolean, opts?: WaitOptions): Promise<JujuStatus>;
  /** Tarball downloads the release server served for `version`, where the backend has one. */
  readonly serverDownloads?: (version: string) => number;
  close(): Promise<void>;
}

export const DEFAULT_VOLUME = 'concourse-shared';
