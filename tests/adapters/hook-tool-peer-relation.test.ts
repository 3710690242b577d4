// Adapter tests for HookToolPeerRelation over the in-memory Juju (tests/support): what each method reads and
// writes through HookTools, the per-hook cache, leader-only app writes, and writes dropped when a hook fails.

import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NotLeaderError, RelationNotFoundError } from '../../src/adapters/cli-hook-tools';
import { HookToolPeerRelation } from '../../src/adapters/hook-tool-peer-relation';
import { parseHookContext } from '../../src/domain/hook-event';
import {
  type FakeRelation,
  InMemoryHookTools,
  type JujuState,
  jujuState,
  loadCharmMetadata,
} from '../support/in-memory-hook-tools';

const metadata = loadCharmMetadata(fileURLToPath(new URL('../..', import.meta.url)));
const context = parseHookContext({ JUJU_DISPATCH_PATH: 'hooks/config-changed', JUJU_UNIT_NAME: 'concourse-ci/0' });

const peers = (overrides: Partial<FakeRelation> = {}): FakeRelation => ({
  id: 'peers:1',
  endpoint: 'peers',
  peer: true,
  localUnitData: { 'volume-id': 'v-0', version: '7.14.1' },
  localAppData: { version: '7.14.1' },
  remoteUnitsData: {
    'concourse-ci/1': { 'volume-id': 'v-0', version: '7.14.1' },
    'concourse-ci/2': { 'volume-id': 'v-9' },
  },
  ...overrides,
});

function setUp(state: Partial<JujuState> = {}) {
  const tools = new InMemoryHookTools(jujuState({ relations: [peers()], ...state }), { metadata });
  return { tools, relation: new HookToolPeerRelation(tools, context) };
}

describe('HookToolPeerRelation', () => {
  it('no peers relation yet (early install) → exists false, empty reads, writes refused', async () => {
    const { tools, relation } = setUp({ relations: [] });
    expect(await relation.exists()).toBe(false);
    expect(await relation.peerUnits()).toEqual(new Map());
    expect(await relation.localUnit()).toEqual({});
    expect(await relation.appData()).toEqual({});
    await expect(relation.updateLocalUnit({ a: 'b' })).rejects.toThrow(/peers relation does not exist yet/);
    expect(tools.callsOf('relationSet')).toEqual([]);
  });

  it('peers present → every other unit by name with its bag', async () => {
    const { relation } = setUp();
    expect(await relation.exists()).toBe(true);
    expect(await relation.peerUnits()).toEqual(
      new Map([
        ['concourse-ci/1', { 'volume-id': 'v-0', version: '7.14.1' }],
        ['concourse-ci/2', { 'volume-id': 'v-9' }],
      ]),
    );
  });

  it('own bag and app bag → read with relation-get for this unit and --app for this application', async () => {
    const { tools, relation } = setUp();
    expect(await relation.localUnit()).toEqual({ 'volume-id': 'v-0', version: '7.14.1' });
    expect(await relation.appData()).toEqual({ version: '7.14.1' });
    expect(tools.callsOf('relationGet')).toEqual([
      ['peers:1', 'concourse-ci/0', undefined],
      ['peers:1', 'concourse-ci', { app: true }],
    ]);
  });

  it('repeated and concurrent reads in one hook → each bag read once, relation-ids once', async () => {
    const { tools, relation } = setUp();
    await Promise.all([relation.localUnit(), relation.localUnit(), relation.peerUnits(), relation.exists()]);
    await relation.peerUnits();
    await relation.localUnit();
    expect(tools.callsOf('relationIds')).toHaveLength(1);
    expect(tools.callsOf('relationList')).toHaveLength(1);
    expect(tools.callsOf('relationGet')).toHaveLength(3);
  });

  it('updateLocalUnit → relation-set with only the given keys; later reads merge them, empty deletes', async () => {
    const { tools, relation } = setUp();
    await relation.localUnit();
    await relation.updateLocalUnit({ version: '7.14.2', 'volume-id': '' });
    expect(tools.callsOf('relationSet')).toEqual([['peers:1', { version: '7.14.2', 'volume-id': '' }, undefined]]);
    expect(await relation.localUnit()).toEqual({ version: '7.14.2' });
    expect(tools.callsOf('relationGet')).toHaveLength(1);
  });

  it('updateLocalUnit before any read → the next read sees the write (Juju shows a unit its own pending data)', async () => {
    const { relation } = setUp();
    await relation.updateLocalUnit({ 'download-progress': '40' });
    expect(await relation.localUnit()).toEqual({ 'volume-id': 'v-0', version: '7.14.1', 'download-progress': '40' });
  });

  it('updateAppData on the leader → relation-set --app, cached app bag updated', async () => {
    const { tools, relation } = setUp({ leader: true });
    await relation.appData();
    await relation.updateAppData({ version: '7.14.2' });
    expect(tools.callsOf('relationSet')).toEqual([['peers:1', { version: '7.14.2' }, { app: true }]]);
    expect(await relation.appData()).toEqual({ version: '7.14.2' });
  });

  it('updateAppData on a non-leader → NotLeaderError, cached app bag unchanged', async () => {
    const { relation } = setUp({ leader: false });
    await relation.appData();
    await expect(relation.updateAppData({ version: '7.14.2' })).rejects.toBeInstanceOf(NotLeaderError);
    expect(await relation.appData()).toEqual({ version: '7.14.1' });
  });

  it('empty updates → no relation-set at all', async () => {
    const { tools, relation } = setUp({ leader: true });
    await relation.updateLocalUnit({});
    await relation.updateAppData({});
    expect(tools.callsOf('relationSet')).toEqual([]);
  });

  it('a failed read → not cached; the next call reads again', async () => {
    const { tools, relation } = setUp();
    tools.failNext('relationGet', new Error('transient'));
    await expect(relation.localUnit()).rejects.toThrow('transient');
    expect(await relation.localUnit()).toEqual({ 'volume-id': 'v-0', version: '7.14.1' });
    expect(tools.callsOf('relationGet')).toHaveLength(2);
  });

  it('hook committed → writes land in the output state; input state untouched', async () => {
    const stateIn = jujuState({ leader: true, relations: [peers()] });
    const tools = new InMemoryHookTools(stateIn, { metadata });
    const relation = new HookToolPeerRelation(tools, context);
    await relation.updateLocalUnit({ version: '7.14.2' });
    await relation.updateAppData({ version: '7.14.2', stale: '' });
    const out = tools.finish('committed');
    expect(out.relations[0]?.localUnitData).toEqual({ 'volume-id': 'v-0', version: '7.14.2' });
    expect(out.relations[0]?.localAppData).toEqual({ version: '7.14.2' });
    expect(stateIn.relations[0]?.localUnitData).toEqual({ 'volume-id': 'v-0', version: '7.14.1' });
  });

  it('hook failed → buffered relation writes dropped, as Juju drops them', async () => {
    const { tools, relation } = setUp({ leader: true });
    await relation.updateLocalUnit({ version: '7.14.2' });
    await relation.updateAppData({ version: '7.14.2' });
    const out = tools.finish('failed');
    expect(out.relations[0]?.localUnitData).toEqual({ 'volume-id': 'v-0', version: '7.14.1' });
    expect(out.relations[0]?.localAppData).toEqual({ version: '7.14.1' });
  });
});

describe('InMemoryHookTools consistency with metadata.yaml', () => {
  it('a relation on an endpoint the charm does not declare → rejected up front', () => {
    expect(
      () =>
        new InMemoryHookTools(jujuState({ relations: [{ id: 'peer:1', endpoint: 'peer', peer: true }] }), { metadata }),
    ).toThrow(/endpoint "peer" is not in metadata.yaml/);
  });

  it('a config option missing from config.yaml → rejected up front', () => {
    expect(() => new InMemoryHookTools(jujuState({ config: { web_port: 8080 } }), { metadata })).toThrow(
      /config option "web_port" is not in config.yaml/,
    );
  });

  it('a relation id of a removed relation → RelationNotFoundError from relation-get', async () => {
    const tools = new InMemoryHookTools(jujuState({ relations: [peers()] }), { metadata });
    await expect(tools.relationGet('peers:7', 'concourse-ci/1')).rejects.toBeInstanceOf(RelationNotFoundError);
  });
});
