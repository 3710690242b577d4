// Adapter (TlsCrypto): keys from Node's crypto, CSRs from the `openssl` CLI (present on every Ubuntu machine; Node's
// crypto makes keys and reads certificates but writes no CSRs). openssl gets the key as a file path and the request
// as a config file in a private temporary directory (0700, removed afterwards): no key material in argv.

import { execFile } from 'node:child_process';
import { createPrivateKey, generateKeyPair, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { injectable } from 'inversify';
import type { CertificateFacts, TlsRequest } from '../domain/tls/tls-certificates';
import type { TlsCrypto } from '../ports/tls-crypto';

const OPENSSL_TIMEOUT_MS = 30_000;

@injectable()
export class OpensslTlsCrypto implements TlsCrypto {
  privateKey(): Promise<string> {
    return new Promise((resolve, reject) => {
      generateKeyPair(
        'rsa',
        {
          modulusLength: 2048,
          publicExponent: 65537,
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
          publicKeyEncoding: { type: 'spki', format: 'pem' },
        },
        (error, _publicKey, privateKey) => (error === null ? resolve(privateKey) : reject(error)),
      );
    });
  }

  async csr(keyPath: string, request: TlsRequest): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'concourse-csr-'));
    try {
      const config = join(dir, 'req.cnf');
      await writeFile(config, requestConfig(request), { mode: 0o600 });
      const pem = await new Promise<string>((resolve, reject) => {
        execFile(
          'openssl',
          ['req', '-new', '-sha256', '-key', keyPath, '-config', config, '-outform', 'PEM'],
          {
            encoding: 'utf8',
            timeout: OPENSSL_TIMEOUT_MS,
            maxBuffer: 256 * 1024,
            env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', OPENSSL_CONF: config },
          },
          (error, stdout, stderr) => {
            if (error === null) resolve(stdout);
            // openssl's stderr names files and options, never key bytes.
            else reject(new Error(`openssl req failed: ${stderr.trim() || error.message}`));
          },
        );
      });
      if (!/^-----BEGIN CERTIFICATE REQUEST-----\n[\s\S]+\n-----END CERTIFICATE REQUEST-----\s*$/.test(pem)) {
        throw new Error('openssl req wrote no certificate request');
      }
      return pem.trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  inspect(certificatePem: string, keyPem: string): CertificateFacts {
    const certificate = new X509Certificate(certificatePem);
    return {
      notBefore: Date.parse(certificate.validFrom),
      notAfter: Date.parse(certificate.validTo),
      matchesKey: certificate.checkPrivateKey(createPrivateKey(keyPem)),
      isCa: certificate.ca,
    };
  }
}

/** openssl's request config: subject CN and x500UniqueIdentifier, the SANs as an extension; values escaped. */
function requestConfig(request: TlsRequest): string {
  const sans = [...request.dnsNames.map((n) => `DNS:${n}`), ...request.ipAddresses.map((a) => `IP:${a}`)];
  return [
    '[req]',
    'prompt = no',
    'distinguished_name = dn',
    'req_extensions = ext',
    'string_mask = utf8only',
    '[dn]',
    `CN = ${configValue(request.commonName)}`,
    `x500UniqueIdentifier = ${randomUUID()}`,
    '[ext]',
    `subjectAltName = ${sans.map(configValue).join(',')}`,
    '',
  ].join('\n');
}

/** Names reach here from the external URL's host and the unit's address: letters, digits, `.`, `-`, `:` only. */
function configValue(value: string): string {
  if (!/^[A-Za-z0-9.:*_-]+(?::[A-Za-z0-9.:*_-]+)?$/.test(value)) {
    throw new Error(`cannot put ${JSON.stringify(value)} in a certificate request`);
  }
  return value;
}
