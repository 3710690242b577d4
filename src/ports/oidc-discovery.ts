// Port: one GET of an OIDC provider's discovery document, trusting the given CA; the domain (oidc-discovery.ts)
// judges the answer.

import type { DiscoveryAnswer } from '../domain/auth/oidc-discovery';

export interface OidcDiscovery {
  /**
   * GET `url` (https verified against `caPem` when given, else the system's CAs; not at all with `skipVerify`).
   * Never throws; gives up after `timeoutMs`.
   */
  fetch(
    url: string,
    tls: { readonly caPem: string | undefined; readonly skipVerify: boolean },
    timeoutMs: number,
  ): Promise<DiscoveryAnswer>;
}

export const OIDC_DISCOVERY = Symbol.for('concourse-ci-machine/OidcDiscovery');
