/**
 * A PostgreSQL connection behind the repositories' `SqlDatabase` interface, over libpq
 * (pg-native, synchronous): the service's store stays synchronous on both engines. A call blocks
 * the service process (not the UI, not capture) for one round trip, bounded by the connection's
 * `connect_timeout` and `statement_timeout` (pg-url.ts).
 *
 * SQLite's habits the repositories rely on, kept here: integers and counts come back as numbers,
 * booleans as 1/0, `run()` reports `changes` and `lastInsertRowid`, and a write transaction
 * serialises every writer (SQLite's BEGIN IMMEDIATE) by taking the audit chain head's row lock
 * first, so appends to the one chain are ordered and check-then-insert stays race-free.
 */
import { createRequire } from 'node:module';
import type Client from 'pg-native';
import { StoreError } from '../errors.js';
import type { SqlDatabase, SqlRunResult, SqlStatement } from '../sql-database.js';
import { bindArgs, translateSql, type TranslatedSql } from './sql-translate.js';

const INT8 = 20;
const NUMERIC = 1700;
const BOOL = 16;

type TypeParser = (oid: number, format?: 'text' | 'binary') => (value: string) => unknown;

/**
 * libpq's binding and pg-types, loaded at the first site connection and not at import: every CLI
 * command and the app import the store, and a single workstation (SQLite) never needs libpq.
 * Both are CommonJS, so a synchronous require keeps `Store.openSite` synchronous.
 */
let driver: {
  Client: typeof Client;
  types: { getTypeParser(oid: number, format?: string): (v: string) => unknown };
} | null = null;

function loadDriver(): NonNullable<typeof driver> {
  if (driver) return driver;
  const load = createRequire(import.meta.url);
  const NativeClient = load('pg-native') as typeof Client;
  // pg-types' own parsers for every other type (its TypeId enum is the OIDs themselves)
  const pgParser = (load('pg-types') as { getTypeParser: TypeParser }).getTypeParser;
  driver = {
    Client: NativeClient,
    types: {
      getTypeParser(oid: number, format?: string): (value: string) => unknown {
        if (oid === INT8 || oid === NUMERIC) return Number;
        if (oid === BOOL) return (v: string) => (v === 't' ? 1 : 0);
        return pgParser(oid, format === 'binary' ? 'binary' : 'text');
      },
    },
  };
  return driver;
}

/** Whether this process has loaded libpq (the start-up bench and a test ask). */
export function pgDriverLoaded(): boolean {
  return driver !== null;
}

/** Tables whose integer key an INSERT reports as `lastInsertRowid`. */
const ROW_IDS: Record<string, string> = {
  users: 'id',
  patients: 'id',
  recordings: 'id',
  analyses: 'id',
  findings: 'id',
  access_grants: 'id',
  sound_verdicts: 'id',
};

export interface PgConnectionInfo {
  /** The connection string handed to libpq (never holds a password: pg-url.ts refuses one). */
  conninfo: string;
  /** The URL as shown to people. */
  display: string;
}

const FINISHED: Client[] = [];

/** Rows per round trip of an iterate(): enough to amortise the trip, few enough to stay small. */
export const ITERATE_BATCH = 500;

export class PgDatabase implements SqlDatabase {
  private client: Client;
  private depth = 0;
  private nextCommitAsync = false;
  private cursors = 0;
  open = true;
  readonly readonly: boolean;

  constructor(
    readonly info: PgConnectionInfo,
    opts: { readonly?: boolean } = {},
  ) {
    this.readonly = opts.readonly ?? false;
    try {
      this.client = this.connect();
    } catch (err) {
      throw new StoreError(
        'UNREADABLE',
        `Cannot reach the site database ${info.display}: ${firstLine(err)}. Check that the server is running and reachable from this workstation, and that PGPASSWORD or ~/.pgpass holds this role's password. Nothing was changed.`,
      );
    }
  }

  /** A new libpq connection with this workstation's session settings. */
  private connect(): Client {
    const { Client: NativeClient, types } = loadDriver();
    const client = new NativeClient({ types });
    try {
      client.connectSync(this.info.conninfo);
    } catch (err) {
      FINISHED.push(client); // libpq finished it on the failure (see close)
      throw err;
    }
    // the server's notices ("already exists, skipping") are not the user's business
    client.querySync('SET client_min_messages = warning');
    if (this.readonly) client.querySync('SET default_transaction_read_only = on');
    return client;
  }

  /** Set when the connection died (server restarted, network gone): the next statement reconnects. */
  private broken = false;

  /**
   * Between transactions, a connection that died is replaced before the next statement (the
   * server restarted, or came back after an outage). Inside a transaction it is not: the server
   * has rolled that transaction back, and going on would commit half of it.
   */
  private ensureConnected(): void {
    if (!this.broken || this.depth > 0) return;
    try {
      const fresh = this.connect();
      this.client.end();
      FINISHED.push(this.client);
      this.client = fresh;
      this.broken = false;
    } catch (err) {
      throw unreachable(this.info.display, err);
    }
  }

  /**
   * Like better-sqlite3's (SQLite's own autocommit flag): also true after a BEGIN run through
   * exec(), which the store's tx() then joins instead of nesting a BEGIN whose COMMIT would commit
   * the outer transaction early.
   */
  get inTransaction(): boolean {
    if (this.depth > 0) return true;
    if (!this.open || this.broken) return false;
    const status = this.client.pq.transactionStatus(); // 1 active, 2 in a transaction, 3 in a failed one
    return status === 1 || status === 2 || status === 3;
  }

  /** Run one command; PostgreSQL's errors come back as the store's where they mean the same. */
  query(text: string, args?: (string | null)[]): { rows: Record<string, unknown>[]; changes: number } {
    if (this.broken && this.depth > 0)
      throw unreachable(this.info.display, 'the connection was lost in this transaction');
    this.ensureConnected();
    try {
      const rows = args ? this.client.querySync(text, args) : this.client.querySync(text);
      const n = Number.parseInt(this.client.pq.cmdTuples(), 10);
      return { rows, changes: Number.isFinite(n) ? n : 0 };
    } catch (err) {
      throw this.translate(err);
    }
  }

  private translate(err: unknown): unknown {
    const fields = this.client.pq.resultErrorFields() ?? {};
    const state = fields['sqlState'];
    // 4 = PQTRANS_UNKNOWN: libpq has no working connection; class 08 and 57P01-03: the server went away
    if (this.client.pq.transactionStatus() === 4 || state?.startsWith('08') || /^57P0[123]$/.test(state ?? '')) {
      this.broken = true;
      return unreachable(this.info.display, err);
    }
    const message = firstLine(err);
    if (state === '23505') return new StoreError('CONFLICT', message);
    if (state === 'P0001' && /signed|sign-off/.test(message)) return new StoreError('SIGNED', message);
    if (state === '57014')
      return new StoreError('UNREADABLE', `The site database did not answer in time (${message}). Try again.`);
    if (err instanceof Error) {
      const e = new Error(message) as Error & { sqlState?: string };
      if (state) e.sqlState = state;
      return e;
    }
    return err;
  }

  /** See PgStatement.iterate. The cursor is closed when the loop ends, breaks or throws. */
  *stream<T>(
    text: string,
    args: (string | null)[] | undefined,
    shape: (r: Record<string, unknown>) => T,
  ): Generator<T> {
    const name = `auscult_iter_${++this.cursors}`;
    this.query(`DECLARE ${name} NO SCROLL CURSOR WITH HOLD FOR ${text}`, args);
    try {
      for (;;) {
        const { rows } = this.query(`FETCH FORWARD ${ITERATE_BATCH} FROM ${name}`);
        for (const r of rows) yield shape(r);
        if (rows.length < ITERATE_BATCH) return;
      }
    } finally {
      try {
        this.client.querySync(`CLOSE ${name}`);
      } catch {
        // gone with a rolled-back transaction or a lost connection: nothing left to close
      }
    }
  }

  prepare(source: string): SqlStatement {
    return new PgStatement(this, source);
  }

  exec(source: string): this {
    this.query(source);
    return this;
  }

  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const s = source.trim();
    if (s === 'user_version') {
      const exists = this.query("SELECT to_regclass('schema_version') IS NOT NULL AS e").rows[0]!['e'] === 1;
      const v = exists ? this.query('SELECT coalesce(max(version), 0) AS v FROM schema_version').rows[0]!['v'] : 0;
      return options.simple ? v : [{ user_version: v }];
    }
    const sync = /^synchronous\s*=\s*(\w+)$/i.exec(s);
    if (sync) {
      // readTx: the read's audit entry commits without waiting for the WAL flush (as SQLite's NORMAL)
      this.nextCommitAsync = sync[1]!.toUpperCase() === 'NORMAL';
      return [];
    }
    // information_schema lists generated columns too, so table_xinfo and table_info read the same
    const info = /^table_x?info\((\w+)\)$/.exec(s);
    if (info)
      return this.query(
        'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
        [info[1]!],
      ).rows;
    throw new Error(`PRAGMA ${s} has no PostgreSQL equivalent here`);
  }

  transaction<T>(fn: () => T): { immediate(): T } {
    return {
      immediate: () => {
        if (this.inTransaction) return fn();
        this.query('BEGIN');
        this.depth = 1;
        try {
          if (!this.readonly) {
            this.query('SELECT auscult_lock_chain_head()');
            if (this.nextCommitAsync) this.query('SET LOCAL synchronous_commit = off');
          }
          const r = fn();
          this.query('COMMIT');
          return r;
        } catch (err) {
          try {
            this.client.querySync('ROLLBACK');
          } catch {
            // the connection is gone: the server rolled the transaction back itself
          }
          throw err;
        } finally {
          this.depth = 0;
        }
      },
    };
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.client.end();
    // libpq's binding closes its socket watcher without waiting for libuv to finish the close; if
    // the collector freed the connection object meanwhile, Node aborts (uv__finish_close). A closed
    // client is therefore kept referenced (a few hundred bytes per connection ever opened).
    FINISHED.push(this.client);
  }
}

class PgStatement implements SqlStatement {
  private readonly sql: TranslatedSql;
  private readonly rowIdColumn: string | null;
  private plucked = false;
  private rawRows = false;

  constructor(
    private readonly db: PgDatabase,
    readonly source: string,
  ) {
    const insert = /^\s*INSERT\s+INTO\s+(\w+)/i.exec(source);
    this.rowIdColumn = insert && !/\bRETURNING\b/i.test(source) ? (ROW_IDS[insert[1]!] ?? null) : null;
    const t = translateSql(source);
    this.sql = this.rowIdColumn ? { ...t, text: `${t.text} RETURNING ${this.rowIdColumn}` } : t;
  }

  pluck(toggle = true): this {
    this.plucked = toggle;
    return this;
  }

  raw(toggle = true): this {
    this.rawRows = toggle;
    return this;
  }

  private rows(params: unknown[]): unknown[] {
    const rows = this.db.query(this.sql.text, bindArgs(this.sql, params)).rows;
    if (this.plucked) return rows.map((r) => Object.values(r)[0]);
    if (this.rawRows) return rows.map((r) => Object.values(r));
    return rows;
  }

  get(...params: unknown[]): unknown {
    return this.rows(params)[0];
  }

  all(...params: unknown[]): unknown[] {
    return this.rows(params);
  }

  /**
   * Streams through a server-side cursor, ITERATE_BATCH rows per round trip, so an export of a
   * million audit entries never holds them all in this process. WITH HOLD: the cursor outlives a
   * transaction the loop's body commits (outside one, the server keeps the result, not us), and
   * other statements may run on the connection between batches (a nested iterate included).
   */
  iterate(...params: unknown[]): IterableIterator<unknown> {
    const shape = (r: Record<string, unknown>): unknown =>
      this.plucked ? Object.values(r)[0] : this.rawRows ? Object.values(r) : r;
    return this.db.stream(this.sql.text, bindArgs(this.sql, params), shape);
  }

  run(...params: unknown[]): SqlRunResult {
    const r = this.db.query(this.sql.text, bindArgs(this.sql, params));
    const id = this.rowIdColumn ? r.rows[0]?.[this.rowIdColumn] : undefined;
    return { changes: r.changes, lastInsertRowid: typeof id === 'number' ? id : 0 };
  }
}

/** The site database cannot be reached now: said so, with what happens next. */
function unreachable(display: string, err: unknown): StoreError {
  return new StoreError(
    'UNREACHABLE',
    `The site database ${display} cannot be reached (${firstLine(err)}). Nothing was changed there; Auscult reconnects by itself when it is back.`,
  );
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m
    .trim()
    .split('\n')[0]!
    .replace(/^ERROR:\s*/, '');
}
