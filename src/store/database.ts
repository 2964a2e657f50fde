/**
 * Opening the one SQLite file: pragmas, migrations, transactions.
 *
 * journal_mode=WAL: readers never block the writer (the UI lists while an import commits).
 * synchronous=NORMAL: in WAL mode a commit is durable against an application crash or SIGKILL
 * (the WAL is written before the commit returns; only the fsync is deferred to checkpoints), and
 * a power loss can lose at most the last transactions since the previous checkpoint, never corrupt
 * the file. That trade is right for a workstation whose WAVs are on the same disk and whose
 * recordings are re-importable; FULL would fsync on every commit and cap batch imports.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from './errors.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations/index.js';

export interface OpenOptions {
  /** Open without writing: no migrations, no pragmas that write. */
  readonly?: boolean;
  /** Migrate only up to this version (tests build databases of earlier versions this way). */
  migrateTo?: number;
  /** Milliseconds to wait on a lock held by another connection before failing (default 5000). */
  busyTimeoutMs?: number;
}

export function openDatabase(path: string, opts: OpenOptions = {}): Database.Database {
  if (!opts.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    db.pragma('foreign_keys = ON');
    // 32 MiB page cache (default 2 MiB): the list indexes of 100,000 recordings stay in memory.
    db.pragma('cache_size = -32768');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    const version = schemaVersion(db);
    if (version > LATEST_SCHEMA_VERSION) {
      throw new StoreError(
        'SCHEMA_TOO_NEW',
        `The database ${path} was made by a newer version of Auscult (schema ${version}; this version knows up to ${LATEST_SCHEMA_VERSION}). ` +
          'Open it with that newer version, or restore a backup made by this one. Nothing was changed.',
      );
    }
    if (!opts.readonly) migrate(db, opts.migrateTo ?? LATEST_SCHEMA_VERSION);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Apply every migration above the current version, each in its own transaction with its version bump. */
export function migrate(db: Database.Database, target = LATEST_SCHEMA_VERSION): number {
  let version = schemaVersion(db);
  for (const m of MIGRATIONS) {
    if (m.version <= version || m.version > target) continue;
    const step = db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      step.immediate();
    } catch (err) {
      throw new StoreError(
        'MIGRATION_FAILED',
        `Upgrading the database to schema ${m.version} (${m.name}) failed and was rolled back; the file is unchanged at schema ${version}. ` +
          `Cause: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    version = m.version;
  }
  return version;
}
