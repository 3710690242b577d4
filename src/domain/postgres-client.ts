// Domain: the `postgresql_client` interface as the requirer sees it (the data_platform_libs protocol the
// postgresql charm speaks). The leader asks for a database and for the credentials as a Juju secret in one write;
// the provider answers in its application bag with `endpoints` and `secret-user` (a secret holding username and
// password). Older providers put `username`/`password` in the bag itself; both are read.

import { isHost, type PostgresConnection } from './concourse-services';
import { CharmProblem } from './errors';

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
 * Everything the web service needs from the relation, or the status that says what is missing. `credentials` is
 * what the `secret-user` secret held (undefined: unreadable, which means revoked or removed).
 */
export function postgresConnection(input: {
  readonly app: string;
  readonly related: boolean;
  readonly answer: ProviderAnswer | undefined;
  readonly credentials: Readonly<Record<string, string>> | undefined;
}): PostgresConnection {
  if (!input.related) {
    throw new CharmProblem(
      'waiting',
      `PostgreSQL relation required: juju integrate ${input.app}:${POSTGRES_ENDPOINT} postgresql`,
    );
  }
  const answer = input.answer;
  if (answer?.endpoint === undefined || (answer.secretUser === undefined && answer.plain === undefined)) {
    throw new CharmProblem('waiting', 'PostgreSQL relation joined, credentials not yet shared');
  }
  let user = answer.plain;
  if (answer.secretUser !== undefined) {
    const c = input.credentials;
    if (c?.username === undefined || c.password === undefined || c.username === '' || c.password === '') {
      throw new CharmProblem(
        'blocked',
        `PostgreSQL credentials cannot be read (secret ${answer.secretUser} revoked or removed): ` +
          `juju remove-relation ${input.app} postgresql, then integrate again`,
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
    database: answer.database ?? databaseName(input.app),
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
