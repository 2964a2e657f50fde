/** Every PostgreSQL schema version in order; `schema_version` holds one row per version applied. */
import { pgMigration001 } from './001-schema.js';
import { pgMigration002 } from './002-attempted-username.js';
import { pgMigration003 } from './003-patient-recording-stats.js';
import { pgMigration004 } from './004-key-approval.js';
import type { PgMigration } from './types.js';

export type { PgMigration } from './types.js';
export const PG_MIGRATIONS: readonly PgMigration[] = [pgMigration001, pgMigration002, pgMigration003, pgMigration004];
export const PG_LATEST_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;
/** The SQLite schema version the latest PostgreSQL one matches (a site migration copies from it). */
export const PG_MATCHES_SQLITE_VERSION = 9;
