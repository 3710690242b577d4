// Boot test: the V8 code cache of the bundle, against real files: used when sound, and otherwise ignored, the
// bundle compiled afresh and the cache replaced; a cache never crosses bundles or runtimes.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import {
  type Bundle,
  type CommonJsWrapper,
  type CompiledBundle,
  cacheFileName,
  compileBundle,
  type Runtime,
  readCache,
  writeCache,
} from '../../src/boot/code-cache';

const RUNTIME: Runtime = { version: process.version, arch: process.arch };
const bundleA: Bundle = {
  source: 'module.exports = { answer: 6 * 7, later: function () { return "lazy " + module.exports.answer; } };',
  digest: 'a'.repeat(64),
  filename: '/charm/dist/charm.cjs',
};
const bundleB: Bundle = {
  source: 'module.exports = { answer: "from bundle B, which is not as long", later: () => "B" };',
  digest: 'b'.repeat(64),
  filename: '/charm/dist/charm.cjs',
};
let dir: string;
// V8 keeps what a process compiled in memory, keyed by source and file name, and would answer a second compile
// from there without looking at the cache: each compile gets a name of its own, as each hook is a fresh process.
let compiles = 0;
beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'code-cache-')), 'code-cache');
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

/** Runs the compiled bundle as a CommonJS module and returns its exports, as the loader does. */
function run(compiled: CompiledBundle): { answer: unknown; later: () => string } {
  const mod = { exports: {} as Record<string, unknown> };
  const fn = compiled.script.runInThisContext() as CommonJsWrapper;
  fn.call(mod.exports, mod.exports, require, mod, '/charm/dist/charm.cjs', '/charm/dist');
  return mod.exports as { answer: unknown; later: () => string };
}

/** Compiles, runs, and exits as a hook does: the cache is saved after the bundle ran. */
function hook(bundle: Bundle, runtime: Runtime = RUNTIME) {
  const compiled = compileBundle({ ...bundle, filename: `/charm/dist/charm-${++compiles}.cjs` }, dir, runtime);
  const exports = run(compiled);
  const later = exports.later();
  compiled.saveIfNeeded();
  return { outcome: compiled.outcome, answer: exports.answer, later };
}

const cacheOf = (bundle: Bundle, runtime: Runtime = RUNTIME) => join(dir, cacheFileName(bundle.digest, runtime));

test('first hook → compiled without a cache, cache written under the bundle digest and runtime', () => {
  expect(hook(bundleA)).toEqual({ outcome: 'missing', answer: 42, later: 'lazy 42' });
  expect(readdirSync(dir)).toEqual([cacheFileName(bundleA.digest, RUNTIME)]);
  expect(cacheFileName(bundleA.digest, RUNTIME)).toBe(`${'a'.repeat(32)}-${process.version}-${process.arch}.v8cache`);
});

test('second hook → cache used by V8, same results, file left as it was', () => {
  hook(bundleA);
  const written = readFileSync(cacheOf(bundleA));
  expect(hook(bundleA)).toEqual({ outcome: 'used', answer: 42, later: 'lazy 42' });
  expect(readFileSync(cacheOf(bundleA)).equals(written)).toBe(true);
});

test('payload with a flipped byte → corrupt: ignored, bundle compiled afresh, cache replaced', () => {
  hook(bundleA);
  const raw = readFileSync(cacheOf(bundleA));
  raw[raw.length - 10] = (raw[raw.length - 10] ?? 0) ^ 0xff;
  writeFileSync(cacheOf(bundleA), raw);
  expect(hook(bundleA)).toEqual({ outcome: 'corrupt', answer: 42, later: 'lazy 42' });
  expect(hook(bundleA).outcome).toBe('used');
});

test.each([
  ['empty file', Buffer.alloc(0)],
  ['no header line', Buffer.from('garbage without a newline')],
  ['another magic', Buffer.from('some other cache 1 x y z w\npayload')],
])('%s in place of the cache → corrupt: ignored and replaced', (_name, content) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(cacheOf(bundleA), content);
  expect(hook(bundleA)).toEqual({ outcome: 'corrupt', answer: 42, later: 'lazy 42' });
  expect(readCache(cacheOf(bundleA), bundleA.digest, RUNTIME)).toHaveProperty('payload');
});

test('cache of another bundle under this bundle`s name → foreign: never handed to V8, replaced', () => {
  hook(bundleB);
  mkdirSync(dir, { recursive: true });
  writeFileSync(cacheOf(bundleA), readFileSync(cacheOf(bundleB)));
  expect(readCache(cacheOf(bundleA), bundleA.digest, RUNTIME)).toEqual({ problem: 'foreign' });
  expect(hook(bundleA)).toEqual({ outcome: 'foreign', answer: 42, later: 'lazy 42' });
  expect(hook(bundleA).outcome).toBe('used');
  expect(hook(bundleB).outcome).toBe('used');
});

test('cache written by another node version → foreign, and that version`s cache is left alone', () => {
  const other: Runtime = { version: 'v22.11.0', arch: process.arch };
  mkdirSync(dir, { recursive: true });
  writeCache(dir, bundleA.digest, other, Buffer.from('not for this node'));
  writeFileSync(cacheOf(bundleA), readFileSync(cacheOf(bundleA, other)));
  expect(hook(bundleA).outcome).toBe('foreign');
  expect(readCache(cacheOf(bundleA, other), bundleA.digest, other)).toHaveProperty('payload');
});

test('sound file whose payload V8 refuses (another source) → rejected: compiled afresh, cache replaced', () => {
  hook(bundleB);
  const read = readCache(cacheOf(bundleB), bundleB.digest, RUNTIME);
  if (!('payload' in read)) throw new Error('bundle B has no cache');
  writeCache(dir, bundleA.digest, RUNTIME, read.payload);
  expect(hook(bundleA)).toEqual({ outcome: 'rejected', answer: 42, later: 'lazy 42' });
  expect(hook(bundleA).outcome).toBe('used');
});

test('cache directory not writable (a file in its place) → hook runs uncached, nothing thrown', () => {
  writeFileSync(join(dir, '..', 'code-cache'), 'a file, not a directory');
  expect(hook(bundleA)).toEqual({ outcome: 'missing', answer: 42, later: 'lazy 42' });
  expect(hook(bundleA).outcome).toBe('missing');
});

test('caches of many earlier bundles → the two newest kept besides the current one, no temporary left', () => {
  mkdirSync(dir, { recursive: true });
  const old = ['1', '2', '3', '4'].map((d, i) => {
    writeCache(dir, d.repeat(64), RUNTIME, Buffer.from(`payload ${d}`));
    const file = cacheOf({ ...bundleA, digest: d.repeat(64) });
    utimesSync(file, 1_000_000 + i, 1_000_000 + i);
    return cacheFileName(d.repeat(64), RUNTIME);
  });
  hook(bundleA);
  expect(readdirSync(dir).sort()).toEqual([cacheFileName(bundleA.digest, RUNTIME), old[2], old[3]].sort());
});
