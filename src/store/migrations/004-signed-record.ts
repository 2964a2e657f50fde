/**
 * Schema version 4: the record that cannot be quietly rewritten (issue 14).
 *
 * - The audit log becomes signed: each entry carries the id of the key that covers it, and the
 *   last entry of every commit an Ed25519 signature of its chain hash (`key_id`, `sig`; the app
 *   commits one entry at a time, so in practice every entry is signed; a batch is signed once, by
 *   its last entry, whose hash chains the rest). Entries written before this version have none. The migration first walks their hash chain: a broken chain is not blessed by
 *   signing after it (the upgrade is refused and rolled back, saying which entry is bad). The
 *   count and head of the verified old chain are kept in `meta`; the first signed entry, written
 *   when the workstation next opens with its key, states them in the log itself.
 * - `meta`: the history's random id (in every signed statement) and the legacy chain's figures.
 * - `audit_keys`: the public keys that have signed this history (informational: trust comes from
 *   the signing folder, never from the database).
 * - Sign-offs become electronic signatures: the meaning chosen, the signer's full name and role as
 *   shown at signing; `record_seals` keeps the canonical sealed document and its signature.
 * - Triggers refuse every UPDATE/DELETE of a signed recording's analyses and findings, any DELETE
 *   of a sign-off, and any change of a seal or a registered key.
 * - `signin_throttle`: failed sign-ins per user name and per source, counted in the database in one
 *   transaction; `users.credential_epoch`: bumped by a password change, which ends older sessions.
 * - `access_grants`: break-the-glass access of a nurse to one patient's other recordings.
 */
import type Database from 'better-sqlite3';
import { auditEntryHash, GENESIS_HASH } from '../audit-log.js';
import type { Migration } from './types.js';

interface LegacyRow {
  seq: number;
  at: string;
  username: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  transport: string;
  details_json: string;
  prev_hash: string;
  hash: string;
}

/** The old chain, verified; throws naming the first bad entry. */
function verifyLegacyChain(db: Database.Database): { entries: number; head: string } {
  let prev = GENESIS_HASH;
  let expected = 1;
  for (const r of db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<LegacyRow>) {
    const ok =
      r.seq === expected &&
      r.prev_hash === prev &&
      auditEntryHash(prev, {
        seq: r.seq,
        at: r.at,
        username: r.username,
        action: r.action,
        objectType: r.object_type,
        objectId: r.object_id,
        transport: r.transport,
        detailsJson: r.details_json,
      }) === r.hash;
    if (!ok)
      throw new Error(
        `the existing audit chain is broken at entry ${r.seq}, so it cannot be signed from here on; run \`auscult check\` and restore a backup`,
      );
    prev = r.hash;
    expected++;
  }
  return { entries: expected - 1, head: prev };
}

export const migration004: Migration = {
  version: 4,
  name: 'signed audit log and records, sign-in throttle',
  up(db) {
    const legacy = verifyLegacyChain(db);
    db.exec(`
      CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO meta VALUES ('db_id', lower(hex(randomblob(16))));
      CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta
        BEGIN SELECT RAISE(ABORT, 'the history''s identity cannot be changed'); END;
      CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta
        BEGIN SELECT RAISE(ABORT, 'the history''s identity cannot be changed'); END;

      ALTER TABLE audit_log ADD COLUMN key_id TEXT;
      ALTER TABLE audit_log ADD COLUMN sig TEXT;
      -- Still append-only; the one change allowed is the commit's signature on its last entry
      -- (sig from NULL to a value, nothing else), written just before the commit.
      DROP TRIGGER audit_log_no_update;
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        WHEN NOT (OLD.sig IS NULL AND NEW.sig IS NOT NULL AND NEW.seq IS OLD.seq AND NEW.at IS OLD.at
          AND NEW.username IS OLD.username AND NEW.action IS OLD.action AND NEW.object_type IS OLD.object_type
          AND NEW.object_id IS OLD.object_id AND NEW.transport IS OLD.transport AND NEW.details_json IS OLD.details_json
          AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash AND NEW.key_id IS OLD.key_id)
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

      CREATE TABLE audit_keys (
        key_id     TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        first_seq  INTEGER NOT NULL,
        added_at   TEXT NOT NULL
      );
      CREATE TRIGGER audit_keys_no_update BEFORE UPDATE ON audit_keys
        BEGIN SELECT RAISE(ABORT, 'a registered signing key cannot be changed'); END;
      CREATE TRIGGER audit_keys_no_delete BEFORE DELETE ON audit_keys
        BEGIN SELECT RAISE(ABORT, 'a registered signing key cannot be changed'); END;

      ALTER TABLE signoffs ADD COLUMN meaning TEXT;
      ALTER TABLE signoffs ADD COLUMN signer_name TEXT;
      ALTER TABLE signoffs ADD COLUMN signer_role TEXT;

      CREATE TABLE record_seals (
        recording_id INTEGER PRIMARY KEY REFERENCES recordings(id),
        document     TEXT NOT NULL,
        key_id       TEXT NOT NULL,
        sig          TEXT NOT NULL,
        sealed_at    TEXT NOT NULL
      );
      CREATE TRIGGER record_seals_no_update BEFORE UPDATE ON record_seals
        BEGIN SELECT RAISE(ABORT, 'a signed recording''s seal cannot be changed'); END;
      CREATE TRIGGER record_seals_no_delete BEFORE DELETE ON record_seals
        BEGIN SELECT RAISE(ABORT, 'a signed recording''s seal cannot be changed'); END;

      CREATE TRIGGER analyses_signed_no_update BEFORE UPDATE ON analyses
        WHEN (SELECT signed_at FROM recordings WHERE id = OLD.recording_id) IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'recording is signed and cannot be altered'); END;
      CREATE TRIGGER analyses_signed_no_delete BEFORE DELETE ON analyses
        WHEN (SELECT signed_at FROM recordings WHERE id = OLD.recording_id) IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'recording is signed and cannot be altered'); END;
      CREATE TRIGGER findings_signed_no_delete BEFORE DELETE ON findings
        WHEN (SELECT signed_at FROM recordings WHERE id = OLD.recording_id) IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'recording is signed: its findings cannot be removed'); END;
      CREATE TRIGGER signoffs_no_delete BEFORE DELETE ON signoffs
        BEGIN SELECT RAISE(ABORT, 'a sign-off cannot be removed'); END;

      CREATE TABLE signin_throttle (
        key          TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL,
        last_at      INTEGER NOT NULL,
        locked_until INTEGER NOT NULL
      ) WITHOUT ROWID;

      ALTER TABLE users ADD COLUMN credential_epoch INTEGER NOT NULL DEFAULT 0;

      -- Break-the-glass: a nurse's explicit, reasoned, audited and time-limited access to all of
      -- one patient's recordings (the audit entry is the record; this row only grants and expires).
      CREATE TABLE access_grants (
        id         INTEGER PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id),
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        reason     TEXT NOT NULL,
        granted_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX access_grants_user ON access_grants(user_id, patient_id, expires_at);
    `);
    const put = db.prepare('INSERT INTO meta VALUES (?, ?)');
    put.run('legacy_entries', String(legacy.entries));
    put.run('legacy_head', legacy.head);
  },
};
