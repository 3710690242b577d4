// Port: Concourse's own database migrations. Concourse migrates its schema forward when the web starts and never
// back; going back to an older release means first migrating down with the newer binary, which knows both schemas.

import type { PostgresConnection } from '../domain/concourse-services';

export interface SchemaMigrator {
  /** `<releaseDir>/bin/concourse migrate --supported-db-version`; undefined when the release cannot tell. */
  supportedSchema(releaseDir: string): Promise<number | undefined>;
  /** `<releaseDir>/bin/concourse migrate --migrate-db-to-version=<schema>` against the database (credentials by env). */
  migrateTo(releaseDir: string, schema: number, db: PostgresConnection): Promise<void>;
}

export const SCHEMA_MIGRATOR = Symbol.for('concourse-ci-machine/SchemaMigrator');
