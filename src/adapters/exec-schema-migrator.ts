// Adapter (SchemaMigrator): runs a release's `concourse migrate` without a shell. Database settings go in the
// environment, as the web service gets them (never argv, which every local user can read in /proc); output is
// bounded, and only stderr's last line reaches the error (it never holds the password).

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { injectable } from 'inversify';
import type { PostgresConnection } from '../domain/concourse-services';
import type { SchemaMigrator } from '../ports/schema-migrator';

const QUERY_TIMEOUT_MS = 30_000;
/** A down-migration rewrites tables: generous, but bounded so a hung database cannot hold the action forever. */
const MIGRATE_TIMEOUT_MS = 30 * 60_000;
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

@injectable()
export class ExecSchemaMigrator implements SchemaMigrator {
  async supportedSchema(releaseDir: string): Promise<number | undefined> {
    try {
      const out = await run(releaseDir, ['migrate', '--supported-db-version'], { PATH }, QUERY_TIMEOUT_MS);
      const text = out.trim();
      return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
    } catch {
      return undefined;
    }
  }

  async migrateTo(releaseDir: string, schema: number, db: PostgresConnection): Promise<void> {
    if (!Number.isSafeInteger(schema) || schema < 0) throw new RangeError(`invalid schema version ${schema}`);
    await run(
      releaseDir,
      ['migrate', `--migrate-db-to-version=${schema}`],
      {
        PATH,
        CONCOURSE_POSTGRES_HOST: db.host,
        CONCOURSE_POSTGRES_PORT: String(db.port),
        CONCOURSE_POSTGRES_USER: db.user,
        CONCOURSE_POSTGRES_PASSWORD: db.password,
        CONCOURSE_POSTGRES_DATABASE: db.database,
      },
      MIGRATE_TIMEOUT_MS,
    );
  }
}

function run(releaseDir: string, args: readonly string[], env: NodeJS.ProcessEnv, timeout: number): Promise<string> {
  const binary = join(releaseDir, 'bin', 'concourse');
  return new Promise((resolve, reject) => {
    execFile(binary, [...args], { env, timeout, maxBuffer: 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) {
        resolve(stdout);
        return;
      }
      const last = stderr.trim().split('\n').pop()?.slice(0, 300) ?? '';
      reject(new Error(`concourse ${args.join(' ')} failed: ${last || error.message}`));
    });
  });
}
