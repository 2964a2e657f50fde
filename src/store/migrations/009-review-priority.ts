/**
 * Schema version 9 (PostgreSQL's twin is in PG schema 3): the review queue's priority as a column
 * of the recording, kept by a trigger on analyses, with a partial index in the queue's order. The
 * queue ordered by a CASE over the newest analysis's JSON screen label, evaluated for every
 * unsigned recording before the first page could be cut: 80 ms on SQLite and 179 ms on PostgreSQL
 * at 100,000 recordings (40,000 unsigned; `npm run bench -- store-site`). Signed recordings are not
 * in the queue and keep the default (their rows are frozen).
 */
import type { Migration } from './types.js';

/** 0 an abnormal screen, 1 uncertain, 2 everything else — the order the queue promises. */
const PRIORITY_OF_NEW = `CASE WHEN NEW.status = 'ok' AND json_extract(NEW.result_json, '$.screen.label') = 'abnormal' THEN 0
  WHEN NEW.status = 'uncertain' THEN 1 ELSE 2 END`;

export const migration009: Migration = {
  version: 9,
  name: 'review-queue priority column',
  up: `
    ALTER TABLE recordings ADD COLUMN review_priority INTEGER NOT NULL DEFAULT 2;
    UPDATE recordings SET review_priority = CASE
        WHEN analysis_status = 'ok' AND (SELECT json_extract(a.result_json, '$.screen.label') FROM analyses a
          WHERE a.recording_id = recordings.id ORDER BY a.id DESC LIMIT 1) = 'abnormal' THEN 0
        WHEN analysis_status = 'uncertain' THEN 1 ELSE 2 END
      WHERE signed_at IS NULL;
    CREATE TRIGGER analyses_review_priority AFTER INSERT ON analyses BEGIN
      UPDATE recordings SET review_priority = ${PRIORITY_OF_NEW} WHERE id = NEW.recording_id AND signed_at IS NULL;
    END;
    CREATE INDEX recordings_review ON recordings(review_priority, recorded_at, id) WHERE signed_at IS NULL;
  `,
};
