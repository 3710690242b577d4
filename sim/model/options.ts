// Simulator: the public types of the driver (sim/model.ts re-exports them): how a model is created, what the
// operator commands take, and what running a hook, an action or a command gives back.

import type { Bag } from '../model-state';
import type { VolumeProvider } from '../volume-provider';

export type { SystemctlCall } from '../tools/systemctl';

/**
 * What the simulator must know about one charm beyond its metadata to run it as on a real machine (a charm's own
 * knobs for a faster test, a directory that is a machine's own disk). Selected by the charm's metadata `name`.
 */
export interface CharmProfile {
  /** Dirs that are a separate local filesystem on each machine (bound from the unit's dir), never shared. */
  readonly localDirs?: readonly string[];
  /** Added to every hook's environment of the charm's units (SimModelOptions.extraEnv and per-hook env win). */
  readonly hookEnv?: Readonly<Record<string, string>>;
  /** Added too, but only while services are recorded, not run (knobs for a process that is not there). */
  readonly recordedServicesHookEnv?: Readonly<Record<string, string>>;
}

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
  /**
   * Hooks running at once across the model (each unit still runs one at a time). Default 8. A test that starts N
   * units at once and means it passes N or more (`peakRunningHooks()` shows how many really ran together).
   */
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
  /**
   * Charm profiles by charm name (metadata.yaml `name`); a charm without one gets none. Default: the charms this
   * repository knows (sim/model.ts: concourse-ci-machine, sim/concourse/charm-profile.ts).
   */
  readonly charmProfiles?: Readonly<Record<string, CharmProfile>>;
  /**
   * What the fake systemd does with a service. `recorded` (the default, cheapest): calls and states are recorded,
   * no process starts. `run`: `systemctl start` runs ExecStart= in the unit's namespace as systemd would (its
   * environment files, User=, WorkingDirectory=), output in `units/<u>/systemd/journal/<service>.log`, and stop,
   * kill, is-active and show act on the real process (sim/services/service-runner.ts). Services share the host's
   * network: give each model its own ports.
   */
  readonly services?: 'recorded' | 'run';
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

export interface AddUnitOptions {
  readonly count?: number;
  readonly volume?: VolumeProvider | null;
  readonly storage?: Readonly<Record<string, string>>;
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

export interface SecretInfo {
  readonly uri: string;
  /** The owning application or unit; `model` for a user secret. */
  readonly owner: string;
  /** A user secret's name. */
  readonly name?: string;
  readonly label: string | undefined;
  readonly revisions: ReadonlyArray<{ revision: number; content: Bag }>;
  readonly grants: ReadonlyArray<{ relationId?: number; app: string; unit?: string }>;
  readonly consumers: Readonly<Record<string, { revision: number; label?: string }>>;
}

export interface StubOptions {
  readonly endpoints: Readonly<Record<string, { readonly interface: string; readonly role: 'provides' | 'requires' }>>;
  readonly units?: number;
}
