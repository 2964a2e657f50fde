/**
 * PostgreSQL schema version 3; its review-queue half is SQLite schema 9's twin (below). A
 * patient's recording count and latest recording time, kept by a trigger, for the patient search's
 * page. Measured at 100,000 recordings (EXPLAIN ANALYZE, `npm run bench -- store-site`): the
 * trigram match of a broad word ("ull", 1,000 patients) took 0.5 ms, but the two per-patient
 * subqueries took 0.22 ms per row — a patient's recordings lie on as many heap pages as it has
 * recordings, and an index-only scan is not possible until VACUUM has marked those pages visible —
 * 11 of the 13 ms. One primary-key row per patient is read instead. SQLite answers the same
 * subqueries from its covering index and is left as it was.
 */
import type { PgMigration } from './types.js';

export const pgMigration003: PgMigration = {
  version: 3,
  name: "patients' recording counts for the search page; review-queue priority column",
  up: `
    CREATE TABLE patient_recording_stats (
      patient_id       integer PRIMARY KEY REFERENCES patients(id),
      recording_count  integer NOT NULL CHECK (recording_count > 0),
      last_recorded_at text NOT NULL
    );
    INSERT INTO patient_recording_stats
      SELECT patient_id, count(*), max(recorded_at) FROM recordings GROUP BY patient_id;

    -- Recount one patient from the recordings (a deletion or a moved recording: rare).
    CREATE FUNCTION patient_recording_stats_recount(pid integer) RETURNS void LANGUAGE plpgsql
      SECURITY DEFINER SET search_path = public AS $$
      DECLARE n integer; last text;
      BEGIN
        SELECT count(*), max(recorded_at) INTO n, last FROM recordings WHERE patient_id = pid;
        IF n = 0 THEN DELETE FROM patient_recording_stats WHERE patient_id = pid;
        ELSE
          INSERT INTO patient_recording_stats VALUES (pid, n, last)
            ON CONFLICT (patient_id) DO UPDATE SET recording_count = n, last_recorded_at = last;
        END IF;
      END $$;
    CREATE FUNCTION patient_recording_stats_keep() RETURNS trigger LANGUAGE plpgsql
      SECURITY DEFINER SET search_path = public AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO patient_recording_stats AS s VALUES (NEW.patient_id, 1, NEW.recorded_at)
            ON CONFLICT (patient_id) DO UPDATE SET recording_count = s.recording_count + 1,
              last_recorded_at = greatest(s.last_recorded_at, EXCLUDED.last_recorded_at);
        ELSE
          PERFORM patient_recording_stats_recount(OLD.patient_id);
          IF TG_OP = 'UPDATE' AND NEW.patient_id <> OLD.patient_id THEN
            PERFORM patient_recording_stats_recount(NEW.patient_id);
          END IF;
        END IF;
        RETURN NULL;
      END $$;
    CREATE TRIGGER patient_recording_stats_keep AFTER INSERT OR DELETE OR UPDATE OF patient_id, recorded_at
      ON recordings FOR EACH ROW EXECUTE FUNCTION patient_recording_stats_keep();

    -- Read by everyone, written only by the trigger (as the owner).
    REVOKE ALL ON patient_recording_stats FROM PUBLIC;
    GRANT SELECT ON patient_recording_stats TO auscult_workstation;
    REVOKE EXECUTE ON FUNCTION patient_recording_stats_recount(integer) FROM PUBLIC;

    -- SQLite schema 9's twin: the review queue's priority on the row, in an index in queue order
    -- (the ORDER BY over the newest analysis's JSON label took 179 ms at 100,000 recordings).
    ALTER TABLE recordings ADD COLUMN review_priority smallint NOT NULL DEFAULT 2;
    UPDATE recordings SET review_priority = CASE
        WHEN analysis_status = 'ok' AND (SELECT json_extract(a.result_json, '$.screen.label') FROM analyses a
          WHERE a.recording_id = recordings.id ORDER BY a.id DESC LIMIT 1) = 'abnormal' THEN 0
        WHEN analysis_status = 'uncertain' THEN 1 ELSE 2 END
      WHERE signed_at IS NULL;
    CREATE FUNCTION analyses_review_priority() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE recordings SET review_priority = CASE
            WHEN NEW.status = 'ok' AND json_extract(NEW.result_json, '$.screen.label') = 'abnormal' THEN 0
            WHEN NEW.status = 'uncertain' THEN 1 ELSE 2 END
          WHERE id = NEW.recording_id AND signed_at IS NULL;
        RETURN NULL;
      END $$;
    CREATE TRIGGER analyses_review_priority AFTER INSERT ON analyses
      FOR EACH ROW EXECUTE FUNCTION analyses_review_priority();
    CREATE INDEX recordings_review ON recordings (review_priority, recorded_at, id) WHERE signed_at IS NULL;
  `,
};
