// Adapter (ReleaseResolver): GitHub's "latest release" of concourse/concourse through undici, with `github-token`
// as a bearer token when set (GitHub allows 60 anonymous calls an hour per address) and Juju's model proxy. The
// token is never logged and never part of a message. undici is loaded only when asked (most hooks never ask).

import { inject, injectable } from 'inversify';
import type { Dispatcher } from 'undici';
import { CharmProblem } from '../domain/errors';
import { latestReleaseProblem } from '../domain/latest-release-problems';
import { ConcourseVersion } from '../domain/version';
import {
  RELEASE_RESOLVER_SETTINGS,
  type ReleaseResolver,
  type ReleaseResolverSettings,
} from '../ports/release-resolver';
import { proxyUrl } from './proxy-url';

const LATEST_PATH = '/repos/concourse/concourse/releases/latest';
const MAX_BODY = 1024 * 1024;

@injectable()
export class GithubReleaseResolver implements ReleaseResolver {
  constructor(@inject(RELEASE_RESOLVER_SETTINGS) private readonly settings: ReleaseResolverSettings) {}

  async latest(): Promise<string> {
    const s = this.settings;
    const url = `${s.apiBaseUrl.replace(/\/+$/, '')}${LATEST_PATH}`;
    const timeouts = { connect: { timeout: s.timeoutMs }, headersTimeout: s.timeoutMs, bodyTimeout: s.timeoutMs };
    const { Agent, EnvHttpProxyAgent } = await import('undici');
    const dispatcher: Dispatcher =
      s.httpProxy || s.httpsProxy
        ? new EnvHttpProxyAgent({
            ...timeouts,
            httpProxy: proxyUrl(s.httpProxy),
            httpsProxy: proxyUrl(s.httpsProxy),
            noProxy: s.noProxy ?? '',
          })
        : new Agent(timeouts);
    try {
      const res = await dispatcher.request({
        origin: new URL(url).origin,
        path: new URL(url).pathname,
        method: 'GET',
        headers: {
          accept: 'application/vnd.github+json',
          'user-agent': 'concourse-ci-machine-charm',
          'x-github-api-version': '2022-11-28',
          ...(s.token ? { authorization: `Bearer ${s.token}` } : {}),
        },
      });
      const text = await readLimited(res.body, MAX_BODY);
      if (res.statusCode === 401) {
        throw latestReleaseProblem({ kind: 'token-refused' });
      }
      if (res.statusCode === 403 || res.statusCode === 429) {
        throw latestReleaseProblem({ kind: 'rate-limited' });
      }
      if (res.statusCode !== 200) {
        throw latestReleaseProblem({ kind: 'http-status', status: res.statusCode });
      }
      let tag: unknown;
      try {
        tag = (JSON.parse(text) as { tag_name?: unknown }).tag_name;
      } catch {
        tag = undefined;
      }
      if (typeof tag !== 'string') {
        throw latestReleaseProblem({ kind: 'no-tag' });
      }
      return ConcourseVersion.parse(tag, 'latest release tag').toString();
    } catch (error) {
      if (error instanceof CharmProblem) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw latestReleaseProblem({ kind: 'unreachable', detail, cause: error });
    } finally {
      await dispatcher.close().catch(() => undefined);
    }
  }
}

async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new Error('answer too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
