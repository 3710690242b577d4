import { describe, expect, test } from 'vitest';
import type { RenderedFile } from '../../src/domain/concourse-services';
import {
  type DesiredService,
  fingerprintService,
  fnv1a64,
  planService,
  planSteps,
  type ServiceStep,
} from '../../src/domain/service-plan';

const file = (path: string, content: string, mode = 0o644): RenderedFile => ({
  path,
  content,
  mode,
  owner: 'root',
  group: 'root',
});
const service = (unit: string, env: string, envMode = 0o600): DesiredService => ({
  unitFile: file('/etc/systemd/system/concourse-worker.service', unit),
  envFile: file('/etc/concourse/worker.env', env, envMode),
});

const v1 = service('ExecStart=/v/releases/7.14.2/bin/concourse worker\n', 'CONCOURSE_TSA_HOST="a:2222"\n');
const applied = fingerprintService(v1);
const newVersion = service('ExecStart=/v/releases/7.14.3/bin/concourse worker\n', 'CONCOURSE_TSA_HOST="a:2222"\n');
const newConfig = service('ExecStart=/v/releases/7.14.2/bin/concourse worker\n', 'CONCOURSE_TSA_HOST="b:2222"\n');
const both = service('ExecStart=/v/releases/7.14.3/bin/concourse worker\n', 'CONCOURSE_TSA_HOST="b:2222"\n');
const tighterMode = service(
  'ExecStart=/v/releases/7.14.2/bin/concourse worker\n',
  'CONCOURSE_TSA_HOST="a:2222"\n',
  0o400,
);

describe('planService', () => {
  test.each<[string, DesiredService | undefined, string | undefined, boolean, readonly ServiceStep[]]>([
    ['first install', v1, undefined, false, ['write', 'daemon-reload', 'enable', 'start']],
    ['nothing changed, running', v1, applied, true, []],
    ['nothing changed, stopped or crashed', v1, applied, false, ['enable', 'start']],
    ['new version (unit changed), running', newVersion, applied, true, ['write', 'daemon-reload', 'enable', 'restart']],
    ['new config (env changed), running', newConfig, applied, true, ['write', 'enable', 'restart']],
    ['unit and env changed, running', both, applied, true, ['write', 'daemon-reload', 'enable', 'restart']],
    ['env changed, stopped', newConfig, applied, false, ['write', 'enable', 'start']],
    ['file mode changed only', tighterMode, applied, true, ['write', 'enable', 'restart']],
    [
      'running but nothing remembered (state lost)',
      v1,
      undefined,
      true,
      ['write', 'daemon-reload', 'enable', 'restart'],
    ],
    ['remembered value unreadable', v1, 'garbage', true, ['write', 'daemon-reload', 'enable', 'restart']],
    ['role gone, running', undefined, applied, true, ['stop', 'disable']],
    ['role gone, already stopped', undefined, applied, false, ['stop', 'disable']],
    ['role gone, running but nothing remembered', undefined, undefined, true, ['stop', 'disable']],
    ['role never here', undefined, undefined, false, []],
  ])('%s → %j', (_, desired, appliedBefore, active, steps) => {
    expect(planSteps(planService({ desired, applied: appliedBefore, active }))).toEqual(steps);
  });

  test('any change while running → exactly one restart, never a start as well', () => {
    const plan = planService({ desired: both, applied, active: true });
    expect(plan).toMatchObject({ restart: true, start: false, stop: false });
  });

  test('daemon-reload → ordered before start and restart', () => {
    for (const active of [false, true]) {
      const steps = planSteps(planService({ desired: newVersion, applied, active }));
      const reload = steps.indexOf('daemon-reload');
      const run = steps.indexOf(active ? 'restart' : 'start');
      expect(reload).toBeGreaterThanOrEqual(0);
      expect(reload).toBeLessThan(run);
    }
  });

  test('fingerprint → the one to remember: stable, changes with content, forgotten when the role goes', () => {
    expect(planService({ desired: v1, applied: undefined, active: false }).fingerprint).toBe(applied);
    expect(planService({ desired: v1, applied, active: true }).fingerprint).toBe(applied);
    expect(planService({ desired: newConfig, applied, active: true }).fingerprint).not.toBe(applied);
    expect(planService({ desired: undefined, applied, active: true }).fingerprint).toBeUndefined();
  });

  test('a relation event replayed 100 times with nothing new → no systemd step at all', () => {
    let remembered: string | undefined;
    let active = false;
    const steps: ServiceStep[] = [];
    for (let i = 0; i < 100; i++) {
      const plan = planService({ desired: v1, applied: remembered, active });
      steps.push(...planSteps(plan));
      remembered = plan.fingerprint;
      active = true;
    }
    expect(steps.filter((s) => s === 'restart' || s === 'start')).toEqual(['start']);
  });
});

describe('fingerprint', () => {
  test('secret content → not readable from the fingerprint', () => {
    const secret = service('u', 'CONCOURSE_POSTGRES_PASSWORD="hunter2"\n');
    expect(fingerprintService(secret)).not.toContain('hunter2');
    expect(fingerprintService(secret)).toMatch(/^fnv1a64:[0-9a-f]{16}:[0-9a-f]{16}:[0-9a-f]{16}$/);
  });

  test.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('FNV-1a 64 of %j → the published test vector %s', (text, hash) => {
    expect(fnv1a64(text)).toBe(hash);
  });

  test.each([
    ['é', '0ac21707b7181e01'],
    ['✓', '56844d1b888a64d8'],
    ['😀', 'feff073875020288'],
  ])('non-ASCII %j → hashed as its UTF-8 bytes (%s, from an independent implementation)', (text, hash) => {
    expect(fnv1a64(text)).toBe(hash);
  });
});
