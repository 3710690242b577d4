// Domain: the `certificates` relation (requires, interface `tls-certificates`) in the data shapes of the published
// charm library, canonical/tls-certificates-interface lib/charms/tls_certificates_interface/v4/tls_certificates.py
// (LIBAPI 4, TLSCertificatesRequiresV4 in Mode.UNIT): what this unit sends, which certificate is its own, when to renew.
//
// The library's shapes (its _RequirerData, _CertificateSigningRequest, _ProviderApplicationData, _Certificate):
// - the requirer's unit bag: `certificate_signing_requests`, JSON list of {certificate_signing_request, ca};
// - the provider's application bag: `certificates`, JSON list of {certificate, certificate_signing_request, ca,
//   chain?, revoked?}.
// A certificate is this unit's when its `certificate_signing_request` is the CSR this unit sent (the library compares
// the CSRs' PEM text: CertificateSigningRequest.__eq__), it is not a CA when none was asked for, and its public key
// is this unit's key (_find_certificate_in_relation_data). A revoked one is not used.

import { z } from 'zod';

export const CERTIFICATES_ENDPOINT = 'certificates';

/**
 * The library renews at this fraction of the time from receiving a certificate to its expiry (TLSCertificatesRequiresV4
 * renewal_relative_time, default 0.9: a Juju secret expiring then, whose secret-expired sends a new CSR). v4 has no
 * certificate-expiring event; this charm checks the same point in time on every hook (update-status at the latest).
 */
export const RENEWAL_FRACTION = 0.9;

const PEM_CERT = /^\s*-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*$/;
const PEM_CSR = /^\s*-----BEGIN CERTIFICATE REQUEST-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE REQUEST-----\s*$/;

/** What this unit asks to be certified for: the name users reach it by, and its address. */
export interface TlsRequest {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/** Subject alternative names: the external URL's host (when the operator set one) and the unit's ingress address. */
export function tlsRequest(externalUrl: string | undefined, address: string): TlsRequest {
  const names = new Set<string>();
  if (externalUrl !== undefined) names.add(new URL(externalUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase());
  names.add(address.toLowerCase());
  const all = [...names];
  const ipAddresses = all.filter(isIpAddress);
  const dnsNames = all.filter((n) => !isIpAddress(n));
  // A common name is at most 64 characters (RFC 5280 ub-common-name); the SANs are what clients check.
  const commonName = [...dnsNames, ...ipAddresses].find((n) => n.length <= 64) ?? address;
  return { commonName, dnsNames, ipAddresses };
}

/** A stable text for a request: a CSR made for another one (external-url changed) is replaced. */
export function requestKey(request: TlsRequest): string {
  return [request.commonName, ...[...request.dnsNames].sort(), ...[...request.ipAddresses].sort()].join(',');
}

function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

/** This unit's bag: its one CSR (no CA asked for), as the library dumps _RequirerData. */
export function requirerData(csr: string): Readonly<Record<string, string>> {
  return {
    certificate_signing_requests: JSON.stringify([{ certificate_signing_request: csr.trim(), ca: false }]),
  };
}

const certificateSchema = z.object({
  certificate: z.string().regex(PEM_CERT),
  certificate_signing_request: z.string().regex(PEM_CSR),
  ca: z.string().regex(PEM_CERT),
  chain: z.array(z.string().regex(PEM_CERT)).nullish(),
  revoked: z.boolean().nullish(),
});
const certificatesSchema = z.array(certificateSchema);

export interface ProviderCertificate {
  readonly certificate: string;
  readonly csr: string;
  readonly ca: string;
  readonly chain: readonly string[];
  readonly revoked: boolean;
}

export type ProviderAnswer =
  | { readonly kind: 'certificates'; readonly certificates: readonly ProviderCertificate[] }
  /** The provider's bag is not what the library writes: said in the status, like the library's "Invalid relation data". */
  | { readonly kind: 'invalid' };

/** The provider's application bag, parsed; no `certificates` key yet is an empty list. */
export function parseProviderCertificates(app: Readonly<Record<string, string>>): ProviderAnswer {
  const raw = app.certificates;
  if (raw === undefined || raw.trim() === '') return { kind: 'certificates', certificates: [] };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { kind: 'invalid' };
  }
  const parsed = certificatesSchema.safeParse(json);
  if (!parsed.success) return { kind: 'invalid' };
  return {
    kind: 'certificates',
    certificates: parsed.data.map((c) => ({
      certificate: c.certificate.trim(),
      csr: c.certificate_signing_request.trim(),
      ca: c.ca.trim(),
      chain: (c.chain ?? []).map((p) => p.trim()),
      revoked: c.revoked === true,
    })),
  };
}

/** The provider's entry for the CSR this unit sent (revoked or not), compared as the library does: by PEM text. */
export function certificateFor(
  certificates: readonly ProviderCertificate[],
  csr: string,
): ProviderCertificate | undefined {
  return certificates.find((c) => c.csr === csr.trim());
}

/** What the key store and the certificate itself say about a certificate. */
export interface CertificateFacts {
  /** ms since the epoch */
  readonly notBefore: number;
  readonly notAfter: number;
  /** Its public key is this unit's key. */
  readonly matchesKey: boolean;
  readonly isCa: boolean;
}

export type CertificateVerdict =
  | { readonly kind: 'usable'; readonly renew: boolean }
  | { readonly kind: 'unusable'; readonly reason: string };

/** Whether a certificate can be served now, and whether the library would ask for a new one by now. */
export function judgeCertificate(facts: CertificateFacts, now: number): CertificateVerdict {
  if (!facts.matchesKey) return { kind: 'unusable', reason: 'it is not for this unit’s key' };
  if (facts.isCa) return { kind: 'unusable', reason: 'it is a CA certificate' };
  if (now >= facts.notAfter) return { kind: 'unusable', reason: 'it has expired' };
  if (now < facts.notBefore) return { kind: 'unusable', reason: 'it is not valid yet' };
  return { kind: 'usable', renew: now >= renewalTime(facts) };
}

/**
 * The point at which a new CSR is sent. The library counts from when the certificate arrived; its validity start is
 * that moment (as the provider issued it) and needs no clock of this unit's to be remembered.
 */
export function renewalTime(facts: Pick<CertificateFacts, 'notBefore' | 'notAfter'>): number {
  return facts.notBefore + (facts.notAfter - facts.notBefore) * RENEWAL_FRACTION;
}

/** The file Concourse's --tls-cert reads: the certificate, then the provider's chain without the certificate again. */
export function fullChain(certificate: ProviderCertificate): string {
  const rest = certificate.chain.filter((c) => c !== certificate.certificate);
  return `${[certificate.certificate, ...rest].join('\n')}\n`;
}
