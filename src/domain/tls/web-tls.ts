// Domain: what holding a certificate changes for the web: HTTPS on `web-port`, Concourse's plain-HTTP listener moved
// aside (opened only when the operator asks for the redirect), the https:// external URL, and the status wording.
//
// Concourse (atc/atccmd/command.go) always keeps its plain listener on --bind-port; with --tls-bind-port set it
// redirects browsers there (the UI and login, matched on the external URL's host) to HTTPS and serves the API
// unredirected, and it refuses to start with TLS and an http:// --external-url ("must specify HTTPS external-url").

import { z } from 'zod';
import { CONCOURSE_KEYS_DIR } from '../concourse-services';
import { InvalidInputError } from '../errors';
import type { EnvEntry } from '../service-values';
import { ConcourseVersion } from '../version';

/** The private key: made on the unit, never sent anywhere; readable by root and the web's group only. */
export const TLS_KEY_FILE = `${CONCOURSE_KEYS_DIR}/web-tls.key`;
/** Certificate then chain (Concourse --tls-cert). */
export const TLS_CERT_FILE = `${CONCOURSE_KEYS_DIR}/web-tls.crt`;
/** The provider's CA, for operators and clients (`fly -c … --ca-cert`); public. */
export const TLS_CA_FILE = `${CONCOURSE_KEYS_DIR}/web-tls-ca.crt`;

export interface TlsPorts {
  /** Where Concourse's plain listener binds while it serves HTTPS on web-port. */
  readonly httpPort: number;
  /** Opened with open-port besides web-port: the redirect, when asked for. */
  readonly redirectPort: number | undefined;
}

/**
 * The plain listener's port: `tls-redirect-http-port` when set (opened: browsers get redirected to HTTPS), else the
 * first of 8080, 8081, … that web-port, the TSA and metrics do not use (left closed: only the unit itself uses it,
 * for the readiness check of /api/v1/info).
 */
export function tlsPorts(input: {
  readonly webPort: number;
  readonly redirectPort: number;
  readonly tsaPort: number;
  readonly metricsPort: number | undefined;
}): TlsPorts {
  const taken = new Set([
    input.webPort,
    input.tsaPort,
    ...(input.metricsPort === undefined ? [] : [input.metricsPort]),
  ]);
  if (input.redirectPort !== 0) {
    if (taken.has(input.redirectPort)) {
      throw new InvalidInputError(
        `tls-redirect-http-port ${input.redirectPort} is taken by web-port, tsa-port or metrics-port: choose another`,
      );
    }
    return { httpPort: input.redirectPort, redirectPort: input.redirectPort };
  }
  let httpPort = 8080;
  while (taken.has(httpPort)) httpPort += 1;
  return { httpPort, redirectPort: undefined };
}

/** The flags that turn HTTPS on (all in flags-<version>.tsv: --tls-bind-port, --tls-cert, --tls-key). */
export function tlsEnv(webPort: number): readonly EnvEntry[] {
  return [
    ['CONCOURSE_TLS_BIND_PORT', String(webPort)],
    ['CONCOURSE_TLS_CERT', TLS_CERT_FILE],
    ['CONCOURSE_TLS_KEY', TLS_KEY_FILE],
  ];
}

/** From 8.2.0 the HTTPS listener reloads its certificate on SIGHUP (atc/tls/runner.go, ReloadableHTTPSListener). */
const RELOADS_TLS = ConcourseVersion.parse('8.2.0');

/** Whether a renewed certificate needs a restart of the web, or a reload (SIGHUP, the unit's ExecReload) does. */
export function certificateChange(version: ConcourseVersion): 'restart' | 'reload' {
  return version.compare(RELOADS_TLS) >= 0 ? 'reload' : 'restart';
}

/** external-url while a certificate is held: the operator's, which must then be https://, or https://<address>:<port>. */
export function tlsExternalUrl(configured: string | undefined, hostPort: string): string {
  if (configured === undefined) return `https://${hostPort}`;
  if (!configured.startsWith('https://')) {
    throw new InvalidInputError(
      'external-url is http:// but the web holds a certificate (certificates): set an https:// external-url or unset it',
    );
  }
  return configured;
}

/** What a unit remembers of TLS between hooks (charm state `tls`). */
const memorySchema = z.object({
  /** The CSR in this unit's bag, and the request it was made for. */
  csr: z.string().optional(),
  request: z.string().optional(),
  /** The provider's application, for the status once the relation is gone. */
  provider: z.string().optional(),
  /** The web served HTTPS, then the relation went: said in the status until related again. */
  removed: z.boolean().optional(),
});
export type TlsMemory = z.infer<typeof memorySchema>;

export function parseTlsMemory(text: string | undefined): TlsMemory {
  if (text === undefined) return {};
  try {
    const parsed = memorySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** How the web's part of the status reads, from what TLS is doing. */
export type TlsState =
  | { readonly kind: 'off' }
  | { readonly kind: 'serving' }
  | { readonly kind: 'waiting'; readonly provider: string | undefined }
  | { readonly kind: 'revoked'; readonly provider: string | undefined }
  | { readonly kind: 'invalid'; readonly provider: string | undefined }
  | { readonly kind: 'removed' };

export function tlsNote(state: TlsState): string | undefined {
  const from = (provider: string | undefined) => (provider === undefined ? 'certificates' : provider);
  switch (state.kind) {
    case 'off':
    case 'serving':
      return undefined;
    case 'waiting':
      return `HTTP until ${from(state.provider)} sends a certificate`;
    case 'revoked':
      return `HTTP only: certificate revoked by ${from(state.provider)}, waiting for a new one`;
    case 'invalid':
      return `HTTP only: ${from(state.provider)} sent certificates the tls-certificates library does not write`;
    case 'removed':
      return 'HTTP only: the certificates relation was removed';
  }
}
