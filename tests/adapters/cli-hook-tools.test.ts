// Adapter tests for CliHookTools: each method against a runner that answers only the exact argv Juju expects, with
// stdout and stderr as Juju 3.x prints them. An argv the script does not know fails the test. Secrets and
// resources have their own files (cli-secret-tools.test.ts, cli-storage-tools.test.ts).

import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import {
  CliHookTools,
  classifyFailure,
  HookToolError,
  HookToolOutputError,
  NotLeaderError,
  RelationNotFoundError,
  ResourceFetchError,
} from '../../src/adapters/cli-hook-tools';
import type { HookToolRunner } from '../../src/ports/hook-tools';
import { scriptedHookTools } from '../support/scripted-hook-tool-runner';

const h = scriptedHookTools();

describe('free text goes after --', () => {
  it('juju-log with a message starting with a dash → -l LEVEL -- message', async () => {
    h.runner.on('juju-log', ['-l', 'WARNING', '--', '--not-a-flag and "quotes"']);
    await h.tools.jujuLog('WARNING', '--not-a-flag and "quotes"');
    expect(h.runner.calls).toHaveLength(1);
  });

  it('status-set for the unit → status -- message', async () => {
    h.runner.on('status-set', ['blocked', '--', 'Set version to 7.14.2 · see juju config']);
    await h.tools.statusSet('blocked', 'Set version to 7.14.2 · see juju config');
    expect(h.runner.calls).toHaveLength(1);
  });

  it('status-set for the application → --application status -- message', async () => {
    h.runner.on('status-set', ['--application', 'active', '--', '']);
    await h.tools.statusSet('active', '', { application: true });
    expect(h.runner.calls).toHaveLength(1);
  });

  it('application-version-set, action-log and action-fail → -- text', async () => {
    h.runner
      .on('application-version-set', ['--', '7.14.2'])
      .on('action-log', ['--', '-downloading 10%'])
      .on('action-fail', ['--', 'No release 9.9.9 on the volume']);
    await h.tools.applicationVersionSet('7.14.2');
    await h.tools.actionLog('-downloading 10%');
    await h.tools.actionFail('No release 9.9.9 on the volume');
    expect(h.runner.calls.map((c) => c.tool)).toEqual(['application-version-set', 'action-log', 'action-fail']);
  });
});

describe('reads parse --format=json output', () => {
  it('config-get prints the whole map → typed record', async () => {
    h.runner.on('config-get', ['--format=json'], { stdout: '{"mode":"auto","web-port":8080,"version":""}\n' });
    expect(await h.tools.configGet()).toEqual({ mode: 'auto', 'web-port': 8080, version: '' });
  });

  it('is-leader prints true or false → boolean', async () => {
    h.runner.on('is-leader', ['--format=json'], { stdout: 'true\n' });
    expect(await h.tools.isLeader()).toBe(true);
    h.runner.on('is-leader', ['--format=json'], { stdout: 'false\n' });
    expect(await h.tools.isLeader()).toBe(false);
  });

  it('relation-ids → the ids with their endpoint prefix', async () => {
    h.runner.on('relation-ids', ['--format=json', 'peers'], { stdout: '["peers:0"]\n' });
    expect(await h.tools.relationIds('peers')).toEqual(['peers:0']);
  });

  it('relation-ids for an endpoint with no relation → empty list', async () => {
    h.runner.on('relation-ids', ['--format=json', 'postgresql'], { stdout: '[]\n' });
    expect(await h.tools.relationIds('postgresql')).toEqual([]);
  });

  it('relation-list → remote unit names', async () => {
    h.runner.on('relation-list', ['--format=json', '-r', 'peers:0'], {
      stdout: '["concourse-ci/1","concourse-ci/2"]\n',
    });
    expect(await h.tools.relationList('peers:0')).toEqual(['concourse-ci/1', 'concourse-ci/2']);
  });

  it('relation-list --app → the remote application name', async () => {
    h.runner.on('relation-list', ['--format=json', '-r', 'postgresql:3', '--app'], { stdout: '"postgresql"\n' });
    expect(await h.tools.relationRemoteApp('postgresql:3')).toBe('postgresql');
  });

  it('relation-get of a unit → its bag', async () => {
    h.runner.on('relation-get', ['--format=json', '-r', 'peers:0', '-', 'concourse-ci/1'], {
      stdout: '{"egress-subnets":"10.0.0.11/32","ingress-address":"10.0.0.11","volume-id":"v-1"}\n',
    });
    expect(await h.tools.relationGet('peers:0', 'concourse-ci/1')).toEqual({
      'egress-subnets': '10.0.0.11/32',
      'ingress-address': '10.0.0.11',
      'volume-id': 'v-1',
    });
  });

  it('relation-get --app of the application → the app bag', async () => {
    h.runner.on('relation-get', ['--format=json', '-r', 'peers:0', '-', 'concourse-ci', '--app'], {
      stdout: '{"version":"7.14.2"}\n',
    });
    expect(await h.tools.relationGet('peers:0', 'concourse-ci', { app: true })).toEqual({ version: '7.14.2' });
  });

  it('action-get → the parameters', async () => {
    h.runner.on('action-get', ['--format=json'], { stdout: '{"version":"7.14.3"}\n' });
    expect(await h.tools.actionGet()).toEqual({ version: '7.14.3' });
  });

  it('storage-get with and without -s → the location string', async () => {
    h.runner
      .on('storage-get', ['--format=json', '-s', 'concourse-data/0', 'location'], { stdout: '"/var/lib/concourse"\n' })
      .on('storage-get', ['--format=json', 'kind'], { stdout: '"filesystem"\n' });
    expect(await h.tools.storageGet('concourse-data/0', 'location')).toBe('/var/lib/concourse');
    expect(await h.tools.storageGet(undefined, 'kind')).toBe('filesystem');
  });

  it('storage-list with and without a name → storage ids', async () => {
    h.runner
      .on('storage-list', ['--format=json', 'concourse-data'], { stdout: '["concourse-data/0"]\n' })
      .on('storage-list', ['--format=json'], { stdout: '["concourse-data/0"]\n' });
    expect(await h.tools.storageList('concourse-data')).toEqual(['concourse-data/0']);
    expect(await h.tools.storageList()).toEqual(['concourse-data/0']);
  });

  it('unit-get private-address → the address', async () => {
    h.runner.on('unit-get', ['--format=json', 'private-address'], { stdout: '"10.0.0.10"\n' });
    expect(await h.tools.unitGet('private-address')).toBe('10.0.0.10');
  });

  it('network-get as Juju prints it → ingress and bind addresses', async () => {
    h.runner.on('network-get', ['--format=json', 'tsa'], {
      stdout:
        '{"bind-addresses":[{"mac-address":"00:16:3e:12:34:56","interface-name":"eth0","addresses":' +
        '[{"hostname":"","value":"10.0.0.10","cidr":"10.0.0.0/24","address":"10.0.0.10"}],' +
        '"macaddress":"00:16:3e:12:34:56","interfacename":"eth0"}],"egress-subnets":["10.0.0.10/32"],' +
        '"ingress-addresses":["192.0.2.7"]}\n',
    });
    expect(await h.tools.networkGet('tsa')).toEqual({ ingressAddress: '192.0.2.7', bindAddress: '10.0.0.10' });
  });

  it('network-get with only the older `address` key and no ingress → both from the bind address', async () => {
    h.runner.on('network-get', ['--format=json', 'peers'], {
      stdout: '{"bind-addresses":[{"addresses":[{"address":"10.0.0.12","cidr":"10.0.0.0/24"}]}]}\n',
    });
    expect(await h.tools.networkGet('peers')).toEqual({ ingressAddress: '10.0.0.12', bindAddress: '10.0.0.12' });
  });

  it('network-get with no addresses → HookToolOutputError naming the binding', async () => {
    h.runner.on('network-get', ['--format=json', 'tsa'], { stdout: '{"bind-addresses":[],"ingress-addresses":[]}\n' });
    await expect(h.tools.networkGet('tsa')).rejects.toThrow(HookToolOutputError);
  });

  it('state-get of a set key → its value; of a missing key (Juju prints "") → undefined', async () => {
    h.runner
      .on('state-get', ['--format=json', 'installed'], { stdout: '"7.14.2"\n' })
      .on('state-get', ['--format=json', 'missing'], { stdout: '""\n' });
    expect(await h.tools.stateGet('installed')).toBe('7.14.2');
    expect(await h.tools.stateGet('missing')).toBeUndefined();
  });
});

describe('writes', () => {
  it('relation-set → -r id --file - with the bag as JSON on stdin', async () => {
    h.runner.on('relation-set', ['-r', 'peers:0', '--file', '-']);
    await h.tools.relationSet('peers:0', { 'volume-id': 'v-1', stale: '' });
    expect(h.runner.calls[0]?.stdin).toBeDefined();
    expect(JSON.parse(h.runner.calls[0]?.stdin ?? '')).toEqual({ 'volume-id': 'v-1', stale: '' });
  });

  it('relation-set --app → -r id --app --file -', async () => {
    h.runner.on('relation-set', ['-r', 'peers:0', '--app', '--file', '-']);
    await h.tools.relationSet('peers:0', { version: '7.14.2' }, { app: true });
    expect(JSON.parse(h.runner.calls[0]?.stdin ?? '')).toEqual({ version: '7.14.2' });
  });

  it('state-set → --file - with JSON on stdin', async () => {
    h.runner.on('state-set', ['--file', '-']);
    await h.tools.stateSet({ installed: '7.14.2' });
    expect(JSON.parse(h.runner.calls[0]?.stdin ?? '')).toEqual({ installed: '7.14.2' });
  });

  it('action-set → key=value arguments', async () => {
    h.runner.on('action-set', ['result=upgraded to 7.14.3', 'units.0=concourse-ci/0']);
    await h.tools.actionSet({ result: 'upgraded to 7.14.3', 'units.0': 'concourse-ci/0' });
    expect(h.runner.calls).toHaveLength(1);
  });

  it('open-port and close-port → port/protocol', async () => {
    h.runner.on('open-port', ['8080/tcp']).on('close-port', ['2222/tcp']);
    await h.tools.openPort(8080);
    await h.tools.closePort(2222, 'tcp');
    expect(h.runner.calls.map((c) => c.args)).toEqual([['8080/tcp'], ['2222/tcp']]);
  });

  it('open-port with a port out of range → RangeError before any tool runs', async () => {
    await expect(h.tools.openPort(70000)).rejects.toThrow(RangeError);
    expect(h.runner.calls).toEqual([]);
  });
});

describe('failures', () => {
  it('relation-get on a removed relation → RelationNotFoundError carrying tool, args, exit code and stderr', async () => {
    const stderr = 'ERROR invalid value "peers:3" for option -r: relation not found\n';
    h.runner.on('relation-get', ['--format=json', '-r', 'peers:3', '-', 'concourse-ci/1'], { exitCode: 2, stderr });
    const err = await h.tools.relationGet('peers:3', 'concourse-ci/1').catch((e: unknown) => e);
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
    h.runner.on('relation-set', ['-r', 'peers:0', '--app', '--file', '-'], {
      exitCode: 1,
      stderr: 'ERROR cannot write relation settings\n',
    });
    await expect(h.tools.relationSet('peers:0', { version: '7.14.2' }, { app: true })).rejects.toBeInstanceOf(
      NotLeaderError,
    );
  });

  it('relation-set refused with ERROR permission denied → NotLeaderError', async () => {
    h.runner.on('relation-set', ['-r', 'peers:0', '--app', '--file', '-'], {
      exitCode: 1,
      stderr: 'ERROR permission denied\n',
    });
    await expect(h.tools.relationSet('peers:0', { a: 'b' }, { app: true })).rejects.toBeInstanceOf(NotLeaderError);
  });

  it('status-set --application on a non-leader → NotLeaderError', async () => {
    h.runner.on('status-set', ['--application', 'active', '--', 'Ready'], {
      exitCode: 1,
      stderr: 'ERROR this unit is not the leader\n',
    });
    await expect(h.tools.statusSet('active', 'Ready', { application: true })).rejects.toBeInstanceOf(NotLeaderError);
  });

  it('any other non-zero exit → HookToolError "<tool> failed: <stderr trimmed>"', async () => {
    h.runner.on('open-port', ['8080/tcp'], { exitCode: 1, stderr: 'ERROR cannot open 8080/tcp: conflicts\n' });
    const err = await h.tools.openPort(8080).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HookToolError);
    expect(err).not.toBeInstanceOf(NotLeaderError);
    expect(err).toHaveProperty('message', 'open-port failed: ERROR cannot open 8080/tcp: conflicts');
  });

  it('a non-zero exit with empty stderr → the message names the exit code', async () => {
    h.runner.on('config-get', ['--format=json'], { exitCode: 3 });
    await expect(h.tools.configGet()).rejects.toThrow('config-get failed with exit code 3');
  });

  it('output that is not JSON → HookToolOutputError', async () => {
    h.runner.on('is-leader', ['--format=json'], { stdout: 'True\n' });
    await expect(h.tools.isLeader()).rejects.toBeInstanceOf(HookToolOutputError);
  });

  it('JSON of the wrong shape → HookToolOutputError', async () => {
    h.runner.on('relation-get', ['--format=json', '-r', 'peers:0', '-', 'concourse-ci/1'], { stdout: '{"n":1}\n' });
    await expect(h.tools.relationGet('peers:0', 'concourse-ci/1')).rejects.toBeInstanceOf(HookToolOutputError);
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
