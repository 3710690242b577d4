import { expect, test } from 'vitest';
import { parsePeerVolumes, planPeerRefresh, withoutPeer, withPeer } from '../../src/domain/peer-view';

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

test('view updates → set, replace, remove', () => {
  const v = withPeer(withPeer({}, 'a/1', 'x'), 'a/2', 'y');
  expect(v).toEqual({ 'a/1': 'x', 'a/2': 'y' });
  expect(withPeer(v, 'a/1', 'z')).toEqual({ 'a/1': 'z', 'a/2': 'y' });
  expect(withPeer(v, 'a/1', undefined)).toEqual({ 'a/2': 'y' });
  expect(withoutPeer(v, 'a/2')).toEqual({ 'a/1': 'x' });
});

test('remembered text → parsed, or undefined when unreadable', () => {
  expect(parsePeerVolumes('{"a/1":"x"}')).toEqual({ 'a/1': 'x' });
  expect(parsePeerVolumes('{"a/1":3}')).toBeUndefined();
  expect(parsePeerVolumes('nope')).toBeUndefined();
  expect(parsePeerVolumes(undefined)).toBeUndefined();
});
