// The real-Juju backend without a controller: its parsing of Juju 3.6's recorded JSON output (fixtures from juju/juju's
// command tests) and the juju/lxc command lines it runs, against a recording stand-in that keeps machines and units.

import { describe, expect, test } from 'vitest';
import {
  EXEC_FAILED_JSON,
  EXEC_OK_JSON,
  RUN_COMPLETED_JSON,
  RUN_FAILED_JSON,
  SHOW_UNIT_JSON,
  STATUS_JSON,
  STORAGE_JSON,
} from './fixtures/juju-3.6-output';
import { type CommandResult, JujuBackend, type Poller, SHARE_SCRIPT } from './juju-backend';
import {
  instanceIds,
  parseActionOutput,
  parseExecOutput,
  parseShowUnitRelationData,
  parseStatus,
  parseStorage,
  unitsOf,
} from './juju-json';

describe('parsing Juju 3.6 output', () => {
  test('juju status → units with workload and agent status, leader, machine; containers of started machines', () => {
    const s = parseStatus(STATUS_JSON);
    expect(s.model.name).toBe('controller');
    const [[name, unit] = ['', undefined]] = unitsOf(s, 'wordpress');
    expect(name).toBe('wordpress/0');
    expect(unit?.['workload-status']).toEqual({
      current: 'error',
      message: 'hook failed: some-relation-changed for mysql:server',
    });
    expect(unit?.['juju-status'].current).toBe('idle');
    expect(unit?.machine).toBe('1');
    expect(unitsOf(s, 'mysql').map(([, u]) => u['juju-status'].current)).toEqual(['allocating']);
    expect(unitsOf(s, 'absent')).toEqual([]);
    // Machine 2 is still pending: no container to put a disk on yet.
    expect(instanceIds(s)).toEqual({ '0': 'controller-0', '1': 'controller-1' });
  });

  test('juju status that is not Juju’s shape → fails naming the field', () => {
    expect(() => parseStatus('{"applications":{}}')).toThrow(/model/);
  });

  test('juju storage → each instance with its kind and attached units; empty output → none', () => {
    expect(parseStorage(STORAGE_JSON)).toEqual([
      { id: 'db-dir/1000', kind: 'block', units: ['transcode/0'] },
      { id: 'db-dir/1100', kind: 'block', units: ['postgresql/0'] },
      { id: 'shared-fs/0', kind: 'filesystem', units: ['transcode/0', 'transcode/1'] },
    ]);
    expect(parseStorage('')).toEqual([]);
  });

  test('juju show-unit → the unit’s own bag on an endpoint (null data read as empty); another unit → error', () => {
    expect(parseShowUnitRelationData(SHOW_UNIT_JSON, 'wordpress/0', 'db')).toEqual({});
    expect(parseShowUnitRelationData(SHOW_UNIT_JSON, 'wordpress/0', 'peers')).toEqual({});
    expect(() => parseShowUnitRelationData(SHOW_UNIT_JSON, 'mysql/0', 'db')).toThrow('no entry for mysql/0');
  });

  test('juju run → the charm’s results without Juju’s stdout/return-code; a failed action with its message', () => {
    expect(parseActionOutput(RUN_COMPLETED_JSON, 'mysql/0')).toEqual({
      status: 'completed',
      results: { outcome: 'success', 'result-map': { message: 'hello' } },
    });
    expect(parseActionOutput(RUN_FAILED_JSON, 'mysql/0')).toEqual({
      status: 'failed',
      message: 'action failed msg',
      results: { outcome: 'fail', 'result-map': { message: "failed :'(" } },
    });
  });

  test('juju exec → return code (absent means 0) and output', () => {
    expect(parseExecOutput(EXEC_OK_JSON, 'mysql/0')).toEqual({ code: 0, stdout: 'bumblebee', stderr: '' });
    expect(parseExecOutput(EXEC_FAILED_JSON, 'mysql/0')).toEqual({ code: 2, stdout: 'megatron', stderr: '' });
  });
});

/** A controller stand-in: add-machine makes started machines, deploy/add-unit put units on them; every call recorded. */
function fakeController(replies: Record<string, CommandResult> = {}) {
  const calls: string[][] = [];
  const machines: string[] = [];
  const units: Array<{ app: string; machine: string }> = [];
  const status = () => ({
    model: { name: 'm' },
    machines: Object.fromEntries(
      machines.map((id) => [id, { 'instance-id': `juju-m-${id}`, 'juju-status': { current: 'started' } }]),
    ),
    applications: Object.fromEntries(
      [...new Set(units.map((u) => u.app))].map((app) => [
        app,
        {
          units: Object.fromEntries(
            units
              .filter((u) => u.app === app)
              .map((u, i) => [
                `${app}/${i}`,
                {
                  machine: u.machine,
                  'workload-status': { current: 'active', message: 'Worker ready (v7.14.2)' },
                  'juju-status': { current: 'idle' },
                },
              ]),
          ),
        },
      ]),
    ),
  });
  const place = (app: string, argv: readonly string[]) => {
    const n = Number(argv[argv.indexOf('-n') + 1]);
    const to = argv.includes('--to') ? (argv[argv.indexOf('--to') + 1] ?? '').split(',') : [];
    for (let i = 0; i < n; i++) {
      const machine = to[i] ?? String(machines.length);
      if (!machines.includes(machine)) machines.push(machine);
      units.push({ app, machine });
    }
  };
  const run = async (program: string, argv: readonly string[]): Promise<CommandResult> => {
    calls.push([program, ...argv]);
    const reply = replies[argv[0] ?? ''];
    if (reply !== undefined) return reply;
    if (program !== 'juju') return { code: 0, stdout: '', stderr: '' };
    if (argv[0] === 'status') return { code: 0, stdout: JSON.stringify(status()), stderr: '' };
    if (argv[0] === 'add-machine') {
      const n = Number(argv[argv.indexOf('-n') + 1]);
      for (let i = 0; i < n; i++) machines.push(String(machines.length));
    }
    if (argv[0] === 'deploy') place(argv[4] ?? '', argv);
    if (argv[0] === 'add-unit') place(argv[3] ?? '', argv);
    return { code: 0, stdout: '', stderr: '' };
  };
  return { calls, run };
}

/** Polls without pausing, a bounded number of times: the stand-in's state never changes between polls. */
const immediatePoller: Poller = async (check, _deadline, what) => {
  for (let i = 0; i < 3; i++) if (await check()) return;
  throw new Error(`gave up: ${what()}`);
};

function backend(replies: Record<string, CommandResult> = {}) {
  const fake = fakeController(replies);
  const b = new JujuBackend({
    charm: './concourse-ci-machine_amd64.charm',
    volumesRoot: '/srv/scenarios',
    model: 'scen',
    run: fake.run,
    poll: immediatePoller,
  });
  return { b, calls: fake.calls };
}

describe('commands the real-Juju backend runs', () => {
  test('shared volume, then deploy → machines added, the disk put on them, then deploy --to those machines', async () => {
    const { b, calls } = backend();
    await b.shareVolume('concourse-ci');
    await b.deploy('concourse-ci', { units: 2, config: { mode: 'auto', version: '7.14.2' } });
    const changing = calls.filter(([p, verb]) => p !== 'juju' || verb !== 'status');
    expect(changing).toEqual([
      ['juju', 'add-machine', '-m', 'scen', '-n', '2', '--base', 'ubuntu@24.04'],
      [SHARE_SCRIPT, '-m', 'scen', 'concourse-ci', '/srv/scenarios/scen/concourse-shared', '0', '1'],
      [
        'juju',
        'deploy',
        '-m',
        'scen',
        './concourse-ci-machine_amd64.charm',
        'concourse-ci',
        '-n',
        '2',
        '--config',
        'mode=auto',
        '--config',
        'version=7.14.2',
        '--to',
        '0,1',
      ],
    ]);
    expect(calls.filter(([, verb]) => verb === 'status').every((c) => c.includes('--format=json'))).toBe(true);
  });

  test('add-unit on a shared application → a new machine with the disk, the unit placed on it; its name returned', async () => {
    const { b, calls } = backend();
    await b.shareVolume('concourse-ci', 'vol');
    await b.deploy('concourse-ci', { units: 1, config: {} });
    expect(await b.addUnit('concourse-ci', 1)).toEqual(['concourse-ci/1']);
    const tail = calls.filter(([p, verb]) => p !== 'juju' || verb !== 'status').slice(-3);
    expect(tail).toEqual([
      ['juju', 'add-machine', '-m', 'scen', '-n', '1', '--base', 'ubuntu@24.04'],
      [SHARE_SCRIPT, '-m', 'scen', 'concourse-ci', '/srv/scenarios/scen/vol', '1'],
      ['juju', 'add-unit', '-m', 'scen', 'concourse-ci', '-n', '1', '--to', '1'],
    ]);
  });

  test('without a shared volume → plain deploy and add-unit, no machines, no lxc', async () => {
    const { b, calls } = backend();
    await b.deploy('web', { units: 1, config: { mode: 'web' } });
    await b.addUnit('web', 2);
    expect(calls.filter(([p, verb]) => p !== 'juju' || verb !== 'status')).toEqual([
      ['juju', 'deploy', '-m', 'scen', './concourse-ci-machine_amd64.charm', 'web', '-n', '1', '--config', 'mode=web'],
      ['juju', 'add-unit', '-m', 'scen', 'web', '-n', '2'],
    ]);
  });

  test('shareVolume after deploy → the script for the application’s own machines; unshare → lxc removes its disk', async () => {
    const { b, calls } = backend();
    await b.deploy('concourse-ci', { units: 2, config: {} });
    await b.shareVolume('concourse-ci');
    await b.unshareVolume('concourse-ci/1');
    expect(calls.filter(([p]) => p !== 'juju')).toEqual([
      [SHARE_SCRIPT, '-m', 'scen', 'concourse-ci', '/srv/scenarios/scen/concourse-shared'],
      ['lxc', 'config', 'device', 'remove', 'juju-m-1', 'concourse-data'],
    ]);
  });

  test('run, exec, config, integrate, deploy postgresql, remove-unit, show-unit, storage, debug-log → Juju’s argv with the model', async () => {
    const { b, calls } = backend({
      run: { code: 1, stdout: RUN_FAILED_JSON, stderr: 'ERROR the following task failed' },
      exec: { code: 0, stdout: EXEC_OK_JSON, stderr: '' },
      'show-unit': { code: 0, stdout: SHOW_UNIT_JSON, stderr: '' },
      storage: { code: 0, stdout: STORAGE_JSON, stderr: '' },
      'debug-log': { code: 0, stdout: 'unit-a-0: 10:00:00 INFO unit.a/0.juju-log x\n\n', stderr: '' },
    });
    // A failed action is an outcome, not an error.
    expect((await b.run('mysql/0', 'upgrade', { version: '7.14.3', verify: true })).status).toBe('failed');
    expect((await b.exec('mysql/0', ['cat', '/var/lib/concourse/.volume-id'])).stdout).toBe('bumblebee');
    await b.config('web', { version: '7.14.3' });
    await b.integrate('worker:flight', 'web:tsa');
    await b.deployPostgres();
    await b.removeUnit('web/1');
    expect(await b.unitRelationData('wordpress/0', 'db')).toEqual({});
    expect(await b.storage()).toHaveLength(3);
    expect(await b.debugLog()).toEqual(['unit-a-0: 10:00:00 INFO unit.a/0.juju-log x']);
    expect(calls).toEqual([
      [
        'juju',
        'run',
        '-m',
        'scen',
        'mysql/0',
        'upgrade',
        'version=7.14.3',
        'verify=true',
        '--format=json',
        '--wait=10m',
      ],
      [
        'juju',
        'exec',
        '-m',
        'scen',
        '--unit',
        'mysql/0',
        '--format=json',
        '--wait=10m',
        '--',
        'cat',
        '/var/lib/concourse/.volume-id',
      ],
      ['juju', 'config', '-m', 'scen', 'web', 'version=7.14.3'],
      ['juju', 'integrate', '-m', 'scen', 'worker:flight', 'web:tsa'],
      ['juju', 'deploy', '-m', 'scen', 'postgresql', '--channel', '16/stable'],
      ['juju', 'remove-unit', '-m', 'scen', 'web/1', '--no-prompt'],
      ['juju', 'show-unit', '-m', 'scen', 'wordpress/0', '--format=json'],
      ['juju', 'storage', '-m', 'scen', '--format=json'],
      ['juju', 'debug-log', '-m', 'scen', '--replay', '--no-tail', '--level', 'INFO'],
    ]);
  });

  test('juju refuses a command → an error naming the command and Juju’s message', async () => {
    const { b } = backend({ config: { code: 1, stdout: '', stderr: 'ERROR unknown option "x"\n' } });
    await expect(b.config('web', { x: 1 })).rejects.toThrow(
      'juju config -m scen web x=1 exited 1: ERROR unknown option "x"',
    );
  });

  test('waitFor → returns the status once every agent is idle and the condition holds; never → names what', async () => {
    const { b } = backend();
    await b.deploy('concourse-ci', { units: 1, config: {} });
    const s = await b.waitFor('one unit', (st) => unitsOf(st, 'concourse-ci').length === 1);
    expect(unitsOf(s, 'concourse-ci')[0]?.[0]).toBe('concourse-ci/0');
    await expect(b.waitFor('two units', (st) => unitsOf(st, 'concourse-ci').length === 2)).rejects.toThrow(
      /gave up: two units/,
    );
  });

  test('close → the model destroyed with its storage, without a prompt', async () => {
    const { b, calls } = backend();
    await b.close();
    expect(calls).toEqual([
      ['juju', 'destroy-model', 'scen', '--no-prompt', '--destroy-storage', '--force', '--no-wait'],
    ]);
  });
});
