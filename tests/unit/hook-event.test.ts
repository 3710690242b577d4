import { expect, test } from 'vitest';
import { parseHookContext } from '../../src/domain/hook-event';

test('relation hook environment → typed context', () => {
  const c = parseHookContext({
    JUJU_DISPATCH_PATH: 'hooks/peers-relation-changed',
    JUJU_UNIT_NAME: 'concourse-ci/1',
    JUJU_RELATION: 'peers',
    JUJU_RELATION_ID: 'peers:0',
    JUJU_REMOTE_UNIT: 'concourse-ci/0',
    JUJU_REMOTE_APP: 'concourse-ci',
    JUJU_CHARM_DIR: '/c',
    JUJU_CHARM_HTTPS_PROXY: 'http://proxy:3128',
  });
  expect(c.event).toEqual({ kind: 'hook', name: 'peers-relation-changed' });
  expect(c.unit.dirName).toBe('concourse-ci-1');
  expect(c.relation).toEqual({
    endpoint: 'peers',
    id: 'peers:0',
    remoteUnit: 'concourse-ci/0',
    remoteApp: 'concourse-ci',
  });
  expect(c.proxy).toEqual({ http: undefined, https: 'http://proxy:3128', noProxy: undefined });
});

test('action environment → action event', () => {
  const c = parseHookContext({ JUJU_DISPATCH_PATH: 'actions/storage-status', JUJU_UNIT_NAME: 'a/0' });
  expect(c.event).toEqual({ kind: 'action', name: 'storage-status' });
  expect(c.relation).toBeUndefined();
});

test.each([undefined, '', 'hooks/../x', 'install', 'hooks/Install'])('dispatch path %j → refused', (p) => {
  expect(() => parseHookContext({ JUJU_DISPATCH_PATH: p, JUJU_UNIT_NAME: 'a/0' })).toThrow(/JUJU_DISPATCH_PATH/);
});

test('no unit name → refused: not run by Juju', () => {
  expect(() => parseHookContext({ JUJU_DISPATCH_PATH: 'hooks/install' })).toThrow(/JUJU_UNIT_NAME/);
});
