// Domain: the values that go into the services' unit and env files, and the checks each one passes first: quoting
// for systemd's EnvironmentFile=, host:port, and one schema per kind of field (paths systemd must not expand, hosts,
// URLs, admin credentials). A value that fails names its field, never a secret.

import { z } from 'zod';
import { CharmProblem } from './errors';

/** A value the services cannot be configured with: the message names the field, never a secret value. */
export class ServiceConfigProblem extends CharmProblem {}

const ENV_HEADER = '# Written by the concourse-ci-machine charm on every change; read by systemd (EnvironmentFile=).';

export type EnvEntry = readonly [key: string, value: string];

/**
 * An EnvironmentFile= for systemd. Every value is double-quoted with `"`, `\`, `` ` `` and `$` backslash-escaped:
 * systemd's parser unescapes exactly those inside double quotes, and a POSIX shell reads the same values. Control
 * characters (line breaks above all) are refused, not escaped: no Concourse setting needs one, and a value from
 * relation data must never start a line of its own.
 */
export function renderEnvFile(entries: readonly EnvEntry[]): string {
  const seen = new Set<string>();
  const body = entries.map(([key, value]) => {
    if (!ENV_KEY.test(key)) throw new RangeError(`invalid environment variable name ${JSON.stringify(key)}`);
    if (seen.has(key)) throw new RangeError(`environment variable ${key} given twice`);
    seen.add(key);
    return `${key}=${quoteEnvValue(key, value)}`;
  });
  return lines([ENV_HEADER, ...body]);
}

/** One value, quoted for an EnvironmentFile=; `key` only names the variable in the error. */
export function quoteEnvValue(key: string, value: string): string {
  if (CONTROL_OR_LONE_SURROGATE.test(value)) {
    throw new ServiceConfigProblem(
      'blocked',
      `Refusing to write ${key}: its value holds a line break or another control character`,
    );
  }
  return `"${value.replace(/["\\`$]/g, (c) => `\\${c}`)}"`;
}

/** `host:port`, with IPv6 literals bracketed as Go's net.SplitHostPort (and so Concourse) expects. */
export function formatHostPort(hostName: string, portNumber: number): string {
  return hostName.includes(':') ? `[${hostName}]:${portNumber}` : `${hostName}:${portNumber}`;
}

// The worker reads the proxy settings under lowercase names (Concourse's explicit `env:` tags).
const ENV_KEY = /^(?:[A-Z_][A-Z0-9_]*|http_proxy|https_proxy|no_proxy)$/;
const CONTROL_OR_LONE_SURROGATE = /[\p{Cc}\p{Cs}]/u;

export const port = z.number().int().min(1).max(65535);
// Hostnames (RFC 1123 labels, so IPv4 too) or IPv6 literals: nothing a unit file, an env file or a URL could misread.
export const host = z
  .string()
  .transform((s) => s.replace(/^\[(.*)\]$/, '$1'))
  .refine(
    (s) =>
      /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(
        s,
      ) || /^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$/.test(s),
  );
/** A hostname (RFC 1123), an IPv4 address or an IPv6 literal (brackets allowed): nothing a file or URL could misread. */
export function isHost(text: string): boolean {
  return host.safeParse(text).success;
}

// Paths written into unit files: no spaces, quotes, `%` specifiers or `$` variables for systemd to expand.
export const unitPath = z.string().refine((s) => /^\/[A-Za-z0-9._/-]*$/.test(s) && !s.split('/').includes('..'));
export const workerName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/);
export const volumeIdText = z.string().regex(/^[0-9A-Za-z-]{1,64}$/);
export const nonEmpty = z.string().min(1);
export const httpUrl = z.string().refine((s) => {
  if (/[\s"'`\\]/.test(s)) return false;
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
});
export const adminUsername = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
// CONCOURSE_ADD_LOCAL_USER is a comma-separated list of `user:password`: a comma would start another user.
export const adminPassword = z
  .string()
  .min(1)
  .refine((s) => !s.includes(','));

/** Validates one field; the message names the field and, for anything that may be secret, never the value. */
export function check<S extends z.ZodType>(schema: S, value: z.input<S>, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const shown =
      SECRET_FIELDS.has(what) || (typeof value !== 'string' && typeof value !== 'number')
        ? ''
        : ` ${JSON.stringify(typeof value === 'string' ? truncate(value) : value)}`;
    throw new ServiceConfigProblem('blocked', `Invalid ${what}${shown} for the Concourse services`);
  }
  return result.data;
}

const SECRET_FIELDS = new Set(['admin password', 'PostgreSQL password']);

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

export function lines(all: readonly string[]): string {
  return `${all.join('\n')}\n`;
}
