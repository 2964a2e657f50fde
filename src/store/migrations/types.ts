import type Database from 'better-sqlite3';

/** One schema version: SQL text or a function (for data backfills). Runs inside one transaction. */
export interface Migration {
  version: number;
  name: string;
  up: string | ((db: Database.Database) => void);
}
