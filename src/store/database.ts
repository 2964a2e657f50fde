/**
 * Opening the one SQLite file: checks, key, pragmas, migrations, transactions.
 *
 * The file is checked before it is trusted. A 0-byte file is refused (a failed copy or a full
 * disk, never silently made into a fresh, empty history); only a path where no file exists
 * becomes a new database, or a 0-byte file when the caller asks for a new one (`newIfEmpty`).
 * A file SQLite cannot read (damaged, or encrypted with another key) and a SQLite file that is
 * not Auscult's are refused with a sentence saying what to do; `quickCheck` (serve and the app)
 * runs `PRAGMA quick_check` before anything is written. Nothing is changed on a refusal.
 *
 * Encryption at rest (SQLite3 Multiple Ciphers, WAL included): the page cipher the folder names
 * (`key.databaseCipher`: AEGIS-256 for folders made since issue 16, ChaCha20-Poly1305 before),
 * then the key as `PRAGMA hexkey`, the first statements on the connection; the key is a subkey of
 * the data folder's master key (HKDF-SHA256, label below), so the raw master key never reaches SQLite.
 *
 * journal_mode=WAL: readers never block the writer (the UI lists while an import commits).
 * synchronous=FULL: every commit fsyncs the WAL before it returns, so an acknowledged import or
 * signature survives a power cut (NORMAL defers that fsync to checkpoints: a crash of the app is
 * safe, a power cut can drop the last commits). The cost, measured: src/store/README.md.
 *
 * Files are private: a new database is created 0600 inside a 0700 folder (SQLite gives its WAL
 * and SHM files the database's mode), and an existing one is tightened to 0600 when opened for writing.
 */
import Database from 'better-sqlite3';
import { hkdfSync } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { AtRestKey } from '../common/at-rest.js';
import { StoreError } from './errors.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations/index.js';

export interface OpenOptions {
  /** Open without writing: no migrations, no pragmas that write. */
  readonly?: boolean;
  /** Migrate only up to this version (tests build databases of earlier versions this way). */
  migrateTo?: number;
  /** Milliseconds to wait on a lock held by another connection before failing (default 5000). */
  busyTimeoutMs?: number;
  /** The data folder's at-rest key: the database is encrypted with a subkey of it. */
  key?: AtRestKey | null;
  /** Treat an existing 0-byte file as a new database (only when the user asked for a new one). */
  newIfEmpty?: boolean;
  /** Run `PRAGMA quick_check` before trusting the file (serve and the app do at start). */
  quickCheck?: boolean;
  /** `synchronous` (default FULL; benches compare NORMAL). */
  synchronous?: 'FULL' | 'NORMAL';
}

/** The database's own key: HKDF-SHA256 of the master key with a label no other use shares. */
export function databaseKeyHex(key: AtRestKey): string {
  return Buffer.from(hkdfSync('sha256', key.master, Buffer.alloc(0), 'auscult sqlite database v1', 32)).toString('hex');
}

/**
 * AEGIS-256 with Argon2id cut to its minimum (1 pass, 8 KiB, 1 lane): the "passphrase" SQLite
 * sees is already a random 256-bit HKDF output, so stretching it only costs time at every open
 * (its default, 2 passes over 19 MiB, took ~140 ms here; ChaCha20's PBKDF2 ~150 ms).
 */
const AEGIS_PRAGMAS = ["cipher = 'aegis'", 'algorithm = 4', 'tcost = 1', 'mcost = 8', 'pcost = 1'];

const SQLITE_MAGIC = 'SQLite format 3\0';

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StoreError('UNREADABLE', `The database ${path} cannot be read: ${(err as Error).message}.`);
  }
}

/** Why SQLite could not read the file, in words that say what to do. */
function unreadable(path: string, key: AtRestKey | null | undefined, err: unknown): StoreError {
  const code = err instanceof Error && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StoreError(
      'CORRUPT',
      key
        ? `The database ${path} cannot be read with this data folder's key: it is damaged, not an Auscult database, or was encrypted with another key. ` +
            'Check the key (AUSCULT_KEY_FILE or AUSCULT_PASSPHRASE), or restore the latest backup with `auscult restore`. Nothing was changed.'
        : `The database ${path} is not a readable SQLite database: it is damaged, or it is encrypted (then give its key: AUSCULT_KEY_FILE or AUSCULT_PASSPHRASE). ` +
            'Restore the latest backup with `auscult restore`, or move the file away to start a new history. Nothing was changed.',
    );
  }
  return new StoreError(
    'UNREADABLE',
    `The database ${path} cannot be opened (${err instanceof Error ? err.message : String(err)}). Nothing was changed.`,
  );
}

export function openDatabase(path: string, opts: OpenOptions = {}): Database.Database {
  const readonly = opts.readonly ?? false;
  const st = statOrNull(path);
  if (st?.isDirectory()) {
    throw new StoreError('UNREADABLE', `${path} is a folder, not a database file. Give the database file's path.`);
  }
  if (!st && readonly) {
    throw new StoreError('NOT_FOUND', `There is no database at ${path}. Check the path (--db) or the data folder.`);
  }
  if (st && st.size === 0 && !opts.newIfEmpty) {
    throw new StoreError(
      'EMPTY',
      `The database file ${path} is empty (0 bytes): it is not a usable history (a failed copy, or a disk that was full). ` +
        'Restore the latest backup with `auscult restore`; to start a new, empty history in its place instead, delete the file and start again. Nothing was changed.',
    );
  }
  if (!st) {
    // A new database: a private file in a private folder, before SQLite writes anything into it.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'wx', 0o600));
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly, fileMustExist: true });
  } catch (err) {
    throw unreadable(path, opts.key, err);
  }
  try {
    if (opts.key) {
      // The cipher and its parameters come before the key: they decide how the key is used.
      if (opts.key.databaseCipher === 'aegis') for (const p of AEGIS_PRAGMAS) db.pragma(p);
      db.pragma(`hexkey = '${databaseKeyHex(opts.key)}'`);
    }
    // Before the first read: opening while other processes write can meet a lock too (WAL recovery).
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    let version: number;
    try {
      version = schemaVersion(db);
      if (opts.quickCheck) {
        const lines = (db.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check);
        if (lines.length !== 1 || lines[0] !== 'ok') {
          throw new StoreError(
            'CORRUPT',
            `The database ${path} is damaged (SQLite's quick check: ${lines.slice(0, 3).join('; ')}). ` +
              'Auscult will not serve it: restore the latest backup with `auscult restore`, and run `auscult check` on the damaged copy for details. Nothing was changed.',
          );
        }
      }
    } catch (err) {
      throw err instanceof StoreError ? err : unreadable(path, opts.key, err);
    }
    if (version === 0 && st && st.size > 0) {
      const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number })
        .n;
      if (tables > 0) {
        throw new StoreError(
          'NOT_AUSCULT',
          `${path} is an SQLite database, but not an Auscult history (it has tables and no Auscult schema version). ` +
            'Give the path of the Auscult database (--db). Nothing was changed.',
        );
      }
    }
    db.pragma('foreign_keys = ON');
    // 32 MiB page cache (default 2 MiB): the list indexes of 100,000 recordings stay in memory.
    db.pragma('cache_size = -32768');
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
      tightenModes(path);
    }
    if (version > LATEST_SCHEMA_VERSION) {
      throw new StoreError(
        'SCHEMA_TOO_NEW',
        `The database ${path} was made by a newer version of Auscult (schema ${version}; this version knows up to ${LATEST_SCHEMA_VERSION}). ` +
          'Open it with that newer version, or restore a backup made by this one. Nothing was changed.',
      );
    }
    if (!readonly) migrate(db, opts.migrateTo ?? LATEST_SCHEMA_VERSION);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The database and its WAL/SHM: 0600 (files made before modes were set were 0644). */
export function tightenModes(path: string): void {
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(f, 0o600);
    } catch {
      /* not there (yet) */
    }
  }
}

/** Whether a file starts with SQLite's plaintext header (an encrypted database does not). */
export function looksLikePlainSqlite(head: Buffer): boolean {
  return head.subarray(0, 16).toString('latin1') === SQLITE_MAGIC;
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
      if (m.foreignKeysOff) {
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`${broken.length} rows would break a foreign key`);
      }
      db.pragma(`user_version = ${m.version}`);
    });
    const enforced = db.pragma('foreign_keys', { simple: true }) === 1;
    if (m.foreignKeysOff && enforced) db.pragma('foreign_keys = OFF');
    try {
      step.immediate();
    } catch (err) {
      throw new StoreError(
        'MIGRATION_FAILED',
        `Upgrading the database to schema ${m.version} (${m.name}) failed and was rolled back; the file is unchanged at schema ${version}. ` +
          `Cause: ${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      if (m.foreignKeysOff && enforced) db.pragma('foreign_keys = ON');
    }
    version = m.version;
  }
  return version;
}
