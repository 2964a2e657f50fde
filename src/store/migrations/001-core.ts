/**
 * Schema version 1: the core tables. Never edit a shipped migration: add the next version instead
 * (databases in the field were made by this exact text).
 */
import type { Migration } from './types.js';

export const migration001: Migration = {
  version: 1,
  name: 'core tables',
  up: `
    CREATE TABLE users (
      id            INTEGER PRIMARY KEY,
      username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
      display_name  TEXT NOT NULL,
      role          TEXT NOT NULL CHECK (role IN ('nurse','pulmonologist','auditor','admin')),
      password_hash TEXT NOT NULL,
      active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0,1)),
      created_at    TEXT NOT NULL,
      updated_at    TEXT NOT NULL
    );

    CREATE TABLE patients (
      id          INTEGER PRIMARY KEY,
      mrn         TEXT NOT NULL UNIQUE,
      given_name  TEXT NOT NULL,
      family_name TEXT NOT NULL,
      birth_date  TEXT,
      sex         TEXT NOT NULL DEFAULT 'unknown' CHECK (sex IN ('female','male','other','unknown')),
      notes       TEXT NOT NULL DEFAULT '',
      created_by  INTEGER REFERENCES users(id),
      created_at  TEXT NOT NULL,
      updated_at  TEXT NOT NULL
    );

    CREATE TABLE recordings (
      id              INTEGER PRIMARY KEY,
      patient_id      INTEGER NOT NULL REFERENCES patients(id),
      site            TEXT NOT NULL CHECK (site IN ('trachea',
                        'anterior-left-upper','anterior-right-upper','anterior-left-middle','anterior-right-middle',
                        'anterior-left-lower','anterior-right-lower','posterior-left-upper','posterior-right-upper',
                        'posterior-left-middle','posterior-right-middle','posterior-left-lower','posterior-right-lower')),
      device_name     TEXT NOT NULL,
      sample_rate     INTEGER NOT NULL CHECK (sample_rate > 0),
      duration_sec    REAL NOT NULL CHECK (duration_sec >= 0),
      file_name       TEXT NOT NULL UNIQUE,
      wav_sha256      TEXT NOT NULL,
      status          TEXT NOT NULL CHECK (status IN ('recorded','interrupted','recovered','imported')),
      recorded_by     INTEGER NOT NULL REFERENCES users(id),
      recorded_at     TEXT NOT NULL,
      created_at      TEXT NOT NULL,
      -- the current (latest) analysis's headline, denormalised so lists and the review queue
      -- need no join; the analysis itself is the recording's newest row in analyses
      quality         TEXT CHECK (quality IN ('good','fair','poor')),
      top_class       TEXT,
      p_abnormal      REAL,
      analysis_status TEXT CHECK (analysis_status IN ('ok','uncertain')),
      signed_at       TEXT,
      signed_by       INTEGER REFERENCES users(id)
    );
    CREATE INDEX recordings_patient ON recordings(patient_id);

    CREATE TABLE analyses (
      id             INTEGER PRIMARY KEY,
      recording_id   INTEGER NOT NULL REFERENCES recordings(id),
      created_at     TEXT NOT NULL,
      engine_version TEXT NOT NULL,
      head_name      TEXT NOT NULL,
      head_version   TEXT NOT NULL,
      p_asthma       REAL NOT NULL,
      p_copd         REAL NOT NULL,
      p_pneumonia    REAL NOT NULL,
      p_healthy      REAL NOT NULL,
      p_bronchial    REAL NOT NULL,
      p_abnormal     REAL NOT NULL,
      top_class      TEXT NOT NULL,
      status         TEXT NOT NULL CHECK (status IN ('ok','uncertain')),
      quality        TEXT NOT NULL CHECK (quality IN ('good','fair','poor')),
      result_json    TEXT NOT NULL
    );
    CREATE INDEX analyses_recording ON analyses(recording_id);

    CREATE TABLE findings (
      id           INTEGER PRIMARY KEY,
      recording_id INTEGER NOT NULL REFERENCES recordings(id),
      author_id    INTEGER NOT NULL REFERENCES users(id),
      author_role  TEXT NOT NULL,
      text         TEXT NOT NULL,
      label        TEXT,
      created_at   TEXT NOT NULL,
      is_amendment INTEGER NOT NULL DEFAULT 0 CHECK (is_amendment IN (0,1))
    );
    CREATE INDEX findings_recording ON findings(recording_id);

    CREATE TABLE signoffs (
      recording_id INTEGER PRIMARY KEY REFERENCES recordings(id),
      signed_by    INTEGER NOT NULL REFERENCES users(id),
      signed_at    TEXT NOT NULL,
      label        TEXT NOT NULL,
      statement    TEXT NOT NULL
    );

    CREATE TABLE audit_log (
      seq          INTEGER PRIMARY KEY,
      at           TEXT NOT NULL,
      username     TEXT,
      action       TEXT NOT NULL,
      object_type  TEXT,
      object_id    TEXT,
      transport    TEXT NOT NULL,
      details_json TEXT NOT NULL,
      prev_hash    TEXT NOT NULL,
      hash         TEXT NOT NULL
    );

    -- Append-only: the application never updates or deletes audit rows, so refuse it outright.
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

    -- A signed recording is frozen: no change to its row, no new analysis, findings only as amendments.
    CREATE TRIGGER recordings_signed_frozen BEFORE UPDATE ON recordings
      WHEN OLD.signed_at IS NOT NULL
      BEGIN SELECT RAISE(ABORT, 'recording is signed and cannot be altered'); END;
    CREATE TRIGGER recordings_no_delete_signed BEFORE DELETE ON recordings
      WHEN OLD.signed_at IS NOT NULL
      BEGIN SELECT RAISE(ABORT, 'recording is signed and cannot be altered'); END;
    CREATE TRIGGER analyses_signed_frozen BEFORE INSERT ON analyses
      WHEN (SELECT signed_at FROM recordings WHERE id = NEW.recording_id) IS NOT NULL
      BEGIN SELECT RAISE(ABORT, 'recording is signed and cannot be altered'); END;
    CREATE TRIGGER findings_amend_after_sign BEFORE INSERT ON findings
      WHEN NEW.is_amendment = 0 AND EXISTS (SELECT 1 FROM signoffs WHERE recording_id = NEW.recording_id)
      BEGIN SELECT RAISE(ABORT, 'recording is signed: findings after sign-off must be amendments'); END;
    CREATE TRIGGER findings_no_change BEFORE UPDATE ON findings
      BEGIN SELECT RAISE(ABORT, 'findings cannot be changed, only added'); END;
    CREATE TRIGGER signoffs_no_change BEFORE UPDATE ON signoffs
      BEGIN SELECT RAISE(ABORT, 'a sign-off cannot be changed'); END;
  `,
};
