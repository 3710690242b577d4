// Adapter (WebProbe): one GET of the local web's /api/v1/info with undici, bounded in time and size, straight to
// 127.0.0.1 (no proxy: Juju's proxy settings must not apply to loopback).

import { injectable } from 'inversify';
import { Agent } from 'undici';
import type { InfoAnswer } from '../domain/web-readiness';
import type { WebProbe } from '../ports/web-probe';
import { boundedGet } from './bounded-get';

/** /api/v1/info is a few hundred bytes; anything much larger is not Concourse. */
const MAX_BODY = 64 * 1024;

@injectable()
export class UndiciWebProbe implements WebProbe {
  async info(url: string, timeoutMs: number): Promise<InfoAnswer> {
    // Its own dispatcher: whatever global one the downloader set up (a proxy) must not see loopback requests.
    const dispatcher = new Agent({ connections: 1, pipelining: 0 });
    try {
      const { status, body } = await boundedGet(url, dispatcher, timeoutMs, MAX_BODY);
      return { kind: 'answer', status, body };
    } catch (error) {
      return { kind: 'no-answer', reason: describe(error) };
    } finally {
      await dispatcher.destroy();
    }
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (typeof code === 'string') return code;
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  return error instanceof Error ? error.message : String(error);
}
