// Port: the cryptography of the certificates relation: a private key for the web's HTTPS, a certificate signing
// request signed with it, and what a certificate the provider sent says (validity, whether it is for this key).

import type { CertificateFacts, TlsRequest } from '../domain/tls/tls-certificates';

export interface TlsCrypto {
  /** A new private key (PEM, PKCS#8; RSA 2048 as the library makes them). Never logged, never sent anywhere. */
  privateKey(): Promise<string>;
  /**
   * A PEM CSR for `request`, signed with the key in the file `keyPath` (the key never passes through argv), with a
   * random x500UniqueIdentifier in the subject as the library adds: each CSR is new, so a renewal is seen.
   */
  csr(keyPath: string, request: TlsRequest): Promise<string>;
  /** What the certificate says, checked against the private key in `keyPem`; throws on a certificate it cannot read. */
  inspect(certificatePem: string, keyPem: string): CertificateFacts;
}

export const TLS_CRYPTO = Symbol.for('concourse-ci-machine/TlsCrypto');
