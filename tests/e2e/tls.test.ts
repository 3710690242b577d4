// The packed charm with a certificates relation (issue 13), services run for real: a stand-in
// self-signed-certificates signs the CSR each web unit sends; the certificate is installed and the running web
// serves HTTPS on web-port with it (checked over TLS against the test CA), with an https:// external URL; a
// certificate past 90% of its life is renewed with a new CSR (the web restarted once, then serving the new one); the
// relation removed brings plain HTTP back on web-port with a status saying so; the private key is found nowhere but
// its file.

import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { relatePostgres } from '../../sim/concourse/postgres-stub';
import { type ReleaseServer, startReleaseServer } from '../../sim/concourse/release-server';
import {
  issueCertificates,
  relateCertificates,
  requestedCsrs,
  revokeCertificates,
  SAN_OID,
  TestCa,
  TLS_PROVIDER_APP,
} from '../../sim/concourse/tls-certificates-stub';
import { SimModel } from '../../sim/model';
import { freePorts } from '../support/free-ports';
import { packedCharm } from '../support/packed-charm';
import { allRelationData, allText, changes, env, mode, statusOf, unitFile } from '../support/unit-inspection';

const APP = 'concourse-ci';
const UNIT = `${APP}/0`;
const WEB = 'concourse-server.service';
const DAY = 86_400_000;
const KEY = '/etc/concourse/keys/web-tls.key';
const CERT = '/etc/concourse/keys/web-tls.crt';

let server: ReleaseServer;
let sim: SimModel;
let ca: TestCa;
let rel: string;
let address: string;
let webPort: number;
/** tls-redirect-http-port: Concourse's plain listener while HTTPS is on, on a free port (units share the network). */
let plainPort: number;
/** The private key as it was on the unit while the relation lived. */
let privateKey = '';

const webRestarts = () => changes(sim, UNIT).filter((c) => c === `restart ${WEB}`).length;

/** The web's /api/v1/info over plain HTTP on web-port. */
async function plainInfo(): Promise<unknown> {
  return (await fetch(`http://127.0.0.1:${webPort}/api/v1/info`)).json();
}

/**
 * GET /api/v1/info over HTTPS on web-port, trusting only the test CA and checking the name against the unit's
 * address (the certificate's SAN); the answer and the SHA-256 fingerprint of the certificate the web served.
 */
function httpsInfo(): Promise<{ info: unknown; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: webPort,
        path: '/api/v1/info',
        ca: ca.pem,
        agent: false,
        checkServerIdentity: (_host, cert) => checkServerIdentity(address, cert),
      },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ info: JSON.parse(body) as unknown, fingerprint }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The fingerprint of a PEM certificate as Node reports a peer's. */
const fingerprintOf = (pem: string | undefined) => new X509Certificate(pem ?? '').fingerprint256;

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 1024 * 1024 });
  ca = await TestCa.create();
  const [web = 0, tsa = 0, plain = 0] = await freePorts(3);
  webPort = web;
  plainPort = plain;
  sim = await SimModel.create({ charm: await packedCharm(), services: 'run' });
  await sim.deploy(APP, {
    units: 1,
    config: {
      mode: 'web',
      version: '7.14.2',
      'download-url': server.downloadUrlTemplate,
      'web-port': webPort,
      'tsa-port': tsa,
      'tls-redirect-http-port': plainPort,
    },
  });
  await relatePostgres(sim, APP);
  await sim.settle();
});
afterAll(async () => {
  await sim?.close();
  await server?.close();
});

describe('HTTPS from the certificates relation', () => {
  test('related → a CSR for the unit’s address in the library’s shape, the key on the unit only, HTTP meanwhile', async () => {
    expect(statusOf(sim, UNIT)[0]).toBe('active');
    rel = await relateCertificates(sim, APP);
    await sim.settle();
    const [csrPem] = requestedCsrs(sim, rel, APP);
    const csr = new x509.Pkcs10CertificateRequest(csrPem ?? '');
    expect(await csr.verify()).toBe(true);
    const san = new x509.SubjectAlternativeNameExtension(csr.getExtension(SAN_OID)?.rawData ?? new ArrayBuffer(0));
    const names = san.names.toJSON();
    expect(names).toHaveLength(1);
    address = names[0]?.value ?? '';
    expect(names[0]?.type).toBe('ip');
    expect(statusOf(sim, UNIT)).toEqual([
      'active',
      `Web ready (v7.14.2) http://${address}:${webPort} · HTTP until ${TLS_PROVIDER_APP} sends a certificate · volume not shared`,
    ]);
    expect(await plainInfo()).toMatchObject({ version: '7.14.2', external_url: `http://${address}:${webPort}` });
    privateKey = unitFile(sim, UNIT, KEY);
    expect(privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(mode(sim, UNIT, KEY)).toBe('640');
  });

  test('issued → certificate and chain installed, the web serves it over HTTPS on web-port, https:// external URL, restarted once', async () => {
    const before = webRestarts();
    const [issued] = await issueCertificates(sim, rel, APP, ca);
    await sim.settle();
    expect(env(sim, UNIT, 'web')).toMatchObject({
      CONCOURSE_TLS_BIND_PORT: String(webPort),
      CONCOURSE_TLS_CERT: CERT,
      CONCOURSE_TLS_KEY: KEY,
      CONCOURSE_BIND_PORT: String(plainPort),
      CONCOURSE_EXTERNAL_URL: `https://${address}:${webPort}`,
    });
    expect(unitFile(sim, UNIT, CERT)).toBe(`${issued?.certificate.trim()}\n${ca.pem.trim()}\n`);
    expect(mode(sim, UNIT, CERT)).toBe('640');
    const signed = new x509.X509Certificate(issued?.certificate ?? '');
    expect(await signed.verify({ publicKey: ca.certificate.publicKey })).toBe(true);
    expect(statusOf(sim, UNIT)).toEqual([
      'active',
      `Web ready (v7.14.2) https://${address}:${webPort} · volume not shared`,
    ]);
    expect(webRestarts()).toBe(before + 1);
    const served = await httpsInfo();
    expect(served.fingerprint).toBe(fingerprintOf(issued?.certificate));
    expect(served.fingerprint).toBe(fingerprintOf(unitFile(sim, UNIT, CERT)));
    expect(served.info).toMatchObject({ version: '7.14.2', external_url: `https://${address}:${webPort}` });
    // Concourse's plain listener, where the charm's readiness check asks, on the redirect port the operator chose.
    expect(await (await fetch(`http://127.0.0.1:${plainPort}/api/v1/info`)).json()).toMatchObject({
      version: '7.14.2',
    });
    expect(sim.status().units.find((u) => u.name === UNIT)?.ports).toEqual(
      expect.arrayContaining([`${webPort}/tcp`, `${plainPort}/tcp`]),
    );
  });

  test('re-issued near its expiry → installed and served, then renewed with a new CSR; the renewed one → web restarted once, serving it', async () => {
    const [firstCsr] = requestedCsrs(sim, rel, APP);
    // As a provider re-issuing with a short validity: 95% of its life already gone.
    const now = Date.now();
    const [short] = await issueCertificates(sim, rel, APP, ca, {
      reissue: true,
      validity: { notBefore: new Date(now - 19 * DAY), notAfter: new Date(now + DAY) },
    });
    await sim.settle();
    expect(unitFile(sim, UNIT, CERT).startsWith(short?.certificate.trim() ?? '-')).toBe(true);
    expect((await httpsInfo()).fingerprint).toBe(fingerprintOf(short?.certificate));
    const [renewalCsr] = requestedCsrs(sim, rel, APP);
    expect(renewalCsr).toBeDefined();
    expect(renewalCsr).not.toBe(firstCsr);
    expect(sim.debugLog().some((l) => l.includes('tls.csr.sent') && l.includes('renewal'))).toBe(true);
    const before = webRestarts();
    const [renewed] = await issueCertificates(sim, rel, APP, ca);
    await sim.settle();
    expect(renewed?.certificate_signing_request).toBe(renewalCsr);
    expect(unitFile(sim, UNIT, CERT).startsWith(renewed?.certificate.trim() ?? '-')).toBe(true);
    expect(webRestarts()).toBe(before + 1);
    const served = await httpsInfo();
    expect(served.fingerprint).toBe(fingerprintOf(renewed?.certificate));
    expect(served.fingerprint).not.toBe(fingerprintOf(short?.certificate));
    // Nothing more to renew: update-status asks for nothing and restarts nothing.
    await sim.updateStatus();
    expect(requestedCsrs(sim, rel, APP)).toEqual([renewalCsr]);
    expect(webRestarts()).toBe(before + 1);
  });

  test('revoked by the provider → plain HTTP on web-port again, status says so', async () => {
    await revokeCertificates(sim, rel);
    await sim.settle();
    expect(env(sim, UNIT, 'web').CONCOURSE_TLS_BIND_PORT).toBeUndefined();
    expect(env(sim, UNIT, 'web').CONCOURSE_EXTERNAL_URL).toBe(`http://${address}:${webPort}`);
    expect(statusOf(sim, UNIT)[1]).toContain(`HTTP only: certificate revoked by ${TLS_PROVIDER_APP}`);
    expect(await plainInfo()).toMatchObject({ version: '7.14.2', external_url: `http://${address}:${webPort}` });
  });

  test('relation removed → plain HTTP on web-port with a status saying so, key and certificate removed', async () => {
    const [reissued] = await issueCertificates(sim, rel, APP, ca, { reissue: true });
    await sim.settle();
    expect(env(sim, UNIT, 'web').CONCOURSE_TLS_BIND_PORT).toBe(String(webPort));
    expect((await httpsInfo()).fingerprint).toBe(fingerprintOf(reissued?.certificate));
    const before = webRestarts();
    await sim.removeRelation(rel);
    await sim.settle();
    const web = env(sim, UNIT, 'web');
    expect(web.CONCOURSE_TLS_BIND_PORT).toBeUndefined();
    expect(web).toMatchObject({
      CONCOURSE_BIND_PORT: String(webPort),
      CONCOURSE_EXTERNAL_URL: `http://${address}:${webPort}`,
    });
    expect(statusOf(sim, UNIT)).toEqual([
      'active',
      `Web ready (v7.14.2) http://${address}:${webPort} · HTTP only: the certificates relation was removed · volume not shared`,
    ]);
    expect(await plainInfo()).toMatchObject({ version: '7.14.2', external_url: `http://${address}:${webPort}` });
    expect(sim.status().units.find((u) => u.name === UNIT)?.ports).not.toContain(`${plainPort}/tcp`);
    expect(() => unitFile(sim, UNIT, KEY)).toThrow(/ENOENT/);
    expect(webRestarts()).toBe(before + 1);
  });

  test('the private key is nowhere but its file: not in relation data, logs, statuses, argv or the volume', async () => {
    const body = privateKey.split('\n').slice(1, -2).join('');
    expect(body.length).toBeGreaterThan(1000);
    const needle = privateKey.split('\n')[1] ?? '';
    const sinks: Record<string, string> = {
      argv: JSON.stringify(sim.toolArgv()),
      debugLog: sim.debugLog().join('\n'),
      hookOutput: sim.unitLog(UNIT),
      statuses: JSON.stringify(sim.status()),
      relationData: allRelationData(sim),
      volume: allText(sim.volumeHostPath(UNIT), ['releases']),
    };
    for (const [sink, text] of Object.entries(sinks)) {
      expect(text.includes(needle), `${sink} holds the private key`).toBe(false);
    }
  });
});
