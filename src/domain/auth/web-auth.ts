// Domain: who may log in to the web. Parses the auth options (names as fourdollars/concourse-ci-machine uses them)
// into one decision: the `CONCOURSE_*` entries for local users, LDAP, OIDC, generic OAuth and GitHub, the CA files
// they point at, and the main team's members; or a blocked status when a provider is half set or the main team would
// have no way in.

import { z } from 'zod';
import { InvalidInputError } from '../errors';
import type { EnvEntry } from '../service-values';
import {
  type OptionFamily,
  parseFamilyWithSecrets,
  type SecretContents,
  secretMap,
  secretUriOption,
  secretValue,
} from './secret-options';

/** CA certificates the providers are told about live here on the unit (public data: 0644). */
export const AUTH_CA_DIR = '/etc/concourse/auth';

const text = () => z.string().default('');
const flag = () => z.boolean().default(false);

/** Options copied as they are: `CONCOURSE_` + the option name in upper snake case is the variable. */
export const PLAIN_AUTH_OPTIONS = [
  'ldap-display-name',
  'ldap-host',
  'ldap-bind-dn',
  'ldap-user-search-base-dn',
  'ldap-user-search-username',
  'ldap-user-search-id-attr',
  'ldap-user-search-email-attr',
  'ldap-user-search-name-attr',
  'ldap-user-search-filter',
  'ldap-group-search-base-dn',
  'ldap-group-search-name-attr',
  'ldap-group-search-user-attr',
  'ldap-group-search-group-attr',
  'ldap-group-search-filter',
  'oidc-display-name',
  'oidc-issuer',
  'oidc-client-id',
  'oidc-scope',
  'oidc-groups-key',
  'oidc-user-name-key',
  'oauth-display-name',
  'oauth-client-id',
  'oauth-auth-url',
  'oauth-token-url',
  'oauth-userinfo-url',
  'oauth-scope',
  'oauth-groups-key',
  'oauth-user-id-key',
  'oauth-user-name-key',
  'github-client-id',
  'github-host',
  'main-team-ldap-group',
  'main-team-oauth-user',
  'main-team-oauth-group',
  'main-team-oidc-user',
  'main-team-oidc-group',
  'main-team-github-org',
  'main-team-github-team',
  'main-team-github-user',
] as const;
type PlainOption = (typeof PLAIN_AUTH_OPTIONS)[number];

const CA_OPTIONS = ['ldap-ca-cert', 'oidc-ca-cert', 'oauth-ca-cert', 'github-ca-cert'] as const;
type CaOption = (typeof CA_OPTIONS)[number];

const schema = z.object({
  ...(Object.fromEntries(PLAIN_AUTH_OPTIONS.map((o) => [o, text()])) as Record<PlainOption, ReturnType<typeof text>>),
  ...(Object.fromEntries(CA_OPTIONS.map((o) => [o, text()])) as Record<CaOption, ReturnType<typeof text>>),
  'main-team-local-user': text(),
  'oidc-skip-ssl-validation': flag(),
  'oauth-skip-ssl-validation': flag(),
  'extra-local-users': secretUriOption('extra-local-users'),
  'ldap-bind-pw': secretUriOption('ldap-bind-pw'),
  'oidc-client-secret': secretUriOption('oidc-client-secret'),
  'oauth-client-secret': secretUriOption('oauth-client-secret'),
  'github-client-secret': secretUriOption('github-client-secret'),
});
export type WebAuthOptions = OptionFamily<z.infer<typeof schema>>;

/** Parses the raw config once; a value of the wrong shape is a blocked status naming the option. */
export function parseWebAuthOptions(raw: Readonly<Record<string, unknown>>): WebAuthOptions {
  return parseFamilyWithSecrets(schema, raw, [
    'extra-local-users',
    'ldap-bind-pw',
    'oidc-client-secret',
    'oauth-client-secret',
    'github-client-secret',
  ]);
}

export interface AuthFile {
  readonly path: string;
  readonly content: string;
}

export interface WebAuth {
  readonly env: readonly EnvEntry[];
  /** CA certificates named by the env entries. */
  readonly files: readonly AuthFile[];
}

interface Provider {
  readonly name: string;
  /** Options that make it "set" when any is non-empty (its secret option included). */
  readonly trigger: readonly string[];
  /** Options that must then all be set. */
  readonly required: readonly string[];
  readonly mainTeam: readonly PlainOption[];
}

const PROVIDERS: readonly Provider[] = [
  {
    name: 'LDAP',
    trigger: ['ldap-host', 'ldap-bind-dn', 'ldap-bind-pw', 'ldap-user-search-base-dn'],
    // Concourse drops an LDAP connector without a bind DN and password (skycmd/ldap_flags.go Validate: no anonymous
    // bind), and dex refuses to start without the user search's base DN and attribute (connector/ldap/ldap.go).
    required: ['ldap-host', 'ldap-bind-dn', 'ldap-bind-pw', 'ldap-user-search-base-dn', 'ldap-user-search-username'],
    mainTeam: ['main-team-ldap-group'],
  },
  {
    name: 'OIDC',
    trigger: ['oidc-issuer', 'oidc-client-id', 'oidc-client-secret'],
    required: ['oidc-issuer', 'oidc-client-id', 'oidc-client-secret'],
    mainTeam: ['main-team-oidc-user', 'main-team-oidc-group'],
  },
  {
    name: 'OAuth',
    trigger: ['oauth-client-id', 'oauth-client-secret', 'oauth-auth-url', 'oauth-token-url', 'oauth-userinfo-url'],
    required: ['oauth-client-id', 'oauth-client-secret', 'oauth-auth-url', 'oauth-token-url', 'oauth-userinfo-url'],
    mainTeam: ['main-team-oauth-user', 'main-team-oauth-group'],
  },
  {
    name: 'GitHub',
    trigger: ['github-client-id', 'github-client-secret'],
    required: ['github-client-id', 'github-client-secret'],
    mainTeam: ['main-team-github-org', 'main-team-github-team', 'main-team-github-user'],
  },
];

const BCRYPT = /^\$2[aby]?\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const LOCAL_USER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function envName(option: string): string {
  return `CONCOURSE_${option.toUpperCase().replaceAll('-', '_')}`;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * The env entries for every login method, the initial admin included (`CONCOURSE_ADD_LOCAL_USER` and
 * `CONCOURSE_MAIN_TEAM_LOCAL_USER` are whole lists, so the admin's entry is made here too).
 */
export function renderWebAuth(
  options: WebAuthOptions,
  contents: SecretContents,
  admin: { readonly username: string; readonly password: string },
): WebAuth {
  const v = options.values;
  const isSet = (option: string): boolean => {
    const value: unknown = (v as Record<string, unknown>)[option];
    return typeof value === 'string' ? value.trim() !== '' : value !== undefined && value !== false;
  };

  const configured = new Set<string>();
  for (const p of PROVIDERS) {
    if (!p.trigger.some(isSet)) continue;
    const missing = p.required.filter((o) => !isSet(o));
    if (missing.length > 0) throw new InvalidInputError(`${p.name} login is half set: also set ${missing.join(', ')}`);
    configured.add(p.name);
  }
  githubEnterprise(v['github-host'], v['github-ca-cert']);

  const users = localUsers(contents, admin);
  const mainLocal = isSet('main-team-local-user') ? list(v['main-team-local-user']) : [admin.username];
  const strangers = mainLocal.filter((u) => !users.has(u));
  if (strangers.length > 0) {
    throw new InvalidInputError(
      `The main team would have no way in for ${strangers.join(', ')}: main-team-local-user names users that are neither initial-admin-username nor in extra-local-users`,
    );
  }
  for (const p of PROVIDERS) {
    const orphans = p.mainTeam.filter((o) => isSet(o) && !configured.has(p.name));
    if (orphans.length > 0) {
      throw new InvalidInputError(
        `The main team would have no way in: ${orphans.join(', ')} needs ${p.name} login (set ${p.required.join(', ')})`,
      );
    }
  }

  const env: EnvEntry[] = [
    ['CONCOURSE_ADD_LOCAL_USER', [...users].map(([u, p]) => `${u}:${p}`).join(',')],
    ['CONCOURSE_MAIN_TEAM_LOCAL_USER', mainLocal.join(',')],
  ];
  for (const option of PLAIN_AUTH_OPTIONS) {
    if (isSet(option)) env.push([envName(option), v[option].trim()]);
  }
  const secretEnv = {
    'ldap-bind-pw': secretValue(contents, 'ldap-bind-pw'),
    'oidc-client-secret': secretValue(contents, 'oidc-client-secret'),
    'oauth-client-secret': secretValue(contents, 'oauth-client-secret'),
    'github-client-secret': secretValue(contents, 'github-client-secret'),
  };
  for (const [option, value] of Object.entries(secretEnv)) {
    if (value !== undefined) env.push([envName(option), value]);
  }
  for (const option of ['oidc-skip-ssl-validation', 'oauth-skip-ssl-validation'] as const) {
    if (v[option]) env.push([envName(option), 'true']);
  }
  const files: AuthFile[] = [];
  for (const option of CA_OPTIONS) {
    const pem = v[option].trim();
    if (pem === '') continue;
    if (!/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/.test(pem)) {
      throw new InvalidInputError(`${option} must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)`);
    }
    const path = `${AUTH_CA_DIR}/${option}.pem`;
    files.push({ path, content: `${pem}\n` });
    env.push([envName(option), path]);
  }
  return { env, files };
}

/** dex's GitHub connector (connector/github/github.go Open) refuses a host with a slash and a CA without a host. */
function githubEnterprise(host: string, ca: string): void {
  if (host.trim() !== '' && !/^[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(host.trim())) {
    throw new InvalidInputError('github-host must be a bare host name such as github.example.com (no scheme, no path)');
  }
  if (ca.trim() !== '' && host.trim() === '') {
    throw new InvalidInputError('github-ca-cert is for GitHub Enterprise: set github-host too');
  }
}

/** The initial admin plus extra-local-users, checked as Concourse would check them at start. */
function localUsers(
  contents: SecretContents,
  admin: { readonly username: string; readonly password: string },
): Map<string, string> {
  const users = new Map<string, string>([[admin.username, admin.password]]);
  for (const [user, password] of Object.entries(secretMap(contents, 'extra-local-users') ?? {})) {
    if (!LOCAL_USER.test(user)) {
      throw new InvalidInputError(`extra-local-users: "${user}" is not a valid user name (letters, digits, . _ -)`);
    }
    if (users.has(user)) {
      throw new InvalidInputError(`extra-local-users: "${user}" is the initial admin already; choose another name`);
    }
    // CONCOURSE_ADD_LOCAL_USER is a comma-separated list: a comma inside a password would split it.
    if (password === '' || password.includes(',')) {
      throw new InvalidInputError(`extra-local-users: the password of "${user}" is empty or holds a comma`);
    }
    const cost = BCRYPT.exec(password)?.[1];
    if (password.startsWith('$2') && (cost === undefined || Number(cost) < 10)) {
      throw new InvalidInputError(
        `extra-local-users: the bcrypt hash of "${user}" must be valid with a cost of 10 or more`,
      );
    }
    users.set(user, password);
  }
  return users;
}
