// Adapter tests of the OIDC discovery fetch against the stand-in provider on 127.0.0.1, over HTTP and HTTPS: the
// document as served, a certificate not trusted told apart from no answer, the CA and skip-verify honoured.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type StandInIdp, selfSignedLoopbackCertificate, startStandInIdp } from '../../sim/concourse/stand-in-idp';
import { UndiciOidcDiscovery } from '../../src/adapters/undici-oidc-discovery';

const discovery = new UndiciOidcDiscovery();
const wellKnown = (issuer: string) => `${issuer}/.well-known/openid-configuration`;
let http: StandInIdp;
let https: StandInIdp;
let ca: string;

beforeAll(async () => {
  const tls = selfSignedLoopbackCertificate();
  ca = tls.cert;
  http = await startStandInIdp();
  https = await startStandInIdp({ tls });
});
afterAll(async () => {
  await http?.close();
  await https?.close();
});

describe('UndiciOidcDiscovery', () => {
  test('HTTP provider → its document, naming its issuer', async () => {
    const answer = await discovery.fetch(wellKnown(http.issuer), { caPem: undefined, skipVerify: false }, 5_000);
    expect(answer).toMatchObject({ kind: 'answer', status: 200 });
    expect(answer.kind === 'answer' && JSON.parse(answer.body).issuer).toBe(http.issuer);
  });

  test('HTTPS with its CA → the document', async () => {
    const answer = await discovery.fetch(wellKnown(https.issuer), { caPem: ca, skipVerify: false }, 5_000);
    expect(answer).toMatchObject({ kind: 'answer', status: 200 });
  });

  test('HTTPS without its CA → untrusted (not "no answer")', async () => {
    const answer = await discovery.fetch(wellKnown(https.issuer), { caPem: undefined, skipVerify: false }, 5_000);
    expect(answer).toEqual({ kind: 'untrusted', reason: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  test('HTTPS without its CA but skip-verify → the document', async () => {
    const answer = await discovery.fetch(wellKnown(https.issuer), { caPem: undefined, skipVerify: true }, 5_000);
    expect(answer).toMatchObject({ kind: 'answer', status: 200 });
  });

  test('a path with no document → the 404 as answered', async () => {
    const answer = await discovery.fetch(`${http.issuer}/nope`, { caPem: undefined, skipVerify: false }, 5_000);
    expect(answer).toMatchObject({ kind: 'answer', status: 404 });
  });

  test('nobody listening → no answer, connection refused', async () => {
    const gone = await startStandInIdp();
    await gone.close();
    const answer = await discovery.fetch(wellKnown(gone.issuer), { caPem: undefined, skipVerify: false }, 5_000);
    expect(answer).toEqual({ kind: 'no-answer', reason: 'ECONNREFUSED' });
  });
});
