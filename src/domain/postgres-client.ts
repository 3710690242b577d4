// Domain: the `postgresql_client` interface as the requirer sees it (the data_platform_libs protocol the
// postgresql charm speaks). The leader asks for a database and for the credentials as a Juju secret in one write;
// the provider answers in its application bag with `endpoints` and `secret-user` (a secret holding username and
// password). Older providers put `username`/`password` in the bag itself; both are read.

import { type PostgresConnection } from './concourse-services';
import { CharmProblem } from './errors';
import { isHost } from './service-values';
import { nonEmpty } from './text';

export const POSTGRES_ENDPOINT = 'postgresql';

/** What the provider may put in its secrets; we only need the user, but asking for the rest costs nothing. */
export const REQUESTED_SECRETS = ['username', 'password', 'tls', 'tls-ca', 'uris'] as const;

/**
 * The database this application asks for: named after the application (two Concourse applications on one
 * PostgreSQL never share a database), in the characters every PostgreSQL tool accepts without quoting.
 */
export function databaseName(app: string): string {
  return app.replace(/[^a-z0-9]/g, '_').slice(0, 63);
}

/** The requirer's application bag: written by the leader, both keys in one `relation-set`. */
export function databaseRequest(app: string): Readonly<Record<string, string>> {
  return { database: databaseName(app), 'requested-secrets': JSON.stringify(REQUESTED_SECRETS) };
}

export interface ProviderAnswer {
  readonly endpoint: { readonly host: string; readonly port: number } | undefined;
  /** The `secret-user` URI, when the provider shares credentials as a secret. */
  readonly secretUser: string | undefined;
  /** Credentials in the bag itself (providers from before secrets). */
  readonly plain: { readonly username: string; readonly password: string } | undefined;
  readonly database: string | undefined;
}

/** Reads the provider's application bag; anything malformed counts as not shared yet. */
export function parseProviderAnswer(bag: Readonly<Record<string, string>>): ProviderAnswer {
  const first = (bag.endpoints ?? '')
    .split(',')
    .map((s) => s.trim())
    .find((s) => s !== '');
  const username = bag.username;
  const password = bag.password;
  return {
    endpoint: first === undefined ? undefined : parseHostPort(first),
    secretUser: nonEmpty(bag['secret-user']),
    plain:
      username !== undefined && username !== '' && password !== undefined && password !== ''
        ? { username, password }
        : undefined,
    database: nonEmpty(bag.database),
  };
}

/** `host:port` or `[v6]:port`; the default port when none is given. */
export function parseHostPort(text: string): { readonly host: string; readonly port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(text);
  if (m === null) return undefined;
  const host = m[1] ?? m[2];
  const port = m[3] === undefined ? 5432 : Number(m[3]);
  // Remote input: a host that is not one (spaces, line breaks, `/`) is not an answer, so it is ignored, not used.
  if (host === undefined || !isHost(host) || (m[2] !== undefined && host.includes(':'))) return undefined;
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}

/**
 * Where this unit's `postgresql` relation stands, from what the hook tools show. Juju gives a charm no life for a
 * relation: one being removed stays listed by relation-ids while remote units remain on it (through the last
 * -relation-departed, one for each remote unit in turn), and the provider may already have dropped the user and the secret
 * it granted over it (a grant made over a relation goes with it). A relation just created lists no remote unit
 * either, until relation-joined: what tells the two apart is whether this unit has seen remote units on it before,
 * or sees one depart in this very hook.
 *
 * - `none`: no relation (or the one being broken in this hook).
 * - `joining`: related, no remote unit joined yet on this unit (relation-created, then start for a new unit).
 * - `live`: related with remote units: the provider's answer and secret are read, and a fault in them is reported.
 * - `departing`: a remote unit departs in this hook, others are left: a scale-down (the answer still works) or the
 *   first steps of a removal (the provider may have withdrawn it already), so a missing answer is no fault.
 * - `leaving`: still listed but its remote units have all departed (or the last departs in this hook), or its
 *   remote application is gone: going away, nothing of it is read and nothing said about its credentials.
 */
export type PostgresRelationState = 'none' | 'joining' | 'live' | 'departing' | 'leaving';

export function postgresRelationState(input: {
  /** relation-ids lists a postgresql relation (the one broken in this hook left out). */
  readonly listed: boolean;
  /** relation-list --app: the remote application, undefined when it is gone. */
  readonly remoteApp: string | undefined;
  /** relation-list, less the unit departing in this hook. */
  readonly remoteUnits: number;
  /** This hook is this relation's -relation-departed (its remote unit, the departing one, already left out). */
  readonly departingHere: boolean;
  /** This unit saw remote units on this relation in an earlier hook. */
  readonly joinedBefore: boolean;
}): PostgresRelationState {
  if (!input.listed) return 'none';
  if (input.remoteApp === undefined) return 'leaving';
  if (input.remoteUnits > 0) return input.departingHere ? 'departing' : 'live';
  return input.departingHere || input.joinedBefore ? 'leaving' : 'joining';
}

/** Whether the provider's answer and its `secret-user` secret are read at all: only while it has remote units. */
export function readsCredentials(state: PostgresRelationState): boolean {
  return state === 'live' || state === 'departing';
}

/**
 * Everything the web service needs from the relation, or the status that says what is missing. `answer` and
 * `credentials` count only where readsCredentials(relation). `credentials` is what the `secret-user` secret held
 * (undefined: unreadable, which on a live relation means revoked or removed).
 */
export function postgresConnection(input: {
  readonly app: string;
  readonly relation: PostgresRelationState;
  readonly answer: ProviderAnswer | undefined;
  readonly credentials: Readonly<Record<string, string>> | undefined;
}): PostgresConnection {
  switch (input.relation) {
    case 'none':
      throw new CharmProblem(
        'waiting',
        `PostgreSQL relation required: juju integrate ${input.app}:${POSTGRES_ENDPOINT} postgresql`,
      );
    case 'joining':
      throw new CharmProblem('waiting', 'PostgreSQL relation created, waiting for PostgreSQL units to join');
    // Going away: what the provider removed with it is not a fault to report (never the credentials status); the
    // web is handled as on -relation-broken, and that hook then asks for a new relation.
    case 'leaving':
      throw new CharmProblem('waiting', 'PostgreSQL relation departed: no PostgreSQL units left');
    case 'departing':
      try {
        return liveConnection(input.app, input.answer, input.credentials);
      } catch (error) {
        if (!(error instanceof CharmProblem)) throw error;
        throw new CharmProblem('waiting', 'PostgreSQL relation departing: credentials withdrawn', { cause: error });
      }
    case 'live':
      return liveConnection(input.app, input.answer, input.credentials);
  }
}

function liveConnection(
  app: string,
  answer: ProviderAnswer | undefined,
  credentials: Readonly<Record<string, string>> | undefined,
): PostgresConnection {
  if (answer?.endpoint === undefined || (answer.secretUser === undefined && answer.plain === undefined)) {
    throw new CharmProblem('waiting', 'PostgreSQL relation joined, credentials not yet shared');
  }
  let user = answer.plain;
  if (answer.secretUser !== undefined) {
    const c = credentials;
    if (c?.username === undefined || c.password === undefined || c.username === '' || c.password === '') {
      throw new CharmProblem(
        'blocked',
        `PostgreSQL credentials cannot be read (secret ${answer.secretUser} revoked or removed): ` +
          `juju remove-relation ${app} postgresql, then integrate again`,
      );
    }
    user = { username: c.username, password: c.password };
  }
  if (user === undefined) throw new CharmProblem('waiting', 'PostgreSQL relation joined, credentials not yet shared');
  return {
    host: answer.endpoint.host,
    port: answer.endpoint.port,
    user: user.username,
    password: user.password,
    database: answer.database ?? databaseName(app),
  };
}
