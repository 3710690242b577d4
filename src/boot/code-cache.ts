// Boot (outside the hexagon, before any of it runs): compiles the charm's bundle with a V8 code cache kept on the
// unit, so a hook does not re-parse 1.4 MB of JavaScript each time. A cache that fails any check is never used.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

/** The unit's own disk, next to the unpacked node-runtime: never the shared volume (each node writes its own). */
export const DEFAULT_CODE_CACHE_DIR = '/var/lib/concourse-charm/code-cache';
/** Caches of other bundles (earlier charm revisions, other node versions) kept besides the current one. */
const KEEP_OTHERS = 2;
const MAGIC = 'concourse-ci-machine code-cache 1';

export interface Bundle {
  /** The CommonJS source of the charm, as esbuild wrote it. */
  readonly source: string;
  /** sha256 (hex) of `source`, computed when the charm was built. */
  readonly digest: string;
  /** What stack traces name. */
  readonly filename: string;
}

export interface Runtime {
  readonly version: string;
  readonly arch: string;
}

export type CacheOutcome = 'used' | 'missing' | 'foreign' | 'corrupt' | 'rejected';

export interface CompiledBundle {
  readonly script: Script;
  readonly outcome: CacheOutcome;
  /** Writes a fresh cache unless the one read was used; call when the hook is done, so the functions it compiled
   * lazily are in it too. Never throws: a unit that cannot write (read-only, full) just runs uncached. */
  readonly saveIfNeeded: () => void;
}

/** The cache file of this bundle on this runtime: the digest and the runtime are in the name and in the header. */
export function cacheFileName(digest: string, runtime: Runtime): string {
  return `${digest.slice(0, 32)}-${runtime.version}-${runtime.arch}.v8cache`;
}

// A CRC-32 of the payload catches a torn or damaged file (a tenth of a sha256's cost on every hook); V8's own checks
// catch a cache made by another V8 or with other flags. The file is root's, on the unit's own disk: no adversary.
function header(digest: string, runtime: Runtime, payload: Buffer): string {
  return `${MAGIC} ${digest} ${runtime.version} ${runtime.arch} ${crc32(payload).toString(16)}\n`;
}

/** The V8 payload of `file` if it was written for exactly this bundle and runtime and is intact. */
export function readCache(
  file: string,
  digest: string,
  runtime: Runtime,
): { payload: Buffer } | { problem: 'missing' | 'foreign' | 'corrupt' } {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    return { problem: 'missing' };
  }
  const end = raw.indexOf(10);
  if (end < 0) return { problem: 'corrupt' };
  const fields = raw.subarray(0, end).toString('latin1').split(' ');
  const [sum, arch, version, ownDigest] = fields.slice(-4).reverse();
  if (fields.slice(0, -4).join(' ') !== MAGIC) return { problem: 'corrupt' };
  if (ownDigest !== digest || version !== runtime.version || arch !== runtime.arch) return { problem: 'foreign' };
  const payload = raw.subarray(end + 1);
  if (crc32(payload).toString(16) !== sum) return { problem: 'corrupt' };
  return { payload };
}

/** Writes the cache beside its final name and renames it into place: a reader sees the old file or the new one. */
export function writeCache(dir: string, digest: string, runtime: Runtime, payload: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = cacheFileName(digest, runtime);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, Buffer.concat([Buffer.from(header(digest, runtime, payload), 'latin1'), payload]), {
      mode: 0o600,
    });
    renameSync(tmp, join(dir, name));
  } finally {
    rmSync(tmp, { force: true });
  }
  pruneOthers(dir, name);
}

/** Keeps the newest few caches of other bundles (a charm upgraded back and forth), removes the rest. */
function pruneOthers(dir: string, current: string): void {
  const others = readdirSync(dir)
    .filter((n) => n !== current && n.endsWith('.v8cache') && !n.startsWith('.'))
    .map((n) => ({ n, mtime: statSync(join(dir, n)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { n } of others.slice(KEEP_OTHERS)) rmSync(join(dir, n), { force: true });
}

/** Compiles `bundle` as a CommonJS function wrapper, with its cache from `dir` when that cache is sound. */
export function compileBundle(bundle: Bundle, dir: string, runtime: Runtime): CompiledBundle {
  const file = join(dir, cacheFileName(bundle.digest, runtime));
  const read = readCache(file, bundle.digest, runtime);
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${bundle.source}\n})`;
  const script = new Script(wrapped, {
    filename: bundle.filename,
    ...('payload' in read ? { cachedData: read.payload } : {}),
  });
  let outcome: CacheOutcome = 'payload' in read ? 'used' : read.problem;
  // V8 refuses a cache made by another V8 or with other flags (NODE_OPTIONS): compiled afresh, then replaced.
  if (outcome === 'used' && script.cachedDataRejected === true) outcome = 'rejected';
  const saveIfNeeded = (): void => {
    if (outcome === 'used') return;
    try {
      writeCache(dir, bundle.digest, runtime, script.createCachedData());
    } catch {
      // A cache is only ever an optimisation.
    }
  };
  return { script, outcome, saveIfNeeded };
}

export type CommonJsWrapper = (
  exports: unknown,
  require: NodeJS.Require,
  module: unknown,
  filename: string,
  dirname: string,
) => void;

/** Runs the compiled bundle as the module `mod`, and saves the cache when the process exits. */
export function runBundle(compiled: CompiledBundle, mod: NodeJS.Module, require: NodeJS.Require): void {
  process.once('exit', compiled.saveIfNeeded);
  const fn = compiled.script.runInThisContext() as CommonJsWrapper;
  fn.call(mod.exports, mod.exports, require, mod, mod.filename, mod.path);
}
