// The hook harness's own fidelity: states Juju could not produce are refused before the hook runs, a non-leader's
// application-bag write is refused as Juju refuses it, and the caller's state is never changed by a hook.
import { describe, expect, test } from 'vitest';
import { NotLeaderError } from '../../src/ports/hook-tools';
import { FakeMachine } from '../support/fake-machine';
import { InMemoryHookTools, jujuState } from '../support/in-memory-hook-tools';
import { HookWorld, peers, runHook } from './harness';

const base = { unit: 'concourse-ci/1', config: { mode: 'auto', version: '7.14.2' }, relations: [peers({})] };

describe('consistency with the charm’s metadata', () => {
  test.each([
    [{ config: { mode: 'auto', 'no-such-option': 'x' } }, /config option "no-such-option" is not in config.yaml/],
    [
      { relations: [{ id: 'database:3', endpoint: 'database', remoteApp: 'pg' }] },
      /endpoint "database" is not in metadata.yaml/,
    ],
    [{ action: { name: 'self-destruct', params: {} } }, /action "self-destruct" is not in actions.yaml/],
  ])('%j → refused before the hook runs', async (wrong, message) => {
    const state = jujuState({ ...base, ...wrong });
    await expect(
      runHook({ hook: 'config-changed', state, world: new HookWorld(), machine: new FakeMachine() }),
    ).rejects.toThrow(message);
  });
});

describe('Juju’s refusals and commits', () => {
  test('a non-leader writing its application bag → refused with Juju’s error', async () => {
    const tools = new InMemoryHookTools(jujuState(base));
    await expect(tools.relationSet('peers:0', { 'target-version': '7.14.3' }, { app: true })).rejects.toBeInstanceOf(
      NotLeaderError,
    );
  });

  test('a hook run → the state passed in is left as it was (the state out is a new value)', async () => {
    const state = jujuState({ ...base, leader: true, unit: 'concourse-ci/0' });
    const before = structuredClone(state);
    const run = await runHook({ hook: 'install', state, world: new HookWorld(), machine: new FakeMachine() });
    expect(run.exitCode).toBe(0);
    expect(state).toEqual(before);
    expect(run.state.relations[0]?.localUnitData).toMatchObject({ roles: 'web' });
  });

  test('status history and logs → on the run, in order', async () => {
    const state = jujuState({ ...base, leader: true, unit: 'concourse-ci/0' });
    const run = await runHook({ hook: 'install', state, world: new HookWorld(), machine: new FakeMachine() });
    expect(run.tools.statusHistory).toEqual([
      {
        target: 'unit',
        status: 'waiting',
        message: 'PostgreSQL relation required: juju integrate concourse-ci:postgresql postgresql',
      },
    ]);
    expect(run.logger.names()).toEqual(expect.arrayContaining(['storage.download.start', 'storage.published']));
  });
});
