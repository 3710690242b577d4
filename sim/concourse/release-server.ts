// Simulation: a loopback stand-in for GitHub releases (tarball, `.sha1`, `releases/latest` API, redirect to an
// objects host) with injectable faults, so download tests and the demo exercise real HTTP deterministically.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { buildReleaseTarball, type ReleaseTarballOptions } from './release-tarball';

export type ReleaseFault =
  | { readonly kind: 'status'; readonly code: number }
  /** Sends the body up to absolute offset `bytes`, then goes silent with the socket open until the server closes. */
  | { readonly kind: 'stall-after'; readonly bytes: number }
  /** Announces the full Content-Length, sends the body up to absolute offset `bytes`, then destroys the socket. */
  | { readonly kind: 'truncate-after'; readonly bytes: number }
  | { readonly kind: 'corrupt-sha1' }
  | { readonly kind: 'redirect-loop' }
  /** 302 to `/objects/...`, which serves the tarball (like github.com -> objects.githubusercontent.com). */
  | { readonly kind: 'redirect-once' }
  | { readonly kind: 'throttle'; readonly bytesPerSecond: number }
  | { readonly kind: 'fail-first'; readonly times: number; readonly code: number };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly range?: string;
  readonly authorization?: string;
  readonly status: number;
}

export interface ReleaseServer {
  readonly baseUrl: string;
  /** For the charm's `download-url`: `${baseUrl}/download/v{version}/concourse-{version}-linux-{arch}.tgz`. */
  readonly downloadUrlTemplate: string;
  addRelease(opts: ReleaseTarballOptions): Promise<{ sha1: string; sha256: string; bytes: number }>;
  /** Serves arbitrary bytes for a version (a non-gzip body, say) with a matching `.sha1`. */
  addRawRelease(version: string, data: Buffer, arch?: string): void;
  setFault(version: string, fault: ReleaseFault | undefined): void;
  /**
   * Tarball GETs without a Range header on the `/download/` URL, for one version or all. Every attempt counts, failed
   * or redirected; the follow-up request on `/objects/` after a redirect does not (it is the same download).
   */
  downloads(version?: string): number;
  /** Tarball GETs with a Range header (on either URL). */
  resumes(version?: string): number;
  requests(): readonly RecordedRequest[];
  /** Ends every socket, stalled ones included, so no test waits on a silent server. */
  close(): Promise<void>;
}

interface Release {
  readonly version: string;
  readonly arch: string;
  readonly data: Buffer;
  readonly sha1: string;
}

interface Counters {
  downloads: number;
  resumes: number;
  /** Tarball requests seen, for `fail-first`. */
  attempts: number;
}

/** Throttled bodies go out in slices this often, so the rate is smooth at test scale. */
const THROTTLE_TICK_MS = 50;

export async function startReleaseServer(): Promise<ReleaseServer> {
  const releases = new Map<string, Release>();
  const faults = new Map<string, ReleaseFault>();
  const counters = new Map<string, Counters>();
  const log: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const countersFor = (version: string): Counters => {
    let c = counters.get(version);
    if (!c) {
      c = { downloads: 0, resumes: 0, attempts: 0 };
      counters.set(version, c);
    }
    return c;
  };

  const record = (req: IncomingMessage, status: number): void => {
    const range = req.headers.range;
    const authorization = req.headers.authorization;
    log.push({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      status,
      ...(range === undefined ? {} : { range }),
      ...(authorization === undefined ? {} : { authorization }),
    });
  };

  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: string, headers = {}): void => {
    record(req, status);
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const serveLatest = (req: IncomingMessage, res: ServerResponse): void => {
    const newest = [...releases.values()]
      .map((r) => r.version)
      .sort(compareVersions)
      .at(-1);
    if (newest === undefined) {
      send(req, res, 404, '{"message":"Not Found"}', { 'content-type': 'application/json' });
      return;
    }
    send(req, res, 200, JSON.stringify({ tag_name: `v${newest}`, name: `v${newest}` }), {
      'content-type': 'application/json',
    });
  };

  const serveTarball = (req: IncomingMessage, res: ServerResponse, release: Release, objectsHost: boolean) => {
    const c = countersFor(release.version);
    const range = req.headers.range;
    if (range !== undefined) c.resumes++;
    else if (!objectsHost) c.downloads++;
    c.attempts++;

    const fault = faults.get(release.version);
    if (!objectsHost) {
      if (fault?.kind === 'status') return send(req, res, fault.code, `fault: status ${fault.code}\n`);
      if (fault?.kind === 'fail-first' && c.attempts <= fault.times) {
        return send(req, res, fault.code, `fault: attempt ${c.attempts} of ${fault.times} fails\n`);
      }
      if (fault?.kind === 'redirect-loop') {
        // A fresh query on every hop: an endless chain rather than one URL, so only a redirect bound stops it.
        const hop = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('hop') ?? '0') + 1;
        const location = `${tarballPath(release.version, release.arch)}?hop=${hop}`;
        return send(req, res, 302, 'redirect loop\n', { location });
      }
      if (fault?.kind === 'redirect-once') {
        return send(req, res, 302, 'found\n', { location: objectsPath(release.version, release.arch) });
      }
    }

    const size = release.data.length;
    const etag = `"${release.sha1}"`;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const headers: Record<string, string | number> = {
      'content-type': 'application/gzip',
      'accept-ranges': 'bytes',
      etag,
      'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT',
    };
    if (range !== undefined) {
      const ifMatch = req.headers['if-match'];
      if (ifMatch !== undefined && ifMatch !== etag && ifMatch !== '*') return send(req, res, 412, 'etag mismatch\n');
      const parsed = parseRange(range, size);
      if (!parsed) return send(req, res, 416, 'bad range\n', { 'content-range': `bytes */${size}` });
      ({ start, end } = parsed);
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['content-length'] = end - start + 1;
    record(req, status);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }

    // Stall and truncate cut at an absolute offset, so a resume from that offset or later succeeds: tests see
    // exactly one cut, then one resume.
    if (
      (fault?.kind === 'stall-after' || fault?.kind === 'truncate-after') &&
      start < fault.bytes &&
      fault.bytes <= end
    ) {
      const cutKind = fault.kind;
      res.write(release.data.subarray(start, fault.bytes), () => {
        if (cutKind === 'truncate-after') res.socket?.destroy();
        // stall-after: nothing more is written; close() destroys the socket.
      });
      return;
    }
    if (fault?.kind === 'throttle') {
      throttle(res, release.data.subarray(start, end + 1), fault.bytesPerSecond);
      return;
    }
    res.end(release.data.subarray(start, end + 1));
  };

  const throttle = (res: ServerResponse, body: Buffer, bytesPerSecond: number): void => {
    const slice = Math.max(1, Math.floor((bytesPerSecond * THROTTLE_TICK_MS) / 1000));
    let offset = 0;
    const timer = setInterval(() => {
      if (res.destroyed || closing) {
        clearInterval(timer);
        timers.delete(timer);
        return;
      }
      const next = Math.min(body.length, offset + slice);
      const chunk = body.subarray(offset, next);
      offset = next;
      if (offset >= body.length) {
        clearInterval(timer);
        timers.delete(timer);
        res.end(chunk);
      } else {
        res.write(chunk);
      }
    }, THROTTLE_TICK_MS);
    timers.add(timer);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(req, res, 405, 'method not allowed\n');
    if (url.pathname === '/api/repos/concourse/concourse/releases/latest') return serveLatest(req, res);

    const m = /^\/(download|objects)\/v([^/]+)\/concourse-([^/]+)-linux-([a-z0-9_]+)\.tgz(\.sha1)?$/.exec(url.pathname);
    const [, area, tagVersion, version, arch, sha1Suffix] = m ?? [];
    if (!m || version === undefined || arch === undefined || tagVersion !== version) {
      return send(req, res, 404, 'Not Found\n');
    }
    const release = releases.get(key(version, arch));
    if (!release) return send(req, res, 404, 'Not Found\n');

    if (sha1Suffix !== undefined) {
      const digest =
        faults.get(version)?.kind === 'corrupt-sha1'
          ? createHash('sha1').update(release.data).update('corrupt').digest('hex')
          : release.sha1;
      return send(req, res, 200, `${digest}  concourse-${version}-linux-${arch}.tgz\n`);
    }
    serveTarball(req, res, release, area === 'objects');
  };

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const addRawRelease = (version: string, data: Buffer, arch = 'amd64'): void => {
    releases.set(key(version, arch), { version, arch, data, sha1: createHash('sha1').update(data).digest('hex') });
  };

  const sum = (field: 'downloads' | 'resumes', version?: string): number => {
    if (version !== undefined) return counters.get(version)?.[field] ?? 0;
    let total = 0;
    for (const c of counters.values()) total += c[field];
    return total;
  };

  return {
    baseUrl,
    downloadUrlTemplate: `${baseUrl}/download/v{version}/concourse-{version}-linux-{arch}.tgz`,
    async addRelease(opts) {
      const built = await buildReleaseTarball(opts);
      addRawRelease(opts.version, built.data, opts.arch);
      return { sha1: built.sha1, sha256: built.sha256, bytes: built.data.length };
    },
    addRawRelease,
    setFault(version, fault) {
      if (fault) faults.set(version, fault);
      else faults.delete(version);
      // A new fault starts a new story: fail-first counts from here.
      countersFor(version).attempts = 0;
    },
    downloads: (version) => sum('downloads', version),
    resumes: (version) => sum('resumes', version),
    requests: () => [...log],
    async close() {
      closing = true;
      for (const t of timers) clearInterval(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

function key(version: string, arch: string): string {
  return `${version}/${arch}`;
}

function tarballPath(version: string, arch: string): string {
  return `/download/v${version}/concourse-${version}-linux-${arch}.tgz`;
}

function objectsPath(version: string, arch: string): string {
  return `/objects/v${version}/concourse-${version}-linux-${arch}.tgz`;
}

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; multi-range requests are not something a downloader sends. */
function parseRange(header: string, size: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    start = Math.max(0, size - Number(b));
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start > end || start >= size) return undefined;
  return { start, end };
}

/** Dotted numeric comparison, enough to pick the newest of a handful of test versions. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.+-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
