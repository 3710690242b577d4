// Domain: the one decision of the reconcile path, "which version does this unit run, and why": from one frozen
// snapshot of what the hook gathered to one plan the handler executes (DESIGN.md section 4, upgrade-coordinator).
//
// The rules, in the order they apply:
// - Sharing: shared-storage=required holds a unit that no peer shares its volume with.
// - Target: a worker application without a version follows the newest web it is related to over `flight`; else
//   the peer application bag's target. The leader turns a changed config `version` into the target (writing it);
//   with no version anywhere it resolves the latest release once and pins it; a non-leader waits for that.
// - Switch: web units switch at once, workers once a web runs the target; a unit that failed to start this very
//   attempt stays on what it ran (upgrade-coordinator's decideSwitch).
// - Housekeeping: a unit not yet on the target records what it runs before installing (so garbage collection never
//   removes what it is about to run) and, if it collects, collects first (room for the new release) and again once
//   it runs the target. `current` follows the target only.
// - Failed start: a unit that ran another release goes back to it, and remembers the attempt so the next hooks do
//   not try again until the operator sets a new attempt (upgrade again).

import type { CharmConfig } from './charm-config';
import { LINK_KEYS } from './concourse-links';
import { CharmProblem, InvalidInputError } from './errors';
import { CONFIG_VERSION_KEY, ROLES_KEY, RUNNING_VERSION_KEY, TARGET_VERSION_KEY, VOLUME_ID_KEY } from './peer-data';
import { type PeerBags, volumesOf } from './peer-view';
import { parseRoles, type Role, rolesFor } from './roles';
import type { UnitStatusInput } from './status';
import { nonEmpty } from './text';
import {
  decideSwitch,
  leaderTarget,
  newTarget,
  publishesRunningVersion,
  rolloutProgress,
  rolloutStatus,
  sameVersion,
  targetAttempt,
  type UnitReport,
} from './upgrade-coordinator';
import { ConcourseVersion } from './version';
import { collectsGarbage, describeSharing, detectSharing, sharingProblem } from './volume-sharing';

/** A relation bag: strings at this edge only. */
type Bag = Readonly<Record<string, string>>;

/** Everything the decision reads, gathered once by the hook. */
export interface ReconcileSnapshot {
  readonly unit: string;
  readonly config: Pick<CharmConfig, 'mode' | 'version' | 'sharedStorage'>;
  readonly leader: boolean;
  /** The peer application bag; undefined before the peer relation exists (early install). */
  readonly peerApp: Bag | undefined;
  /** The other units' peer bags (roles, running version, volume id), by unit name. */
  readonly peers: PeerBags;
  /** Whether a `flight` relation exists, and the bags of the web units on it, by unit name. */
  readonly flight: { readonly related: boolean; readonly webs: PeerBags };
  /** What this unit's services run (remembered once they ran it). */
  readonly running: ConcourseVersion | undefined;
  /** The attempt (`<version>@<serial>`) whose start failed on this unit, remembered. */
  readonly startFailed: string | undefined;
  readonly volume: { readonly id: string; readonly root: string };
  /** The latest release, once the hook resolved it because a plan asked for it. */
  readonly latest?: ConcourseVersion;
  /** The running-version this unit last wrote in its peer bag (undefined: never). */
  readonly publishedRunning?: string;
  /**
   * The leader's: what each unit's state file on this volume says it runs, by unit name. Worker-only units sharing
   * the volume with a web do not publish their first version (publishesRunningVersion); this is where it is read.
   */
  readonly volumeRunning?: Readonly<Record<string, string | undefined>>;
}

export type ReconcilePlan =
  /** The leader must ask for the latest release, then plan again with it in the snapshot. */
  | { readonly kind: 'resolve-latest' }
  /** Nothing to run yet: the problem is the unit's status; `peerAppWrites` are written all the same. */
  | { readonly kind: 'stop'; readonly problem: CharmProblem; readonly peerAppWrites: Bag }
  | ConvergePlan;

export interface ConvergePlan {
  readonly kind: 'converge';
  readonly roles: readonly Role[];
  /** The leader's writes to the peer application bag (the target): written before anything can fail. */
  readonly peerAppWrites: Bag;
  readonly target: ConcourseVersion;
  /** What the unit's services run before this hook. */
  readonly previous: ConcourseVersion | undefined;
  /** The release to install and run now: the target, or what runs while the unit holds. */
  readonly run: ConcourseVersion;
  /** The attempt at the target (a failed start is remembered against it). */
  readonly attempt: string;
  /** Before installing: record what runs in the unit's state file, and collect garbage (this unit collects). */
  readonly beforeInstall: { readonly record: boolean; readonly collect: boolean };
  /** The release is already the one running: its reuse is not news. */
  readonly quietInstall: boolean;
  /** Point `current` at the target before starting it. */
  readonly switchCurrent: boolean;
  /** When the release does not start: go back to this one (remember `attempt` first); undefined: fail as is. */
  readonly fallback: ConcourseVersion | undefined;
  /** Once it runs: collect garbage again; say the new version (log, application version, memory). */
  readonly afterStart: { readonly collect: boolean; readonly announce: boolean };
  /** Once it runs: write `running-version` to its peer bag (upgrade-coordinator's publishesRunningVersion). */
  readonly publishRunning: boolean;
  /** The status once the services run, but for the web's URL, which only converging tells. */
  readonly status: Omit<UnitStatusInput, 'url'>;
}

export function planReconcile(snapshot: ReconcileSnapshot): ReconcilePlan {
  const { config, leader } = snapshot;
  const roles = rolesFor(config.mode, leader);
  const sharing = detectSharing(snapshot.unit, snapshot.volume.id, volumesOf(snapshot.peers, VOLUME_ID_KEY));
  // Checked before the target: a unit blocked on sharing writes no target.
  const unshared = sharingProblem(config.sharedStorage, sharing, snapshot.volume.root);
  if (unshared !== undefined) return { kind: 'stop', problem: unshared, peerAppWrites: {} };
  const target = chooseTarget(snapshot);
  if (target.kind !== 'chosen') return target;

  const peerReports = parsePeerReports(
    snapshot.peers,
    snapshot.volumeRunning === undefined
      ? undefined
      : { volumeId: snapshot.volume.id, running: snapshot.volumeRunning },
  );
  const flightWebs = parseFlightWebs(snapshot.flight.webs);
  const others = [...peerReports, ...flightWebs];
  const running = snapshot.running;
  const attempt = targetAttempt(snapshot.peerApp ?? {}, target.version);
  const failedHere = snapshot.startFailed === attempt;
  const decision = decideSwitch({
    target: target.version,
    self: { unit: snapshot.unit, roles, running },
    others,
    webExpected: config.mode === 'worker' ? snapshot.flight.related : others.some((u) => u.roles.includes('web')),
    failedHere,
  });
  const run = decision.kind === 'run-target' ? target.version : decision.version;
  const runsTarget = run.equals(target.version);
  const collects = collectsGarbage(leader, config.sharedStorage);
  const onTarget = sameVersion(running, target.version);
  const progress = leader
    ? rolloutProgress(target.version, [{ unit: snapshot.unit, roles, running: run }, ...peerReports])
    : undefined;
  return {
    kind: 'converge',
    roles,
    peerAppWrites: target.writes,
    target: target.version,
    previous: running,
    run,
    attempt,
    beforeInstall: { record: !onTarget, collect: !onTarget && collects },
    quietInstall: sameVersion(running, run),
    switchCurrent: runsTarget,
    fallback: running === undefined || running.equals(run) ? undefined : running,
    afterStart: { collect: collects && runsTarget, announce: !sameVersion(running, run) },
    publishRunning: publishesRunningVersion({
      roles,
      previous: running,
      run,
      published: nonEmpty(snapshot.publishedRunning) !== undefined,
      volumeSharedWithWeb: peerReports.some(
        (u) => u.roles.includes('web') && snapshot.peers[u.unit]?.[VOLUME_ID_KEY] === snapshot.volume.id,
      ),
    }),
    status: {
      roles,
      running: run.toString(),
      holding: decision.kind === 'hold' ? decision.reason : undefined,
      failedHere,
      rollout: progress === undefined ? undefined : rolloutStatus(progress),
      sharing: describeSharing(sharing, config.sharedStorage),
    },
  };
}

type TargetChoice =
  | { readonly kind: 'chosen'; readonly version: ConcourseVersion; readonly writes: Bag }
  | { readonly kind: 'resolve-latest' }
  | { readonly kind: 'stop'; readonly problem: CharmProblem; readonly peerAppWrites: Bag };

/** The version every unit should end on, and what the leader writes to say so. */
function chooseTarget(snapshot: ReconcileSnapshot): TargetChoice {
  const { config, leader } = snapshot;
  if (config.version === undefined && config.mode === 'worker') {
    const followed = newestWeb(parseFlightWebs(snapshot.flight.webs));
    if (followed !== undefined) return { kind: 'chosen', version: followed, writes: {} };
  }
  const app = snapshot.peerApp ?? {};
  const currentText = nonEmpty(app[TARGET_VERSION_KEY]);
  let target: ConcourseVersion | string | undefined = currentText ?? config.version;
  let writes: Bag = {};
  if (leader) {
    const next = leaderTarget({
      configVersion: config.version,
      lastConfigVersion: ConcourseVersion.tryParse(app[CONFIG_VERSION_KEY]),
      currentTarget: ConcourseVersion.tryParse(currentText),
    });
    // A target in the bag that is not a version is kept as it is (and refused below) unless config replaces it.
    target = next.target ?? currentText;
    if (next.target !== undefined) {
      const changed = next.target.toString() !== currentText;
      writes = {
        ...(changed ? newTarget(app, next.target) : { [TARGET_VERSION_KEY]: next.target.toString() }),
        [CONFIG_VERSION_KEY]: next.configVersion?.toString() ?? '',
      };
    }
  }
  if (target === undefined) {
    if (!leader || snapshot.peerApp === undefined) {
      const problem = new CharmProblem('waiting', 'Waiting for the leader to resolve the latest Concourse release');
      return { kind: 'stop', problem, peerAppWrites: writes };
    }
    if (snapshot.latest === undefined) return { kind: 'resolve-latest' };
    target = snapshot.latest;
    writes = { ...newTarget(app, snapshot.latest), [CONFIG_VERSION_KEY]: '' };
  }
  if (typeof target !== 'string') return { kind: 'chosen', version: target, writes };
  try {
    return { kind: 'chosen', version: ConcourseVersion.parse(target, 'target version'), writes };
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return { kind: 'stop', problem: error, peerAppWrites: writes };
  }
}

/**
 * What the other units of this application run, as they last published it; for a worker-only unit that published
 * none and sees `onVolume`'s volume, what its state file there says (publishesRunningVersion).
 */
export function parsePeerReports(
  peers: PeerBags,
  onVolume?: { readonly volumeId: string; readonly running: Readonly<Record<string, string | undefined>> },
): readonly UnitReport[] {
  return Object.entries(peers).map(([unit, bag]) => {
    const roles = parseRoles(bag[ROLES_KEY]);
    const published = ConcourseVersion.tryParse(bag[RUNNING_VERSION_KEY]);
    const fromVolume =
      published === undefined &&
      !roles.includes('web') &&
      onVolume !== undefined &&
      bag[VOLUME_ID_KEY] === onVolume.volumeId
        ? ConcourseVersion.tryParse(onVolume.running[unit])
        : undefined;
    return { unit, roles, running: published ?? fromVolume };
  });
}

/** Web units of related applications, with the version they offer over `flight` (only those that offer one). */
function parseFlightWebs(webs: PeerBags): readonly UnitReport[] {
  return Object.entries(webs).flatMap(([unit, bag]) => {
    const offered = nonEmpty(bag[LINK_KEYS.concourseVersion]);
    return offered === undefined
      ? []
      : [{ unit, roles: ['web'] as const, running: ConcourseVersion.tryParse(offered) }];
  });
}

function newestWeb(webs: readonly UnitReport[]): ConcourseVersion | undefined {
  return webs
    .flatMap((u) => (u.running === undefined ? [] : [u.running]))
    .sort((a, b) => a.compare(b))
    .pop();
}

/**
 * The status after this unit's failed start at `plan.run`: back on the previous release (fix it, then upgrade again),
 * or, when the previous release failed to start too, both named (fix the unit first).
 */
export function failedStartProblem(
  plan: Pick<ConvergePlan, 'run'> & { readonly fallback: ConcourseVersion },
  reason: string,
  fallbackReason?: string,
): CharmProblem {
  const run = plan.run.toString();
  const back = plan.fallback.toString();
  return new CharmProblem(
    'blocked',
    fallbackReason === undefined
      ? `Concourse ${run} did not start (${reason}): back on ${back}; fix it, then run upgrade again`
      : `Concourse ${run} did not start (${reason}), and going back to ${back} failed too (${fallbackReason}): ` +
          'fix the unit, then run upgrade or rollback',
  );
}
