// Simulation: a stand-in OIDC identity provider on 127.0.0.1 that serves the discovery document
// (`<issuer>/.well-known/openid-configuration`), over HTTP or HTTPS, for the stand-in web's OIDC check to fetch.
//
// Why a web needs one: Concourse's OIDC connector (concourse/dex connector/oidc/oidc.go Open → getProvider →
// go-oidc NewProvider) fetches that document when the web starts, and the web refuses to start ("server: Failed to
// open connector oidc: ...") when it cannot, the answer is not 200, or its `issuer` differs from the configured one.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StandInIdpOptions {
  /** The issuer's path under the server (Keycloak-style realms live under a path). Default `/realms/ci`. */
  readonly path?: string;
  /** Serve HTTPS with this certificate and key (PEM); the certificate must name 127.0.0.1. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface StandInIdp {
  /** The issuer URL the charm is configured with: `http(s)://127.0.0.1:<port><path>`. */
  readonly issuer: string;
  /** Discovery requests served so far (each web start fetches once). */
  readonly discoveries: number;
  /** What the document claims as its issuer from now on (undefined: the real issuer). */
  claimIssuer(issuer: string | undefined): void;
  close(): Promise<void>;
}

export async function startStandInIdp(opts: StandInIdpOptions = {}): Promise<StandInIdp> {
  const path = opts.path ?? '/realms/ci';
  let claimed: string | undefined;
  let discoveries = 0;
  let issuer = '';
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === `${path}/.well-known/openid-configuration`) {
      discoveries += 1;
      const base = claimed ?? issuer;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: base,
          authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
          token_endpoint: `${issuer}/protocol/openid-connect/token`,
          userinfo_endpoint: `${issuer}/protocol/openid-connect/userinfo`,
          jwks_uri: `${issuer}/protocol/openid-connect/certs`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found\n');
  };
  const server: Server =
    opts.tls === undefined ? createHttpServer(handler) : createHttpsServer({ ...opts.tls }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  issuer = `${opts.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}${path}`;
  return {
    issuer,
    get discoveries() {
      return discoveries;
    },
    claimIssuer(value) {
      claimed = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A self-signed certificate for 127.0.0.1 (its own CA: give it as oidc-ca-cert), made with openssl. */
export function selfSignedLoopbackCertificate(): { readonly cert: string; readonly key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stand-in-idp-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=stand-in-idp',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
