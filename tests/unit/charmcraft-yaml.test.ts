// Unit: charmcraft.yaml has the shape Charmcraft 3/4 accept for Ubuntu 24.04 (base + platforms, never `bases`) and
// primes exactly the files scripts/pack.mjs puts in the charm, so both ways of packing ship the same artifact.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../support/processes';

const charmcraft: unknown = parse(readFileSync(join(PROJECT_ROOT, 'charmcraft.yaml'), 'utf8'));

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} is not a mapping`);
  return value as Record<string, unknown>;
}

/** The files pack.mjs copies from the tree (its `[path, mode]` table); manifest.yaml is generated, as Charmcraft does. */
function packedFiles(): string[] {
  const source = readFileSync(join(PROJECT_ROOT, 'scripts/pack.mjs'), 'utf8');
  return [...source.matchAll(/\[\s*'([^']+)',\s*0o[0-7]+\s*\]/g)].map((m) => m[1] ?? '');
}

const project = record(charmcraft, 'charmcraft.yaml');

test('type → charm', () => {
  expect(project.type).toBe('charm');
});

test('base → ubuntu@24.04', () => {
  expect(project.base).toBe('ubuntu@24.04');
});

test('legacy `bases:` → absent (Charmcraft 3+ refuses it for 24.04)', () => {
  expect(Object.keys(project)).not.toContain('bases');
});

test('platforms → a non-empty mapping naming amd64', () => {
  const platforms = record(project.platforms, 'platforms');
  expect(Object.keys(platforms).length).toBeGreaterThan(0);
  expect(Object.keys(platforms)).toContain('amd64');
});

test('metadata keys → left to metadata.yaml (Charmcraft refuses duplicates)', () => {
  for (const key of ['name', 'summary', 'description', 'config', 'actions'])
    expect(Object.keys(project)).not.toContain(key);
});

test('parts.charm → dump plugin building with npm', () => {
  const charm = record(record(project.parts, 'parts').charm, 'parts.charm');
  expect(charm.plugin).toBe('dump');
  expect(charm.source).toBe('.');
  expect(String(charm['override-build'])).toMatch(/npm run build[\s\S]*craftctl default/);
});

test('prime → exactly the files scripts/pack.mjs packs', () => {
  const files = packedFiles();
  expect(files).toEqual(expect.arrayContaining(['dispatch', 'dist/charm.cjs', 'metadata.yaml']));
  const prime = record(record(project.parts, 'parts').charm, 'parts.charm').prime;
  expect(Array.isArray(prime)).toBe(true);
  expect([...(prime as unknown[])].sort()).toEqual([...files].sort());
});
