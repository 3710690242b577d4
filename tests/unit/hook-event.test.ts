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

const HOOK = { JUJU_DISPATCH_PATH: 'hooks/install', JUJU_UNIT_NAME: 'a/0' };
const NONE = { http: undefined, https: undefined, noProxy: undefined };

test.each<[string, Record<string, string>, Record<string, string | undefined>]>([
  ['no proxy variables → no proxy', {}, NONE],
  [
    'juju-*-proxy model settings (JUJU_CHARM_*) → used',
    {
      JUJU_CHARM_HTTP_PROXY: 'http://juju:3128',
      JUJU_CHARM_HTTPS_PROXY: 'http://juju:3129',
      JUJU_CHARM_NO_PROXY: '10.0.0.0/8',
    },
    { http: 'http://juju:3128', https: 'http://juju:3129', noProxy: '10.0.0.0/8' },
  ],
  [
    'legacy model config (lower- and upper-case set alike) → used',
    {
      http_proxy: 'http://legacy:3128',
      HTTP_PROXY: 'http://legacy:3128',
      https_proxy: 'http://legacy:3129',
      HTTPS_PROXY: 'http://legacy:3129',
      no_proxy: 'localhost',
      NO_PROXY: 'localhost',
    },
    { http: 'http://legacy:3128', https: 'http://legacy:3129', noProxy: 'localhost' },
  ],
  [
    'JUJU_CHARM_* and legacy both set → JUJU_CHARM_* wins',
    {
      JUJU_CHARM_HTTP_PROXY: 'http://juju:3128',
      http_proxy: 'http://lower:3128',
      HTTP_PROXY: 'http://upper:3128',
      JUJU_CHARM_NO_PROXY: 'juju.internal',
      no_proxy: 'lower.internal',
    },
    { http: 'http://juju:3128', https: undefined, noProxy: 'juju.internal' },
  ],
  [
    'lower- and upper-case legacy differ → lower-case wins',
    { https_proxy: 'http://lower:3129', HTTPS_PROXY: 'http://upper:3129', NO_PROXY: 'upper.internal' },
    { http: undefined, https: 'http://lower:3129', noProxy: 'upper.internal' },
  ],
  [
    'only upper-case legacy → used',
    { HTTP_PROXY: 'http://upper:3128', HTTPS_PROXY: 'http://upper:3129', NO_PROXY: '127.0.0.1' },
    { http: 'http://upper:3128', https: 'http://upper:3129', noProxy: '127.0.0.1' },
  ],
  [
    'empty JUJU_CHARM_* → falls back to legacy',
    { JUJU_CHARM_HTTP_PROXY: '', http_proxy: 'http://lower:3128', JUJU_CHARM_NO_PROXY: '', NO_PROXY: 'upper.internal' },
    { http: 'http://lower:3128', https: undefined, noProxy: 'upper.internal' },
  ],
  [
    'empty lower-case legacy → falls back to upper-case',
    { http_proxy: '', HTTP_PROXY: 'http://upper:3128', no_proxy: '', NO_PROXY: 'upper.internal' },
    { http: 'http://upper:3128', https: undefined, noProxy: 'upper.internal' },
  ],
  [
    'every variable empty → no proxy',
    {
      JUJU_CHARM_HTTP_PROXY: '',
      http_proxy: '',
      HTTP_PROXY: '',
      JUJU_CHARM_HTTPS_PROXY: '',
      https_proxy: '',
      HTTPS_PROXY: '',
      JUJU_CHARM_NO_PROXY: '',
      no_proxy: '',
      NO_PROXY: '',
    },
    NONE,
  ],
  [
    'each setting from a different source → each resolved on its own',
    { JUJU_CHARM_HTTP_PROXY: 'http://juju:3128', https_proxy: 'http://lower:3129', NO_PROXY: 'upper.internal' },
    { http: 'http://juju:3128', https: 'http://lower:3129', noProxy: 'upper.internal' },
  ],
])('%s', (_situation, proxyEnv, expected) => {
  expect(parseHookContext({ ...HOOK, ...proxyEnv }).proxy).toEqual(expected);
});
