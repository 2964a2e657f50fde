/**
 * PostgreSQL schema version 4 (no SQLite twin: a standalone history has one key, in its own
 * signing folder). A workstation's signing key is trusted only once the site database's owner has
 * approved it: the workstations' role could INSERT into `workstation_keys`, so its password alone
 * was enough to register a key of one's own and sign entries that verified as genuine.
 * - `approved_at` / `approved_by`: NULL = awaiting approval (keys registered before this version
 *   too: the owner reviews them with `auscult site approve-key --list`);
 * - the workstations' role may insert only the registration's columns (a column-level grant), and
 *   the trigger refuses an approved row from anyone but the owner;
 * - no UPDATE for the workstations' role; the trigger lets through exactly one change, the
 *   approval of an unapproved key, by the owner, recorded under the owner's own role name.
 */
import type { PgMigration } from './types.js';

export const pgMigration004: PgMigration = {
  version: 4,
  name: "workstation keys approved by the site database's owner",
  up: `
    ALTER TABLE workstation_keys ADD COLUMN approved_at text, ADD COLUMN approved_by text;
    ALTER TABLE workstation_keys ADD CONSTRAINT workstation_keys_approval_whole
      CHECK ((approved_at IS NULL) = (approved_by IS NULL));

    REVOKE INSERT ON workstation_keys FROM auscult_workstation;
    GRANT INSERT (key_id, public_key, workstation, first_seq, added_at) ON workstation_keys TO auscult_workstation;

    -- current_user, not session_user: a SECURITY DEFINER caller is not the owner by being called.
    CREATE OR REPLACE FUNCTION workstation_keys_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE owner text := (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID);
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF NEW.approved_at IS NOT NULL AND current_user <> owner THEN
            RAISE EXCEPTION 'a signing key is registered awaiting approval: only the site database''s owner approves it';
          END IF;
          RETURN NEW;
        END IF;
        IF TG_OP = 'UPDATE' AND current_user = owner AND OLD.approved_at IS NULL
            AND NEW.approved_at IS NOT NULL AND NEW.approved_by = current_user
            AND NEW.key_id = OLD.key_id AND NEW.public_key = OLD.public_key
            AND NEW.workstation = OLD.workstation AND NEW.first_seq = OLD.first_seq
            AND NEW.added_at = OLD.added_at THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'a registered signing key cannot be changed (only approved once, by the site database''s owner)';
      END $$;
    CREATE TRIGGER workstation_keys_unapproved BEFORE INSERT ON workstation_keys
      FOR EACH ROW EXECUTE FUNCTION workstation_keys_frozen();
  `,
};
