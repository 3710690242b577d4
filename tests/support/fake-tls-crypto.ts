// Test support: TlsCrypto without cryptography, for hook tests: keys, CSRs and certificates are PEM blocks whose
// body is base64 JSON, so a certificate "matches" the key its CSR was made with, and a test picks its validity.
// The real key and CSR making is tested against openssl in tests/adapters/openssl-tls-crypto.test.ts.

import type { CertificateFacts, TlsRequest } from '../../src/domain/tls/tls-certificates';
import type { TlsCrypto } from '../../src/ports/tls-crypto';
import type { FakeMachine } from './fake-machine';

/** Counts keys and CSRs across every hook and unit of a test, so no two are the same. */
export class TlsSerials {
  n = 0;
}

export class FakeTlsCrypto implements TlsCrypto {
  constructor(
    private readonly machine: FakeMachine,
    private readonly serials: TlsSerials,
  ) {}

  async privateKey(): Promise<string> {
    return `${pem('PRIVATE KEY', { key: `key-${++this.serials.n}` })}\n`;
  }

  async csr(keyPath: string, request: TlsRequest): Promise<string> {
    const keyPem = await this.machine.read(keyPath);
    if (keyPem === undefined) throw new Error(`openssl req failed: cannot open ${keyPath}`);
    const { key } = decode(keyPem) as { key: string };
    return pem('CERTIFICATE REQUEST', {
      key,
      names: [...request.dnsNames, ...request.ipAddresses],
      n: ++this.serials.n,
    });
  }

  inspect(certificatePem: string, keyPem: string): CertificateFacts {
    const c = decode(certificatePem) as { key: string; notBefore: number; notAfter: number; ca?: boolean };
    const { key } = decode(keyPem) as { key: string };
    return { notBefore: c.notBefore, notAfter: c.notAfter, matchesKey: c.key === key, isCa: c.ca === true };
  }
}

/** What a provider signs for a fake CSR. */
export function fakeCertificate(csrPem: string, validity: { notBefore: number; notAfter: number }): string {
  const { key, names } = decode(csrPem) as { key: string; names: string[] };
  return pem('CERTIFICATE', { key, names, ...validity });
}

export const FAKE_CA = pem('CERTIFICATE', { key: 'ca', notBefore: 0, notAfter: 4e12, ca: true });

/** The names a fake CSR asks for. */
export function csrNames(csrPem: string): string[] {
  return (decode(csrPem) as { names: string[] }).names;
}

function pem(label: string, body: unknown): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(JSON.stringify(body)).toString('base64')}\n-----END ${label}-----`;
}

/** The first PEM block's JSON (a full chain starts with the certificate). */
function decode(text: string): unknown {
  const body = /-----BEGIN [A-Z ]+-----\n([A-Za-z0-9+/=]+)\n-----END/.exec(text)?.[1];
  if (body === undefined) throw new Error('not a PEM block');
  return JSON.parse(Buffer.from(body, 'base64').toString('utf8'));
}
