// The simulator's charm-state quotas (Juju 3.6: 256-byte keys and 64 KiB values refused by state-set at once, the
// unit's total checked when the hook's changes are committed) and controller faults on resource-get, first with the
// tiny shell charm, then through the packed charm: a failing controller makes the unit wait, never download.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { deployWithPostgres, unitsOf } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import { buildReleaseTarball } from '../../sim/concourse/release-tarball';
import { buildTestCharm } from '../../sim/concourse/test-charm';
import { SimModel, type SimModelOptions } from '../../sim/model';
import { packedCharm } from '../support/packed-charm';
import { charmConfig, MiB } from '../support/store-fixtures';

const APP = 'concourse-ci';
const UNIT = `${APP}/0`;
let work: string;
let testCharm: string;
const open: SimModel[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sim-quotas-'));
  testCharm = await buildTestCharm(join(work, 'test.charm'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function deployed(opts: Partial<SimModelOptions> = {}): Promise<SimModel> {
  const sim = await SimModel.create({ charm: testCharm, ...opts });
  open.push(sim);
  await sim.deploy(APP, { units: 1 });
  await sim.settle();
  return sim;
}

/** The same script through the tool server and through the node bundle inside the namespace: both must agree. */
async function both(sim: SimModel, script: string) {
  const served = await sim.exec(UNIT, ['bash', '-c', script]);
  const node = await sim.exec(UNIT, ['bash', '-c', `unset JUJU_SIM_TOOL_PORT; ${script}`]);
  expect(served).toEqual(node);
  return served;
}

/** `n` bytes of `c`, as a shell expression. */
const bytes = (n: number, c: string) => `$(head -c ${n} /dev/zero | tr '\\0' ${c})`;

async function state(sim: SimModel): Promise<Record<string, string>> {
  return JSON.parse((await sim.exec(UNIT, ['state-get', '--format=json'])).stdout) ?? {};
}

describe('charm-state quotas (juju/juju core/quota, state/unitstate.go)', () => {
  test('a 257-byte key → state-set refuses at once with Juju’s error; 256 bytes is allowed', async () => {
    const sim = await deployed();
    expect(await both(sim, `state-set "${bytes(300, 'k')}=v"`)).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: 'ERROR max allowed key length (256) exceeded\n',
    });
    expect(await both(sim, `state-set "${bytes(257, 'k')}=v"`)).toMatchObject({ exitCode: 1 });
    expect(await both(sim, `state-set "${bytes(256, 'k')}=v" small=1`)).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    expect(
      Object.keys(await state(sim))
        .map((k) => k.length)
        .sort((x, y) => x - y),
    ).toEqual([5, 256]);
  });

  test('a 65 KiB value (argv or --file -) → refused at once; exactly 64 KiB is allowed; none of the call is kept', async () => {
    const sim = await deployed();
    const refused = { exitCode: 1, stdout: '', stderr: 'ERROR max allowed value length (65536) exceeded\n' };
    expect(await both(sim, `state-set other=1 "big=${bytes(65 * 1024, 'v')}"`)).toEqual(refused);
    expect(await both(sim, `printf 'big: %s\\n' "${bytes(65 * 1024, 'v')}" | state-set --file -`)).toEqual(refused);
    expect(await state(sim)).toEqual({});
    expect(await both(sim, `printf 'big: %s\\n' "${bytes(64 * 1024, 'v')}" | state-set --file -`)).toMatchObject({
      exitCode: 0,
      stderr: '',
    });
    expect((await state(sim)).big).toHaveLength(64 * 1024);
  });

  test('total over a lowered max-charm-state-size → the hook fails at commit though it exited 0; nothing applied', async () => {
    // BSON, as Juju counts it: 5 bytes per document, 7 per entry plus the key and value bytes. One key "k":
    // a 1011-byte value is exactly 1024 bytes.
    const sim = await deployed({ maxCharmStateSize: 1024 });
    const over = await sim.runHook(UNIT, 'update-status', {
      env: { SIM_HOOK_update_status: `state-set "k=${bytes(1012, 'v')}" && open-port 8080/tcp` },
    });
    expect(over).toMatchObject({ exitCode: 0, ok: false });
    const status = sim.status().units.find((u) => u.name === UNIT);
    expect(status).toMatchObject({ agent: 'error', agentMessage: 'hook failed: "update-status"', ports: [] });
    expect(sim.debugLog({ unit: UNIT, level: 'ERROR' }).join('\n')).toContain(
      'cannot apply changes: persisting charm state: max allowed size (1024) exceeded',
    );
    expect(await state(sim)).toEqual({});
    await sim.resolve(UNIT, { retry: false });

    const exact = await sim.runHook(UNIT, 'update-status', {
      env: { SIM_HOOK_update_status: `state-set "k=${bytes(1011, 'v')}"` },
    });
    expect(exact).toMatchObject({ exitCode: 0, ok: true });
    expect((await state(sim)).k).toHaveLength(1011);
    expect(sim.status().units.find((u) => u.name === UNIT)?.agent).toBe('idle');

    // A hook that leaves the state as it was is not checked (Juju writes, and checks, only a changed map).
    const unchanged = await sim.runHook(UNIT, 'update-status', {
      env: { SIM_HOOK_update_status: `state-set "k=${bytes(1011, 'v')}"` },
    });
    expect(unchanged.ok).toBe(true);
  });

  test('within limits across keys → committed; an action over the total fails with Juju’s message, agent untouched', async () => {
    const sim = await deployed({
      maxCharmStateSize: 1024,
      extraEnv: { SIM_ACTION_storage_status: `state-set "x=${bytes(600, 'x')}" "y=${bytes(600, 'y')}"` },
    });
    // 5 + (1 + 400 + 7) * 2 = 821 bytes.
    const within = await sim.runHook(UNIT, 'update-status', {
      env: { SIM_HOOK_update_status: `state-set "a=${bytes(400, 'a')}" "b=${bytes(400, 'b')}"` },
    });
    expect(within.ok).toBe(true);
    expect(Object.keys(await state(sim)).sort()).toEqual(['a', 'b']);

    const action = await sim.runAction(UNIT, 'storage-status');
    expect(action).toMatchObject({
      status: 'failed',
      message: 'cannot apply changes: persisting charm state: max allowed size (1024) exceeded',
      exitCode: 0,
    });
    expect(Object.keys(await state(sim)).sort()).toEqual(['a', 'b']);
    expect(sim.status().units.find((u) => u.name === UNIT)?.agent).toBe('idle');
  });
});

describe('resource-get against a failing controller (SimModel.failResource)', () => {
  test('a fault → ERROR <message>, exit 1, in running tools at once; attachResource or null ends it', async () => {
    const sim = await deployed();
    await sim.failResource(APP, 'concourse-release', 'connection is shut down');
    expect(await both(sim, 'resource-get concourse-release')).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: 'ERROR connection is shut down\n',
    });
    await sim.failResource(APP, 'concourse-release', null);
    expect((await both(sim, 'resource-get concourse-release')).stderr).toMatch(
      /^ERROR could not download resource: HTTP request failed: Get https:\/\/.+\/units\/unit-concourse-ci-0\/resources\/concourse-release: resource#concourse-ci\/concourse-release not found\n$/,
    );
    await sim.failResource(APP, 'concourse-release', 'HTTP request failed: 500 Internal Server Error');
    const file = join(work, 'release.tgz');
    writeFileSync(file, 'tarball');
    await sim.attachResource(APP, 'concourse-release', file);
    expect((await both(sim, 'cat "$(resource-get concourse-release)"')).stdout).toBe('tarball');
    await expect(sim.failResource(APP, 'nope', 'x')).rejects.toThrow('has no resource "nope"');
  });
});

describe('the packed charm when the controller cannot serve concourse-release', () => {
  let server: ReleaseServer;

  beforeAll(async () => {
    server = await startReleaseServer();
    await server.addRelease({ version: '7.14.2', fillerBytes: MiB });
  });
  afterAll(async () => server?.close());

  async function failingDeploy(message: string): Promise<SimModel> {
    const sim = await SimModel.create({ charm: await packedCharm() });
    open.push(sim);
    await deployWithPostgres(sim, APP, { units: 1, config: charmConfig(server) });
    await sim.failResource(APP, 'concourse-release', message);
    await sim.settle();
    return sim;
  }

  const expectedWaiting = (detail: string) => ({
    kind: 'waiting',
    message: `Concourse 7.14.2: resource concourse-release could not be fetched from the controller (${detail}); will retry at the next update-status`,
  });

  test('connection shut down → waiting with Juju’s words, no request anywhere; a good resource attached → active', async () => {
    const before = server.requests().length;
    const sim = await failingDeploy('connection is shut down');
    const [unit] = unitsOf(sim, APP);
    expect(unit?.workload).toEqual(expectedWaiting('connection is shut down'));
    expect(unit?.agent).toBe('idle');
    await sim.updateStatus();
    expect(unitsOf(sim, APP)[0]?.workload).toEqual(expectedWaiting('connection is shut down'));
    expect(server.requests().length).toBe(before);

    const tarball = join(sim.root, 'concourse-7.14.2-linux-amd64.tgz');
    writeFileSync(tarball, (await buildReleaseTarball({ version: '7.14.2', fillerBytes: MiB })).data);
    await sim.attachResource(APP, 'concourse-release', tarball);
    await sim.updateStatus();
    expect(unitsOf(sim, APP)[0]?.workload.kind).toBe('active');
    expect(server.requests().length).toBe(before);
    const manifest = JSON.parse(
      readFileSync(join(sim.volumeHostPath(UNIT), 'releases/7.14.2/MANIFEST.json'), 'utf8'),
    ) as { source: string };
    expect(manifest.source).toBe('resource:concourse-release');
  });

  test('a 500 from the controller → waiting, no download; the fault cleared with nothing attached → downloads, active', async () => {
    const before = server.downloads('7.14.2');
    const requestsBefore = server.requests().length;
    const detail =
      'could not download resource: HTTP request failed: Get https://127.0.0.1:17070/model/m/units/unit-concourse-ci-0/resources/concourse-release: 500 Internal Server Error';
    const sim = await failingDeploy(`${detail}\n<html>internal error</html>`);
    expect(unitsOf(sim, APP)[0]?.workload).toEqual(expectedWaiting(detail));
    expect(server.requests().length).toBe(requestsBefore);

    await sim.failResource(APP, 'concourse-release', null);
    await sim.updateStatus();
    expect(unitsOf(sim, APP)[0]?.workload.kind).toBe('active');
    expect(server.downloads('7.14.2')).toBe(before + 1);
  });
});
