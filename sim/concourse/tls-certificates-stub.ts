// Simulator: a stand-in for self-signed-certificates on the `tls-certificates` interface, answering as the published
// library's provider side does (canonical/tls-certificates-interface lib/charms/tls_certificates_interface/v4/
// tls_certificates.py, TLSCertificatesProvidesV4.set_relation_certificate, revoke_all_certificates): it reads each
// requiring unit's `certificate_signing_requests`, signs every CSR with a CA of its own, and writes its application
// bag `certificates` (JSON list of {certificate, certificate_signing_request, ca, chain, revoked?}), dropping the
// certificates of CSRs no longer asked for (_remove_certificates_for_which_no_csr_exists). Signing uses @peculiar/x509
// on Node's WebCrypto, so a test picks the validity window (a certificate already 95% through its life).

import 'reflect-metadata';
import { webcrypto } from 'node:crypto';

type KeyPair = webcrypto.CryptoKeyPair;

import * as x509 from '@peculiar/x509';
import type { SimModel } from '../model';

export const TLS_PROVIDER_APP = 'self-signed-certificates';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
const DAY = 86_400_000;
export const SAN_OID = '2.5.29.17';

/** A CA that signs CSRs, as the provider's own self-signed CA. */
export class TestCa {
  private serial = 1;

  private constructor(
    private readonly keys: KeyPair,
    readonly certificate: x509.X509Certificate,
  ) {}

  static async create(name = 'concourse-ci-machine test CA'): Promise<TestCa> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as KeyPair;
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: `CN=${name}`,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 365 * DAY),
      keys,
      signingAlgorithm: ALG,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    return new TestCa(keys, certificate);
  }

  get pem(): string {
    return this.certificate.toString('pem');
  }

  /** A certificate for the CSR's subject and SANs, valid from `notBefore` to `notAfter`. */
  async sign(csrPem: string, validity: { readonly notBefore: Date; readonly notAfter: Date }): Promise<string> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify())) throw new Error('CSR signature does not verify');
    const raw = csr.getExtension(SAN_OID);
    const san = raw === null ? null : new x509.SubjectAlternativeNameExtension(raw.rawData);
    this.serial += 1;
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: this.serial.toString(16).padStart(2, '0'),
      subject: csr.subject,
      issuer: this.certificate.subject,
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
      publicKey: csr.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: ALG,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ...(san === null ? [] : [san])],
    });
    return certificate.toString('pem');
  }
}

export interface IssuedCertificate {
  readonly certificate: string;
  readonly certificate_signing_request: string;
  readonly ca: string;
  readonly chain: readonly string[];
  readonly revoked?: boolean;
}

export async function relateCertificates(sim: SimModel, app: string): Promise<string> {
  if (!sim.status().apps.some((a) => a.name === TLS_PROVIDER_APP)) {
    await sim.deployStub(TLS_PROVIDER_APP, {
      endpoints: { certificates: { interface: 'tls-certificates', role: 'provides' } },
    });
  }
  return sim.integrate(`${app}:certificates`, `${TLS_PROVIDER_APP}:certificates`);
}

/** The CSRs the units of `app` ask for now (their `certificate_signing_requests`). */
export function requestedCsrs(sim: SimModel, relationId: string, app: string): string[] {
  const csrs: string[] = [];
  for (const unit of sim.status().units.filter((u) => u.name.startsWith(`${app}/`))) {
    const raw = sim.relationData(relationId, unit.name).certificate_signing_requests;
    if (raw === undefined) continue;
    for (const r of JSON.parse(raw) as { certificate_signing_request: string }[]) {
      csrs.push(r.certificate_signing_request.trim());
    }
  }
  return csrs;
}

/**
 * Signs every CSR the units ask for that has no certificate yet (or all of them, `reissue`), keeps the certificates
 * of CSRs still asked for, and drops the rest. Returns what the bag then holds.
 */
export async function issueCertificates(
  sim: SimModel,
  relationId: string,
  app: string,
  ca: TestCa,
  opts: { readonly validity?: { readonly notBefore: Date; readonly notAfter: Date }; readonly reissue?: boolean } = {},
): Promise<IssuedCertificate[]> {
  const validity = opts.validity ?? {
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 90 * DAY),
  };
  const held = currentCertificates(sim, relationId);
  const out: IssuedCertificate[] = [];
  for (const csr of requestedCsrs(sim, relationId, app)) {
    const existing = held.find((c) => c.certificate_signing_request.trim() === csr);
    if (existing !== undefined && !opts.reissue) {
      out.push(existing);
      continue;
    }
    const certificate = await ca.sign(csr, validity);
    out.push({ certificate, certificate_signing_request: csr, ca: ca.pem, chain: [certificate, ca.pem] });
  }
  await sim.setRelationData(relationId, TLS_PROVIDER_APP, { certificates: JSON.stringify(out) });
  return out;
}

/** Marks every certificate revoked, as revoke_all_certificates does. */
export async function revokeCertificates(sim: SimModel, relationId: string): Promise<void> {
  const revoked = currentCertificates(sim, relationId).map((c) => ({ ...c, revoked: true }));
  await sim.setRelationData(relationId, TLS_PROVIDER_APP, { certificates: JSON.stringify(revoked) });
}

function currentCertificates(sim: SimModel, relationId: string): IssuedCertificate[] {
  const raw = sim.relationData(relationId, TLS_PROVIDER_APP).certificates;
  return raw === undefined ? [] : (JSON.parse(raw) as IssuedCertificate[]);
}
