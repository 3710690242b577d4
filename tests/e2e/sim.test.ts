// The simulated Juju model itself, driven with a tiny shell charm (sim/concourse/test-charm.ts), not the real one: unit
// isolation, Juju's hook order and transactions, the hook tools' refusals, actions, leadership, concurrency, systemctl.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { BindVolume } from '../../sim/bind-volume';
import { buildTestCharm } from '../../sim/concourse/test-charm';
import { SimModel } from '../../sim/model';
import { TmpfsVolume } from '../../sim/tmpfs-volume';

const APP = 'concourse-ci';
let work: string;
let charm: string;
const open: SimModel[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sim-test-'));
  charm = await buildTestCharm(join(work, 'test.charm'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function model(extraEnv: Record<string, string> = {}): Promise<SimModel> {
  const sim = await SimModel.create({ charm, extraEnv });
  open.push(sim);
  return sim;
}

async function deployed(units: number, extraEnv: Record<string, string> = {}): Promise<SimModel> {
  const sim = await model(extraEnv);
  await sim.deploy(APP, { units });
  await sim.settle();
  return sim;
}

interface Ran {
  readonly unit: string;
  readonly path: string;
  readonly remote: string;
  readonly start: bigint;
  readonly end: bigint;
}

/** What the test charm recorded on the shared volume, one line per hook. */
function ran(sim: SimModel, unit?: string): Ran[] {
  const anyUnit = sim.status().units[0]?.name ?? `${APP}/0`;
  const text = readFileSync(join(sim.volumeHostPath(anyUnit), 'events.log'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [u = '', path = '', remote = '', start = '0', end = '0'] = line.split(' ');
      return { unit: u, path, remote, start: BigInt(start), end: BigInt(end) };
    })
    .filter((e) => unit === undefined || e.unit === unit);
}

async function sh(sim: SimModel, unit: string, script: string) {
  return sim.exec(unit, ['sh', '-c', script]);
}

describe('deploy', () => {
  test('3 units → Juju 3 hook order on each, first unit leader, peers joined both ways', async () => {
    const sim = await deployed(3);
    for (const n of [0, 1, 2]) {
      const paths = ran(sim, `${APP}/${n}`).map((e) => `${e.path} ${e.remote}`);
      // concourse-data is optional (minimum 0): no storage is created, so no storage-attached hook.
      expect(paths.slice(0, 5)).toEqual([
        'hooks/install -',
        'hooks/peers-relation-created -',
        n === 0 ? 'hooks/leader-elected -' : 'hooks/leader-settings-changed -',
        'hooks/config-changed -',
        'hooks/start -',
      ]);
      const others = [0, 1, 2].filter((m) => m !== n).map((m) => `${APP}/${m}`);
      for (const other of others) {
        const joined = paths.indexOf(`hooks/peers-relation-joined ${other}`);
        expect(joined).toBeGreaterThan(4);
        expect(paths.indexOf(`hooks/peers-relation-changed ${other}`)).toBeGreaterThan(joined);
      }
    }
    expect(sim.status().units.map((u) => [u.name, u.leader, u.agent])).toEqual([
      [`${APP}/0`, true, 'idle'],
      [`${APP}/1`, false, 'idle'],
      [`${APP}/2`, false, 'idle'],
    ]);
    expect((await sh(sim, `${APP}/2`, 'relation-list -r peers:0 --format=json')).stdout).toBe(
      `["${APP}/0","${APP}/1"]\n`,
    );
  });

  test('status table → juju status columns, leader starred, charm status and ports', async () => {
    const sim = await deployed(2, {
      SIM_HOOK_start:
        'status-set active -- "Ready on $(unit-get private-address)"; application-version-set 7.14.2; open-port 8080',
    });
    const table = sim.formatStatus();
    expect(table).toMatch(/^App\s+Version\s+Status\s+Scale\s+Charm\s+Message$/m);
    expect(table).toMatch(/^concourse-ci\s+7\.14\.2\s+active\s+2\s+concourse-ci-machine\s+Ready on 127\.0\.1\.\d$/m);
    expect(table).toMatch(/^Unit\s+Workload\s+Agent\s+Machine\s+Address\s+Ports\s+Message$/m);
    expect(table).toMatch(
      /^concourse-ci\/0\*\s+active\s+idle\s+0\s+127\.0\.1\.1\s+8080\/tcp\s+Ready on 127\.0\.1\.1$/m,
    );
    expect(table).toMatch(/^concourse-ci\/1\s+active\s+idle\s+1\s+127\.0\.1\.2\s+8080\/tcp\s+Ready on 127\.0\.1\.2$/m);
    expect(sim.status().units[1]).toMatchObject({ workloadVersion: '7.14.2', ports: ['8080/tcp'] });
  });
});

describe('units are machines', () => {
  test('/etc, /run and the worker dir → private per unit; the volume → common to all', async () => {
    const sim = await deployed(2, {
      SIM_HOOK_install: [
        'echo "$JUJU_UNIT_NAME" > /etc/sim-owner',
        'echo "$JUJU_UNIT_NAME" > /run/sim-owner',
        'echo "$JUJU_UNIT_NAME" > /var/lib/concourse-worker/sim-owner',
        'touch "/var/lib/concourse/seen-$(hostname)"',
      ].join('\n'),
    });
    expect(existsSync('/etc/sim-owner')).toBe(false);
    for (const unit of [`${APP}/0`, `${APP}/1`]) {
      const inside = await sh(sim, unit, 'cat /etc/sim-owner /run/sim-owner /var/lib/concourse-worker/sim-owner');
      expect(inside.stdout).toBe(`${unit}\n${unit}\n${unit}\n`);
      expect(readFileSync(sim.unitPath(unit, '/etc/sim-owner'), 'utf8')).toBe(`${unit}\n`);
    }
    const seen = await sh(sim, `${APP}/1`, 'ls /var/lib/concourse | grep seen- | wc -l; hostname');
    expect(seen.stdout).toMatch(/^2\njuju-[0-9a-f]{6}-1\n$/);
  });

  test('hooks of two units → run at the same time; hooks of one unit → never overlap', async () => {
    // Each install waits (with a deadline) until both have started: it passes only if they really overlap.
    const sim = await deployed(2, {
      SIM_HOOK_install: [
        'touch "/var/lib/concourse/started-$(hostname)"',
        'deadline=$(( $(date +%s) + 30 ))',
        'until [ "$(ls /var/lib/concourse | grep -c started-)" -ge 2 ]; do',
        '  [ "$(date +%s)" -lt "$deadline" ] || exit 1',
        '  sleep 0.05',
        'done',
      ].join('\n'),
    });
    const installs = ran(sim).filter((e) => e.path === 'hooks/install');
    expect(installs).toHaveLength(2);
    const [a, b] = installs;
    expect(a && b && a.start < b.end && b.start < a.end).toBe(true);
    for (const unit of [`${APP}/0`, `${APP}/1`]) {
      const mine = ran(sim, unit);
      for (let i = 1; i < mine.length; i++) expect(mine[i]?.start ?? 0n).toBeGreaterThanOrEqual(mine[i - 1]?.end ?? 0n);
    }
  });
});

describe('relation data', () => {
  test('relation-set in a failing hook → discarded, unit in error; retried fixed → committed, peer gets relation-changed', async () => {
    const sim = await deployed(2);
    const write = {
      SIM_HOOK_update_status:
        'status-set waiting -- "writing"; relation-set -r peers:0 --file - <<EOF\n{"k": "v"}\nEOF',
    };
    const failed = await sim.runHook(`${APP}/1`, 'update-status', {
      env: { ...write, SIM_FAIL_HOOK: 'update-status' },
    });
    expect(failed.exitCode).toBe(1);
    expect(sim.relationData('peers:0', `${APP}/1`).k).toBeUndefined();
    const unit1 = sim.status().units[1];
    expect(unit1).toMatchObject({ agent: 'error', agentMessage: 'hook failed: "update-status"' });
    // status-set is immediate in Juju: kept although the hook failed.
    expect(unit1?.workload).toEqual({ kind: 'waiting', message: 'writing' });
    expect(sim.formatStatus()).toMatch(/^concourse-ci\/1\s+error\s+idle\s+.*hook failed: "update-status"$/m);
    expect(sim.pendingEvents()).toEqual({ [`${APP}/1`]: ['(failed) update-status'] });

    await sim.resolve(`${APP}/1`, { retry: false });
    const ok = await sim.runHook(`${APP}/1`, 'update-status', { env: write });
    expect(ok.exitCode).toBe(0);
    expect(sim.relationData('peers:0', `${APP}/1`).k).toBe('v');
    expect(sim.pendingEvents()).toEqual({ [`${APP}/0`]: [`${APP}/0 peers-relation-changed (remote ${APP}/1)`] });
    await sim.settle();
    expect(ran(sim, `${APP}/0`).at(-1)).toMatchObject({ path: 'hooks/peers-relation-changed', remote: `${APP}/1` });
  });

  test('app data → only the leader writes it; non-leaders read their own app bag on a peer relation only', async () => {
    const sim = await deployed(2);
    const refused = await sh(sim, `${APP}/1`, 'relation-set -r peers:0 --app owner=me');
    expect(refused).toMatchObject({ exitCode: 1, stderr: 'ERROR cannot write relation settings\n' });
    const written = await sh(sim, `${APP}/0`, 'relation-set -r peers:0 --app owner=leader');
    expect(written.exitCode).toBe(0);
    expect(sim.relationData('peers:0', APP)).toEqual({ owner: 'leader' });
    await sim.settle();
    const read = await sh(sim, `${APP}/1`, `relation-get --format=json -r peers:0 - ${APP} --app`);
    expect(read.stdout).toBe('{"owner":"leader"}\n');
    const unknown = await sh(sim, `${APP}/1`, 'relation-get -r peers:9 - concourse-ci/0');
    expect(unknown).toMatchObject({
      exitCode: 2,
      stderr: 'ERROR invalid value "peers:9" for option -r: relation not found\n',
    });
    const appStatus = await sh(sim, `${APP}/1`, 'status-set --application active -- nope');
    expect(appStatus).toMatchObject({ exitCode: 1, stderr: 'ERROR this unit is not the leader\n' });
  });

  test('non-leader on a regular relation → its own app bag is refused; stand-in data → relation-changed', async () => {
    const sim = await deployed(2);
    await sim.deployStub('db', { endpoints: { database: { interface: 'postgresql_client', role: 'provides' } } });
    await expect(sim.integrate(`${APP}:tsa`, 'db:database')).rejects.toThrow(/no relations found/);
    const id = await sim.integrate(`${APP}:postgresql`, 'db:database');
    expect(id).toMatch(/^postgresql:\d+$/);
    await sim.settle();
    await sim.setRelationData(id, 'db', { endpoints: 'db.example:5432' });
    expect(sim.pendingEvents()[`${APP}/1`]).toEqual([`${APP}/1 postgresql-relation-changed (remote db)`]);
    await sim.settle();
    const denied = await sh(sim, `${APP}/1`, `relation-get -r ${id} --app - ${APP}`);
    expect(denied).toMatchObject({ exitCode: 1, stderr: 'ERROR permission denied\n' });
    const remote = await sh(sim, `${APP}/1`, `relation-get --format=json -r ${id} --app - db; relation-list -r ${id}`);
    expect(remote.stdout).toBe('{"endpoints":"db.example:5432"}\ndb/0\n');
  });
});

describe('config', () => {
  test('config-get → config.yaml defaults merged with what was set; unknown key → refused', async () => {
    const sim = await model();
    await sim.deploy(APP, { units: 1, config: { version: '7.14.2', 'web-port': '9090' } });
    await sim.settle();
    const got = JSON.parse((await sh(sim, `${APP}/0`, 'config-get --format=json')).stdout);
    expect(got).toMatchObject({ mode: 'auto', version: '7.14.2', 'web-port': 9090, 'keep-releases': 2 });
    expect((await sh(sim, `${APP}/0`, 'config-get mode')).stdout).toBe('auto\n');
    await expect(sim.config(APP, { 'no-such-option': 'x' })).rejects.toThrow('unknown option "no-such-option"');
    await expect(sim.config(APP, { 'web-port': 'abc' })).rejects.toThrow('option "web-port" expected int, got "abc"');
    await sim.config(APP, { 'web-port': null, mode: 'all' });
    expect(sim.pendingEvents()).toEqual({ [`${APP}/0`]: [`${APP}/0 config-changed`] });
    await sim.settle();
    const after = JSON.parse((await sh(sim, `${APP}/0`, 'config-get --format=json')).stdout);
    expect(after).toMatchObject({ mode: 'all', 'web-port': 8080 });
  });
});

describe('actions', () => {
  test('params → checked against actions.yaml (types, unknown keys, defaults); results from action-set', async () => {
    const sim = await deployed(1, {
      SIM_ACTION_storage_status:
        'action-log checking; action-set releases.v7-14-2.state=published lock.held=false verify="$(action-get verify)"',
      SIM_ACTION_upgrade: 'action-fail -- "Invalid version parameter: $(action-get version)"',
    });
    await expect(sim.runAction(`${APP}/0`, 'storage-status', { verify: 'yes' })).rejects.toThrow(
      /validation failed: \(root\)\.verify : invalid type\. Expected: boolean, given: string/,
    );
    await expect(sim.runAction(`${APP}/0`, 'storage-status', { bogus: 1 })).rejects.toThrow(
      /additional property "bogus" is not allowed/,
    );
    await expect(sim.runAction(`${APP}/0`, 'no-such-action')).rejects.toThrow(/action "no-such-action" not defined/);
    const ok = await sim.runAction(`${APP}/0`, 'storage-status');
    expect(ok).toMatchObject({
      status: 'completed',
      results: { releases: { 'v7-14-2': { state: 'published' } }, lock: { held: 'false' }, verify: 'False' },
      log: ['checking'],
    });
    const failed = await sim.runAction(`${APP}/0`, 'upgrade', { version: '7.14.3; reboot' });
    expect(failed).toMatchObject({ status: 'failed', message: 'Invalid version parameter: 7.14.3; reboot' });
    const outside = await sh(sim, `${APP}/0`, 'action-get');
    expect(outside).toMatchObject({ exitCode: 1, stderr: 'ERROR not running an action\n' });
  });
});

describe('leadership and removal', () => {
  test('leader change → leader-elected on the new leader; the others, the deposed leader too, run no hook', async () => {
    const sim = await deployed(3);
    const before = ran(sim).length;
    await sim.setLeader(`${APP}/1`);
    await sim.settle();
    const after = ran(sim)
      .slice(before)
      .map((e) => `${e.unit} ${e.path}`);
    expect(after.sort()).toEqual([`${APP}/1 hooks/leader-elected`]);
    expect((await sh(sim, `${APP}/1`, 'is-leader --format=json')).stdout).toBe('true\n');
    expect((await sh(sim, `${APP}/0`, 'is-leader')).stdout).toBe('False\n');
  });

  test('leader removed → departed on peers, broken and remove on it, a new leader elected', async () => {
    const sim = await deployed(3);
    const before = ran(sim).length;
    await sim.removeUnit(`${APP}/0`);
    await sim.settle();
    const after = ran(sim).slice(before);
    expect(after.filter((e) => e.unit === `${APP}/0`).map((e) => `${e.path} ${e.remote}`)).toEqual([
      `hooks/peers-relation-departed ${APP}/1`,
      `hooks/peers-relation-departed ${APP}/2`,
      'hooks/peers-relation-broken -',
      'hooks/stop -',
      'hooks/remove -',
    ]);
    expect(after.filter((e) => e.unit === `${APP}/2`).map((e) => `${e.path} ${e.remote}`)).toEqual([
      `hooks/peers-relation-departed ${APP}/0`,
    ]);
    expect(after.filter((e) => e.unit === `${APP}/1`).map((e) => e.path)).toContain('hooks/leader-elected');
    expect(sim.status().units.map((u) => [u.name, u.leader])).toEqual([
      [`${APP}/1`, true],
      [`${APP}/2`, false],
    ]);
    expect((await sh(sim, `${APP}/2`, 'relation-list -r peers:0')).stdout).toBe(`${APP}/1\n`);
  });
});

describe('hook tools', () => {
  test('storage-get → needs -s outside storage hooks; resource-get → fails until a resource is attached', async () => {
    const sim = await model();
    await sim.deploy(APP, { units: 1, storage: { 'concourse-data': 'rootfs' } });
    await sim.settle();
    const noId = await sh(sim, `${APP}/0`, 'storage-get location');
    expect(noId).toMatchObject({ exitCode: 2, stderr: 'ERROR no storage instance specified\n' });
    const withId = await sh(sim, `${APP}/0`, 'storage-get --format=json -s "$(storage-list concourse-data)" location');
    expect(withId.stdout).toBe('"/var/lib/concourse"\n');
    const missing = await sh(sim, `${APP}/0`, 'resource-get concourse-release');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(
      /^ERROR could not download resource: .*resource#concourse-ci\/concourse-release not found\n$/,
    );
    const file = join(work, 'concourse.tgz');
    await writeFile(file, 'tarball');
    await sim.attachResource(APP, 'concourse-release', file);
    const got = await sh(sim, `${APP}/0`, 'cat "$(resource-get concourse-release)"');
    expect(got.stdout).toBe('tarball');
  });

  test('secrets → owner adds and reads; a consumer reads only what was granted; unknown id → not found', async () => {
    const sim = await deployed(2);
    await sim.deployStub('db', { endpoints: { database: { interface: 'postgresql_client', role: 'provides' } } });
    const rel = await sim.integrate(`${APP}:postgresql`, 'db:database');
    await sim.settle();
    const nonLeader = await sh(sim, `${APP}/1`, 'secret-add token=abc');
    expect(nonLeader).toMatchObject({ exitCode: 1, stderr: 'ERROR this unit is not the leader\n' });
    const added = await sh(
      sim,
      `${APP}/0`,
      'uri=$(secret-add --label admin password=s3cret) && secret-get "$uri" password',
    );
    expect(added).toMatchObject({ exitCode: 0, stdout: 's3cret\n' });
    const uri = await sim.addSecret('db', { username: 'u1', password: 'p1' });
    const before = await sh(sim, `${APP}/1`, `secret-get --format=json ${uri}`);
    expect(before).toMatchObject({ exitCode: 1, stderr: 'ERROR permission denied\n' });
    await sim.grantSecret(uri, rel);
    const granted = await sh(sim, `${APP}/1`, `secret-get --format=json ${uri}`);
    expect(JSON.parse(granted.stdout)).toEqual({ username: 'u1', password: 'p1' });
    await sim.updateSecret(uri, { username: 'u1', password: 'p2' });
    expect(sim.pendingEvents()[`${APP}/1`]).toEqual([`${APP}/1 secret-changed`]);
    const tracked = await sh(sim, `${APP}/1`, `secret-get ${uri} password; secret-get --refresh ${uri} password`);
    expect(tracked.stdout).toBe('p1\np2\n');
    const gone = await sh(sim, `${APP}/1`, 'secret-get secret:0123456789abcdefghij');
    expect(gone.stderr).toBe('ERROR secret "secret:0123456789abcdefghij" not found\n');
  });

  test('user secrets → juju add/grant/revoke/update-secret as an operator runs them; config type secret checked as juju config does', async () => {
    const sim = await deployed(2);
    await sim.deploy('other', { units: 1 });
    await sim.settle();
    const uri = await sim.addUserSecret('oidc', { 'client-secret': 'v1' });
    expect(uri).toMatch(/^secret:[0-9a-v]{20}$/);
    await expect(sim.addUserSecret('oidc', { x: 'y' })).rejects.toThrow('secret with name "oidc" already exists');
    expect(sim.secrets().find((s) => s.uri === uri)).toMatchObject({ owner: 'model', name: 'oidc', grants: [] });

    // juju config checks only that the value parses as a secret URI (bare id and secret://<uuid>/<id> too).
    await expect(sim.config(APP, { 'oidc-client-secret': 'hunter2' })).rejects.toThrow(
      'invalid secret URI for option "oidc-client-secret": secret URI "hunter2" not valid',
    );
    await sim.config(APP, { 'oidc-client-secret': uri.slice('secret:'.length) });
    await sim.config(APP, { 'oidc-client-secret': uri });
    await sim.settle();
    const configured = await sh(sim, `${APP}/1`, 'config-get oidc-client-secret');
    expect(configured.stdout).toBe(`${uri}\n`);

    const ungranted = await sh(sim, `${APP}/1`, `secret-get ${uri} client-secret`);
    expect(ungranted).toMatchObject({ exitCode: 1, stderr: 'ERROR permission denied\n' });
    await sim.grantUserSecret('oidc', APP);
    expect(sim.pendingEvents()).toEqual({}); // Juju runs no hook on a grant
    for (const unit of [`${APP}/0`, `${APP}/1`]) {
      expect((await sh(sim, unit, `secret-get --refresh ${uri} client-secret`)).stdout).toBe('v1\n');
    }
    expect((await sh(sim, 'other/0', `secret-get ${uri}`)).stderr).toBe('ERROR permission denied\n');

    await sim.updateSecret('oidc', { 'client-secret': 'v2' });
    expect(sim.pendingEvents()).toEqual({
      [`${APP}/0`]: [`${APP}/0 secret-changed`],
      [`${APP}/1`]: [`${APP}/1 secret-changed`],
    });
    await sim.settle();
    const env = ran(sim, `${APP}/1`).at(-1);
    expect(env?.path).toBe('hooks/secret-changed');
    expect(
      (await sh(sim, `${APP}/1`, `secret-get ${uri} client-secret; secret-get --refresh ${uri} client-secret`)).stdout,
    ).toBe('v1\nv2\n');

    await sim.revokeUserSecret(uri, APP);
    expect(sim.pendingEvents()).toEqual({}); // nor on a revoke: the unit finds out in its next hook
    const revoked = await sh(sim, `${APP}/0`, `secret-get --refresh ${uri} client-secret`);
    expect(revoked).toMatchObject({ exitCode: 1, stderr: 'ERROR permission denied\n' });
    await expect(sim.grantUserSecret('nope', APP)).rejects.toThrow('secret "nope" not found');
    await expect(sim.grantUserSecret(uri, 'ghost')).rejects.toThrow();
  });

  test('systemctl → records every call, keeps state across hooks, fails what systemd would fail', async () => {
    const unitFile = (exec: string, type = 'simple') =>
      `printf '[Unit]\\nDescription=demo\\n[Service]\\nType=${type}\\nExecStart=${exec}\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/demo.service`;
    const sim = await deployed(1, {
      SIM_HOOK_install: `${unitFile('/bin/true')}; systemctl daemon-reload; systemctl enable --now demo.service`,
      SIM_HOOK_start: 'systemctl is-active --quiet demo && systemctl is-enabled demo',
    });
    const unit = `${APP}/0`;
    expect(sim.serviceState(unit, 'demo')).toEqual({ active: 'active', execStart: '/bin/true' });
    expect(existsSync('/etc/systemd/system/demo.service')).toBe(false);
    await sim.runHook(unit, 'update-status', { env: { SIM_HOOK_update_status: 'systemctl restart demo' } });
    const calls = sim.systemctlCalls(unit);
    expect(calls.map((c) => [c.hook, c.argv.join(' '), c.exitCode])).toEqual([
      ['hooks/install', 'daemon-reload', 0],
      ['hooks/install', 'enable --now demo.service', 0],
      ['hooks/start', 'is-active --quiet demo', 0],
      ['hooks/start', 'is-enabled demo', 0],
      ['hooks/update-status', 'restart demo', 0],
    ]);
    expect(calls.every((c, i) => i === 0 || c.t >= (calls[i - 1]?.t ?? 0))).toBe(true);

    const missing = await sh(sim, unit, 'systemctl start nothing-here');
    expect(missing).toMatchObject({
      exitCode: 5,
      stderr: 'Failed to start nothing-here.service: Unit nothing-here.service not found.\n',
    });
    const stale = await sh(sim, unit, `${unitFile('/opt/none/bin/x', 'exec')}; systemctl restart demo`);
    expect(stale.stderr).toMatch(/changed on disk\. Run 'systemctl daemon-reload'/);
    expect(stale.exitCode).toBe(0);
    const reloaded = await sh(
      sim,
      unit,
      'systemctl daemon-reload; systemctl restart demo; echo rc=$?; systemctl is-active demo',
    );
    expect(reloaded.stdout).toBe('rc=1\nfailed\n');
    expect(sim.serviceState(unit, 'demo')?.failure).toMatch(/203\/EXEC: \/opt\/none\/bin\/x is not executable/);
  });
});

describe('tool client', () => {
  /** Runs `script` (bash, with `args` as $1...) through the tool server, then through the node tools: must match. */
  async function both(sim: SimModel, unit: string, script: string, ...args: string[]) {
    const served = await sim.exec(unit, ['bash', '-c', script, 'bash', ...args]);
    const node = await sim.exec(unit, ['bash', '-c', `unset JUJU_SIM_TOOL_PORT; ${script}`, 'bash', ...args]);
    expect(served).toEqual(node);
    return served;
  }

  test('argv, stdin, output bytes and exit codes → round-trip exactly, as the node tools give them', async () => {
    const sim = await deployed(1);
    const unit = `${APP}/0`;
    const value = '-first line\n  ünïcödé ✓ 100% %s \\n back\\slash\ttab\r\n\n';
    const calls = sim.toolCalls;
    const set = await both(sim, unit, 'state-set "v=$1" "dash=$2"', value, '-n');
    expect(set).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(sim.toolCalls).toBe(calls + 1);
    expect((await both(sim, unit, 'state-get v')).stdout).toBe(`${value}\n`);
    expect((await both(sim, unit, 'state-get dash')).stdout).toBe('-n\n');
    const yaml = JSON.stringify({ piped: `${value}é`, dash: '' }); // an empty value deletes the key
    expect(await both(sim, unit, 'printf %s "$1" | state-set --file -', yaml)).toMatchObject({ exitCode: 0 });
    expect(await both(sim, unit, 'printf "g: 2" | state-set --file=-')).toMatchObject({ exitCode: 0 });
    const json = await both(sim, unit, 'state-get --format=json');
    expect(JSON.parse(json.stdout)).toEqual({ v: value, piped: `${value}é`, g: '2' });
    // A pipe the tool does not read is left to the caller.
    const pipe = 'printf "a\\nb\\nc\\n" | { read -r x; is-leader >/dev/null; read -r y; state-set -- -; cat; }';
    expect((await both(sim, unit, pipe)).stdout).toBe('c\n');
    await sim.exec(unit, ['juju-log', '--log-level', 'WARNING', `multi\nline ✓ ${value}`]);
    expect(sim.debugLog({ unit, level: 'WARNING' }).at(-1)).toMatch(/juju-log multi\nline ✓ -first line\n {2}ünïcödé/);
    expect(await both(sim, unit, 'relation-get -r nope:9 - x')).toMatchObject({
      exitCode: 2,
      stdout: '',
      stderr: 'ERROR invalid value "nope:9" for option -r: relation not found\n',
    });
    expect(await both(sim, unit, 'secret-get secret:0123456789abcdefghij')).toMatchObject({ exitCode: 1 });
    expect(await both(sim, unit, 'systemctl start nothing')).toMatchObject({ exitCode: 5 });
    expect(await both(sim, unit, '/usr/bin/systemctl is-active nothing')).toEqual({
      exitCode: 3,
      stdout: 'inactive\n',
      stderr: '',
    });
    expect(await both(sim, unit, 'cd /etc && state-set --file ./nope')).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: 'ERROR open ./nope: no such file or directory\n',
    });
    // The caller's own files: a relative --file from its cwd, in its private /etc.
    const fromFile = await both(sim, unit, 'cd /etc && printf "f: 1\\n" > sim-f.yaml && state-set --file sim-f.yaml');
    expect(fromFile.exitCode).toBe(0);
    expect((await sim.exec(unit, ['state-get', 'f'])).stdout).toBe('1\n');
  });

  test('50 concurrent tool calls in each of 2 units → all answered', async () => {
    const sim = await deployed(2);
    const calls = sim.toolCalls;
    const script = 'for i in $(seq 50); do (state-set "k$i=v$i" && echo "ok $i") & done; wait';
    const runs = await Promise.all([`${APP}/0`, `${APP}/1`].map((u) => sim.exec(u, ['bash', '-c', script])));
    for (const r of runs) {
      expect(r).toMatchObject({ exitCode: 0, stderr: '' });
      expect(r.stdout.trim().split('\n')).toHaveLength(50);
    }
    expect(sim.toolCalls).toBe(calls + 100);
    const state = JSON.parse((await sim.exec(`${APP}/1`, ['state-get', '--format=json'])).stdout);
    for (let i = 1; i <= 50; i++) expect(state[`k${i}`]).toBe(`v${i}`);
  });

  test('malformed requests → answered with exit 1 and a message; the server keeps serving', async () => {
    const sim = await deployed(1);
    const ask = (request: string, then = 'cat <&3') =>
      sim.exec(`${APP}/0`, [
        'bash',
        '-c',
        `exec 3<>/dev/tcp/127.0.0.1/$JUJU_SIM_TOOL_PORT; printf "$1" >&3; ${then}`,
        'bash',
        request,
      ]);
    const http = await ask('GET / HTTP/1.0\\r\\n\\r\\n');
    expect(http.stdout).toBe('1\n\nERROR sim tool server: malformed request: not a sim tool request\\n\n');
    const badPid = await ask('sim-tool-1\\0is-leader\\0x\\0/\\0000\\0000\\0-\\0\\0');
    expect(badPid.stdout).toMatch(/^1\n\nERROR sim tool server: malformed request: bad pid "x"/);
    const noToken = await ask('sim-tool-1\\0is-leader\\0001\\0/\\0000\\0000\\0-\\0\\0');
    expect(noToken.stdout).toMatch(/^1\n\nERROR sim tool server: refused: no valid JUJU_SIM_TOOL_TOKEN/);
    // A client that gives up half-way is dropped.
    expect((await ask('sim-tool-1\\0is-lea', 'exec 3>&-')).exitCode).toBe(0);
    expect(await sim.exec(`${APP}/0`, ['is-leader'])).toEqual({ exitCode: 0, stdout: 'True\n', stderr: '' });
  });
});

describe('volumes', () => {
  test('TmpfsVolume of 1 MiB → a unit writing 2 MiB gets ENOSPC; close() → unmounted and removed', async () => {
    const sim = await model();
    await sim.deploy(APP, { units: 1, volume: new TmpfsVolume('small', { sizeBytes: 1024 * 1024 }) });
    await sim.settle();
    const full = await sh(sim, `${APP}/0`, 'head -c 2097152 /dev/zero > /var/lib/concourse/big');
    expect(full.exitCode).not.toBe(0);
    expect(full.stderr).toMatch(/No space left on device/);
    const mountPoint = sim.volumeHostPath(`${APP}/0`);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toContain(mountPoint);
    await sim.close();
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(mountPoint);
    expect(existsSync(sim.root)).toBe(false);
  });
});

describe('faults and loops', () => {
  test('hook stopped at a named step and killed → its changes discarded, unit in error until resolved', async () => {
    const sim = await deployed(2);
    const started = await sim.startHook(`${APP}/0`, 'update-status', {
      env: {
        SIM_HOOK_update_status:
          'relation-set -r peers:0 half=done; echo "CHARM-STOPPED-AT download.start" >&2; kill -STOP 0',
      },
    });
    expect(await started.stoppedAt).toBe('download.start');
    expect(sim.status().units[0]?.agent).toBe('executing');
    started.kill('SIGKILL');
    const run = await started.done;
    expect(run).toMatchObject({ exitCode: null, signal: 'SIGKILL', ok: false });
    expect(sim.relationData('peers:0', `${APP}/0`).half).toBeUndefined();
    expect(sim.status().units[0]).toMatchObject({ agent: 'error', agentMessage: 'hook failed: "update-status"' });
    await sim.resolve(`${APP}/0`);
    await sim.settle();
    expect(sim.status().units[0]?.agent).toBe('idle');
  });

  test('relation-changed ping-pong → settle throws, naming the looping events', async () => {
    const sim = await model({ SIM_HOOK_peers_relation_changed: 'relation-set -r peers:0 n=$(date +%s%N)' });
    await sim.deploy(APP, { units: 2 });
    await expect(sim.settle({ maxRounds: 6 })).rejects.toThrow(
      /did not settle after 6 rounds[\s\S]*peers-relation-changed \(remote concourse-ci\/\d\) after .*peers-relation-changed/,
    );
  });
});

describe('storage and mounts as Juju and operators make them', () => {
  const where = 'cat /var/lib/concourse/who 2>/dev/null || echo none; storage-list --format=json';

  test('--storage asked → a Juju volume bound over the location before the first hook, on top of an earlier mount', async () => {
    const sim = await model();
    const operator = new BindVolume('operator-mount');
    await sim.deploy(APP, { units: 1, volume: operator, storage: { 'concourse-data': 'rootfs' } });
    await sim.settle();
    expect(ran(sim, `${APP}/0`)[0]?.path).toBe('hooks/concourse-data-storage-attached');
    expect(sim.mountsOf(`${APP}/0`).map((m) => m.kind)).toEqual(['operator', 'juju-storage']);
    await sh(sim, `${APP}/0`, 'echo juju > /var/lib/concourse/who');
    expect(existsSync(join(operator.hostPath ?? '', 'who'))).toBe(false);
    expect((await sh(sim, `${APP}/0`, where)).stdout).toBe('juju\n["concourse-data/0"]\n');
  });

  test('no --storage → nothing mounted, storage-list empty; a mount added while the unit runs → seen, no hook run', async () => {
    const sim = await model();
    await sim.deploy(APP, { units: 1, volume: null });
    await sim.settle();
    expect((await sh(sim, `${APP}/0`, 'mountpoint -q /var/lib/concourse && echo mounted || echo bare')).stdout).toBe(
      'bare\n',
    );
    expect((await sh(sim, `${APP}/0`, 'storage-list --format=json')).stdout).toBe('[]\n');
    const shared = new BindVolume('late');
    await sim.mountVolume(`${APP}/0`, shared);
    await writeFile(join(shared.hostPath ?? '', 'who'), 'shared\n');
    expect(sim.pendingEvents()).toEqual({});
    expect((await sh(sim, `${APP}/0`, 'cat /var/lib/concourse/who')).stdout).toBe('shared\n');
    await sim.unmountVolume(`${APP}/0`, shared);
    expect((await sh(sim, `${APP}/0`, 'cat /var/lib/concourse/who 2>/dev/null || echo gone')).stdout).toBe('gone\n');
    expect(sim.pendingEvents()).toEqual({});
  });

  test('a fresh machine → no Node.js on PATH; snap install node → /snap/bin/node, kept by the machine', async () => {
    const sim = await model();
    await sim.deploy(APP, { units: 1 });
    await sim.settle();
    expect((await sh(sim, `${APP}/0`, 'command -v node || echo none')).stdout).toBe('none\n');
    expect((await sh(sim, `${APP}/0`, 'snap install node --channel=22/stable --classic')).exitCode).toBe(0);
    expect((await sh(sim, `${APP}/0`, '/snap/bin/node -e "console.log(1+1)"')).stdout).toBe('2\n');
    expect((await sh(sim, `${APP}/0`, 'ls /snap/bin')).stdout).toBe('node\n');
  });

  test('snap store unreachable (SIM_SNAP_FAIL) → snap install fails as snapd does', async () => {
    const sim = await model({ SIM_SNAP_FAIL: 'dial tcp: lookup api.snapcraft.io: no such host' });
    await sim.deploy(APP, { units: 1 });
    await sim.settle();
    const r = await sh(sim, `${APP}/0`, 'snap install node --channel=22/stable --classic');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('error: cannot install "node": dial tcp: lookup api.snapcraft.io: no such host\n');
  });
});

describe('failed hooks are retried as Juju retries them', () => {
  test('a hook that fails once → run again by itself after a back-off; the unit ends idle', async () => {
    const sim = await model({
      SIM_HOOK_update_status:
        '[ -e /var/lib/concourse/failed-once ] || { touch /var/lib/concourse/failed-once; exit 1; }; status-set active -- "second try"',
    });
    await sim.deploy(APP, { units: 1 });
    await sim.settle();
    await sim.updateStatus();
    expect(ran(sim, `${APP}/0`).filter((e) => e.path === 'hooks/update-status')).toHaveLength(2);
    expect(sim.status().units[0]).toMatchObject({ agent: 'idle', workload: { kind: 'active', message: 'second try' } });
  });

  test('a hook that keeps failing → retried with back-off, then left in error for resolve()', async () => {
    const sim = await SimModel.create({
      charm,
      extraEnv: { SIM_FAIL_HOOK: 'update-status' },
      hookRetry: { firstDelayMs: 10, maxDelayMs: 40, attempts: 2 },
    });
    open.push(sim);
    await sim.deploy(APP, { units: 1 });
    await sim.settle();
    await sim.updateStatus();
    expect(ran(sim, `${APP}/0`).filter((e) => e.path === 'hooks/update-status')).toHaveLength(3);
    expect(sim.status().units[0]).toMatchObject({ agent: 'error', agentMessage: 'hook failed: "update-status"' });
  });
});

describe('proxy settings as Juju passes them', () => {
  test('legacy http-proxy model config → http_proxy and HTTP_PROXY; juju-http-proxy → JUJU_CHARM_*, always set', async () => {
    const sim = await SimModel.create({
      charm,
      proxy: {
        legacy: { http: 'http://10.0.0.1:3128', noProxy: '127.0.0.1' },
        juju: { https: 'http://10.0.0.2:3128' },
      },
    });
    open.push(sim);
    await sim.deploy(APP, { units: 1 });
    await sim.settle();
    const env = await sh(sim, `${APP}/0`, 'env | grep -i proxy | sort');
    expect(env.stdout.trim().split('\n')).toEqual([
      'HTTP_PROXY=http://10.0.0.1:3128',
      'JUJU_CHARM_FTP_PROXY=',
      'JUJU_CHARM_HTTPS_PROXY=http://10.0.0.2:3128',
      'JUJU_CHARM_HTTP_PROXY=',
      'JUJU_CHARM_NO_PROXY=',
      'NO_PROXY=127.0.0.1',
      'http_proxy=http://10.0.0.1:3128',
      'no_proxy=127.0.0.1',
    ]);
  });
});
