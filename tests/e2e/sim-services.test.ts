// The simulator's systemd running services for real (SimModelOptions.services = 'run'), driven with the tiny shell
// charm (sim/concourse/test-charm.ts): the process gets what systemd.exec(5) says (environment files, User=,
// WorkingDirectory=), its output is in the unit's journal, and stop, kill, is-active and show act on it as
// systemd.kill(5) and systemd.service(5) say. No process outlives its unit or the model.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildTestCharm } from '../../sim/concourse/test-charm';
import { SimModel } from '../../sim/model';
import { processAlive } from '../support/processes';

const APP = 'concourse-ci';
const UNIT = `${APP}/0`;
let work: string;
let sim: SimModel;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sim-services-'));
  sim = await SimModel.create({ charm: await buildTestCharm(join(work, 'test.charm')), services: 'run' });
  await sim.deploy(APP, { units: 2 });
  await sim.settle();
  // The unit's own user, as a charm adds it (useradd writes the unit's /etc only).
  const added = await sh(UNIT, 'useradd --system --home-dir /var/lib/svc --create-home svc');
  expect(added.exitCode).toBe(0);
});
afterAll(async () => {
  await sim?.close();
  await rm(work, { recursive: true, force: true });
});

function sh(unit: string, script: string) {
  return sim.exec(unit, ['sh', '-c', script]);
}

/** Writes /etc/systemd/system/<name>.service with these [Service] lines and its ExecStart script (in the unit's /etc). */
async function install(unit: string, name: string, service: readonly string[], script: string): Promise<void> {
  const body = `[Unit]\nDescription=${name}\n[Service]\nExecStart=/etc/sim-demo/${name}.sh\n${service.join('\n')}\n`;
  const r = await sim.exec(unit, [
    'sh',
    '-c',
    'mkdir -p /etc/sim-demo && printf %s "$1" > /etc/systemd/system/$3.service && printf %s "$2" > /etc/sim-demo/$3.sh && chmod 755 /etc/sim-demo/$3.sh && systemctl daemon-reload',
    'sh',
    body,
    `#!/bin/sh\n${script}\n`,
    name,
  ]);
  expect(r).toMatchObject({ exitCode: 0 });
}

/** Resolves once `check` holds (the test's timeout bounds the wait). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('services: run', () => {
  test('a service with User=, WorkingDirectory=, Environment= and EnvironmentFile= → runs as systemd would start it', async () => {
    await sh(UNIT, `printf '%s\\n' '# settings' 'A="quoted \\$x"' "B='single'" 'C=over' > /etc/env-demo.env`);
    await install(
      UNIT,
      'env-demo',
      [
        'User=svc',
        'WorkingDirectory=/var/lib/svc',
        'Environment=C=first D=kept',
        'EnvironmentFile=/etc/env-demo.env',
        'EnvironmentFile=-/etc/missing.env',
      ],
      'echo "uid=$(id -un) pwd=$(pwd) A=$A B=$B C=$C D=$D HOME=$HOME PATH=$PATH"; exec sleep 600',
    );
    const started = await sh(UNIT, 'systemctl start env-demo && systemctl show -p ActiveState,MainPID env-demo');
    expect(started.exitCode).toBe(0);
    await until(() => sim.serviceJournal(UNIT, 'env-demo').includes('uid='));
    expect(sim.serviceJournal(UNIT, 'env-demo')).toBe(
      'uid=svc pwd=/var/lib/svc A=quoted $x B=single C=over D=kept HOME=/var/lib/svc PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\n',
    );
    const pid = sim.serviceState(UNIT, 'env-demo')?.mainPid ?? 0;
    expect(started.stdout).toBe(`ActiveState=active\nMainPID=${pid}\n`);
    expect(processAlive(pid)).toBe(true);
    // The main process is the exec'd sleep, in its own session: not the test's child, not a hook's.
    expect((await sh(UNIT, 'systemctl stop env-demo; systemctl is-active env-demo')).stdout).toBe('inactive\n');
    expect(processAlive(pid)).toBe(false);
  });

  test('main process exits 0 → inactive; exits 3 → failed with its status', async () => {
    await install(UNIT, 'exit-demo', [], 'read code < /etc/exit-demo.code; exit "$code"');
    await sh(UNIT, 'echo 0 > /etc/exit-demo.code && systemctl start exit-demo');
    await until(() => sim.serviceState(UNIT, 'exit-demo')?.active !== 'active');
    expect(sim.serviceState(UNIT, 'exit-demo')).toMatchObject({ active: 'inactive', mainPid: 0 });
    await sh(UNIT, 'echo 3 > /etc/exit-demo.code && systemctl start exit-demo');
    await until(() => sim.serviceState(UNIT, 'exit-demo')?.active !== 'active');
    expect(sim.serviceState(UNIT, 'exit-demo')).toMatchObject({
      active: 'failed',
      failure: 'code=exited, status=3',
    });
    const probe = await sh(UNIT, 'systemctl is-active exit-demo; systemctl is-failed exit-demo');
    expect(probe.stdout).toBe('failed\nfailed\n');
  });

  test('kill --kill-who=main --signal=SIGUSR1 → only the main process gets it; it exits 0 → inactive', async () => {
    await install(
      UNIT,
      'usr1-demo',
      [],
      'trap "echo got USR1; exit 0" USR1; echo ready; while :; do sleep 1 & wait $!; done',
    );
    await sh(UNIT, 'systemctl start usr1-demo');
    await until(() => sim.serviceJournal(UNIT, 'usr1-demo').includes('ready'));
    const r = await sh(UNIT, 'systemctl kill --kill-who=main --signal=SIGUSR1 usr1-demo');
    expect(r.exitCode).toBe(0);
    await until(() => sim.serviceState(UNIT, 'usr1-demo')?.active !== 'active');
    expect(sim.serviceJournal(UNIT, 'usr1-demo')).toBe('ready\ngot USR1\n');
    expect(sim.serviceState(UNIT, 'usr1-demo')?.active).toBe('inactive');
    const again = await sh(UNIT, 'systemctl kill --kill-who=main --signal=SIGUSR1 usr1-demo');
    expect(again).toMatchObject({
      exitCode: 1,
      stderr: 'Failed to kill unit usr1-demo.service: No main process to kill\n',
    });
  });

  test('stop of a process that ignores SIGTERM → SIGKILL once TimeoutStopSec= passed; failed, result timeout', async () => {
    await install(
      UNIT,
      'stubborn',
      ['TimeoutStopSec=1s'],
      'trap "echo ignored TERM" TERM; echo ready; while :; do sleep 1; done',
    );
    await sh(UNIT, 'systemctl start stubborn');
    await until(() => sim.serviceJournal(UNIT, 'stubborn').includes('ready'));
    const pid = sim.serviceState(UNIT, 'stubborn')?.mainPid ?? 0;
    const stopped = await sh(UNIT, 'systemctl stop stubborn; systemctl is-active stubborn');
    expect(stopped.stdout).toBe('failed\n');
    expect(sim.serviceState(UNIT, 'stubborn')?.failure).toMatch(/timeout/);
    expect(sim.serviceJournal(UNIT, 'stubborn')).toContain('ignored TERM');
    expect(processAlive(pid)).toBe(false);
  });

  test('restart → a new main process; the old one is gone', async () => {
    await install(UNIT, 'restart-demo', [], 'exec sleep 600');
    await sh(UNIT, 'systemctl start restart-demo');
    const first = sim.serviceState(UNIT, 'restart-demo')?.mainPid ?? 0;
    await sh(UNIT, 'systemctl restart restart-demo');
    const second = sim.serviceState(UNIT, 'restart-demo')?.mainPid ?? 0;
    expect(second).not.toBe(first);
    expect([processAlive(first), processAlive(second)]).toEqual([false, true]);
  });

  test('missing EnvironmentFile= → failed without a process, as before', async () => {
    await install(UNIT, 'refused', ['EnvironmentFile=/etc/nowhere.env'], 'exec sleep 600');
    await sh(UNIT, 'systemctl start refused');
    expect(sim.serviceState(UNIT, 'refused')).toMatchObject({
      active: 'failed',
      mainPid: 0,
      failure: 'Failed to load environment files: /etc/nowhere.env',
    });
    expect(sim.serviceJournal(UNIT, 'refused')).toBe('');
  });

  test('remove-unit → its services are killed with it; model close → nothing left', async () => {
    const other = `${APP}/1`;
    await install(other, 'leftover', [], 'sleep 600 & exec sleep 600');
    await sh(other, 'systemctl start leftover');
    const pid = sim.serviceState(other, 'leftover')?.mainPid ?? 0;
    expect(processAlive(pid)).toBe(true);
    await sim.removeUnit(other);
    await sim.settle();
    expect(processAlive(pid)).toBe(false);
    await install(UNIT, 'last', [], 'exec sleep 600');
    await sh(UNIT, 'systemctl start last');
    const pids = sim.runningServicePids();
    expect(pids.length).toBeGreaterThan(0);
    await sim.close();
    expect(pids.filter(processAlive)).toEqual([]);
  });
});
