/**
 * Schema version 5: a pulmonologist's verdict on each detected adventitious sound (issue 12 §5).
 * One row per verdict on one detected event of one analysis (the event's type, index in the
 * analysis's `sounds.events`, and its times, copied so the row reads on its own); a later verdict on
 * the same event supersedes the earlier one for display, both are kept. Append-only like findings:
 * no UPDATE or DELETE, and after sign-off only amendments. (Version 4 belongs to the audit-signing
 * change of the integrity work; the versions apply in order whatever order the branches merge in.)
 */
import type { Migration } from './types.js';

export const migration005: Migration = {
  version: 5,
  name: 'sound verdicts',
  up: `
    CREATE TABLE sound_verdicts (
      id           INTEGER PRIMARY KEY,
      recording_id INTEGER NOT NULL REFERENCES recordings(id),
      analysis_id  INTEGER NOT NULL REFERENCES analyses(id),
      sound_type   TEXT NOT NULL CHECK (sound_type IN ('crackle','wheeze')),
      event_index  INTEGER NOT NULL CHECK (event_index >= 0),
      start_sec    REAL NOT NULL CHECK (start_sec >= 0),
      end_sec      REAL NOT NULL CHECK (end_sec > start_sec),
      verdict      TEXT NOT NULL CHECK (verdict IN ('confirmed','rejected')),
      author_id    INTEGER NOT NULL REFERENCES users(id),
      created_at   TEXT NOT NULL,
      is_amendment INTEGER NOT NULL DEFAULT 0 CHECK (is_amendment IN (0, 1))
    );
    CREATE INDEX sound_verdicts_recording ON sound_verdicts(recording_id, analysis_id);
    CREATE TRIGGER sound_verdicts_no_update BEFORE UPDATE ON sound_verdicts
      BEGIN SELECT RAISE(ABORT, 'sound verdicts are append-only'); END;
    CREATE TRIGGER sound_verdicts_no_delete BEFORE DELETE ON sound_verdicts
      BEGIN SELECT RAISE(ABORT, 'sound verdicts are append-only'); END;
    CREATE TRIGGER sound_verdicts_after_signoff BEFORE INSERT ON sound_verdicts
      WHEN NEW.is_amendment = 0 AND EXISTS (SELECT 1 FROM signoffs WHERE recording_id = NEW.recording_id)
      BEGIN SELECT RAISE(ABORT, 'recording is signed: verdicts after sign-off must be amendments'); END;
  `,
};
