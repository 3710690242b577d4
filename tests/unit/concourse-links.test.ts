import { describe, expect, test } from 'vitest';
import type { Mode } from '../../src/domain/charm-config';
import {
  authorizedKeysFile,
  type Bag,
  LINK_KEYS,
  parsePublicKey,
  parseTsaOffer,
  type TsaOffer,
  tsaPortNeeded,
  webOfferData,
  workerOfferData,
  workerTargets,
} from '../../src/domain/concourse-links';
import type { Role } from '../../src/domain/roles';
import { problemOf } from '../support/problems';

const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 concourse';
const RSA2 = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQD8 concourse';
const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9 worker@host';
const ECDSA = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY=';

const offer = (host: string, publicKey = RSA, port = 2222): TsaOffer => ({ host, port, publicKey, version: '7.14.2' });
const unversioned = (host: string): TsaOffer => ({ ...offer(host), version: undefined });

/** A well-formed TSA bag with `over` replacing some of its values. */
const tsaBag = (over: Record<string, string> = {}): Bag => ({
  'tsa-host': '10.0.0.5',
  'tsa-port': '2222',
  'tsa-public-key': RSA,
  'concourse-version': '7.14.2',
  ...over,
});

describe('webOfferData', () => {
  test('running web → host, port, key and the version it runs', () => {
    expect(webOfferData(offer('10.0.0.5'))).toEqual({
      'tsa-host': '10.0.0.5',
      'tsa-port': '2222',
      'tsa-public-key': RSA,
      'concourse-version': '7.14.2',
    });
  });

  test('no running web → the same keys, emptied (relation-set deletes them)', () => {
    expect(webOfferData(undefined)).toEqual({
      'tsa-host': '',
      'tsa-port': '',
      'tsa-public-key': '',
      'concourse-version': '',
    });
  });

  test('version unknown → version key emptied, the rest offered', () => {
    expect(webOfferData(unversioned('h'))[LINK_KEYS.concourseVersion]).toBe('');
  });

  test('round trip through a remote bag → the same offer', () => {
    for (const o of [offer('10.0.0.5'), offer('fd00::5', ED, 443), unversioned('web-0.local')]) {
      expect(parseTsaOffer(webOfferData(o))).toEqual(o);
    }
  });
});

describe('workerOfferData', () => {
  test('key → offered; none → emptied', () => {
    expect(workerOfferData(ED)).toEqual({ 'worker-public-key': ED });
    expect(workerOfferData(undefined)).toEqual({ 'worker-public-key': '' });
  });
});

describe('parseTsaOffer', () => {
  test('well-formed bag → the offer', () => {
    expect(parseTsaOffer(tsaBag())).toEqual({ host: '10.0.0.5', port: 2222, publicKey: RSA, version: '7.14.2' });
  });

  test('IPv6 host → unbracketed host, port kept', () => {
    expect(parseTsaOffer(tsaBag({ 'tsa-host': 'fd00::5' }))).toMatchObject({ host: 'fd00::5', port: 2222 });
  });

  test('key with surrounding whitespace → trimmed', () => {
    expect(parseTsaOffer(tsaBag({ 'tsa-public-key': `  ${RSA}\n` }))?.publicKey).toBe(RSA);
  });

  test.each<[string, Bag]>([
    ['version missing', { 'tsa-host': 'h', 'tsa-port': '2222', 'tsa-public-key': RSA }],
    ['version empty (web stopped advertising it)', tsaBag({ 'concourse-version': '' })],
  ])('%s → offer without a version', (_, bag) => {
    const o = parseTsaOffer(bag);
    expect(o).toBeDefined();
    expect(o?.version).toBeUndefined();
  });

  test.each<[string, Bag]>([
    ['empty bag', {}],
    ['emptied offer', webOfferData(undefined)],
    ['host missing', { 'tsa-port': '2222', 'tsa-public-key': RSA }],
    ['port missing', { 'tsa-host': 'h', 'tsa-public-key': RSA }],
    ['key missing', { 'tsa-host': 'h', 'tsa-port': '2222' }],
    ['host empty', tsaBag({ 'tsa-host': '' })],
    ['host already bracketed', tsaBag({ 'tsa-host': '[fd00::5]' })],
    ['port empty', tsaBag({ 'tsa-port': '' })],
    ['port 0', tsaBag({ 'tsa-port': '0' })],
    ['port above 65535', tsaBag({ 'tsa-port': '65536' })],
    ['port of six digits', tsaBag({ 'tsa-port': '022222' })],
    ['port negative', tsaBag({ 'tsa-port': '-1' })],
    ['port with spaces', tsaBag({ 'tsa-port': ' 2222' })],
    ['port not a number', tsaBag({ 'tsa-port': 'ssh' })],
    ['port fractional', tsaBag({ 'tsa-port': '22.5' })],
    ['key empty', tsaBag({ 'tsa-public-key': '' })],
    ['key of unknown type', tsaBag({ 'tsa-public-key': 'ssh-dss AAAAB3NzaC1kc3M=' })],
    ['key without body', tsaBag({ 'tsa-public-key': 'ssh-rsa' })],
    ['private key instead of public', tsaBag({ 'tsa-public-key': '-----BEGIN RSA PRIVATE KEY-----' })],
    ['two keys on two lines', tsaBag({ 'tsa-public-key': `${RSA}\n${RSA2}` })],
    ['key with an options line before it', tsaBag({ 'tsa-public-key': `command="sh"\n${RSA}` })],
    ['key with a CR inside', tsaBag({ 'tsa-public-key': `ssh-rsa AAAA\rBBBB` })],
    ['key with authorized_keys options', tsaBag({ 'tsa-public-key': `from="*" ${RSA}` })],
  ])('%s → undefined', (_, bag) => {
    expect(parseTsaOffer(bag)).toBeUndefined();
  });

  // A bad offer is ignored (the worker uses the others), never passed on to be refused when the env file is written.
  test.each(['evil host', 'a/b', 'h:2222', 'evil\nCONCOURSE_X=1', '[]'])('tsa-host %j → undefined', (host) => {
    expect(parseTsaOffer(tsaBag({ 'tsa-host': host }))).toBeUndefined();
  });
});

describe('parsePublicKey', () => {
  test.each([RSA, ED, ECDSA, 'ecdsa-sha2-nistp384 AAAA', 'ecdsa-sha2-nistp521 AAAA==', 'ssh-rsa AAAA'])(
    '%j → itself',
    (key) => {
      expect(parsePublicKey(key)).toBe(key);
    },
  );

  test('surrounding whitespace and trailing newline → trimmed', () => {
    expect(parsePublicKey(`\n\t${ED}  \n`)).toBe(ED);
  });

  test.each<[string, string | undefined]>([
    ['undefined', undefined],
    ['empty', ''],
    ['blank', '  \n'],
    ['unknown type', 'ssh-dss AAAA'],
    ['ecdsa with an unknown curve', 'ecdsa-sha2-nistp999 AAAA'],
    ['body not base64', 'ssh-rsa AAAA$$$$'],
    ['more than three padding characters', 'ssh-rsa AAAA===='],
    ['comment with a space', 'ssh-rsa AAAA two words'],
    ['two keys', `${RSA}\n${ED}`],
    ['key then a line of its own', `${RSA}\nssh-rsa`],
    ['comment with a tab', 'ssh-rsa AAAA a\tb'],
    ['comment with a non-ASCII character', 'ssh-rsa AAAA é'],
    ['type only', 'ssh-ed25519'],
    ['two spaces after the type', 'ssh-rsa  AAAA'],
  ])('%s → undefined', (_, text) => {
    expect(parsePublicKey(text)).toBeUndefined();
  });
});

describe('authorizedKeysFile', () => {
  test('no keys → empty file', () => {
    expect(authorizedKeysFile([])).toBe('');
    expect(authorizedKeysFile([undefined, '', 'garbage'])).toBe('');
  });

  test('keys → one per line, sorted, newline-terminated', () => {
    expect(authorizedKeysFile([RSA2, ED, RSA])).toBe(`${ED}\n${RSA}\n${RSA2}\n`);
  });

  test('duplicates (also after trimming) → once', () => {
    expect(authorizedKeysFile([RSA, `${RSA}\n`, ` ${RSA}`, ED, ED])).toBe(`${ED}\n${RSA}\n`);
  });

  test('invalid keys and departed units (undefined) → dropped, the valid ones kept', () => {
    expect(authorizedKeysFile([undefined, `${RSA}\n${RSA2}`, 'ssh-dss AAAA', ED, ''])).toBe(`${ED}\n`);
  });

  test('order units join in → same file', () => {
    const keys = [RSA, ED, ECDSA, RSA2];
    const reversed = [...keys].reverse();
    expect(authorizedKeysFile(reversed)).toBe(authorizedKeysFile(keys));
  });
});

describe('workerTargets', () => {
  const app = 'concourse-ci';
  const base = {
    app,
    local: undefined,
    peerOffers: [] as readonly TsaOffer[],
    flightOffers: [] as readonly TsaOffer[],
    flightRelated: false,
  };

  test('mode=all, local web running → its TSA on loopback, its key; peers and flight ignored', () => {
    const t = workerTargets({
      ...base,
      mode: 'all',
      local: offer('10.0.0.5', ED, 2223),
      peerOffers: [offer('10.0.0.6', RSA)],
      flightOffers: [offer('10.1.0.1', RSA2)],
    });
    expect(t).toEqual({ tsa: [{ host: '127.0.0.1', port: 2223 }], publicKeys: `${ED}\n` });
  });

  test('mode=all, local web not running → waiting for this unit’s web, even with peer offers', () => {
    const p = problemOf(() => workerTargets({ ...base, mode: 'all', peerOffers: [offer('10.0.0.6')] }));
    expect(p.status).toBe('waiting');
    expect(p.message).toBe('Worker waiting for this unit’s web to start');
  });

  test.each<Mode>(['auto', 'worker'])('mode=%s → every offer over peers and flight, keys sorted and unique', (mode) => {
    const t = workerTargets({
      ...base,
      mode,
      local: offer('10.9.9.9', ECDSA),
      peerOffers: [offer('10.0.0.5', RSA2)],
      flightOffers: [offer('10.1.0.1', RSA), offer('fd00::1', RSA2, 2224)],
      flightRelated: true,
    });
    expect(t.tsa).toEqual([
      { host: '10.0.0.5', port: 2222 },
      { host: '10.1.0.1', port: 2222 },
      { host: 'fd00::1', port: 2224 },
    ]);
    expect(t.publicKeys).toBe(`${RSA}\n${RSA2}\n`);
  });

  test('offers → the TSA addresses carry no key or version', () => {
    const t = workerTargets({ ...base, mode: 'worker', flightOffers: [offer('h')], flightRelated: true });
    expect(Object.keys(t.tsa[0] ?? {}).sort()).toEqual(['host', 'port']);
  });

  test('flight offers only (no peer web) → used', () => {
    const t = workerTargets({ ...base, mode: 'worker', flightOffers: [offer('10.1.0.1')], flightRelated: true });
    expect(t.tsa).toEqual([{ host: '10.1.0.1', port: 2222 }]);
  });

  test('mode=auto, no offer yet → waiting for the leader’s web (not blocked)', () => {
    const p = problemOf(() => workerTargets({ ...base, mode: 'auto' }));
    expect(p.status).toBe('waiting');
    expect(p.message).toBe('Worker waiting for the leader’s web to start');
  });

  test('mode=auto, local offer only → not used (the leader is another unit)', () => {
    expect(problemOf(() => workerTargets({ ...base, mode: 'auto', local: offer('10.0.0.5') })).status).toBe('waiting');
  });

  test('mode=worker, flight related but no offer yet → waiting for a web over flight', () => {
    const p = problemOf(() => workerTargets({ ...base, mode: 'worker', flightRelated: true }));
    expect(p.status).toBe('waiting');
    expect(p.message).toBe('Worker waiting for a web unit to offer its TSA over flight');
  });

  test('mode=worker, no flight relation → blocked with the integrate command', () => {
    const p = problemOf(() => workerTargets({ ...base, mode: 'worker', local: offer('10.0.0.5') }));
    expect(p.status).toBe('blocked');
    expect(p.message).toBe(
      'Worker has no web to register with: juju integrate concourse-ci:flight <web-application>:tsa',
    );
  });

  test('mode=web (no worker role, defensive) → same problems as mode=worker', () => {
    expect(problemOf(() => workerTargets({ ...base, mode: 'web' })).status).toBe('blocked');
    expect(problemOf(() => workerTargets({ ...base, mode: 'web', flightRelated: true })).status).toBe('waiting');
  });
});

describe('tsaPortNeeded', () => {
  test.each<[Mode, readonly Role[], boolean, boolean]>([
    ['all', ['web', 'worker'], false, false],
    ['all', ['web', 'worker'], true, true],
    ['auto', ['web'], false, false],
    ['auto', ['web'], true, true],
    ['auto', ['worker'], true, false],
    ['auto', ['worker'], false, false],
    ['web', ['web'], false, true],
    ['web', ['web'], true, true],
    ['worker', ['worker'], true, false],
    ['worker', ['worker'], false, false],
  ])('mode=%s roles=%j tsa related=%s → %s', (mode, roles, tsaRelated, needed) => {
    expect(tsaPortNeeded({ mode, roles, tsaRelated })).toBe(needed);
  });
});
