// The packed charm with a certificates relation (issue 13): a stand-in self-signed-certificates signs the CSR each
// web unit sends; the certificate is installed and the web's env turns HTTPS on with an https:// external URL; a
// certificate past 90% of its life is renewed with a new CSR (the web restarted once for the new one); the
// relation removed brings HTTP back with a status saying so; the private key is found nowhere but its file.

import 'reflect-metadata';
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
/** The private key as it was on the unit while the relation lived. */
let privateKey = '';

const webRestarts = () => changes(sim, UNIT).filter((c) => c === `restart ${WEB}`).length;

beforeAll(async () => {
  server = await startReleaseServer();
  await server.addRelease({ version: '7.14.2', fillerBytes: 1024 * 1024 });
  ca = await TestCa.create();
  sim = await SimModel.create({ charm: await packedCharm() });
  await sim.deploy(APP, {
    units: 1,
    config: { mode: 'web', version: '7.14.2', 'download-url': server.downloadUrlTemplate },
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
      `Web ready (v7.14.2) http://${address}:8080 · HTTP until ${TLS_PROVIDER_APP} sends a certificate · volume not shared`,
    ]);
    privateKey = unitFile(sim, UNIT, KEY);
    expect(privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(mode(sim, UNIT, KEY)).toBe('640');
  });

  test('issued → certificate and chain installed, HTTPS on web-port, https:// external URL, web restarted once', async () => {
    const before = webRestarts();
    const [issued] = await issueCertificates(sim, rel, APP, ca);
    await sim.settle();
    expect(env(sim, UNIT, 'web')).toMatchObject({
      CONCOURSE_TLS_BIND_PORT: '8080',
      CONCOURSE_TLS_CERT: CERT,
      CONCOURSE_TLS_KEY: KEY,
      CONCOURSE_BIND_PORT: '8081',
      CONCOURSE_EXTERNAL_URL: `https://${address}:8080`,
    });
    expect(unitFile(sim, UNIT, CERT)).toBe(`${issued?.certificate.trim()}\n${ca.pem.trim()}\n`);
    expect(mode(sim, UNIT, CERT)).toBe('640');
    const served = new x509.X509Certificate(issued?.certificate ?? '');
    expect(await served.verify({ publicKey: ca.certificate.publicKey })).toBe(true);
    expect(statusOf(sim, UNIT)).toEqual(['active', `Web ready (v7.14.2) https://${address}:8080 · volume not shared`]);
    expect(webRestarts()).toBe(before + 1);
  });

  test('re-issued near its expiry → installed, then renewed with a new CSR; the renewed one → web restarted once', async () => {
    const [firstCsr] = requestedCsrs(sim, rel, APP);
    // As a provider re-issuing with a short validity: 95% of its life already gone.
    const now = Date.now();
    const [short] = await issueCertificates(sim, rel, APP, ca, {
      reissue: true,
      validity: { notBefore: new Date(now - 19 * DAY), notAfter: new Date(now + DAY) },
    });
    await sim.settle();
    expect(unitFile(sim, UNIT, CERT).startsWith(short?.certificate.trim() ?? '-')).toBe(true);
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
    // Nothing more to renew: update-status asks for nothing and restarts nothing.
    await sim.updateStatus();
    expect(requestedCsrs(sim, rel, APP)).toEqual([renewalCsr]);
    expect(webRestarts()).toBe(before + 1);
  });

  test('revoked by the provider → HTTP again, status says so', async () => {
    await revokeCertificates(sim, rel);
    await sim.settle();
    expect(env(sim, UNIT, 'web').CONCOURSE_TLS_BIND_PORT).toBeUndefined();
    expect(env(sim, UNIT, 'web').CONCOURSE_EXTERNAL_URL).toBe(`http://${address}:8080`);
    expect(statusOf(sim, UNIT)[1]).toContain(`HTTP only: certificate revoked by ${TLS_PROVIDER_APP}`);
  });

  test('relation removed → HTTP with a status saying so, key and certificate removed', async () => {
    await issueCertificates(sim, rel, APP, ca, { reissue: true });
    await sim.settle();
    expect(env(sim, UNIT, 'web').CONCOURSE_TLS_BIND_PORT).toBe('8080');
    const before = webRestarts();
    await sim.removeRelation(rel);
    await sim.settle();
    const web = env(sim, UNIT, 'web');
    expect(web.CONCOURSE_TLS_BIND_PORT).toBeUndefined();
    expect(web).toMatchObject({ CONCOURSE_BIND_PORT: '8080', CONCOURSE_EXTERNAL_URL: `http://${address}:8080` });
    expect(statusOf(sim, UNIT)).toEqual([
      'active',
      `Web ready (v7.14.2) http://${address}:8080 · HTTP only: the certificates relation was removed · volume not shared`,
    ]);
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
