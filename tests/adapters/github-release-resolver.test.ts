// GithubReleaseResolver against a real HTTP server on 127.0.0.1 answering like GitHub's releases API.
import 'reflect-metadata';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GithubReleaseResolver } from '../../src/adapters/github-release-resolver';
import { CharmProblem } from '../../src/domain/errors';

let server: Server;
let base: string;
let answer: { status: number; body: string };
let seen: { path: string | undefined; headers: IncomingHttpHeaders }[];

beforeEach(async () => {
  seen = [];
  answer = { status: 200, body: JSON.stringify({ tag_name: 'v7.14.3', name: 'v7.14.3' }) };
  server = createServer((req, res) => {
    seen.push({ path: req.url, headers: req.headers });
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function resolver(token?: string, apiBaseUrl = base): GithubReleaseResolver {
  return new GithubReleaseResolver({ apiBaseUrl, token, timeoutMs: 5_000 });
}

describe('GithubReleaseResolver', () => {
  test('200 with tag v7.14.3 → 7.14.3, asked at the releases/latest path as GitHub wants', async () => {
    expect(await resolver().latest()).toBe('7.14.3');
    expect(seen[0]?.path).toBe('/api/repos/concourse/concourse/releases/latest');
    expect(seen[0]?.headers.accept).toBe('application/vnd.github+json');
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  test('github-token → sent as a bearer token', async () => {
    await resolver('ghp_secret').latest();
    expect(seen[0]?.headers.authorization).toBe('Bearer ghp_secret');
  });

  test.each([
    [403, 'waiting', /rate limit/],
    [429, 'waiting', /rate limit/],
    [401, 'blocked', /github-token/],
    [500, 'waiting', /GitHub answered 500/],
  ] as const)('HTTP %d → %s', async (status, kind, message) => {
    answer = { status, body: '{"message":"x"}' };
    const error = await resolver('ghp_secret')
      .latest()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CharmProblem);
    expect((error as CharmProblem).status).toBe(kind);
    expect((error as CharmProblem).message).toMatch(message);
    expect((error as CharmProblem).message).not.toContain('ghp_secret');
  });

  test.each(['not json', '{"name":"x"}', '{"tag_name":"latest; rm -rf /"}'])(
    'body %j → blocked, no version',
    async (body) => {
      answer = { status: 200, body };
      const error = await resolver()
        .latest()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CharmProblem);
      expect((error as CharmProblem).status).toBe('blocked');
    },
  );

  test('nothing listening → waiting, saying GitHub cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await resolver(undefined, `http://127.0.0.1:${port}`)
      .latest()
      .catch((e: unknown) => e);
    expect((error as CharmProblem).status).toBe('waiting');
    expect((error as CharmProblem).message).toMatch(/Cannot reach GitHub/);
  });
});
