import { describe, expect, test } from 'vitest';
import type { RenderedFile } from '../../src/domain/concourse-services';
import {
  type DesiredService,
  fingerprintService,
  fnv1a64,
  planService,
  planSteps,
  type ServiceStep,
  serviceFiles,
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

describe('restart and reload files', () => {
  const keyFile = (name: string, content: string, mode = 0o640): RenderedFile => ({
    path: `/etc/concourse/keys/${name}`,
    content,
    mode,
    owner: 'root',
    group: 'concourse',
  });
  const web = (opts: { unit?: string; signing?: string; hostKey?: string; workers?: string; workersMode?: number }) =>
    ({
      unitFile: file('/etc/systemd/system/concourse-web.service', opts.unit ?? 'ExecStart=/v/7.14.2/concourse web\n'),
      envFile: file('/etc/concourse/web.env', 'CONCOURSE_BIND_PORT="8080"\n', 0o640),
      restartFiles: [
        keyFile('session_signing_key', opts.signing ?? 'signing-1'),
        keyFile('tsa_host_key', opts.hostKey ?? 'host-1'),
      ],
      reloadFiles: [keyFile('authorized_worker_keys', opts.workers ?? 'ssh-rsa AAAA w0\n', opts.workersMode)],
    }) satisfies DesiredService;

  const webApplied = fingerprintService(web({}));
  const workerJoined = web({ workers: 'ssh-rsa AAAA w0\nssh-rsa BBBB w1\n' });

  test.each<[string, DesiredService, boolean, readonly ServiceStep[]]>([
    ['worker key added, running → reload only', workerJoined, true, ['write', 'reload']],
    [
      'worker key added, stopped → start (a start reads the file anyway)',
      workerJoined,
      false,
      ['write', 'enable', 'start'],
    ],
    ['reload-file mode changed, running → reload only', web({ workersMode: 0o600 }), true, ['write', 'reload']],
    ['session key changed, running → restart', web({ signing: 'signing-2' }), true, ['write', 'enable', 'restart']],
    ['TSA host key changed, running → restart', web({ hostKey: 'host-2' }), true, ['write', 'enable', 'restart']],
    ['session key changed, stopped → start', web({ signing: 'signing-2' }), false, ['write', 'enable', 'start']],
    [
      'restart file and reload file changed, running → one restart, no reload',
      web({ signing: 'signing-2', workers: 'ssh-rsa BBBB w1\n' }),
      true,
      ['write', 'enable', 'restart'],
    ],
    [
      'unit file and reload file changed, running → restart, no reload',
      web({ unit: 'ExecStart=/v/7.14.3/concourse web\n', workers: '' }),
      true,
      ['write', 'daemon-reload', 'enable', 'restart'],
    ],
    ['nothing changed, running → nothing', web({}), true, []],
  ])('%s → %j', (_, desired, active, steps) => {
    expect(planSteps(planService({ desired, applied: webApplied, active }))).toEqual(steps);
  });

  test('reload-file change on a running service → reload set, restart and start not', () => {
    expect(planService({ desired: workerJoined, applied: webApplied, active: true })).toMatchObject({
      write: true,
      daemonReload: false,
      enable: false,
      start: false,
      restart: false,
      reload: true,
    });
  });

  test('reload-file change → a fingerprint that, remembered, makes the next hook do nothing', () => {
    const plan = planService({ desired: workerJoined, applied: webApplied, active: true });
    expect(plan.fingerprint).not.toBe(webApplied);
    expect(plan.fingerprint).toBe(fingerprintService(workerJoined));
    expect(planSteps(planService({ desired: workerJoined, applied: plan.fingerprint, active: true }))).toEqual([]);
  });

  test('fingerprint → three parts: unit, restart files (env included), reload files; each moves alone', () => {
    const parts = (d: DesiredService) => fingerprintService(d).split(':');
    const before = parts(web({}));
    expect(before).toHaveLength(4);
    expect(before[0]).toBe('fnv1a64');
    const unit = parts(web({ unit: 'ExecStart=/v/7.14.3/concourse web\n' }));
    const restart = parts(web({ hostKey: 'host-2' }));
    const reload = parts(workerJoined);
    expect([unit[1] !== before[1], unit[2] === before[2], unit[3] === before[3]]).toEqual([true, true, true]);
    expect([restart[1] === before[1], restart[2] !== before[2], restart[3] === before[3]]).toEqual([true, true, true]);
    expect([reload[1] === before[1], reload[2] === before[2], reload[3] !== before[3]]).toEqual([true, true, true]);
  });

  test('a file moved from reload to restart files → counts as a restart-file change', () => {
    const d = web({});
    const moved: DesiredService = {
      ...d,
      restartFiles: [...(d.restartFiles ?? []), ...(d.reloadFiles ?? [])],
      reloadFiles: [],
    };
    expect(planSteps(planService({ desired: moved, applied: webApplied, active: true }))).toContain('restart');
  });

  test('no restart or reload files given, or empty lists → the same fingerprint', () => {
    expect(fingerprintService({ ...v1, restartFiles: [], reloadFiles: [] })).toBe(fingerprintService(v1));
  });

  test('an old two-part fingerprint of the very same files → nothing applied: everything redone', () => {
    const [, unit, env] = fingerprintService(v1).split(':');
    const twoPart = `fnv1a64:${unit}:${env}`;
    expect(planSteps(planService({ desired: v1, applied: twoPart, active: true }))).toEqual([
      'write',
      'daemon-reload',
      'enable',
      'restart',
    ]);
    expect(planSteps(planService({ desired: v1, applied: twoPart, active: false }))).toEqual([
      'write',
      'daemon-reload',
      'enable',
      'start',
    ]);
  });

  test.each([
    ['upper-case hex', (f: string) => f.toUpperCase()],
    ['a fourth part', (f: string) => `${f}:0000000000000000`],
    ['another algorithm', (f: string) => f.replace('fnv1a64', 'sha256')],
    ['a short part', (f: string) => f.slice(0, -1)],
  ])('remembered fingerprint with %s → unreadable, everything redone', (_, mangle) => {
    const steps = planSteps(planService({ desired: v1, applied: mangle(applied), active: true }));
    expect(steps).toEqual(['write', 'daemon-reload', 'enable', 'restart']);
  });

  test('worker keys changing on every hook → reloads, never a restart or a second start', () => {
    let remembered: string | undefined;
    let active = false;
    const steps: ServiceStep[] = [];
    for (let i = 0; i < 20; i++) {
      const plan = planService({ desired: web({ workers: `ssh-rsa AAAA w${i}\n` }), applied: remembered, active });
      steps.push(...planSteps(plan));
      remembered = plan.fingerprint;
      active = true;
    }
    expect(steps.filter((s) => s === 'start' || s === 'restart' || s === 'reload')).toEqual([
      'start',
      ...Array<ServiceStep>(19).fill('reload'),
    ]);
  });

  test('every step set → the fixed order, reload between restart and stop', () => {
    const steps = planSteps({
      write: true,
      daemonReload: true,
      enable: true,
      start: true,
      restart: true,
      reload: true,
      stop: true,
      disable: true,
      fingerprint: undefined,
    });
    expect(steps).toEqual(['write', 'daemon-reload', 'enable', 'start', 'restart', 'reload', 'stop', 'disable']);
  });
});

describe('serviceFiles', () => {
  test('restart files, reload files, env file, unit file last (it names the others)', () => {
    const a = file('/etc/concourse/keys/a', 'a');
    const b = file('/etc/concourse/keys/b', 'b');
    const c = file('/etc/concourse/keys/c', 'c');
    const d: DesiredService = { ...v1, restartFiles: [a, b], reloadFiles: [c] };
    expect(serviceFiles(d).map((f) => f.path)).toEqual([
      '/etc/concourse/keys/a',
      '/etc/concourse/keys/b',
      '/etc/concourse/keys/c',
      '/etc/concourse/worker.env',
      '/etc/systemd/system/concourse-worker.service',
    ]);
  });

  test('no extra files → env file then unit file', () => {
    expect(serviceFiles(v1)).toEqual([v1.envFile, v1.unitFile]);
  });
});
