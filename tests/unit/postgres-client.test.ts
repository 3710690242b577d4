import { describe, expect, test } from 'vitest';
import {
  databaseName,
  databaseRequest,
  type PostgresRelationState,
  type ProviderAnswer,
  parseHostPort,
  parseProviderAnswer,
  postgresConnection,
  postgresRelationState,
  REQUESTED_SECRETS,
  readsCredentials,
} from '../../src/domain/postgres-client';
import { problemOf } from '../support/problems';

describe('databaseName', () => {
  test.each([
    ['concourse', 'concourse'],
    ['concourse-ci', 'concourse_ci'],
    ['ci-2-prod', 'ci_2_prod'],
    ['a.b/c d', 'a_b_c_d'],
    ['CI', '__'],
  ])('%j → %j (only [a-z0-9_], no quoting needed)', (app, name) => {
    expect(databaseName(app)).toBe(name);
  });

  test('long application name → cut at PostgreSQL’s 63-byte identifier limit', () => {
    const name = databaseName(`${'x'.repeat(60)}-abcdef`);
    expect(name).toHaveLength(63);
    expect(name).toBe(`${'x'.repeat(60)}_ab`);
  });

  test('two applications → two databases', () => {
    expect(databaseName('ci-a')).not.toBe(databaseName('ci-b'));
  });
});

describe('databaseRequest', () => {
  test('application name → database and requested secrets, both in one bag', () => {
    const bag = databaseRequest('concourse-ci');
    expect(Object.keys(bag).sort()).toEqual(['database', 'requested-secrets']);
    expect(bag.database).toBe('concourse_ci');
    const secrets: unknown = JSON.parse(bag['requested-secrets'] ?? 'null');
    expect(secrets).toEqual([...REQUESTED_SECRETS]);
    expect(secrets).toContain('username');
    expect(secrets).toContain('password');
  });
});

describe('parseHostPort', () => {
  test.each<[string, { host: string; port: number } | undefined]>([
    ['10.0.0.5:5432', { host: '10.0.0.5', port: 5432 }],
    ['db.example.com:6432', { host: 'db.example.com', port: 6432 }],
    ['10.0.0.5', { host: '10.0.0.5', port: 5432 }],
    ['[fd00::1]:5433', { host: 'fd00::1', port: 5433 }],
    ['[::1]', { host: '::1', port: 5432 }],
    ['host:1', { host: 'host', port: 1 }],
    ['host:65535', { host: 'host', port: 65535 }],
    ['host:0', undefined],
    ['host:65536', undefined],
    ['host:99999', undefined],
    ['host:123456', undefined],
    ['host:', undefined],
    ['host:abc', undefined],
    ['host:-1', undefined],
    [':5432', undefined],
    ['', undefined],
    ['[fd00::1', undefined],
    ['fd00::1:5432', undefined],
    ['a:1:2', undefined],
  ])('%j → %j', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
  });

  // Remote input: anything that is not a host is not an answer (ignored: waiting), never a host a file refuses later.
  test.each(['[]:5432', 'a b:5432', 'db\nX=1:5432', 'a/b:5432', '[fd00::1 x]:5432'])('%j → undefined', (text) => {
    expect(parseHostPort(text)).toBeUndefined();
  });
});

describe('parseProviderAnswer', () => {
  test('secret-based provider → endpoint, secret URI, no plain credentials', () => {
    expect(
      parseProviderAnswer({
        endpoints: '10.0.0.7:5432',
        'secret-user': 'secret://model/cu0abc',
        database: 'concourse_ci',
      }),
    ).toEqual({
      endpoint: { host: '10.0.0.7', port: 5432 },
      secretUser: 'secret://model/cu0abc',
      plain: undefined,
      database: 'concourse_ci',
    });
  });

  test('legacy provider → username and password from the bag', () => {
    expect(parseProviderAnswer({ endpoints: 'pg:5432', username: 'relation-7', password: 'pw' })).toEqual({
      endpoint: { host: 'pg', port: 5432 },
      secretUser: undefined,
      plain: { username: 'relation-7', password: 'pw' },
      database: undefined,
    });
  });

  test.each<[string, string, { host: string; port: number } | undefined]>([
    ['several endpoints → the first', '10.0.0.7:5432,10.0.0.8:5432', { host: '10.0.0.7', port: 5432 }],
    ['spaces and empty items → the first non-empty, trimmed', ' , 10.0.0.8:6432 ,', { host: '10.0.0.8', port: 6432 }],
    ['IPv6 in brackets', '[fd00::7]:5432,[fd00::8]:5432', { host: 'fd00::7', port: 5432 }],
    ['no port → 5432', 'pg-primary', { host: 'pg-primary', port: 5432 }],
    ['malformed first endpoint → no endpoint (not the second)', 'pg:notaport,10.0.0.8:5432', undefined],
    ['port out of range', 'pg:70000', undefined],
    ['empty', '', undefined],
    ['only separators', ' , ,', undefined],
  ])('endpoints: %s', (_, endpoints, endpoint) => {
    expect(parseProviderAnswer({ endpoints }).endpoint).toEqual(endpoint);
  });

  test('nothing shared yet → every field undefined', () => {
    expect(parseProviderAnswer({})).toEqual({
      endpoint: undefined,
      secretUser: undefined,
      plain: undefined,
      database: undefined,
    });
  });

  test.each<[string, Record<string, string>]>([
    ['empty username', { username: '', password: 'pw' }],
    ['empty password', { username: 'u', password: '' }],
    ['username only', { username: 'u' }],
    ['password only', { password: 'pw' }],
  ])('half the legacy credentials (%s) → no plain credentials', (_, bag) => {
    expect(parseProviderAnswer(bag).plain).toBeUndefined();
  });

  test('empty secret-user and database → treated as absent', () => {
    const answer = parseProviderAnswer({ endpoints: 'pg', 'secret-user': '', database: '' });
    expect(answer.secretUser).toBeUndefined();
    expect(answer.database).toBeUndefined();
  });
});

describe('postgresConnection', () => {
  const app = 'concourse-ci';
  const secretAnswer: ProviderAnswer = parseProviderAnswer({
    endpoints: '10.0.0.7:5432',
    'secret-user': 'secret://model/cu0abc',
    database: 'concourse_ci',
  });
  const credentials = { username: 'relation-7', password: 's3cret', tls: 'False' };

  test('not related → waiting, with the integrate command', () => {
    const p = problemOf(() => postgresConnection({ app, relation: 'none', answer: undefined, credentials: undefined }));
    expect(p.status).toBe('waiting');
    expect(p.message).toBe('PostgreSQL relation required: juju integrate concourse-ci:postgresql postgresql');
  });

  test('not related → waiting even if a stale answer is passed', () => {
    const p = problemOf(() => postgresConnection({ app, relation: 'none', answer: secretAnswer, credentials }));
    expect(p.message).toMatch(/^PostgreSQL relation required/);
  });

  test.each<[string, ProviderAnswer | undefined]>([
    ['no answer at all', undefined],
    ['empty bag', parseProviderAnswer({})],
    [
      'credentials but no endpoint',
      parseProviderAnswer({ 'secret-user': 'secret://m/x', username: 'u', password: 'p' }),
    ],
    ['malformed endpoint', parseProviderAnswer({ endpoints: 'pg:0', 'secret-user': 'secret://m/x' })],
    ['endpoint but no credentials', parseProviderAnswer({ endpoints: 'pg:5432', database: 'db' })],
    ['endpoint and half the legacy credentials', parseProviderAnswer({ endpoints: 'pg:5432', username: 'u' })],
  ])('related, %s → waiting, credentials not yet shared', (_, answer) => {
    const p = problemOf(() => postgresConnection({ app, relation: 'live', answer, credentials }));
    expect(p.status).toBe('waiting');
    expect(p.message).toBe('PostgreSQL relation joined, credentials not yet shared');
  });

  test('secret shared and readable → connection with the secret’s user', () => {
    expect(postgresConnection({ app, relation: 'live', answer: secretAnswer, credentials })).toEqual({
      host: '10.0.0.7',
      port: 5432,
      user: 'relation-7',
      password: 's3cret',
      database: 'concourse_ci',
    });
  });

  test.each<[string, Record<string, string> | undefined]>([
    ['secret unreadable', undefined],
    ['secret without username', { password: 's3cret' }],
    ['secret without password', { username: 'relation-7' }],
    ['secret with empty username', { username: '', password: 's3cret' }],
    ['secret with empty password', { username: 'relation-7', password: '' }],
  ])('%s → blocked, naming the secret and the fix', (_, creds) => {
    const p = problemOf(() => postgresConnection({ app, relation: 'live', answer: secretAnswer, credentials: creds }));
    expect(p.status).toBe('blocked');
    expect(p.message).toContain('secret://model/cu0abc');
    expect(p.message).toContain('juju remove-relation concourse-ci postgresql');
    // Whatever the secret held is never shown.
    expect(p.message).not.toContain('s3cret');
  });

  test('secret and legacy credentials both present → the secret wins', () => {
    const answer = parseProviderAnswer({
      endpoints: 'pg:5432',
      'secret-user': 'secret://model/cu0abc',
      username: 'old-user',
      password: 'old-pw',
    });
    const c = postgresConnection({ app, relation: 'live', answer, credentials });
    expect(c).toMatchObject({ user: 'relation-7', password: 's3cret' });
  });

  test('secret unreadable, legacy credentials present → still blocked (the secret is what the provider means)', () => {
    const answer = parseProviderAnswer({
      endpoints: 'pg:5432',
      'secret-user': 'secret://model/cu0abc',
      username: 'old-user',
      password: 'old-pw',
    });
    expect(problemOf(() => postgresConnection({ app, relation: 'live', answer, credentials: undefined })).status).toBe(
      'blocked',
    );
  });

  test('legacy provider (username/password in the bag) → connection without reading any secret', () => {
    const answer = parseProviderAnswer({
      endpoints: '[fd00::7]:6432',
      username: 'relation-3',
      password: 'pw',
      database: 'ci',
    });
    expect(postgresConnection({ app, relation: 'live', answer, credentials: undefined })).toEqual({
      host: 'fd00::7',
      port: 6432,
      user: 'relation-3',
      password: 'pw',
      database: 'ci',
    });
  });

  test('provider names no database → the one this application asked for', () => {
    const answer = parseProviderAnswer({ endpoints: 'pg', username: 'u', password: 'p' });
    const c = postgresConnection({ app, relation: 'live', answer, credentials: undefined });
    expect(c.database).toBe(databaseName(app));
    expect(c.database).toBe(databaseRequest(app).database);
    expect(c.port).toBe(5432);
  });
});

describe('postgresRelationState', () => {
  const base = { listed: true, remoteApp: 'postgresql', remoteUnits: 0, departingHere: false, joinedBefore: false };

  test.each<[string, Partial<typeof base>, PostgresRelationState]>([
    ['not listed (no relation, or the one broken in this hook)', { listed: false }, 'none'],
    ['not listed, whatever else is seen', { listed: false, remoteUnits: 2, joinedBefore: true }, 'none'],
    ['listed with remote units', { remoteUnits: 1 }, 'live'],
    ['listed with remote units, seen before', { remoteUnits: 3, joinedBefore: true }, 'live'],
    // One of several remote units departs: a scale-down, or the first steps of a removal.
    ['a departed hook with other remote units left', { remoteUnits: 1, departingHere: true }, 'departing'],
    [
      'a departed hook with others left, seen before',
      { remoteUnits: 2, departingHere: true, joinedBefore: true },
      'departing',
    ],
    // relation-created (and a new unit's start) come before relation-joined.
    ['just created: no remote unit has joined yet', {}, 'joining'],
    // Removal: departed for the last remote unit (relation-list already leaves it out).
    ['the last remote unit departs in this hook', { departingHere: true }, 'leaving'],
    ['the last remote unit departs, seen before', { departingHere: true, joinedBefore: true }, 'leaving'],
    // Any hook between the last departed and broken (update-status, config-changed, secret-changed...).
    ['every remote unit departed in an earlier hook', { joinedBefore: true }, 'leaving'],
    ['remote application gone', { remoteApp: undefined, remoteUnits: 1 }, 'leaving'],
    ['remote application gone, no units', { remoteApp: undefined }, 'leaving'],
  ])('%s → %s', (_, facts, state) => {
    expect(postgresRelationState({ ...base, ...facts })).toBe(state);
  });

  test.each<[PostgresRelationState, boolean]>([
    ['none', false],
    ['joining', false],
    ['leaving', false],
    ['departing', true],
    ['live', true],
  ])('%s → credentials read: %s', (state, reads) => {
    expect(readsCredentials(state)).toBe(reads);
  });
});

describe('postgresConnection while the relation comes or goes', () => {
  const app = 'concourse-ci';
  const shared = parseProviderAnswer({ endpoints: '10.0.0.7:5432', 'secret-user': 'secret://model/cu0abc' });
  const credentials = { username: 'relation-7', password: 's3cret' };

  test.each<[string, ProviderAnswer | undefined, Record<string, string> | undefined]>([
    // What a provider leaves while the relation goes: the answer with a secret that cannot be read any more...
    ['answer still names the secret, secret unreadable', shared, undefined],
    // ...or nothing at all once it cleared its bag.
    ['provider’s bag cleared', parseProviderAnswer({}), undefined],
    ['nothing read', undefined, undefined],
    // Even a secret still readable is not used: the relation is going.
    ['secret still readable', shared, credentials],
  ])('leaving, %s → waiting, relation departed; never the credentials status', (_, answer, creds) => {
    const p = problemOf(() => postgresConnection({ app, relation: 'leaving', answer, credentials: creds }));
    expect(p.status).toBe('waiting');
    expect(p.message).toBe('PostgreSQL relation departed: no PostgreSQL units left');
    expect(p.message).not.toMatch(/credentials/);
  });

  test.each<[string, ProviderAnswer | undefined, Record<string, string> | undefined]>([
    ['nothing shared yet', parseProviderAnswer({}), undefined],
    // A unit added to a working relation: the provider answered long ago, its units join after start.
    ['provider answered already', shared, credentials],
    ['answer names a secret not read', shared, undefined],
  ])('joining, %s → waiting for the units to join, not "joined"', (_, answer, creds) => {
    const p = problemOf(() => postgresConnection({ app, relation: 'joining', answer, credentials: creds }));
    expect(p.status).toBe('waiting');
    expect(p.message).toBe('PostgreSQL relation created, waiting for PostgreSQL units to join');
  });

  test('departing, the answer still works (a PostgreSQL unit removed) → the connection, the web stays up', () => {
    expect(postgresConnection({ app, relation: 'departing', answer: shared, credentials })).toMatchObject({
      host: '10.0.0.7',
      user: 'relation-7',
      password: 's3cret',
    });
  });

  test.each<[string, ProviderAnswer | undefined, Record<string, string> | undefined]>([
    // The first departed hooks of a removal, with a provider that revoked the grant as soon as removal started.
    ['secret unreadable', shared, undefined],
    ['secret without password', shared, { username: 'relation-7' }],
    ['provider’s bag cleared', parseProviderAnswer({}), undefined],
  ])('departing, %s → waiting, credentials withdrawn; never blocked', (_, answer, creds) => {
    const p = problemOf(() => postgresConnection({ app, relation: 'departing', answer, credentials: creds }));
    expect(p.status).toBe('waiting');
    expect(p.message).toBe('PostgreSQL relation departing: credentials withdrawn');
    expect(p.message).not.toContain('cannot be read');
  });

  test('gone (after -relation-broken) → waiting, with the integrate command', () => {
    const p = problemOf(() => postgresConnection({ app, relation: 'none', answer: shared, credentials }));
    expect(p).toMatchObject({
      status: 'waiting',
      message: 'PostgreSQL relation required: juju integrate concourse-ci:postgresql postgresql',
    });
  });

  test('live, the same unreadable secret → blocked: only a live relation’s credentials are a fault', () => {
    expect(
      problemOf(() => postgresConnection({ app, relation: 'live', answer: shared, credentials: undefined })).status,
    ).toBe('blocked');
  });
});
