/**
 * Schema version 6: search any part of a name or identifier ("muller" finds "Schmidt-Müller",
 * "2002" finds "KH-120021"). A substring cannot use a B-tree index, so the folded keys of each
 * patient go into an FTS5 table with the trigram tokenizer, whose index answers substring
 * matches of three or more characters (https://sqlite.org/fts5.html#the_trigram_tokenizer).
 * Triggers keep it equal to the patients table; the migration fills it from the existing rows.
 * (Versions 4 and 5 are the signed record and the sound findings.)
 */
import type { Migration } from './types.js';

const KEY = (row: 'NEW' | 'p') => `${row}.mrn_norm || ' ' || ${row}.family_norm || ' ' || ${row}.given_norm`;

export const migration006: Migration = {
  version: 6,
  name: 'substring search',
  up: `
    CREATE VIRTUAL TABLE patients_search USING fts5(key, tokenize = 'trigram');
    INSERT INTO patients_search (rowid, key) SELECT p.id, ${KEY('p')} FROM patients p;
    CREATE TRIGGER patients_search_insert AFTER INSERT ON patients
      BEGIN INSERT INTO patients_search (rowid, key) VALUES (NEW.id, ${KEY('NEW')}); END;
    CREATE TRIGGER patients_search_update AFTER UPDATE OF mrn_norm, family_norm, given_norm ON patients
      BEGIN UPDATE patients_search SET key = ${KEY('NEW')} WHERE rowid = NEW.id; END;
    CREATE TRIGGER patients_search_delete AFTER DELETE ON patients
      BEGIN DELETE FROM patients_search WHERE rowid = OLD.id; END;
  `,
};
