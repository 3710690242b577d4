// Adapter helper: one GET with undici through a given dispatcher, bounded in time and in body size (a larger body
// is cut at the bound), for the small JSON documents the charm asks about (the web's /api/v1/info, OIDC discovery).

import { type Dispatcher, request } from 'undici';

/** Throws what undici throws (refused, timed out, TLS); the caller tells those apart. */
export async function boundedGet(
  url: string,
  dispatcher: Dispatcher,
  timeoutMs: number,
  maxBody: number,
): Promise<{ readonly status: number; readonly body: string }> {
  const res = await request(url, {
    method: 'GET',
    dispatcher,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json' },
  });
  let body = '';
  for await (const chunk of res.body) {
    body += Buffer.from(chunk as Uint8Array).toString('utf8');
    if (body.length > maxBody) {
      res.body.destroy();
      return { status: res.statusCode, body: body.slice(0, maxBody) };
    }
  }
  return { status: res.statusCode, body };
}
