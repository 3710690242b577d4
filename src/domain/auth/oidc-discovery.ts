// Domain: whether the web would start with an OIDC login. Concourse's OIDC connector fetches
// `<issuer>/.well-known/openid-configuration` when the web starts and the web does not start when the answer is not
// 200, not JSON, or names another issuer (concourse/dex connector/oidc/oidc.go, go-oidc NewProvider: an exact
// string comparison, trailing slash included); the hook asks first and keeps the running web instead.

import { envFileValue } from '../credentials/pipeline-credentials';
import type { EnvEntry } from '../service-values';
import { AUTH_CA_DIR } from './web-auth';

/** What one GET of the discovery document gave. */
export type DiscoveryAnswer =
  | { readonly kind: 'answer'; readonly status: number; readonly body: string }
  /** The provider's certificate failed verification: Concourse would fail the same way. */
  | { readonly kind: 'untrusted'; readonly reason: string }
  /** No answer (refused, timed out, no route): the web may reach it where the hook cannot (a proxy), so no verdict. */
  | { readonly kind: 'no-answer'; readonly reason: string };

/** Where the OIDC CA is written on the unit (web-auth.ts names CA files after their option). */
export const OIDC_CA_FILE = `${AUTH_CA_DIR}/oidc-ca-cert.pem`;

/** The OIDC settings of a rendered web env that decide the discovery request. */
export interface OidcDiscoveryRequest {
  readonly issuer: string;
  readonly url: string;
  readonly skipVerify: boolean;
}

/** The discovery request the env's OIDC login makes at start, or undefined when no OIDC login is configured. */
export function oidcDiscoveryRequest(env: readonly EnvEntry[]): OidcDiscoveryRequest | undefined {
  const value = (name: string) => env.find(([k]) => k === name)?.[1];
  const issuer = value('CONCOURSE_OIDC_ISSUER');
  if (issuer === undefined || value('CONCOURSE_OIDC_CLIENT_SECRET') === undefined) return undefined;
  return {
    issuer,
    url: `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
    skipVerify: value('CONCOURSE_OIDC_SKIP_SSL_VALIDATION') === 'true',
  };
}

/** A blocked message when the web would not start with this issuer; undefined when it would, or cannot be told. */
export function judgeDiscovery(request: OidcDiscoveryRequest, answer: DiscoveryAnswer): string | undefined {
  const wouldNotStart = 'the web would not start with it';
  if (answer.kind === 'no-answer') return undefined;
  if (answer.kind === 'untrusted') {
    return `The OIDC issuer's certificate is not trusted (${answer.reason}): set oidc-ca-cert to its CA; ${wouldNotStart}`;
  }
  if (answer.status !== 200) {
    return `OIDC discovery at ${request.url} answered HTTP ${answer.status}: check oidc-issuer; ${wouldNotStart}`;
  }
  let claimed: unknown;
  try {
    claimed = (JSON.parse(answer.body) as { issuer?: unknown }).issuer;
  } catch {
    return `OIDC discovery at ${request.url} is not JSON: check oidc-issuer; ${wouldNotStart}`;
  }
  if (claimed !== request.issuer) {
    return `oidc-issuer is ${request.issuer} but its provider calls itself ${String(claimed)}: set oidc-issuer to exactly that; ${wouldNotStart}`;
  }
  return undefined;
}

/**
 * Whether the web already runs with this request: the same issuer, verification and CA as in its env file and CA
 * file on the unit. Then it opened the connector already and there is nothing to ask (nor to hold back).
 */
export function discoveryUnchanged(
  next: OidcDiscoveryRequest,
  nextCa: string | undefined,
  applied: { readonly envFile: string | undefined; readonly ca: string | undefined },
): boolean {
  return (
    envFileValue(applied.envFile, 'CONCOURSE_OIDC_ISSUER') === next.issuer &&
    (envFileValue(applied.envFile, 'CONCOURSE_OIDC_SKIP_SSL_VALIDATION') === 'true') === next.skipVerify &&
    (envFileValue(applied.envFile, 'CONCOURSE_OIDC_CA_CERT') === undefined ? undefined : applied.ca) === nextCa
  );
}
