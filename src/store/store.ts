/**
 * The store: one SQLite file and its repositories. Every change that must be audited runs inside
 * `tx`, with its audit entry appended in the same transaction.
 */
import type Database from 'better-sqlite3';
import { AuditLog } from './audit-log.js';
import { openDatabase, schemaVersion, type OpenOptions } from './database.js';
import { translateSqliteError } from './errors.js';
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { Patients } from './patients.js';
import { Recordings } from './recordings.js';
import { Users } from './users.js';
import { SiteSettingsRepo } from './site-settings.js';

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
  readonly settings: SiteSettingsRepo;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    /** Whether the file is encrypted at rest (opened with a key). */
    readonly encrypted: boolean,
  ) {
    this.users = new Users(db);
    this.patients = new Patients(db);
    this.recordings = new Recordings(db);
    this.audit = new AuditLog(db);
    this.settings = new SiteSettingsRepo(db);
  }

  static open(path: string, opts: OpenOptions = {}): Store {
    return new Store(openDatabase(path, opts), path, !!opts.key);
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

  /**
   * A write transaction whose only change is the audit entry of a read (a search, a view, a
   * list): committed without its own fsync (synchronous=NORMAL for this commit), so reading
   * costs ~0.05 ms instead of an fsync (~5 ms here). It becomes durable with the next change's
   * fsync or the next checkpoint; a power cut can lose the last such entries, never a change and
   * never the chain's consistency. Every change (import, signature, finding, account) uses `tx`.
   */
  readTx<T>(fn: () => T): T {
    if (this.db.inTransaction || this.readonly) return this.tx(fn);
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.tx(fn);
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  private get readonly(): boolean {
    return this.db.readonly;
  }

  /**
   * A consistent copy of the database while others keep writing: `VACUUM INTO` reads one
   * snapshot (a read transaction) and writes a compact, self-contained file (no WAL). An encrypted
   * database's copy is encrypted with the same key (SQLite3 Multiple Ciphers does so for VACUUM
   * INTO; SQLite's backup API would have written plaintext pages into a keyless destination).
   * The destination must not exist; it is created 0600.
   */
  backup(destination: string): { pages: number; bytes: number } {
    closeSync(openSync(destination, 'wx', 0o600));
    try {
      this.db.prepare('VACUUM INTO ?').run(destination);
    } catch (err) {
      rmSync(destination, { force: true });
      throw translateSqliteError(err);
    }
    const bytes = statSync(destination).size;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return { pages: Math.round(bytes / pageSize), bytes };
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
