// Unit tests of the reconcile planner: one frozen snapshot in, one plan out (toEqual, no fakes). Each row is a
// situation a hook meets; the expected plan is spelt out from a steady unit's plan, changed where the row differs.
import { describe, expect, test } from 'vitest';
import { CharmProblem, InvalidInputError, StorageProblem } from '../../src/domain/errors';
import {
  type ConvergePlan,
  failedStartProblem,
  parsePeerReports,
  planReconcile,
  type ReconcilePlan,
  type ReconcileSnapshot,
} from '../../src/domain/reconcile-plan';
import { ConcourseVersion } from '../../src/domain/version';

const v = (text: string) => ConcourseVersion.parse(text);

/** A non-leader worker in mode=auto, on 7.14.2 like its web, with the leader's target 7.14.2 in the bag. */
const steady: ReconcileSnapshot = {
  unit: 'ci/1',
  config: { mode: 'auto', version: v('7.14.2'), sharedStorage: 'auto' },
  leader: false,
  peerApp: { 'target-version': '7.14.2', 'config-version': '7.14.2', 'target-serial': '1' },
  peers: { 'ci/0': { roles: 'web', 'running-version': '7.14.2', 'volume-id': 'vol-a' } },
  flight: { related: false, webs: {} },
  running: v('7.14.2'),
  startFailed: undefined,
  volume: { id: 'vol-a', root: '/var/lib/concourse' },
  publishedRunning: '7.14.2',
};

const steadyPlan: ConvergePlan = {
  kind: 'converge',
  roles: ['worker'],
  peerAppWrites: {},
  target: v('7.14.2'),
  previous: v('7.14.2'),
  run: v('7.14.2'),
  attempt: '7.14.2@1',
  beforeInstall: { record: false, collect: false },
  quietInstall: true,
  switchCurrent: true,
  fallback: undefined,
  afterStart: { collect: false, announce: false },
  publishRunning: true,
  status: {
    roles: ['worker'],
    running: '7.14.2',
    holding: undefined,
    failedHere: false,
    rollout: undefined,
    sharing: 'shared volume 2 units',
  },
};

type Changes = Partial<Omit<ConvergePlan, 'status'>> & { readonly status?: Partial<ConvergePlan['status']> };

function plan(changes: Changes): ConvergePlan {
  return { ...steadyPlan, ...changes, status: { ...steadyPlan.status, ...changes.status } };
}

const leaderWeb = {
  unit: 'ci/0',
  leader: true,
  peers: { 'ci/1': { roles: 'worker', 'running-version': '7.14.2', 'volume-id': 'vol-a' } },
} as const;

const cases: readonly (readonly [string, Partial<ReconcileSnapshot>, ReconcilePlan])[] = [
  ['a steady worker on the target → runs it quietly, nothing recorded first, no garbage collection', {}, steadyPlan],
  [
    'a new leader unit, config 7.14.2, empty bag → writes the target, records and collects before and after installing',
    { ...leaderWeb, peerApp: {}, running: undefined },
    plan({
      roles: ['web'],
      peerAppWrites: { 'target-version': '7.14.2', 'target-serial': '1', 'config-version': '7.14.2' },
      previous: undefined,
      attempt: '7.14.2@0',
      beforeInstall: { record: true, collect: true },
      quietInstall: false,
      afterStart: { collect: true, announce: true },
      status: { roles: ['web'] },
    }),
  ],
  [
    'the leader, an upgrade action set 7.14.3 → keeps it (no new attempt), switches at once, going back to 7.14.2 if it fails',
    {
      ...leaderWeb,
      peerApp: { 'target-version': '7.14.3', 'config-version': '7.14.2', 'target-serial': '2' },
    },
    plan({
      roles: ['web'],
      peerAppWrites: { 'target-version': '7.14.3', 'config-version': '7.14.2' },
      target: v('7.14.3'),
      run: v('7.14.3'),
      attempt: '7.14.3@2',
      beforeInstall: { record: true, collect: true },
      quietInstall: false,
      fallback: v('7.14.2'),
      afterStart: { collect: true, announce: true },
      status: { roles: ['web'], running: '7.14.3', rollout: 'Upgrading to v7.14.3: 1/2 units' },
    }),
  ],
  [
    'the leader, the operator changed config version since → the config wins, as a new attempt',
    {
      ...leaderWeb,
      config: { ...steady.config, version: v('7.14.4') },
      peerApp: { 'target-version': '7.14.3', 'config-version': '7.14.2', 'target-serial': '2' },
      running: v('7.14.3'),
      peers: { 'ci/1': { roles: 'worker', 'running-version': '7.14.3', 'volume-id': 'vol-a' } },
    },
    plan({
      roles: ['web'],
      peerAppWrites: { 'target-version': '7.14.4', 'target-serial': '3', 'config-version': '7.14.4' },
      target: v('7.14.4'),
      previous: v('7.14.3'),
      run: v('7.14.4'),
      attempt: '7.14.4@2',
      beforeInstall: { record: true, collect: true },
      quietInstall: false,
      fallback: v('7.14.3'),
      afterStart: { collect: true, announce: true },
      status: { roles: ['web'], running: '7.14.4', rollout: 'Upgrading to v7.14.4: 1/2 units' },
    }),
  ],
  [
    'the leader rolled back to 7.14.2 while a worker runs 7.14.3 → said as a rollback',
    {
      ...leaderWeb,
      peerApp: { 'target-version': '7.14.2', 'config-version': '7.14.2', 'target-serial': '3' },
      peers: { 'ci/1': { roles: 'worker', 'running-version': '7.14.3', 'volume-id': 'vol-a' } },
    },
    plan({
      roles: ['web'],
      peerAppWrites: { 'target-version': '7.14.2', 'config-version': '7.14.2' },
      attempt: '7.14.2@3',
      afterStart: { collect: true, announce: false },
      status: { roles: ['web'], rollout: 'Rolling back to v7.14.2: 1/2 units' },
    }),
  ],
  [
    'a worker on 7.14.2, target 7.14.3, its web still on 7.14.2 → holds on 7.14.2 and leaves the download to the web',
    { peerApp: { 'target-version': '7.14.3', 'target-serial': '2' } },
    plan({
      target: v('7.14.3'),
      attempt: '7.14.3@2',
      beforeInstall: { record: true, collect: false },
      switchCurrent: false,
      status: { holding: 'waiting for a web unit to run 7.14.3 first' },
    }),
  ],
  [
    'a worker on 7.14.2 that never published, target 7.14.3, the web runs 7.14.3 → switches (going back to 7.14.2 if it fails) and publishes it',
    {
      publishedRunning: undefined,
      peerApp: { 'target-version': '7.14.3', 'target-serial': '2' },
      peers: { 'ci/0': { roles: 'web', 'running-version': '7.14.3', 'volume-id': 'vol-a' } },
    },
    plan({
      target: v('7.14.3'),
      run: v('7.14.3'),
      attempt: '7.14.3@2',
      beforeInstall: { record: true, collect: false },
      quietInstall: false,
      fallback: v('7.14.2'),
      afterStart: { collect: false, announce: true },
      status: { running: '7.14.3' },
    }),
  ],
  [
    'this unit failed to start this very attempt → holds on what ran, blocked until upgrade is run again',
    {
      ...leaderWeb,
      peerApp: { 'target-version': '7.14.3', 'config-version': '7.14.2', 'target-serial': '2' },
      startFailed: '7.14.3@2',
    },
    plan({
      roles: ['web'],
      peerAppWrites: { 'target-version': '7.14.3', 'config-version': '7.14.2' },
      target: v('7.14.3'),
      attempt: '7.14.3@2',
      beforeInstall: { record: true, collect: true },
      switchCurrent: false,
      status: {
        roles: ['web'],
        holding: 'Concourse 7.14.3 did not start here: fix it, then run upgrade again',
        failedHere: true,
        rollout: 'Upgrading to v7.14.3: 0/2 units',
      },
    }),
  ],
  [
    'upgrade run again after a failed start (a new serial) → the remembered failure no longer holds it',
    {
      ...leaderWeb,
      peerApp: { 'target-version': '7.14.3', 'config-version': '7.14.2', 'target-serial': '3' },
      startFailed: '7.14.3@2',
    },
    plan({
      roles: ['web'],
      peerAppWrites: { 'target-version': '7.14.3', 'config-version': '7.14.2' },
      target: v('7.14.3'),
      run: v('7.14.3'),
      attempt: '7.14.3@3',
      beforeInstall: { record: true, collect: true },
      quietInstall: false,
      fallback: v('7.14.2'),
      afterStart: { collect: true, announce: true },
      status: { roles: ['web'], running: '7.14.3', rollout: 'Upgrading to v7.14.3: 1/2 units' },
    }),
  ],
  [
    'a non-leader, no version in config or bag → waits for the leader to resolve the latest release',
    { config: { ...steady.config, version: undefined }, peerApp: {} },
    {
      kind: 'stop',
      problem: new CharmProblem('waiting', 'Waiting for the leader to resolve the latest Concourse release'),
      peerAppWrites: {},
    },
  ],
  [
    'the leader before the peer relation exists, no version → waits too (nowhere to pin the latest)',
    { ...leaderWeb, config: { ...steady.config, version: undefined }, peerApp: undefined },
    {
      kind: 'stop',
      problem: new CharmProblem('waiting', 'Waiting for the leader to resolve the latest Concourse release'),
      peerAppWrites: {},
    },
  ],
  [
    'the leader, no version anywhere → asks for the latest release',
    { ...leaderWeb, config: { ...steady.config, version: undefined }, peerApp: {} },
    { kind: 'resolve-latest' },
  ],
  [
    'the leader, no version anywhere, the latest resolved → pins it as a new target, config-version cleared',
    { ...leaderWeb, config: { ...steady.config, version: undefined }, peerApp: {}, latest: v('7.15.0') },
    plan({
      roles: ['web'],
      peerAppWrites: { 'target-version': '7.15.0', 'target-serial': '1', 'config-version': '' },
      target: v('7.15.0'),
      run: v('7.15.0'),
      attempt: '7.15.0@0',
      beforeInstall: { record: true, collect: true },
      quietInstall: false,
      fallback: v('7.14.2'),
      afterStart: { collect: true, announce: true },
      status: { roles: ['web'], running: '7.15.0', rollout: 'Upgrading to v7.15.0: 1/2 units' },
    }),
  ],
  [
    'a worker application without a version → follows the newest web over flight, even its leader writes no target',
    {
      leader: true,
      config: { ...steady.config, mode: 'worker', version: undefined },
      peerApp: {},
      peers: {},
      flight: {
        related: true,
        webs: { 'web/0': { 'concourse-version': '7.14.3' }, 'web/1': { 'concourse-version': '7.14.2' }, 'web/2': {} },
      },
    },
    plan({
      target: v('7.14.3'),
      run: v('7.14.3'),
      attempt: '7.14.3@0',
      beforeInstall: { record: true, collect: true },
      quietInstall: false,
      fallback: v('7.14.2'),
      afterStart: { collect: true, announce: true },
      status: { running: '7.14.3', sharing: 'volume not shared' },
    }),
  ],
  [
    'a worker application with version 7.14.3, its web over flight still on 7.14.2 → holds',
    {
      config: { ...steady.config, mode: 'worker', version: v('7.14.3') },
      peerApp: {},
      peers: {},
      flight: { related: true, webs: { 'web/0': { 'concourse-version': '7.14.2' } } },
    },
    plan({
      target: v('7.14.3'),
      attempt: '7.14.3@0',
      beforeInstall: { record: true, collect: false },
      switchCurrent: false,
      status: { holding: 'waiting for a web unit to run 7.14.3 first', sharing: 'volume not shared' },
    }),
  ],
  [
    'a worker application with a version and no flight relation → no web to wait for: switches',
    {
      config: { ...steady.config, mode: 'worker', version: v('7.14.3') },
      peerApp: undefined,
      peers: {},
    },
    plan({
      target: v('7.14.3'),
      run: v('7.14.3'),
      attempt: '7.14.3@0',
      beforeInstall: { record: true, collect: false },
      quietInstall: false,
      fallback: v('7.14.2'),
      afterStart: { collect: false, announce: true },
      status: { running: '7.14.3', sharing: 'volume not shared' },
    }),
  ],
  [
    'shared-storage=required and no peer on the same volume → blocked, no target written',
    {
      ...leaderWeb,
      config: { ...steady.config, sharedStorage: 'required' },
      peerApp: {},
      peers: { 'ci/1': { roles: 'worker', 'volume-id': 'vol-b' } },
    },
    {
      kind: 'stop',
      problem: new StorageProblem(
        'blocked',
        'No other unit shares the volume at /var/lib/concourse (shared-storage=required): mount the shared filesystem there on every unit',
      ),
      peerAppWrites: {},
    },
  ],
  [
    'shared-storage=none → a private store: every unit collects its own garbage',
    { config: { ...steady.config, sharedStorage: 'none' }, volume: { id: 'vol-p', root: '/var/lib/concourse/.p' } },
    plan({ afterStart: { collect: true, announce: false }, status: { sharing: 'private release store' } }),
  ],
  [
    'a target in the bag that is not a version → blocked naming it',
    { peerApp: { 'target-version': '7.14.2; rm -rf /' } },
    {
      kind: 'stop',
      problem: new InvalidInputError('Invalid target version "7.14.2; rm -rf /": use a release number such as 7.14.2'),
      peerAppWrites: {},
    },
  ],
  [
    "a worker's first start on the volume its web uses, never published → no running-version write (the leader reads its state file)",
    { running: undefined, publishedRunning: undefined },
    plan({
      previous: undefined,
      beforeInstall: { record: true, collect: false },
      quietInstall: false,
      afterStart: { collect: false, announce: true },
      publishRunning: false,
    }),
  ],
  [
    "a worker's first start on a volume no web uses → publishes running-version (the leader cannot read its state file)",
    {
      running: undefined,
      publishedRunning: undefined,
      peers: { 'ci/0': { roles: 'web', 'running-version': '7.14.2', 'volume-id': 'vol-b' } },
    },
    plan({
      previous: undefined,
      beforeInstall: { record: true, collect: false },
      quietInstall: false,
      afterStart: { collect: false, announce: true },
      publishRunning: true,
      status: { sharing: 'volume not shared' },
    }),
  ],
  [
    'a worker that never published, later hooks on the same version → still writes nothing',
    { publishedRunning: undefined },
    plan({ publishRunning: false }),
  ],
  [
    'the leader, target 7.14.3, a worker that published nothing and whose state file says 7.14.2 → counted as on 7.14.2',
    {
      ...leaderWeb,
      peerApp: { 'target-version': '7.14.3', 'config-version': '7.14.2', 'target-serial': '2' },
      running: v('7.14.3'),
      peers: { 'ci/1': { roles: 'worker', 'volume-id': 'vol-a' } },
      volumeRunning: { 'ci/0': '7.14.3', 'ci/1': '7.14.2' },
    },
    plan({
      roles: ['web'],
      peerAppWrites: { 'target-version': '7.14.3', 'config-version': '7.14.2' },
      target: v('7.14.3'),
      previous: v('7.14.3'),
      run: v('7.14.3'),
      attempt: '7.14.3@2',
      afterStart: { collect: true, announce: false },
      status: { roles: ['web'], running: '7.14.3', rollout: 'Upgrading to v7.14.3: 1/2 units' },
    }),
  ],
];

describe('planReconcile', () => {
  test.each(cases)('%s', (_name, changes, expected) => {
    expect(planReconcile({ ...steady, ...changes })).toEqual(expected);
  });

  test('the snapshot is not changed by planning (frozen in, plan out)', () => {
    const snapshot = structuredClone({
      ...steady,
      running: undefined,
      config: { ...steady.config, version: undefined },
    });
    const before = JSON.stringify(snapshot);
    planReconcile(snapshot);
    expect(JSON.stringify(snapshot)).toBe(before);
  });
});

describe('parsePeerReports', () => {
  test('roles and versions from the bags; words that are not roles or versions → left out', () => {
    expect(
      parsePeerReports({
        'ci/0': { roles: 'web,worker', 'running-version': '7.14.2' },
        'ci/1': { roles: 'worker,something-new', 'running-version': 'junk' },
        'ci/2': {},
      }),
    ).toEqual([
      { unit: 'ci/0', roles: ['web', 'worker'], running: v('7.14.2') },
      { unit: 'ci/1', roles: ['worker'], running: undefined },
      { unit: 'ci/2', roles: [], running: undefined },
    ]);
  });

  test('a worker-only unit that published no version → its state file on the same volume says it, nowhere else', () => {
    expect(
      parsePeerReports(
        {
          'ci/0': { roles: 'web', 'volume-id': 'vol-a' },
          'ci/1': { roles: 'worker', 'volume-id': 'vol-a' },
          'ci/2': { roles: 'worker', 'volume-id': 'vol-b' },
          'ci/3': { roles: 'worker', 'volume-id': 'vol-a', 'running-version': '7.14.3' },
        },
        { volumeId: 'vol-a', running: { 'ci/0': '7.14.2', 'ci/1': '7.14.2', 'ci/2': '7.14.2', 'ci/3': '7.14.2' } },
      ),
    ).toEqual([
      { unit: 'ci/0', roles: ['web'], running: undefined },
      { unit: 'ci/1', roles: ['worker'], running: v('7.14.2') },
      { unit: 'ci/2', roles: ['worker'], running: undefined },
      { unit: 'ci/3', roles: ['worker'], running: v('7.14.3') },
    ]);
  });
});

describe('failedStartProblem', () => {
  test('the new release did not start, the previous did → blocked, back on the previous, upgrade again', () => {
    expect(failedStartProblem({ run: v('7.14.4'), fallback: v('7.14.3') }, 'exited 1')).toEqual(
      new CharmProblem(
        'blocked',
        'Concourse 7.14.4 did not start (exited 1): back on 7.14.3; fix it, then run upgrade again',
      ),
    );
  });

  test('neither starts → blocked naming both, fix the unit first', () => {
    expect(failedStartProblem({ run: v('7.14.4'), fallback: v('7.14.3') }, 'exited 1', 'exited 2')).toEqual(
      new CharmProblem(
        'blocked',
        'Concourse 7.14.4 did not start (exited 1), and going back to 7.14.3 failed too (exited 2): fix the unit, then run upgrade or rollback',
      ),
    );
  });
});
