/**
 * PostgreSQL schema version 2, the twin of SQLite's version 8: the user name a failed sign-in
 * tried, as a column the audit filter can use. A STORED generated column (PostgreSQL has no
 * VIRTUAL ones before 18), computed from the hashed `details_json`, so it never says anything the
 * signed chain does not. `nocase` is the collation the repositories' `COLLATE NOCASE` names: a
 * nondeterministic ICU collation at secondary strength, so 'Nora' = 'nora' as in SQLite.
 */
import type { PgMigration } from './types.js';

export const pgMigration002: PgMigration = {
  version: 2,
  name: 'attempted user name of failed sign-ins',
  up: `
    CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
    ALTER TABLE audit_log ADD COLUMN attempted_username text COLLATE nocase
      GENERATED ALWAYS AS (
        CASE WHEN action = 'auth.login.failed' THEN json_extract(details_json, '$.username') END
      ) STORED;
    CREATE INDEX audit_log_attempted_username ON audit_log (attempted_username)
      WHERE attempted_username IS NOT NULL;
  `,
};
