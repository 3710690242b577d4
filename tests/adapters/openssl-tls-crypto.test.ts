// Adapter tests for OpensslTlsCrypto: real keys, the real `openssl req`, CSRs read back with an independent parser
// (@peculiar/x509) and signed by the simulator's CA, certificates checked against the key they were made for.

import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SAN_OID, TestCa } from '../../sim/concourse/tls-certificates-stub';
import { OpensslTlsCrypto } from '../../src/adapters/openssl-tls-crypto';
import { judgeCertificate, tlsRequest } from '../../src/domain/tls/tls-certificates';

const crypto = new OpensslTlsCrypto();
let work: string;
let ca: TestCa;
let keyPem: string;
let keyPath: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tls-crypto-test-'));
  ca = await TestCa.create();
  keyPem = await crypto.privateKey();
  keyPath = join(work, 'web.key');
  await writeFile(keyPath, keyPem, { mode: 0o600 });
});

afterAll(async () => rm(work, { recursive: true, force: true }));

describe('OpensslTlsCrypto', () => {
  test('a new key → PKCS#8 PEM of an RSA 2048 key, different each time', async () => {
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(await crypto.privateKey()).not.toBe(keyPem);
  });

  test('a CSR for the external host and the address → signed by the key, CN, unique id and both SANs', async () => {
    const pem = await crypto.csr(keyPath, tlsRequest('https://ci.example.com', '10.1.2.3'));
    const csr = new x509.Pkcs10CertificateRequest(pem);
    expect(await csr.verify()).toBe(true);
    expect(csr.subjectName.getField('CN')).toEqual(['ci.example.com']);
    // x500UniqueIdentifier (2.5.4.45), as the library adds to every CSR it sends.
    expect(csr.subjectName.getField('2.5.4.45')[0]).toMatch(/^[0-9a-f-]{36}$/);
    const raw = csr.getExtension(SAN_OID);
    expect(raw).not.toBeNull();
    expect(new x509.SubjectAlternativeNameExtension(raw?.rawData ?? new ArrayBuffer(0)).names.toJSON()).toEqual([
      { type: 'dns', value: 'ci.example.com' },
      { type: 'ip', value: '10.1.2.3' },
    ]);
    // The CA copies the SANs into the certificate, as a provider does.
    const signed = new x509.X509Certificate(
      await ca.sign(pem, { notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 3_600_000) }),
    );
    expect(signed.getExtension(SAN_OID)).not.toBeNull();
  });

  test('the same request twice → two different CSRs (a renewal is seen by the provider)', async () => {
    const request = tlsRequest(undefined, '10.1.2.3');
    expect(await crypto.csr(keyPath, request)).not.toBe(await crypto.csr(keyPath, request));
  });

  test('a certificate for this key → its validity and usable; for another key → does not match', async () => {
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const notAfter = new Date(notBefore.getTime() + 3_600_000);
    const certificate = await ca.sign(await crypto.csr(keyPath, tlsRequest(undefined, '10.1.2.3')), {
      notBefore,
      notAfter,
    });
    const facts = crypto.inspect(certificate, keyPem);
    expect(facts).toEqual({
      notBefore: notBefore.getTime(),
      notAfter: notAfter.getTime(),
      matchesKey: true,
      isCa: false,
    });
    expect(judgeCertificate(facts, notBefore.getTime() + 1000)).toEqual({ kind: 'usable', renew: false });
    expect(crypto.inspect(certificate, await crypto.privateKey()).matchesKey).toBe(false);
    expect(crypto.inspect(ca.pem, keyPem).isCa).toBe(true);
  });

  test('a key file openssl cannot read → rejected with openssl’s reason, no key bytes in it', async () => {
    const bad = join(work, 'bad.key');
    await writeFile(bad, 'not a key', { mode: 0o600 });
    await expect(crypto.csr(bad, tlsRequest(undefined, '10.1.2.3'))).rejects.toThrow(/^openssl req failed: /);
  });

  test('a name that is not a host name → refused before openssl runs', async () => {
    await expect(
      crypto.csr(keyPath, { commonName: 'x\n[ext]', dnsNames: ['x\n[ext]'], ipAddresses: [] }),
    ).rejects.toThrow(/cannot put/);
  });
});
