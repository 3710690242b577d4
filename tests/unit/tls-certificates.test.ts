// Unit tests for the certificates relation's pure decisions: SANs, the library's data shapes, which certificate is
// this unit's, when to renew, the ports and external URL while HTTPS is on, and the status wording.

import { describe, expect, test } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors';
import {
  certificateFor,
  fullChain,
  judgeCertificate,
  type ProviderCertificate,
  parseProviderCertificates,
  renewalTime,
  requestKey,
  requirerData,
  tlsRequest,
} from '../../src/domain/tls/tls-certificates';
import {
  certificateChange,
  parseTlsMemory,
  tlsEnv,
  tlsExternalUrl,
  tlsNote,
  tlsPorts,
} from '../../src/domain/tls/web-tls';
import { ConcourseVersion } from '../../src/domain/version';

const cert = (n: string) => `-----BEGIN CERTIFICATE-----\nMII${n}\n-----END CERTIFICATE-----`;
const csr = (n: string) => `-----BEGIN CERTIFICATE REQUEST-----\nMII${n}\n-----END CERTIFICATE REQUEST-----`;

describe('tlsRequest', () => {
  test.each([
    [
      'no external-url → the address alone',
      undefined,
      '10.0.0.5',
      { commonName: '10.0.0.5', dnsNames: [], ipAddresses: ['10.0.0.5'] },
    ],
    [
      'external host → CN is the host, both SANs',
      'https://CI.example.com:8443/x',
      '10.0.0.5',
      { commonName: 'ci.example.com', dnsNames: ['ci.example.com'], ipAddresses: ['10.0.0.5'] },
    ],
    [
      'external URL on the address → one SAN',
      'https://10.0.0.5',
      '10.0.0.5',
      { commonName: '10.0.0.5', dnsNames: [], ipAddresses: ['10.0.0.5'] },
    ],
    [
      'IPv6 address → an IP SAN',
      'https://[fd00::5]:443',
      'fd00::5',
      { commonName: 'fd00::5', dnsNames: [], ipAddresses: ['fd00::5'] },
    ],
  ])('%s', (_name, url, address, expected) => {
    expect(tlsRequest(url, address)).toEqual(expected);
  });

  test('a host longer than 64 characters → not the CN, still a SAN', () => {
    const host = `${'a'.repeat(60)}.example.com`;
    expect(tlsRequest(`https://${host}`, '10.0.0.5')).toEqual({
      commonName: '10.0.0.5',
      dnsNames: [host],
      ipAddresses: ['10.0.0.5'],
    });
  });

  test('requestKey: another external host → another key; the same request → the same key', () => {
    expect(requestKey(tlsRequest('https://a.example', '10.0.0.5'))).toBe(
      requestKey(tlsRequest('https://a.example', '10.0.0.5')),
    );
    expect(requestKey(tlsRequest('https://a.example', '10.0.0.5'))).not.toBe(
      requestKey(tlsRequest('https://b.example', '10.0.0.5')),
    );
  });
});

describe('relation data in the library’s shapes', () => {
  test('requirer bag → certificate_signing_requests as a JSON list of {certificate_signing_request, ca: false}', () => {
    expect(JSON.parse(requirerData(`${csr('A')}\n`).certificate_signing_requests ?? '')).toEqual([
      { certificate_signing_request: csr('A'), ca: false },
    ]);
  });

  test.each([
    ['no certificates key → none yet', {}, { kind: 'certificates', certificates: [] }],
    ['not JSON → invalid', { certificates: '{' }, { kind: 'invalid' }],
    [
      'a certificate without ca → invalid',
      { certificates: JSON.stringify([{ certificate: cert('A'), certificate_signing_request: csr('A') }]) },
      { kind: 'invalid' },
    ],
    [
      'chain null, revoked missing → empty chain, not revoked',
      {
        certificates: JSON.stringify([
          { certificate: cert('A'), certificate_signing_request: csr('A'), ca: cert('C'), chain: null },
        ]),
      },
      {
        kind: 'certificates',
        certificates: [{ certificate: cert('A'), csr: csr('A'), ca: cert('C'), chain: [], revoked: false }],
      },
    ],
    [
      'revoked true → revoked',
      {
        certificates: JSON.stringify([
          {
            certificate: cert('A'),
            certificate_signing_request: csr('A'),
            ca: cert('C'),
            chain: [cert('A'), cert('C')],
            revoked: true,
          },
        ]),
      },
      {
        kind: 'certificates',
        certificates: [
          { certificate: cert('A'), csr: csr('A'), ca: cert('C'), chain: [cert('A'), cert('C')], revoked: true },
        ],
      },
    ],
  ])('provider bag: %s', (_name, bag, expected) => {
    expect(parseProviderCertificates(bag)).toEqual(expected);
  });

  test('certificateFor: the entry whose CSR is ours (PEM text, surrounding space ignored) → it; another unit’s → none', () => {
    const mine: ProviderCertificate = {
      certificate: cert('A'),
      csr: csr('A'),
      ca: cert('C'),
      chain: [],
      revoked: false,
    };
    const other: ProviderCertificate = { ...mine, certificate: cert('B'), csr: csr('B') };
    expect(certificateFor([other, mine], `\n${csr('A')}\n`)).toBe(mine);
    expect(certificateFor([other], csr('A'))).toBeUndefined();
  });

  test('fullChain: certificate first, the chain after without the certificate again', () => {
    const c: ProviderCertificate = {
      certificate: cert('A'),
      csr: csr('A'),
      ca: cert('C'),
      chain: [cert('A'), cert('I'), cert('C')],
      revoked: false,
    };
    expect(fullChain(c)).toBe(`${cert('A')}\n${cert('I')}\n${cert('C')}\n`);
  });
});

describe('judgeCertificate and renewal', () => {
  const facts = { notBefore: 1_000, notAfter: 11_000, matchesKey: true, isCa: false };
  test.each([
    ['half-way → usable, no renewal', facts, 6_000, { kind: 'usable', renew: false }],
    ['at 90% of its life → usable, renew', facts, 10_000, { kind: 'usable', renew: true }],
    ['just before 90% → no renewal', facts, 9_999, { kind: 'usable', renew: false }],
    ['expired → unusable', facts, 11_000, { kind: 'unusable', reason: 'it has expired' }],
    ['not valid yet → unusable', facts, 999, { kind: 'unusable', reason: 'it is not valid yet' }],
    [
      'another key → unusable',
      { ...facts, matchesKey: false },
      6_000,
      { kind: 'unusable', reason: 'it is not for this unit’s key' },
    ],
    [
      'a CA certificate → unusable',
      { ...facts, isCa: true },
      6_000,
      { kind: 'unusable', reason: 'it is a CA certificate' },
    ],
  ])('%s', (_name, f, now, expected) => {
    expect(judgeCertificate(f, now)).toEqual(expected);
  });

  test('renewalTime: 90% into the validity (the library’s renewal_relative_time)', () => {
    expect(renewalTime({ notBefore: 0, notAfter: 100 * 86_400_000 })).toBe(90 * 86_400_000);
  });
});

describe('HTTPS on the web', () => {
  test.each([
    [
      'default → plain listener on 8080, closed',
      { webPort: 443, redirectPort: 0, tsaPort: 2222, metricsPort: undefined },
      { httpPort: 8080, redirectPort: undefined },
    ],
    [
      'web-port 8080 → plain listener on 8081',
      { webPort: 8080, redirectPort: 0, tsaPort: 2222, metricsPort: undefined },
      { httpPort: 8081, redirectPort: undefined },
    ],
    [
      '8080 and 8081 taken → 8082',
      { webPort: 8080, redirectPort: 0, tsaPort: 8081, metricsPort: undefined },
      { httpPort: 8082, redirectPort: undefined },
    ],
    [
      'redirect asked → that port, opened',
      { webPort: 443, redirectPort: 80, tsaPort: 2222, metricsPort: 9391 },
      { httpPort: 80, redirectPort: 80 },
    ],
  ])('tlsPorts: %s', (_name, input, expected) => {
    expect(tlsPorts(input)).toEqual(expected);
  });

  test('tlsPorts: redirect port = web-port → blocked, naming the option', () => {
    expect(() => tlsPorts({ webPort: 443, redirectPort: 443, tsaPort: 2222, metricsPort: undefined })).toThrow(
      new InvalidInputError(
        'tls-redirect-http-port 443 is taken by web-port, tsa-port or metrics-port: choose another',
      ),
    );
  });

  test('tlsEnv: HTTPS on web-port with the installed certificate and key', () => {
    expect(tlsEnv(443)).toEqual([
      ['CONCOURSE_TLS_BIND_PORT', '443'],
      ['CONCOURSE_TLS_CERT', '/etc/concourse/keys/web-tls.crt'],
      ['CONCOURSE_TLS_KEY', '/etc/concourse/keys/web-tls.key'],
    ]);
  });

  test.each([
    ['unset → https on the address', undefined, 'https://10.0.0.5:443'],
    ['https set → kept', 'https://ci.example.com', 'https://ci.example.com'],
  ])('tlsExternalUrl: %s', (_name, configured, expected) => {
    expect(tlsExternalUrl(configured, '10.0.0.5:443')).toBe(expected);
  });

  test('tlsExternalUrl: http:// set while a certificate is held → blocked (Concourse would refuse to start)', () => {
    expect(() => tlsExternalUrl('http://ci.example.com', '10.0.0.5:443')).toThrow(/external-url is http:\/\/ but/);
  });

  test.each([
    ['off → nothing', { kind: 'off' } as const, undefined],
    ['serving → nothing', { kind: 'serving' } as const, undefined],
    [
      'waiting → names the provider',
      { kind: 'waiting', provider: 'lego' } as const,
      'HTTP until lego sends a certificate',
    ],
    [
      'revoked → says so',
      { kind: 'revoked', provider: 'lego' } as const,
      'HTTP only: certificate revoked by lego, waiting for a new one',
    ],
    ['removed → says so', { kind: 'removed' } as const, 'HTTP only: the certificates relation was removed'],
  ])('tlsNote: %s', (_name, state, expected) => {
    expect(tlsNote(state)).toBe(expected);
  });

  test.each([
    ['nothing remembered → empty', undefined, {}],
    ['not JSON → empty', '{', {}],
    ['remembered → read back', '{"csr":"x","request":"r","removed":true}', { csr: 'x', request: 'r', removed: true }],
  ])('parseTlsMemory: %s', (_name, text, expected) => {
    expect(parseTlsMemory(text)).toEqual(expected);
  });

  test.each([
    ['7.14.3 → restart', '7.14.3', 'restart'],
    ['8.1.1 → restart', '8.1.1', 'restart'],
    ['8.2.0 (ReloadableHTTPSListener) → reload', '8.2.0', 'reload'],
    ['8.2.5 → reload', '8.2.5', 'reload'],
  ])('certificateChange: %s', (_name, version, expected) => {
    expect(certificateChange(ConcourseVersion.parse(version))).toBe(expected);
  });
});
