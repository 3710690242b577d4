import { describe, expect, test } from 'vitest';
import {
  decideSwitch,
  describeRollout,
  downMigrationFor,
  leaderTarget,
  newTarget,
  publishesRunningVersion,
  rollbackTarget,
  rolloutProgress,
  rolloutStatus,
  targetAttempt,
  type UnitReport,
} from '../../src/domain/upgrade-coordinator';
import { ConcourseVersion, compareVersions } from '../../src/domain/version';

const v = (text: string) => ConcourseVersion.parse(text);
const maybe = (text: string | undefined) => (text === undefined ? undefined : v(text));
const web = (unit: string, running?: string): UnitReport => ({ unit, roles: ['web'], running: maybe(running) });
const worker = (unit: string, running?: string): UnitReport => ({ unit, roles: ['worker'], running: maybe(running) });

describe('leaderTarget', () => {
  test.each([
    // [config, last config turned into a target, current target] → [target, config-version kept]
    ['7.14.2', undefined, undefined, '7.14.2', '7.14.2'],
    ['7.14.2', '7.14.2', '7.14.3', '7.14.3', '7.14.2'], // an action's target survives unrelated hooks
    ['7.14.4', '7.14.2', '7.14.3', '7.14.4', '7.14.4'], // the operator changed config: it wins
    [undefined, undefined, '7.14.3', '7.14.3', undefined],
    [undefined, undefined, undefined, undefined, undefined],
    ['7.14.2', undefined, '7.14.3', '7.14.2', '7.14.2'], // first leader hook after a charm without config-version
  ] as const)('config %s, last %s, target %s → %s', (configVersion, last, current, target, kept) => {
    expect(
      leaderTarget({
        configVersion: maybe(configVersion),
        lastConfigVersion: maybe(last),
        currentTarget: maybe(current),
      }),
    ).toEqual({ target: maybe(target), configVersion: maybe(kept) });
  });

  test('idempotent: feeding the result back changes nothing', () => {
    const first = leaderTarget({
      configVersion: v('7.14.4'),
      lastConfigVersion: v('7.14.2'),
      currentTarget: v('7.14.3'),
    });
    expect(
      leaderTarget({ configVersion: v('7.14.4'), lastConfigVersion: first.configVersion, currentTarget: first.target }),
    ).toEqual(first);
  });
});

describe('decideSwitch', () => {
  const target = v('7.14.3');

  test('a unit running nothing yet starts on the target', () => {
    expect(decideSwitch({ target, self: worker('a/1'), others: [web('a/0', '7.14.2')], webExpected: true })).toEqual({
      kind: 'run-target',
    });
  });

  test('a web unit switches at once', () => {
    expect(decideSwitch({ target, self: web('a/0', '7.14.2'), others: [], webExpected: true }).kind).toBe('run-target');
  });

  test('a worker holds while no web runs the target, then switches', () => {
    const self = worker('a/1', '7.14.2');
    expect(decideSwitch({ target, self, others: [web('a/0', '7.14.2')], webExpected: true })).toEqual({
      kind: 'hold',
      version: v('7.14.2'),
      reason: 'waiting for a web unit to run 7.14.3 first',
    });
    expect(decideSwitch({ target, self, others: [web('a/0', '7.14.3')], webExpected: true }).kind).toBe('run-target');
  });

  test('another worker on the target does not release a worker: only a web does', () => {
    const others = [web('a/0', '7.14.2'), worker('a/2', '7.14.3')];
    expect(decideSwitch({ target, self: worker('a/1', '7.14.2'), others, webExpected: true }).kind).toBe('hold');
  });

  test('a worker with no web to wait for switches', () => {
    expect(decideSwitch({ target, self: worker('a/1', '7.14.2'), others: [], webExpected: false }).kind).toBe(
      'run-target',
    );
  });

  test('already on the target (a retried hook) → run-target, nothing to wait for', () => {
    expect(
      decideSwitch({ target, self: worker('a/1', '7.14.3'), others: [web('a/0', '7.14.2')], webExpected: true }).kind,
    ).toBe('run-target');
  });

  test('this unit already failed to start this attempt → holds on what it runs, even a web, saying what to do', () => {
    expect(
      decideSwitch({ target, self: web('a/0', '7.14.2'), others: [], webExpected: true, failedHere: true }),
    ).toEqual({
      kind: 'hold',
      version: v('7.14.2'),
      reason: 'Concourse 7.14.3 did not start here: fix it, then run upgrade again',
    });
    // A new unit has nothing to go back to: it starts on the target (and says why if that fails).
    expect(decideSwitch({ target, self: web('a/0'), others: [], webExpected: true, failedHere: true }).kind).toBe(
      'run-target',
    );
  });

  test('rollback is the same rule: web first, then workers', () => {
    const self = worker('a/1', '7.14.3');
    expect(decideSwitch({ target: v('7.14.2'), self, others: [web('a/0', '7.14.3')], webExpected: true }).kind).toBe(
      'hold',
    );
    expect(decideSwitch({ target: v('7.14.2'), self, others: [web('a/0', '7.14.2')], webExpected: true }).kind).toBe(
      'run-target',
    );
  });
});

describe('rolloutProgress and describeRollout', () => {
  test('counts units on the target and lists the others', () => {
    const p = rolloutProgress(v('7.14.3'), [web('a/0', '7.14.3'), worker('a/1', '7.14.2'), worker('a/2', '7.14.3')]);
    expect(p).toMatchObject({ done: 2, total: 3, complete: false });
    expect(p.pending.map((u) => u.unit)).toEqual(['a/1']);
    expect(describeRollout(p)).toBe('Upgrading to v7.14.3: 2/3 units');
  });

  test('units still on a newer release → a rollback, also once the leader itself switched', () => {
    const p = rolloutProgress(v('7.14.2'), [web('a/0', '7.14.2'), worker('a/1', '7.14.3')]);
    expect(describeRollout(p)).toBe('Rolling back to v7.14.2: 1/2 units');
  });

  test('rolloutStatus: only while some unit reports another release (not while new units have not reported)', () => {
    expect(rolloutStatus(rolloutProgress(v('7.14.3'), [web('a/0', '7.14.3'), worker('a/1', '7.14.2')]))).toBe(
      'Upgrading to v7.14.3: 1/2 units',
    );
    expect(rolloutStatus(rolloutProgress(v('7.14.3'), [web('a/0', '7.14.3'), worker('a/1')]))).toBeUndefined();
  });

  test('every unit on the target → complete', () => {
    expect(rolloutProgress(v('7.14.3'), [web('a/0', '7.14.3')]).complete).toBe(true);
  });
});

describe('rollbackTarget', () => {
  test.each([
    ['7.14.3', ['7.14.2', '7.14.3', '7.13.0'], '7.14.2'],
    ['7.14.3', ['7.14.3'], undefined],
    ['7.14.2', ['7.14.3', '7.14.10'], undefined],
    ['7.14.10', ['7.14.9', '7.14.3', '7.14.10'], '7.14.9'], // numeric, not lexical
    ['7.14.3', ['junk', '7.14.2'], '7.14.2'], // a leftover that is no version is never a target
  ] as const)('running %s, on the volume %j → %s', (running, available, expected) => {
    expect(rollbackTarget(v(running), available)).toEqual(maybe(expected));
  });
});

test('compareVersions orders numerically and puts non-versions first', () => {
  expect(['7.14.10', '7.14.9', 'junk', '8.0.0'].sort(compareVersions)).toEqual(['junk', '7.14.9', '7.14.10', '8.0.0']);
});

describe('downMigrationFor', () => {
  test.each([
    [1700071403, 1700071402, 1700071402], // back to an older schema: migrate down to it
    [1700071402, 1700071402, undefined], // same schema: nothing to do
    [1700071402, 1700071403, undefined], // forward: the web migrates up by itself
    [undefined, 1700071402, undefined],
    [1700071403, undefined, undefined],
  ] as const)('running %s, target %s → %s', (running, target, expected) => {
    expect(downMigrationFor(running, target)).toBe(expected);
  });
});

describe('target attempts', () => {
  test('each new target is a new attempt, even the same version again; a bad serial counts as none', () => {
    expect(newTarget({}, v('7.14.3'))).toEqual({ 'target-version': '7.14.3', 'target-serial': '1' });
    const app = { 'target-version': '7.14.3', 'target-serial': '4' };
    expect(newTarget(app, v('7.14.3'))).toEqual({ 'target-version': '7.14.3', 'target-serial': '5' });
    expect(targetAttempt(app, v('7.14.3'))).toBe('7.14.3@4');
    expect(targetAttempt({ ...app, ...newTarget(app, v('7.14.3')) }, v('7.14.3'))).not.toBe(
      targetAttempt(app, v('7.14.3')),
    );
    expect(targetAttempt({ 'target-serial': 'x' }, v('7.14.3'))).toBe('7.14.3@0');
  });
});

describe('publishesRunningVersion', () => {
  const base = {
    roles: ['worker'] as const,
    previous: undefined,
    run: v('7.14.2'),
    published: false,
    volumeSharedWithWeb: true,
  };
  test.each([
    ["a worker's first start on its web's volume", {}, false],
    ['a worker on its web volume, same version as last hook, never published', { previous: v('7.14.2') }, false],
    ['a worker switching 7.14.2 → 7.14.3', { previous: v('7.14.2'), run: v('7.14.3') }, true],
    ['a worker going back 7.14.3 → 7.14.2', { previous: v('7.14.3') }, true],
    ['a worker that published before (keeps it current)', { previous: v('7.14.2'), published: true }, true],
    ['a worker whose volume no web shares', { volumeSharedWithWeb: false }, true],
    ['a web, first start', { roles: ['web'] as const }, true],
    ['web and worker (mode=all), first start', { roles: ['web', 'worker'] as const }, true],
  ])('%s → %s', (_, changes, expected) => {
    expect(publishesRunningVersion({ ...base, ...changes })).toBe(expected);
  });
});
