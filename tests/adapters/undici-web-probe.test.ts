// Adapter tests of UndiciWebProbe against real HTTP servers on 127.0.0.1: what it reports for an answer, a refused
// port, a server that never answers, and a body far larger than Concourse's.

import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { UndiciWebProbe } from '../../src/adapters/undici-web-probe';

const servers: Server[] = [];

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/info`;
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const probe = new UndiciWebProbe();

describe('UndiciWebProbe', () => {
  test('Concourse answering → status and body, from the path asked', async () => {
    const paths: string[] = [];
    const url = await serve((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json', 'x-concourse-version': '7.14.3' });
      res.end('{"version":"7.14.3","worker_version":"2.5"}');
    });
    expect(await probe.info(url, 5_000)).toEqual({
      kind: 'answer',
      status: 200,
      body: '{"version":"7.14.3","worker_version":"2.5"}',
    });
    expect(paths).toEqual(['/api/v1/info']);
  });

  test('an error status → reported as the answer it is', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(503);
      res.end('starting');
    });
    expect(await probe.info(url, 5_000)).toEqual({ kind: 'answer', status: 503, body: 'starting' });
  });

  test('nothing listening → no answer: connection refused', async () => {
    const url = await serve((_req, res) => res.end());
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    expect(await probe.info(url, 5_000)).toEqual({ kind: 'no-answer', reason: 'connection refused' });
  });

  test('a server that accepts and never answers → no answer once the timeout passes, not a hang', async () => {
    const url = await serve(() => undefined);
    const got = await probe.info(url, 200);
    expect(got.kind).toBe('no-answer');
  });

  test('a huge body → cut at 64 KiB, the connection dropped', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      res.end('x'.repeat(1024 * 1024));
    });
    const got = await probe.info(url, 5_000);
    expect(got.kind === 'answer' && got.body.length).toBe(64 * 1024);
  });
});
