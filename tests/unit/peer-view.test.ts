import { expect, test } from 'vitest';
import { parsePeerBags, parseStringMap, planPeerRefresh, volumesOf, withPeerBag } from '../../src/domain/peer-view';

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
  expect(parsePeerBags('{"a/1":{"roles":"web"}}')).toEqual({ 'a/1': { roles: 'web' } });
  expect(parsePeerBags('{"a/1":"x"}')).toBeUndefined();
});
