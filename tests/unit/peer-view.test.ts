// The peer view's planning (which peers a hook reads) and its cache file, as pure functions: state in, plan out.
import { expect, test } from 'vitest';
import {
  PEER_VIEW_CACHE_PATH,
  parsePeerViewCache,
  parseStringMap,
  peerViewCacheFile,
  planPeerRefresh,
  volumesOf,
  withPeerBag,
} from '../../src/domain/peer-view';

const peers = (remoteUnit?: string) => ({ endpoint: 'peers', id: 'peers:0', remoteUnit, remoteApp: 'a' });

test('nothing remembered yet → read every peer', () => {
  expect(planPeerRefresh({ hook: 'install', relation: undefined, remembered: undefined })).toEqual({ kind: 'full' });
});

test('update-status → full re-read, the safety net against drift', () => {
  expect(planPeerRefresh({ hook: 'update-status', relation: undefined, remembered: {} })).toEqual({ kind: 'full' });
});

test('a peer joined or changed → read that peer only', () => {
  for (const hook of ['peers-relation-joined', 'peers-relation-changed']) {
    expect(planPeerRefresh({ hook, relation: peers('a/3'), remembered: {} })).toEqual({ kind: 'one', unit: 'a/3' });
  }
});

test('a peer departed → dropped without reading', () => {
  expect(planPeerRefresh({ hook: 'peers-relation-departed', relation: peers('a/3'), remembered: {} })).toEqual({
    kind: 'drop',
    unit: 'a/3',
  });
});

test('peer app-data change (no remote unit) → full re-read; other hooks → remembered view', () => {
  expect(planPeerRefresh({ hook: 'peers-relation-changed', relation: peers(), remembered: {} })).toEqual({
    kind: 'full',
  });
  expect(planPeerRefresh({ hook: 'config-changed', relation: undefined, remembered: {} })).toEqual({ kind: 'cached' });
  expect(
    planPeerRefresh({ hook: 'tsa-relation-changed', relation: { ...peers('w/0'), endpoint: 'tsa' }, remembered: {} }),
  ).toEqual({ kind: 'cached' });
});

test('view updates → kept keys only, replaced, removed when the peer has none of them', () => {
  const keys = ['volume-id', 'roles'];
  const v = withPeerBag(withPeerBag({}, 'a/1', { 'volume-id': 'x', other: 'o' }, keys), 'a/2', { roles: 'web' }, keys);
  expect(v).toEqual({ 'a/1': { 'volume-id': 'x' }, 'a/2': { roles: 'web' } });
  expect(withPeerBag(v, 'a/1', { 'volume-id': 'z' }, keys)['a/1']).toEqual({ 'volume-id': 'z' });
  expect(withPeerBag(v, 'a/1', { 'volume-id': '' }, keys)).toEqual({ 'a/2': { roles: 'web' } });
  expect(withPeerBag(v, 'a/2', undefined, keys)).toEqual({ 'a/1': { 'volume-id': 'x' } });
  expect(volumesOf(v, 'volume-id')).toEqual({ 'a/1': 'x' });
});

test('remembered text → parsed, or undefined when unreadable', () => {
  expect(parseStringMap('{"a/1":"x"}')).toEqual({ 'a/1': 'x' });
  expect(parseStringMap('{"a/1":3}')).toBeUndefined();
  expect(parseStringMap('nope')).toBeUndefined();
  expect(parseStringMap(undefined)).toBeUndefined();
});

const me = { unit: 'a/0', token: 't-1' };
const view = { 'a/2': { roles: 'worker' }, 'a/1': { 'volume-id': 'x', roles: 'web' } };

test('a view written to the cache file → read back by the same unit and token', () => {
  const file = peerViewCacheFile({ ...me, peers: view });
  expect(parsePeerViewCache(file.content, me)).toEqual(view);
});

test('the cache file → root-only at its fixed path, peers sorted so an unchanged view is the same bytes', () => {
  const file = peerViewCacheFile({ ...me, peers: view });
  expect({ path: file.path, mode: file.mode, owner: file.owner, group: file.group }).toEqual({
    path: '/var/lib/concourse-charm/peer-view.json',
    mode: 0o600,
    owner: 'root',
    group: 'root',
  });
  expect(file.path).toBe(PEER_VIEW_CACHE_PATH);
  expect(Object.keys(JSON.parse(file.content).peers)).toEqual(['a/1', 'a/2']);
  expect(peerViewCacheFile({ ...me, peers: { 'a/1': view['a/1'], 'a/2': view['a/2'] } }).content).toBe(file.content);
});

test.each([
  ['no file', undefined, me],
  ['an empty file', '', me],
  ['a truncated file', peerViewCacheFile({ ...me, peers: view }).content.slice(0, 40), me],
  ['not JSON', 'nope', me],
  ['a peer that is not a bag', '{"format":1,"unit":"a/0","token":"t-1","peers":{"a/1":"x"}}', me],
  ['another format', '{"format":2,"unit":"a/0","token":"t-1","peers":{}}', me],
  ['the old charm-state shape', '{"a/1":{"roles":"web"}}', me],
  ['another unit’s file', peerViewCacheFile({ ...me, unit: 'a/9', peers: view }).content, me],
  ['an earlier incarnation’s file', peerViewCacheFile({ ...me, token: 't-0', peers: view }).content, me],
  ['no token in charm state', peerViewCacheFile({ ...me, peers: view }).content, { ...me, token: undefined }],
])('%s → nothing remembered', (_situation, text, expected) => {
  expect(parsePeerViewCache(text, expected)).toBeUndefined();
});

test('nothing remembered (missing or corrupt cache) → read every peer, whatever the hook', () => {
  const remembered = parsePeerViewCache('{"corrupt', me);
  for (const [hook, relation] of [
    ['config-changed', undefined],
    ['peers-relation-changed', peers('a/3')],
    ['peers-relation-departed', peers('a/3')],
  ] as const) {
    expect(planPeerRefresh({ hook, relation, remembered })).toEqual({ kind: 'full' });
  }
});
