// Adapter (OidcDiscovery): one GET of `<issuer>/.well-known/openid-configuration` with undici, bounded in time and
// size, verifying the provider's certificate as Concourse would (the oidc-ca-cert, else the system's CAs).

import { injectable } from 'inversify';
import { Agent } from 'undici';
import type { DiscoveryAnswer } from '../domain/auth/oidc-discovery';
import type { OidcDiscovery } from '../ports/oidc-discovery';
import { boundedGet } from './bounded-get';

/** A discovery document is a few KiB; anything much larger is not one. */
const MAX_BODY = 256 * 1024;

/** Node's codes for a certificate that failed verification (tls.TLSSocket authorizationError). */
const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME|ERR_TLS_CERT_ALTNAME_INVALID/;

@injectable()
export class UndiciOidcDiscovery implements OidcDiscovery {
  async fetch(
    url: string,
    tls: { readonly caPem: string | undefined; readonly skipVerify: boolean },
    timeoutMs: number,
  ): Promise<DiscoveryAnswer> {
    const dispatcher = new Agent({
      connections: 1,
      pipelining: 0,
      connect: { rejectUnauthorized: !tls.skipVerify, ...(tls.caPem === undefined ? {} : { ca: tls.caPem }) },
    });
    try {
      const { status, body } = await boundedGet(url, dispatcher, timeoutMs, MAX_BODY);
      return { kind: 'answer', status, body };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && UNTRUSTED.test(code)) return { kind: 'untrusted', reason: code };
      return { kind: 'no-answer', reason: typeof code === 'string' ? code : String(error) };
    } finally {
      await dispatcher.destroy();
    }
  }
}
