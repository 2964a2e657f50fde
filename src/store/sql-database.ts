/**
 * What the repositories use of a database connection: the part of better-sqlite3's API they
 * call. SQLite's `Database` satisfies it as it is; the PostgreSQL engine (`pg/pg-database.ts`)
 * implements it over libpq, so one set of repositories serves both engines.
 */
export interface SqlRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface SqlStatement {
  readonly source: string;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): SqlRunResult;
  iterate(...params: unknown[]): IterableIterator<unknown>;
  pluck(toggle?: boolean): this;
  raw(toggle?: boolean): this;
}

export interface SqlDatabase {
  prepare(source: string): SqlStatement;
  exec(source: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /** Only the no-argument form is used: `db.transaction(() => …).immediate()`. */
  transaction<T>(fn: () => T): { immediate(): T };
  readonly inTransaction: boolean;
  readonly readonly: boolean;
  readonly open: boolean;
  close(): unknown;
}

/** Which engine a store runs on; SQL that differs between them (substring search) asks this. */
export type SqlEngine = 'sqlite' | 'postgresql';
