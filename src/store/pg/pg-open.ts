/**
 * Opening a site database: connect, apply the PostgreSQL migrations the role may apply, refuse a
 * schema newer than this code. Migrations run as the owner role (`auscult site migrate-schema`
 * or the first start by the owner); a workstation role on an older schema is told to ask for it.
 */
import { StoreError } from '../errors.js';
import { PG_LATEST_SCHEMA_VERSION, PG_MIGRATIONS } from './migrations/index.js';
import { PgDatabase } from './pg-database.js';
import { parseSiteUrl } from './pg-url.js';

export interface PgOpenOptions {
  readonly?: boolean;
  /** Apply missing schema versions (the owner role). Default true. */
  migrate?: boolean;
  statementTimeoutMs?: number;
}

export function openPgDatabase(url: string, opts: PgOpenOptions = {}): PgDatabase {
  const db = new PgDatabase(parseSiteUrl(url, opts), { readonly: opts.readonly });
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > PG_LATEST_SCHEMA_VERSION)
      throw new StoreError(
        'SCHEMA_TOO_NEW',
        `The site database is at schema ${version}, newer than this Auscult knows (${PG_LATEST_SCHEMA_VERSION}). Update Auscult on this workstation. Nothing was changed.`,
      );
    if (version < PG_LATEST_SCHEMA_VERSION && !opts.readonly && opts.migrate !== false) migratePg(db, version);
    else if (version < PG_LATEST_SCHEMA_VERSION)
      throw new StoreError(
        'MIGRATION_FAILED',
        `The site database is at schema ${version}; this Auscult needs ${PG_LATEST_SCHEMA_VERSION}. The database owner applies it (auscult serve --db with the owner role). Nothing was changed.`,
      );
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function migratePg(db: PgDatabase, from: number): void {
  // One advisory lock: two workstations starting together do not both migrate.
  db.query('SELECT pg_advisory_lock(4711017)');
  try {
    let version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0 && from === 0)
      db.query(
        'CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
    for (const m of PG_MIGRATIONS) {
      if (m.version <= version) continue;
      db.query('BEGIN');
      try {
        db.query(m.up);
        db.query('INSERT INTO schema_version (version, name) VALUES ($1, $2)', [String(m.version), m.name]);
        db.query('GRANT SELECT ON schema_version TO auscult_workstation');
        db.query('COMMIT');
      } catch (err) {
        db.query('ROLLBACK');
        throw new StoreError(
          'MIGRATION_FAILED',
          `Upgrading the site database to schema ${m.version} (${m.name}) failed and was rolled back; it is unchanged at schema ${version}. ` +
            `Cause: ${err instanceof Error ? err.message : String(err)}. The role that migrates must own the database (and may create the auscult_workstation role, or it exists already).`,
        );
      }
      version = m.version;
    }
  } finally {
    db.query('SELECT pg_advisory_unlock(4711017)');
  }
}
