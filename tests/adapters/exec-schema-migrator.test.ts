// ExecSchemaMigrator against the stand-in concourse binary from sim/concourse/release-tarball.ts, unpacked for real.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildReleaseTarball, defaultDbSchema } from '../../sim/concourse/release-tarball';
import { ExecSchemaMigrator } from '../../src/adapters/exec-schema-migrator';

const db = { host: '10.1.2.3', port: 5432, user: 'concourse', password: 'p@ss word', database: 'ci' };
let dir: string;
let release: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'schema-migrator-'));
  const tarball = join(dir, 'release.tgz');
  writeFileSync(tarball, (await buildReleaseTarball({ version: '7.14.3', fillerBytes: 16 })).data);
  release = join(dir, 'release');
  mkdirSync(release);
  execFileSync('tar', ['-xzf', tarball, '-C', release, '--strip-components=1']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ExecSchemaMigrator', () => {
  test('supportedSchema → the number the release prints', async () => {
    expect(await new ExecSchemaMigrator().supportedSchema(release)).toBe(defaultDbSchema('7.14.3'));
  });

  test('a release that cannot tell (missing, or prints something else) → undefined', async () => {
    const odd = join(dir, 'odd');
    mkdirSync(join(odd, 'bin'), { recursive: true });
    writeFileSync(join(odd, 'bin', 'concourse'), '#!/bin/sh\necho "flag provided but not defined"\n');
    chmodSync(join(odd, 'bin', 'concourse'), 0o755);
    expect(await new ExecSchemaMigrator().supportedSchema(odd)).toBeUndefined();
    expect(await new ExecSchemaMigrator().supportedSchema(join(dir, 'nowhere'))).toBeUndefined();
  });

  test('migrateTo → runs the release with the database settings in its environment, never in argv', async () => {
    const spy = join(dir, 'spy');
    mkdirSync(join(spy, 'bin'), { recursive: true });
    writeFileSync(
      join(spy, 'bin', 'concourse'),
      `#!/bin/sh\n{ echo "argv: $*"; env | grep ^CONCOURSE_ | sort; } > "${join(dir, 'spy.out')}"\n`,
    );
    chmodSync(join(spy, 'bin', 'concourse'), 0o755);
    await new ExecSchemaMigrator().migrateTo(spy, 1700071402, db);
    const out = readFileSync(join(dir, 'spy.out'), 'utf8');
    expect(out).toContain('argv: migrate --migrate-db-to-version=1700071402\n');
    expect(out).toContain('CONCOURSE_POSTGRES_PASSWORD=p@ss word\n');
    expect(out).toContain('CONCOURSE_POSTGRES_HOST=10.1.2.3\n');
    expect(out.split('\n')[0]).not.toContain('p@ss');
  });

  test('a failing migration → rejects with the release’s last stderr line, not the password', async () => {
    const failing = join(dir, 'failing');
    mkdirSync(join(failing, 'bin'), { recursive: true });
    writeFileSync(
      join(failing, 'bin', 'concourse'),
      '#!/bin/sh\necho "starting" >&2\necho "pq: relation missing" >&2\nexit 1\n',
    );
    chmodSync(join(failing, 'bin', 'concourse'), 0o755);
    const error = await new ExecSchemaMigrator().migrateTo(failing, 1, db).catch((e: unknown) => e);
    expect(String(error)).toContain('pq: relation missing');
    expect(String(error)).not.toContain('p@ss');
  });

  test('an invalid schema number → RangeError before anything runs', async () => {
    await expect(new ExecSchemaMigrator().migrateTo(release, -1, db)).rejects.toThrow(RangeError);
  });
});
