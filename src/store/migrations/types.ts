import type Database from 'better-sqlite3';

/** One schema version: SQL text or a function (for data backfills). Runs inside one transaction. */
export interface Migration {
  version: number;
  name: string;
  up: string | ((db: Database.Database) => void);
  /**
   * Rebuilds a table that others reference (rebuild-table.ts): foreign-key enforcement is off while
   * it runs (SQLite cannot change that inside a transaction) and every key is checked before commit.
   */
  foreignKeysOff?: true;
}
