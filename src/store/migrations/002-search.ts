/**
 * Schema version 2: search that stays fast at 100,000 recordings. Adds accent- and case-folded
 * search keys to patients (backfilled from existing rows) and the indexes behind every list the
 * UI pages through: a patient's recordings newest first, the date range, the review queue
 * (a partial index over unsigned recordings only, its length kept in a counter) and the audit
 * log's filters.
 */
import type Database from 'better-sqlite3';
import { normalizeForSearch } from '../search-normalize.js';
import type { Migration } from './types.js';

export const migration002: Migration = {
  version: 2,
  name: 'search keys and list indexes',
  up(db: Database.Database) {
    db.exec(`
      ALTER TABLE patients ADD COLUMN mrn_norm TEXT NOT NULL DEFAULT '';
      ALTER TABLE patients ADD COLUMN family_norm TEXT NOT NULL DEFAULT '';
      ALTER TABLE patients ADD COLUMN given_norm TEXT NOT NULL DEFAULT '';
    `);
    const rows = db.prepare('SELECT id, mrn, given_name, family_name FROM patients').all() as {
      id: number;
      mrn: string;
      given_name: string;
      family_name: string;
    }[];
    const upd = db.prepare('UPDATE patients SET mrn_norm = ?, family_norm = ?, given_norm = ? WHERE id = ?');
    for (const r of rows)
      upd.run(normalizeForSearch(r.mrn), normalizeForSearch(r.family_name), normalizeForSearch(r.given_name), r.id);
    db.exec(`
      CREATE INDEX patients_mrn_norm ON patients(mrn_norm);
      CREATE INDEX patients_family_norm ON patients(family_norm, given_norm);
      CREATE INDEX patients_given_norm ON patients(given_norm);
      CREATE INDEX patients_created_by ON patients(created_by);

      DROP INDEX recordings_patient;
      -- trailing columns make "this patient's recordings with this class/site/sign state" index-only
      CREATE INDEX recordings_patient_time ON recordings(patient_id, recorded_at DESC, id DESC, top_class, site, signed_at);
      CREATE INDEX recordings_time ON recordings(recorded_at DESC, id DESC);
      CREATE INDEX recordings_unsigned ON recordings(recorded_at DESC, id DESC) WHERE signed_at IS NULL;
      CREATE INDEX recordings_recorded_by ON recordings(recorded_by, patient_id);

      -- The review queue's length, kept by triggers so showing "n to review" never counts rows.
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO counters VALUES ('unsigned_recordings', (SELECT count(*) FROM recordings WHERE signed_at IS NULL));
      CREATE TRIGGER counters_recording_insert AFTER INSERT ON recordings WHEN NEW.signed_at IS NULL
        BEGIN UPDATE counters SET value = value + 1 WHERE name = 'unsigned_recordings'; END;
      CREATE TRIGGER counters_recording_sign AFTER UPDATE OF signed_at ON recordings
        WHEN (OLD.signed_at IS NULL) <> (NEW.signed_at IS NULL)
        BEGIN UPDATE counters SET value = value + (CASE WHEN NEW.signed_at IS NULL THEN 1 ELSE -1 END) WHERE name = 'unsigned_recordings'; END;
      CREATE TRIGGER counters_recording_delete AFTER DELETE ON recordings WHEN OLD.signed_at IS NULL
        BEGIN UPDATE counters SET value = value - 1 WHERE name = 'unsigned_recordings'; END;

      CREATE INDEX audit_at ON audit_log(at);
      CREATE INDEX audit_user ON audit_log(username, seq);
      CREATE INDEX audit_action ON audit_log(action, seq);
      CREATE INDEX audit_object ON audit_log(object_type, object_id, seq);
    `);
  },
};
