/**
 * Schema version 3: an analysis can be withheld (issue 11, the competence gate). A withheld analysis
 * has no probabilities, screen or class — not zeros, nothing — so those columns become nullable, and
 * both status columns accept 'withheld'. A CHECK ties the two together: a row is withheld exactly
 * when its figures are NULL (all of them). Existing rows keep every value; the result JSON says which engine made
 * them (the UI shows analyses of engines before 2.0.0 as "analysed by an earlier engine").
 */
import type { Migration } from './types.js';
import { rebuildTable } from './rebuild-table.js';

const ANALYSES = `
  CREATE TABLE analyses (
    id             INTEGER PRIMARY KEY,
    recording_id   INTEGER NOT NULL REFERENCES recordings(id),
    created_at     TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    head_name      TEXT NOT NULL,
    head_version   TEXT NOT NULL,
    p_asthma       REAL,
    p_copd         REAL,
    p_pneumonia    REAL,
    p_healthy      REAL,
    p_bronchial    REAL,
    p_abnormal     REAL,
    top_class      TEXT,
    status         TEXT NOT NULL CHECK (status IN ('ok','uncertain','withheld')),
    quality        TEXT NOT NULL CHECK (quality IN ('good','fair','poor')),
    result_json    TEXT NOT NULL,
    -- withheld: no figure at all; otherwise every figure
    CHECK (CASE WHEN status = 'withheld'
      THEN p_abnormal IS NULL AND top_class IS NULL AND p_asthma IS NULL AND p_copd IS NULL
           AND p_pneumonia IS NULL AND p_healthy IS NULL AND p_bronchial IS NULL
      ELSE p_abnormal IS NOT NULL AND top_class IS NOT NULL AND p_asthma IS NOT NULL AND p_copd IS NOT NULL
           AND p_pneumonia IS NOT NULL AND p_healthy IS NOT NULL AND p_bronchial IS NOT NULL END)
  )`;

const RECORDINGS = `
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
    quality         TEXT CHECK (quality IN ('good','fair','poor')),
    top_class       TEXT,
    p_abnormal      REAL,
    analysis_status TEXT CHECK (analysis_status IN ('ok','uncertain','withheld')),
    signed_at       TEXT,
    signed_by       INTEGER REFERENCES users(id),
    CHECK (analysis_status IS NOT 'withheld' OR (p_abnormal IS NULL AND top_class IS NULL))
  )`;

export const migration003: Migration = {
  version: 3,
  name: 'withheld analyses',
  foreignKeysOff: true,
  up(db) {
    rebuildTable(db, 'recordings', RECORDINGS);
    rebuildTable(db, 'analyses', ANALYSES);
  },
};
