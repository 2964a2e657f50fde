/**
 * Schema version 8: the user name a failed sign-in tried, as a column the audit filter can use
 * (issue 15: filtering by "nora" missed her failed attempts, whose name was only inside details).
 * It is a VIRTUAL generated column, computed from the hashed `details_json`, so it can never say
 * something the signed chain does not: nothing new is stored and the hash encoding is unchanged.
 */
import type { Migration } from './types.js';

export const migration008: Migration = {
  version: 8,
  name: 'attempted user name of failed sign-ins',
  up: `
    ALTER TABLE audit_log ADD COLUMN attempted_username TEXT COLLATE NOCASE
      GENERATED ALWAYS AS (
        CASE WHEN action = 'auth.login.failed' THEN json_extract(details_json, '$.username') END
      ) VIRTUAL;
    CREATE INDEX audit_log_attempted_username ON audit_log (attempted_username)
      WHERE attempted_username IS NOT NULL;
  `,
};
