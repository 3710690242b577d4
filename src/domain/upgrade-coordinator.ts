// Domain: the roll-out of a new Concourse version across units, as a pure function of declarative state (DESIGN.md
// section 4). No handshakes: the leader owns `target-version` in the peer application bag; each unit publishes the
// version it runs (`running-version`) and its roles; every hook of every unit recomputes the same answers, so a
// retried, re-ordered or lost hook changes nothing, and a new leader simply continues.
//
// Rules:
// - Web units switch as soon as the target is installed (nothing stops before the download: it goes beside).
// - A worker switches once some web unit runs the target (or when its application has no web it could wait for).
// - A unit that runs nothing yet starts directly on the target (a new unit never starts on an old release).

import { TARGET_SERIAL_KEY, TARGET_VERSION_KEY } from './peer-data';
import type { Role } from './roles';
import { ConcourseVersion } from './version';

/** The serial of the current target in the peer application bag (0 when none, or unreadable). */
export function targetSerial(app: Readonly<Record<string, string>>): number {
  const n = Number(app[TARGET_SERIAL_KEY] ?? '0');
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** The bag keys that set `target` as a new attempt: a unit that failed to start the previous attempt tries again. */
export function newTarget(
  app: Readonly<Record<string, string>>,
  target: ConcourseVersion,
): Readonly<Record<string, string>> {
  return { [TARGET_VERSION_KEY]: target.toString(), [TARGET_SERIAL_KEY]: String(targetSerial(app) + 1) };
}

/** What identifies one attempt at a target: a failed start is remembered against it. */
export function targetAttempt(app: Readonly<Record<string, string>>, target: ConcourseVersion): string {
  return `${target.toString()}@${targetSerial(app)}`;
}

export interface UnitReport {
  readonly unit: string;
  readonly roles: readonly Role[];
  /** What it runs; undefined before its services first started. */
  readonly running: ConcourseVersion | undefined;
}

/**
 * The leader's new target: the config's version when the operator changed it since it was last turned into a target;
 * otherwise the target kept (set by `upgrade`/`rollback`), or the config's version when none was ever set.
 */
export function leaderTarget(input: {
  readonly configVersion: ConcourseVersion | undefined;
  readonly lastConfigVersion: ConcourseVersion | undefined;
  readonly currentTarget: ConcourseVersion | undefined;
}): { readonly target: ConcourseVersion | undefined; readonly configVersion: ConcourseVersion | undefined } {
  const { configVersion, lastConfigVersion, currentTarget } = input;
  if (configVersion !== undefined && !sameVersion(configVersion, lastConfigVersion))
    return { target: configVersion, configVersion };
  return { target: currentTarget ?? configVersion, configVersion: lastConfigVersion ?? configVersion };
}

export type SwitchDecision =
  | { readonly kind: 'run-target' }
  | { readonly kind: 'hold'; readonly version: ConcourseVersion; readonly reason: string };

/** Whether this unit may run the target now, or keeps what it runs (and why, for its status). */
export function decideSwitch(input: {
  readonly target: ConcourseVersion;
  readonly self: UnitReport;
  /** Every other unit whose version matters: peers, and the web units of related applications (`flight`). */
  readonly others: readonly UnitReport[];
  /** Whether a web exists that this unit's worker should wait for (its own application's or a related one). */
  readonly webExpected: boolean;
  /** This unit already tried this very target (same serial) and its service did not start: it stays back. */
  readonly failedHere?: boolean;
}): SwitchDecision {
  const { target, self } = input;
  if (self.running === undefined || self.running.equals(target)) return { kind: 'run-target' };
  if (input.failedHere === true) {
    return {
      kind: 'hold',
      version: self.running,
      reason: `Concourse ${target.toString()} did not start here: fix it, then run upgrade again`,
    };
  }
  if (self.roles.includes('web')) return { kind: 'run-target' };
  const webOnTarget = input.others.some((u) => u.roles.includes('web') && sameVersion(u.running, target));
  if (webOnTarget || !input.webExpected) return { kind: 'run-target' };
  return { kind: 'hold', version: self.running, reason: `waiting for a web unit to run ${target.toString()} first` };
}

/**
 * Whether this unit publishes `running-version` in its peer bag. Web units always do: workers switch on it. A
 * worker-only unit's version is read by the leader alone (roll-out progress), and on a volume it shares with a web
 * the leader reads it from the unit's state file there (`worker/<app>-<n>/state.json`). So its first start writes
 * nothing: that write, after every other unit has joined it, would run a relation-changed on each of them, (N-1)²
 * hooks for N units, each one doing nothing. It publishes once it switches (the leader must hear of each step of a
 * roll-out), then keeps the value current, and always when no web shares its volume.
 */
export function publishesRunningVersion(input: {
  readonly roles: readonly Role[];
  /** What its services ran before this hook. */
  readonly previous: ConcourseVersion | undefined;
  readonly run: ConcourseVersion;
  /** It published a running-version before (the value must then follow what it runs). */
  readonly published: boolean;
  /** A peer running web sees the same volume id. */
  readonly volumeSharedWithWeb: boolean;
}): boolean {
  if (input.roles.includes('web') || input.published || !input.volumeSharedWithWeb) return true;
  return input.previous !== undefined && !input.previous.equals(input.run);
}

export interface RolloutProgress {
  readonly target: ConcourseVersion;
  readonly done: number;
  readonly total: number;
  readonly complete: boolean;
  /** Units not on the target yet, with what they run. */
  readonly pending: readonly UnitReport[];
}

/** How far the roll-out is, over every unit of the application (the leader's view). */
export function rolloutProgress(target: ConcourseVersion, units: readonly UnitReport[]): RolloutProgress {
  const pending = units.filter((u) => !sameVersion(u.running, target));
  return { target, done: units.length - pending.length, total: units.length, complete: pending.length === 0, pending };
}

/** The leader's status text while some unit still runs another release; undefined when none does. */
export function rolloutStatus(progress: RolloutProgress): string | undefined {
  return progress.pending.some((u) => u.running !== undefined) ? describeRollout(progress) : undefined;
}

/**
 * `Upgrading to v7.14.3: 3/5 units`, or `Rolling back to` when the units still to switch run a newer release, for the
 * leader's status while units switch.
 */
export function describeRollout(progress: RolloutProgress): string {
  const back = progress.pending.some((u) => u.running !== undefined && u.running.compare(progress.target) > 0);
  const target = progress.target.toString();
  return `${back ? 'Rolling back' : 'Upgrading'} to v${target}: ${progress.done}/${progress.total} units`;
}

/** `rollback` without a version: the newest release on the volume older than the one running (names that are not versions skipped). */
export function rollbackTarget(running: ConcourseVersion, available: readonly string[]): ConcourseVersion | undefined {
  return available
    .filter((name) => ConcourseVersion.isValid(name))
    .map((name) => ConcourseVersion.parse(name))
    .filter((v) => v.compare(running) < 0)
    .sort((a, b) => a.compare(b))
    .pop();
}

/**
 * The schema to migrate the database down to before running an older release: the older release's newest schema,
 * when the running release's is newer. Undefined: nothing to do (same schema, an upgrade, or a release that
 * cannot tell, in which case the older web fails on start and the switch is undone).
 */
export function downMigrationFor(
  runningSchema: number | undefined,
  targetSchema: number | undefined,
): number | undefined {
  if (runningSchema === undefined || targetSchema === undefined) return undefined;
  return targetSchema < runningSchema ? targetSchema : undefined;
}

/** Both undefined, or the same version. */
export function sameVersion(a: ConcourseVersion | undefined, b: ConcourseVersion | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}
