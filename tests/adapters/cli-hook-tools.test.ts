// Adapter tests for CliHookTools: each method against a runner that answers only the exact argv Juju expects, with
// stdout and stderr as Juju 3.x prints them. An argv the script does not know fails the test.

import 'reflect-metadata';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CliHookTools,
  classifyFailure,
  HookToolError,
  HookToolOutputError,
  NotLeaderError,
  RelationNotFoundError,
  ResourceFetchError,
} from '../../src/adapters/cli-hook-tools';
import type { HookToolResult, HookToolRunner } from '../../src/ports/hook-tools';

interface Call {
  readonly tool: string;
  readonly args: readonly string[];
  readonly stdin: string | undefined;
}

class ScriptedRunner implements HookToolRunner {
  readonly calls: Call[] = [];
  readonly unexpected: string[] = [];
  private readonly answers = new Map<string, HookToolResult>();

  on(tool: string, args: readonly string[], answer: Partial<HookToolResult> = {}): this {
    this.answers.set(key(tool, args), { exitCode: 0, stdout: '', stderr: '', ...answer });
    return this;
  }

  async run(tool: string, rawArgs: readonly string[], stdin?: string): Promise<HookToolResult> {
    const args = withFileContents(rawArgs);
    this.calls.push({ tool, args: [...args], stdin });
    const answer = this.answers.get(key(tool, args));
    if (answer === undefined) {
      this.unexpected.push(key(tool, args));
      throw new Error(`unexpected hook tool call: ${key(tool, args)}`);
    }
    return answer;
  }
}

const key = (tool: string, args: readonly string[]) => JSON.stringify([tool, ...args]);

/** `--file <path>` becomes `--file <file 0600: content>`, read while the tool would read it (it is removed after). */
function withFileContents(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    if (args[i - 1] !== '--file' || arg === '-') return arg;
    const mode = (statSync(arg).mode & 0o777).toString(8);
    return `<file ${mode}: ${readFileSync(arg, 'utf8')}>`;
  });
}

let runner: ScriptedRunner;
let tools: CliHookTools;

beforeEach(() => {
  runner = new ScriptedRunner();
  tools = new CliHookTools(runner);
});

afterEach(() => {
  expect(runner.unexpected).toEqual([]);
});

describe('free text goes after --', () => {
  it('juju-log with a message starting with a dash → -l LEVEL -- message', async () => {
    runner.on('juju-log', ['-l', 'WARNING', '--', '--not-a-flag and "quotes"']);
    await tools.jujuLog('WARNING', '--not-a-flag and "quotes"');
    expect(runner.calls).toHaveLength(1);
  });

  it('status-set for the unit → status -- message', async () => {
    runner.on('status-set', ['blocked', '--', 'Set version to 7.14.2 · see juju config']);
    await tools.statusSet('blocked', 'Set version to 7.14.2 · see juju config');
    expect(runner.calls).toHaveLength(1);
  });

  it('status-set for the application → --application status -- message', async () => {
    runner.on('status-set', ['--application', 'active', '--', '']);
    await tools.statusSet('active', '', { application: true });
    expect(runner.calls).toHaveLength(1);
  });

  it('application-version-set, action-log and action-fail → -- text', async () => {
    runner
      .on('application-version-set', ['--', '7.14.2'])
      .on('action-log', ['--', '-downloading 10%'])
      .on('action-fail', ['--', 'No release 9.9.9 on the volume']);
    await tools.applicationVersionSet('7.14.2');
    await tools.actionLog('-downloading 10%');
    await tools.actionFail('No release 9.9.9 on the volume');
    expect(runner.calls.map((c) => c.tool)).toEqual(['application-version-set', 'action-log', 'action-fail']);
  });
});

describe('reads parse --format=json output', () => {
  it('config-get prints the whole map → typed record', async () => {
    runner.on('config-get', ['--format=json'], { stdout: '{"mode":"auto","web-port":8080,"version":""}\n' });
    expect(await tools.configGet()).toEqual({ mode: 'auto', 'web-port': 8080, version: '' });
  });

  it('is-leader prints true or false → boolean', async () => {
    runner.on('is-leader', ['--format=json'], { stdout: 'true\n' });
    expect(await tools.isLeader()).toBe(true);
    runner.on('is-leader', ['--format=json'], { stdout: 'false\n' });
    expect(await tools.isLeader()).toBe(false);
  });

  it('relation-ids → the ids with their endpoint prefix', async () => {
    runner.on('relation-ids', ['--format=json', 'peers'], { stdout: '["peers:0"]\n' });
    expect(await tools.relationIds('peers')).toEqual(['peers:0']);
  });

  it('relation-ids for an endpoint with no relation → empty list', async () => {
    runner.on('relation-ids', ['--format=json', 'postgresql'], { stdout: '[]\n' });
    expect(await tools.relationIds('postgresql')).toEqual([]);
  });

  it('relation-list → remote unit names', async () => {
    runner.on('relation-list', ['--format=json', '-r', 'peers:0'], { stdout: '["concourse-ci/1","concourse-ci/2"]\n' });
    expect(await tools.relationList('peers:0')).toEqual(['concourse-ci/1', 'concourse-ci/2']);
  });

  it('relation-list --app → the remote application name', async () => {
    runner.on('relation-list', ['--format=json', '-r', 'postgresql:3', '--app'], { stdout: '"postgresql"\n' });
    expect(await tools.relationRemoteApp('postgresql:3')).toBe('postgresql');
  });

  it('relation-get of a unit → its bag', async () => {
    runner.on('relation-get', ['--format=json', '-r', 'peers:0', '-', 'concourse-ci/1'], {
      stdout: '{"egress-subnets":"10.0.0.11/32","ingress-address":"10.0.0.11","volume-id":"v-1"}\n',
    });
    expect(await tools.relationGet('peers:0', 'concourse-ci/1')).toEqual({
      'egress-subnets': '10.0.0.11/32',
      'ingress-address': '10.0.0.11',
      'volume-id': 'v-1',
    });
  });

  it('relation-get --app of the application → the app bag', async () => {
    runner.on('relation-get', ['--format=json', '-r', 'peers:0', '-', 'concourse-ci', '--app'], {
      stdout: '{"version":"7.14.2"}\n',
    });
    expect(await tools.relationGet('peers:0', 'concourse-ci', { app: true })).toEqual({ version: '7.14.2' });
  });

  it('action-get → the parameters', async () => {
    runner.on('action-get', ['--format=json'], { stdout: '{"version":"7.14.3"}\n' });
    expect(await tools.actionGet()).toEqual({ version: '7.14.3' });
  });

  it('storage-get with and without -s → the location string', async () => {
    runner
      .on('storage-get', ['--format=json', '-s', 'concourse-data/0', 'location'], { stdout: '"/var/lib/concourse"\n' })
      .on('storage-get', ['--format=json', 'kind'], { stdout: '"filesystem"\n' });
    expect(await tools.storageGet('concourse-data/0', 'location')).toBe('/var/lib/concourse');
    expect(await tools.storageGet(undefined, 'kind')).toBe('filesystem');
  });

  it('storage-list with and without a name → storage ids', async () => {
    runner
      .on('storage-list', ['--format=json', 'concourse-data'], { stdout: '["concourse-data/0"]\n' })
      .on('storage-list', ['--format=json'], { stdout: '["concourse-data/0"]\n' });
    expect(await tools.storageList('concourse-data')).toEqual(['concourse-data/0']);
    expect(await tools.storageList()).toEqual(['concourse-data/0']);
  });

  it('unit-get private-address → the address', async () => {
    runner.on('unit-get', ['--format=json', 'private-address'], { stdout: '"10.0.0.10"\n' });
    expect(await tools.unitGet('private-address')).toBe('10.0.0.10');
  });

  it('network-get as Juju prints it → ingress and bind addresses', async () => {
    runner.on('network-get', ['--format=json', 'tsa'], {
      stdout:
        '{"bind-addresses":[{"mac-address":"00:16:3e:12:34:56","interface-name":"eth0","addresses":' +
        '[{"hostname":"","value":"10.0.0.10","cidr":"10.0.0.0/24","address":"10.0.0.10"}],' +
        '"macaddress":"00:16:3e:12:34:56","interfacename":"eth0"}],"egress-subnets":["10.0.0.10/32"],' +
        '"ingress-addresses":["192.0.2.7"]}\n',
    });
    expect(await tools.networkGet('tsa')).toEqual({ ingressAddress: '192.0.2.7', bindAddress: '10.0.0.10' });
  });

  it('network-get with only the older `address` key and no ingress → both from the bind address', async () => {
    runner.on('network-get', ['--format=json', 'peers'], {
      stdout: '{"bind-addresses":[{"addresses":[{"address":"10.0.0.12","cidr":"10.0.0.0/24"}]}]}\n',
    });
    expect(await tools.networkGet('peers')).toEqual({ ingressAddress: '10.0.0.12', bindAddress: '10.0.0.12' });
  });

  it('network-get with no addresses → HookToolOutputError naming the binding', async () => {
    runner.on('network-get', ['--format=json', 'tsa'], { stdout: '{"bind-addresses":[],"ingress-addresses":[]}\n' });
    await expect(tools.networkGet('tsa')).rejects.toThrow(HookToolOutputError);
  });

  it('state-get of a set key → its value; of a missing key (Juju prints "") → undefined', async () => {
    runner
      .on('state-get', ['--format=json', 'installed'], { stdout: '"7.14.2"\n' })
      .on('state-get', ['--format=json', 'missing'], { stdout: '""\n' });
    expect(await tools.stateGet('installed')).toBe('7.14.2');
    expect(await tools.stateGet('missing')).toBeUndefined();
  });
});

describe('writes', () => {
  it('relation-set → -r id --file - with the bag as JSON on stdin', async () => {
    runner.on('relation-set', ['-r', 'peers:0', '--file', '-']);
    await tools.relationSet('peers:0', { 'volume-id': 'v-1', stale: '' });
    expect(runner.calls[0]?.stdin).toBeDefined();
    expect(JSON.parse(runner.calls[0]?.stdin ?? '')).toEqual({ 'volume-id': 'v-1', stale: '' });
  });

  it('relation-set --app → -r id --app --file -', async () => {
    runner.on('relation-set', ['-r', 'peers:0', '--app', '--file', '-']);
    await tools.relationSet('peers:0', { version: '7.14.2' }, { app: true });
    expect(JSON.parse(runner.calls[0]?.stdin ?? '')).toEqual({ version: '7.14.2' });
  });

  it('state-set → --file - with JSON on stdin', async () => {
    runner.on('state-set', ['--file', '-']);
    await tools.stateSet({ installed: '7.14.2' });
    expect(JSON.parse(runner.calls[0]?.stdin ?? '')).toEqual({ installed: '7.14.2' });
  });

  it('action-set → key=value arguments', async () => {
    runner.on('action-set', ['result=upgraded to 7.14.3', 'units.0=concourse-ci/0']);
    await tools.actionSet({ result: 'upgraded to 7.14.3', 'units.0': 'concourse-ci/0' });
    expect(runner.calls).toHaveLength(1);
  });

  it('open-port and close-port → port/protocol', async () => {
    runner.on('open-port', ['8080/tcp']).on('close-port', ['2222/tcp']);
    await tools.openPort(8080);
    await tools.closePort(2222, 'tcp');
    expect(runner.calls.map((c) => c.args)).toEqual([['8080/tcp'], ['2222/tcp']]);
  });

  it('open-port with a port out of range → RangeError before any tool runs', async () => {
    await expect(tools.openPort(70000)).rejects.toThrow(RangeError);
    expect(runner.calls).toEqual([]);
  });
});

describe('secrets', () => {
  it('secret-get by id → the content map', async () => {
    runner.on('secret-get', ['--format=json', 'secret:csb3a5qrc2tc7b5c1s5g'], {
      stdout: '{"private-key":"-----BEGIN…","public-key":"ssh-rsa AAA"}\n',
    });
    expect(await tools.secretGet({ id: 'secret:csb3a5qrc2tc7b5c1s5g' })).toEqual({
      'private-key': '-----BEGIN…',
      'public-key': 'ssh-rsa AAA',
    });
  });

  it('secret-get by label with --refresh, and with --peek → flags after the id or label', async () => {
    runner
      .on('secret-get', ['--format=json', '--label', 'tsa-keys', '--refresh'], { stdout: '{"a":"1"}\n' })
      .on('secret-get', ['--format=json', 'secret:x1', '--peek'], { stdout: '{"a":"2"}\n' });
    expect(await tools.secretGet({ label: 'tsa-keys' }, { refresh: true })).toEqual({ a: '1' });
    expect(await tools.secretGet({ id: 'secret:x1' }, { peek: true })).toEqual({ a: '2' });
  });

  it('secret-get of a removed secret (ERROR secret "…" not found) → undefined', async () => {
    runner.on('secret-get', ['--format=json', 'secret:csb3a5qrc2tc7b5c1s5g'], {
      exitCode: 1,
      stderr: 'ERROR secret "csb3a5qrc2tc7b5c1s5g" not found\n',
    });
    expect(await tools.secretGet({ id: 'secret:csb3a5qrc2tc7b5c1s5g' })).toBeUndefined();
  });

  it('secret-get refused (ERROR permission denied: the grant was revoked) → undefined, nothing to read', async () => {
    runner.on('secret-get', ['--format=json', 'secret:x1'], { exitCode: 1, stderr: 'ERROR permission denied\n' });
    expect(await tools.secretGet({ id: 'secret:x1' })).toBeUndefined();
  });

  it('secret-get failing otherwise → HookToolError, not a silent undefined', async () => {
    runner.on('secret-get', ['--format=json', 'secret:x1'], { exitCode: 1, stderr: 'ERROR connection refused\n' });
    await expect(tools.secretGet({ id: 'secret:x1' })).rejects.toThrow('secret-get failed: ERROR connection refused');
  });

  it('secret-add → label, description, owner, then the content in a private file (never argv); prints the URI', async () => {
    runner.on(
      'secret-add',
      [
        '--label',
        'tsa-keys',
        '--description',
        'Concourse TSA host key',
        '--owner',
        'application',
        '--file',
        '<file 600: {"private-key":"line one\\nline two","public-key":"ssh-rsa AAA"}>',
      ],
      { stdout: 'secret:csb3a5qrc2tc7b5c1s5g\n' },
    );
    const uri = await tools.secretAdd(
      { 'private-key': 'line one\nline two', 'public-key': 'ssh-rsa AAA' },
      { label: 'tsa-keys', description: 'Concourse TSA host key' },
    );
    expect(uri).toBe('secret:csb3a5qrc2tc7b5c1s5g');
  });

  it('secret-add with a key holding = or # → RangeError before any tool runs', async () => {
    await expect(tools.secretAdd({ 'a=b': 'x' })).rejects.toThrow(RangeError);
    await expect(tools.secretAdd({ 'key#file': '/etc/passwd' })).rejects.toThrow(RangeError);
    expect(runner.calls).toEqual([]);
  });

  it('secret-add on a non-leader (ERROR this unit is not the leader) → NotLeaderError', async () => {
    runner.on('secret-add', ['--owner', 'application', '--file', '<file 600: {"token":"abc"}>'], {
      exitCode: 1,
      stderr: 'ERROR this unit is not the leader\n',
    });
    await expect(tools.secretAdd({ token: 'abc' })).rejects.toBeInstanceOf(NotLeaderError);
  });

  it('secret-add printing something that is not a URI → HookToolOutputError', async () => {
    runner.on('secret-add', ['--owner', 'unit', '--file', '<file 600: {"token":"abc"}>'], { stdout: '\n' });
    await expect(tools.secretAdd({ token: 'abc' }, { owner: 'unit' })).rejects.toBeInstanceOf(HookToolOutputError);
  });

  it('secret-set and secret-grant → id first, then content or -r and --unit', async () => {
    runner
      .on('secret-set', ['secret:x1', '--file', '<file 600: {"password":"two words"}>'])
      .on('secret-grant', ['secret:x1', '-r', 'tsa:4', '--unit', 'worker/0'])
      .on('secret-grant', ['secret:x1', '-r', 'tsa:4']);
    await tools.secretSet('secret:x1', { password: 'two words' });
    await tools.secretGrant('secret:x1', 'tsa:4', { unit: 'worker/0' });
    await tools.secretGrant('secret:x1', 'tsa:4');
    expect(runner.calls).toHaveLength(3);
  });

  it('secret content files are gone once the tool returned', async () => {
    runner.on('secret-set', ['secret:x1', '--file', '<file 600: {"password":"p"}>']);
    let seen: string | undefined;
    const inner = runner.run.bind(runner);
    runner.run = async (tool, args, stdin) => {
      seen = args[args.indexOf('--file') + 1];
      return inner(tool, args, stdin);
    };
    await tools.secretSet('secret:x1', { password: 'p' });
    expect(seen).toMatch(/juju-secret-/);
    expect(existsSync(seen ?? '')).toBe(false);
  });
});

describe('resource-get', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'resource-get-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an attached non-empty file → its path', async () => {
    const path = join(dir, 'concourse.tgz');
    await writeFile(path, 'tarball bytes');
    runner.on('resource-get', ['concourse-release'], { stdout: `${path}\n` });
    expect(await tools.resourceGet('concourse-release')).toBe(path);
  });

  it('a zero-byte placeholder → undefined', async () => {
    const path = join(dir, 'concourse.tgz');
    await writeFile(path, '');
    runner.on('resource-get', ['concourse-release'], { stdout: `${path}\n` });
    expect(await tools.resourceGet('concourse-release')).toBeUndefined();
  });

  it('nothing attached (resource-get fails) → undefined', async () => {
    runner.on('resource-get', ['concourse-release'], {
      exitCode: 1,
      stderr:
        'ERROR could not download resource: HTTP request failed: Get https://10.0.0.2:17070/model/x/units/' +
        'unit-concourse-ci-0/resources/concourse-release: resource#concourse-ci/concourse-release not found\n',
    });
    expect(await tools.resourceGet('concourse-release')).toBeUndefined();
  });

  it('an empty path on stdout → undefined', async () => {
    runner.on('resource-get', ['concourse-release'], { stdout: '\n' });
    expect(await tools.resourceGet('concourse-release')).toBeUndefined();
  });

  it('the controller connection dropped (ERROR connection is shut down) → ResourceFetchError, not undefined', async () => {
    const stderr = 'ERROR connection is shut down\n';
    runner.on('resource-get', ['concourse-release'], { exitCode: 1, stderr });
    const err = await tools.resourceGet('concourse-release').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceFetchError);
    expect(err).toBeInstanceOf(HookToolError);
    expect(err).toMatchObject({
      tool: 'resource-get',
      args: ['concourse-release'],
      exitCode: 1,
      stderr,
      message: 'resource-get failed: ERROR connection is shut down',
      jujuMessage: 'connection is shut down',
    });
  });

  it('a 500 from the controller (several lines) → ResourceFetchError whose jujuMessage is the first line', async () => {
    runner.on('resource-get', ['concourse-release'], {
      exitCode: 1,
      stderr:
        'ERROR could not download resource: HTTP request failed: Get https://10.0.0.2:17070/model/x/units/' +
        'unit-concourse-ci-0/resources/concourse-release: 500 Internal Server Error\n<html>oops</html>\n',
    });
    const err = await tools.resourceGet('concourse-release').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceFetchError);
    expect((err as ResourceFetchError).jujuMessage).toBe(
      'could not download resource: HTTP request failed: Get https://10.0.0.2:17070/model/x/units/' +
        'unit-concourse-ci-0/resources/concourse-release: 500 Internal Server Error',
    );
  });

  it('"not found" about something else than the resource (a unit, a model) → ResourceFetchError', async () => {
    runner.on('resource-get', ['concourse-release'], {
      exitCode: 1,
      stderr: 'ERROR unit "concourse-ci/0" not found\n',
    });
    await expect(tools.resourceGet('concourse-release')).rejects.toBeInstanceOf(ResourceFetchError);
  });

  it('a failure with empty stderr → ResourceFetchError naming the exit code', async () => {
    runner.on('resource-get', ['concourse-release'], { exitCode: 2 });
    const err = await tools.resourceGet('concourse-release').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceFetchError);
    expect((err as ResourceFetchError).jujuMessage).toBe('exit code 2');
  });
});

describe('failures', () => {
  it('relation-get on a removed relation → RelationNotFoundError carrying tool, args, exit code and stderr', async () => {
    const stderr = 'ERROR invalid value "peers:3" for option -r: relation not found\n';
    runner.on('relation-get', ['--format=json', '-r', 'peers:3', '-', 'concourse-ci/1'], { exitCode: 2, stderr });
    const err = await tools.relationGet('peers:3', 'concourse-ci/1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelationNotFoundError);
    expect(err).toBeInstanceOf(HookToolError);
    expect(err).toMatchObject({
      tool: 'relation-get',
      args: ['--format=json', '-r', 'peers:3', '-', 'concourse-ci/1'],
      exitCode: 2,
      stderr,
      message: 'relation-get failed: ERROR invalid value "peers:3" for option -r: relation not found',
    });
  });

  it('relation-set --app on a non-leader (ERROR cannot write relation settings) → NotLeaderError', async () => {
    runner.on('relation-set', ['-r', 'peers:0', '--app', '--file', '-'], {
      exitCode: 1,
      stderr: 'ERROR cannot write relation settings\n',
    });
    await expect(tools.relationSet('peers:0', { version: '7.14.2' }, { app: true })).rejects.toBeInstanceOf(
      NotLeaderError,
    );
  });

  it('relation-set refused with ERROR permission denied → NotLeaderError', async () => {
    runner.on('relation-set', ['-r', 'peers:0', '--app', '--file', '-'], {
      exitCode: 1,
      stderr: 'ERROR permission denied\n',
    });
    await expect(tools.relationSet('peers:0', { a: 'b' }, { app: true })).rejects.toBeInstanceOf(NotLeaderError);
  });

  it('status-set --application on a non-leader → NotLeaderError', async () => {
    runner.on('status-set', ['--application', 'active', '--', 'Ready'], {
      exitCode: 1,
      stderr: 'ERROR this unit is not the leader\n',
    });
    await expect(tools.statusSet('active', 'Ready', { application: true })).rejects.toBeInstanceOf(NotLeaderError);
  });

  it('any other non-zero exit → HookToolError "<tool> failed: <stderr trimmed>"', async () => {
    runner.on('open-port', ['8080/tcp'], { exitCode: 1, stderr: 'ERROR cannot open 8080/tcp: conflicts\n' });
    const err = await tools.openPort(8080).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HookToolError);
    expect(err).not.toBeInstanceOf(NotLeaderError);
    expect(err).toHaveProperty('message', 'open-port failed: ERROR cannot open 8080/tcp: conflicts');
  });

  it('a non-zero exit with empty stderr → the message names the exit code', async () => {
    runner.on('config-get', ['--format=json'], { exitCode: 3 });
    await expect(tools.configGet()).rejects.toThrow('config-get failed with exit code 3');
  });

  it('output that is not JSON → HookToolOutputError', async () => {
    runner.on('is-leader', ['--format=json'], { stdout: 'True\n' });
    await expect(tools.isLeader()).rejects.toBeInstanceOf(HookToolOutputError);
  });

  it('JSON of the wrong shape → HookToolOutputError', async () => {
    runner.on('relation-get', ['--format=json', '-r', 'peers:0', '-', 'concourse-ci/1'], { stdout: '{"n":1}\n' });
    await expect(tools.relationGet('peers:0', 'concourse-ci/1')).rejects.toBeInstanceOf(HookToolOutputError);
  });

  it('the runner cannot start the tool → its error reaches the caller', async () => {
    const failing: HookToolRunner = {
      run: () => Promise.reject(new Error('hook tool is-leader could not be started: spawn is-leader ENOENT')),
    };
    await expect(new CliHookTools(failing).isLeader()).rejects.toThrow('is-leader could not be started');
  });

  it('the failure table alone: secret-get not found → absent; unknown tool stderr → the same HookToolError', () => {
    expect(classifyFailure(new HookToolError('secret-get', [], 1, 'ERROR secret "x" not found'))).toBe('absent');
    const missing = 'ERROR could not download resource: HTTP request failed: Get https://h/x: resource#a/b not found';
    expect(classifyFailure(new HookToolError('resource-get', ['b'], 1, missing))).toBe('absent');
    const down = new HookToolError('resource-get', ['b'], 1, 'ERROR connection is shut down');
    expect(classifyFailure(down)).toBeInstanceOf(ResourceFetchError);
    const plain = new HookToolError('config-get', [], 1, 'ERROR not found');
    expect(classifyFailure(plain)).toBe(plain);
  });
});
