// Test support: an in-memory OidcDiscovery for hook tests. By default every provider answers correctly (its document
// names the issuer it was asked for); a test sets another answer for a URL. Records the URLs asked.

import type { DiscoveryAnswer } from '../../src/domain/auth/oidc-discovery';
import type { OidcDiscovery } from '../../src/ports/oidc-discovery';

const WELL_KNOWN = '/.well-known/openid-configuration';

export class FakeOidcDiscovery implements OidcDiscovery {
  readonly asked: string[] = [];
  private readonly answers = new Map<string, DiscoveryAnswer>();

  /** What a GET of `url` gives from now on. */
  answer(url: string, answer: DiscoveryAnswer): void {
    this.answers.set(url, answer);
  }

  async fetch(url: string): Promise<DiscoveryAnswer> {
    this.asked.push(url);
    const set = this.answers.get(url);
    if (set !== undefined) return set;
    const issuer = url.endsWith(WELL_KNOWN) ? url.slice(0, -WELL_KNOWN.length) : url;
    return { kind: 'answer', status: 200, body: JSON.stringify({ issuer }) };
  }
}
