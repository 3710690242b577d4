// Adapter helper: the unpack pipeline of a release download: body bytes -> sha1 + sha256 + count -> gunzip ->
// node-tar extract, every entry judged by the domain's ArchiveEntryGuard first, with backpressure end to end.

import { createHash, type Hash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { type Readable, Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ReadEntry, Unpack } from 'tar';
import { type ArchiveEntry, ArchiveEntryGuard } from '../domain/archive-entry-guard';
import { DownloadError, type DownloadProgressEvent, type FetchOptions, type FetchResult } from '../ports/downloader';
import { type FetchContext, progressText } from './download-failures';
import { errorCode } from './fs-errors';

const PROGRESS_INTERVAL_MS = 250;
/** Longest wait, after a failure, for node-tar's in-flight writes to finish before reporting it. */
const SETTLE_LIMIT_MS = 30_000;

/** socket|file -> sha1+sha256+count -> gunzip -> guarded tar extract, with backpressure end to end. */
export async function unpackStream(
  source: Readable,
  targetDir: string,
  options: FetchOptions,
  signal: AbortSignal,
  ctx: FetchContext,
): Promise<FetchResult> {
  const digest = new DigestStream(ctx, options.onProgress);
  const guard = new ArchiveEntryGuard(options.strip);
  const sink = new UnpackSink(targetDir, options.strip, guard);
  try {
    await pipeline(source, digest, createGunzip(), sink, { signal });
  } catch (err) {
    // Return only once nothing writes into targetDir any more; bounded, so a hung file system cannot hang the hook.
    await within(sink.settled, SETTLE_LIMIT_MS);
    if (await removedUnderUs(err, targetDir)) {
      throw new DownloadError(
        'aborted',
        `Extracting ${ctx.what} stopped: staging directory removed during extraction (${progressText(ctx)})`,
        { cause: err },
      );
    }
    throw err;
  }
  if (ctx.total !== undefined && ctx.bytes !== ctx.total) {
    throw new DownloadError('truncated', `${ctx.what} ended after ${ctx.bytes} of ${ctx.total} bytes`);
  }
  digest.reportFinal();
  return {
    bytes: ctx.bytes,
    sha1: digest.sha1.digest('hex'),
    sha256: digest.sha256.digest('hex'),
    extractedBytes: guard.extractedBytes,
  };
}

/** Hashes and counts the compressed bytes on their way to gunzip, and reports progress at most every 250 ms. */
class DigestStream extends Transform {
  readonly sha1: Hash = createHash('sha1');
  readonly sha256: Hash = createHash('sha256');
  private lastReport = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: FetchContext,
    private readonly onProgress: ((event: DownloadProgressEvent) => void) | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sha1.update(chunk);
    this.sha256.update(chunk);
    this.ctx.bytes += chunk.length;
    const now = performance.now();
    if (now - this.lastReport >= PROGRESS_INTERVAL_MS) {
      this.lastReport = now;
      this.report();
    }
    callback(null, chunk);
  }

  reportFinal(): void {
    this.report();
  }

  private report(): void {
    // Progress is advisory (it feeds the marker other units read): a failing listener must not fail the install.
    try {
      this.onProgress?.({ bytes: this.ctx.bytes, total: this.ctx.total });
    } catch {
      // ignored on purpose, see above
    }
  }
}

/**
 * Feeds node-tar's Unpack from a node stream and finishes only when every entry is on disk. Also insists on the tar
 * end-of-archive marker: a gzip stream that ends cleanly on an entry boundary is still a cut-off release.
 */
class UnpackSink extends Writable {
  /** Resolves once node-tar has no file operation left in flight, whether it finished or failed. */
  readonly settled: Promise<void>;
  private readonly unpack: Unpack;
  private sawEndOfArchive = false;
  private ended = false;

  constructor(targetDir: string, strip: number, guard: ArchiveEntryGuard) {
    super();
    const unpack = new Unpack({
      cwd: targetDir,
      strip,
      // Every tar warning (an entry it would skip or rewrite) becomes an error: skipping silently is not safe here.
      strict: true,
      // Files belong to the extracting user whatever uids the archive claims.
      preserveOwner: false,
      filter: (_path, entry) => {
        // Once anything failed, no further entry reaches the disk; the ones admitted before were safe.
        if (this.destroyed || !(entry instanceof ReadEntry)) return false;
        try {
          const verdict = guard.judge(archiveEntry(entry));
          switch (verdict.kind) {
            case 'admit':
              if (verdict.mode !== undefined) entry.mode = verdict.mode;
              return true;
            case 'skip':
              // Too short to survive `strip`: node-tar would drop it too, so leaving it out changes nothing on disk.
              return false;
            case 'reject':
              this.destroy(new DownloadError('unsafe-archive', verdict.reason));
              return false;
          }
        } catch (err) {
          this.destroy(asError(err));
          return false;
        }
      },
    });
    this.settled = new Promise((resolve) => {
      unpack.once('close', () => resolve());
      // node-tar never closes after a CwdError (the extraction directory is gone: removed under us). It raises one only
      // while checking the directory before the first write, so nothing is in flight and nothing will be.
      unpack.on('error', (err: Error) => {
        if (err.name === 'CwdError') resolve();
      });
    });
    unpack.on('eof', () => {
      this.sawEndOfArchive = true;
    });
    unpack.on('error', (err: Error) => {
      if (!this.destroyed) this.destroy(err);
    });
    this.unpack = unpack;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.unpack.write(chunk)) callback();
    else this.unpack.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.unpack.once('close', () => {
      if (this.sawEndOfArchive) callback();
      else callback(new DownloadError('truncated', 'the tar stream ends without its end-of-archive marker'));
    });
    this.endUnpack();
  }

  /**
   * Ending (not aborting) node-tar on failure is what lets `settled` resolve: an aborted Unpack never says when its
   * last write finished, and the caller is about to delete the directory it writes into. Deferred, because this can
   * run inside Unpack.write (from the filter).
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    queueMicrotask(() => this.endUnpack());
    callback(error);
  }

  private endUnpack(): void {
    if (this.ended) return;
    this.ended = true;
    this.unpack.end();
  }
}

/**
 * Whether extraction failed because the target directory (or part of it) was deleted while node-tar wrote into it:
 * another unit that took the install lock over sweeps staging areas. ENOENT can only arise for a path node-tar is
 * writing under targetDir (it creates every parent first), so it is not the archive's fault.
 */
async function removedUnderUs(err: unknown, targetDir: string): Promise<boolean> {
  if (err instanceof DownloadError || errorCode(err) !== 'ENOENT') return false;
  const path = typeof err === 'object' && err !== null && 'path' in err ? err.path : undefined;
  const root = resolvePath(targetDir);
  if (typeof path === 'string') {
    const p = resolvePath(root, path);
    if (p === root || p.startsWith(`${root}/`)) return true;
  }
  return access(root).then(
    () => false,
    () => true,
  );
}

/** node-tar's entry as the domain guard sees it: the raw header fields, before node-tar applies `strip`. */
function archiveEntry(entry: ReadEntry): ArchiveEntry {
  return { path: entry.path, type: entry.type, linkpath: entry.linkpath, size: entry.size, mode: entry.mode };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Waits for `promise`, but no longer than `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}
