/** One PostgreSQL schema version: SQL text run in one transaction with its version row. */
export interface PgMigration {
  version: number;
  name: string;
  up: string;
}
