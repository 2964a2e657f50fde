/**
 * The store: one SQLite file and its repositories. Every change that must be audited runs inside
 * `tx`, with its audit entry appended in the same transaction.
 */
import Database from 'better-sqlite3';
import { AuditLog } from './audit-log.js';
import { openDatabase, schemaVersion, type OpenOptions } from './database.js';
import { translateSqliteError } from './errors.js';
import { Patients } from './patients.js';
import { Recordings } from './recordings.js';
import { Users } from './users.js';

export interface IntegrityReport {
  ok: boolean;
  /** `PRAGMA integrity_check` lines ('ok' when healthy). */
  integrity: string[];
  /** Rows whose foreign keys point nowhere. */
  foreignKeyViolations: number;
}

export class Store {
  readonly users: Users;
  readonly patients: Patients;
  readonly recordings: Recordings;
  readonly audit: AuditLog;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
  ) {
    this.users = new Users(db);
    this.patients = new Patients(db);
    this.recordings = new Recordings(db);
    this.audit = new AuditLog(db);
  }

  static open(path: string, opts: OpenOptions = {}): Store {
    return new Store(openDatabase(path, opts), path);
  }

  get schemaVersion(): number {
    return schemaVersion(this.db);
  }

  /**
   * Run `fn` in one write transaction (BEGIN IMMEDIATE: takes the write lock up front, so two
   * processes never deadlock upgrading a read lock). Throws roll everything back.
   */
  tx<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw translateSqliteError(err);
    }
  }

  /** Online backup through SQLite's backup API: consistent while others keep writing. */
  async backup(destination: string): Promise<{ pages: number }> {
    const meta = await this.db.backup(destination);
    // A backup is one self-contained file: switch the copy out of WAL mode.
    const copy = new Database(destination);
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    return { pages: meta.totalPages };
  }

  integrityCheck(): IntegrityReport {
    const integrity = (this.db.pragma('integrity_check') as { integrity_check: string }[]).map(
      (r) => r.integrity_check,
    );
    const fk = (this.db.pragma('foreign_key_check') as unknown[]).length;
    return { ok: integrity.length === 1 && integrity[0] === 'ok' && fk === 0, integrity, foreignKeyViolations: fk };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
