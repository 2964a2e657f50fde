/** Patients and the prefix search over identifier and names. */
import type { SqlDatabase, SqlEngine } from './sql-database.js';
import { StoreError } from './errors.js';
import { normalizeForSearch } from './search-normalize.js';
import type { PatientListRow } from './rows.js';

export interface PatientRecord {
  id: number;
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate: string | null;
  sex: string;
  notes: string;
  createdAt: string;
  updatedAt: string;
}
export interface PatientSummaryRecord extends PatientRecord {
  recordingCount: number;
  lastRecordedAt: string | null;
}
export interface NewPatient {
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate?: string | null;
  sex?: string;
  notes?: string;
  createdBy: number | null;
}
export type PatientChanges = Partial<Pick<PatientRecord, 'givenName' | 'familyName' | 'birthDate' | 'sex' | 'notes'>>;

const toPatient = (r: PatientListRow): PatientRecord => ({
  id: r.id,
  mrn: r.mrn,
  givenName: r.given_name,
  familyName: r.family_name,
  birthDate: r.birth_date,
  sex: r.sex,
  notes: r.notes,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const SUMMARY_COLS = `p.*,
  (SELECT count(*) FROM recordings r WHERE r.patient_id = p.id) AS recording_count,
  (SELECT max(recorded_at) FROM recordings r WHERE r.patient_id = p.id) AS last_recorded_at`;

export class Patients {
  constructor(
    private readonly db: SqlDatabase,
    private readonly engine: SqlEngine = 'sqlite',
  ) {}

  create(p: NewPatient): PatientRecord {
    if (this.db.prepare('SELECT 1 FROM patients WHERE mrn = ?').get(p.mrn)) {
      throw new StoreError(
        'CONFLICT',
        `A patient with identifier '${p.mrn}' already exists; open that patient instead of creating a new one.`,
      );
    }
    const now = new Date().toISOString();
    const info = this.db
      .prepare(
        `INSERT INTO patients (mrn, given_name, family_name, birth_date, sex, notes, created_by, created_at, updated_at, mrn_norm, family_norm, given_norm)
         VALUES (@mrn, @givenName, @familyName, @birthDate, @sex, @notes, @createdBy, @now, @now, @mrnNorm, @familyNorm, @givenNorm)`,
      )
      .run({
        mrn: p.mrn,
        givenName: p.givenName,
        familyName: p.familyName,
        birthDate: p.birthDate ?? null,
        sex: p.sex ?? 'unknown',
        notes: p.notes ?? '',
        createdBy: p.createdBy,
        now,
        mrnNorm: normalizeForSearch(p.mrn),
        familyNorm: normalizeForSearch(p.familyName),
        givenNorm: normalizeForSearch(p.givenName),
      });
    return this.get(Number(info.lastInsertRowid))!;
  }

  /** Patients with the same name (case- and accent-insensitive) and birth date: likely the same person. */
  similar(givenName: string, familyName: string, birthDate: string): PatientRecord[] {
    const rows = this.db
      .prepare(
        'SELECT * FROM patients WHERE family_norm = ? AND given_norm = ? AND birth_date = ? ORDER BY id LIMIT 10',
      )
      .all(normalizeForSearch(familyName), normalizeForSearch(givenName), birthDate) as PatientListRow[];
    return rows.map(toPatient);
  }

  get(id: number): PatientRecord | null {
    const r = this.db.prepare('SELECT * FROM patients WHERE id = ?').get(id) as PatientListRow | undefined;
    return r ? toPatient(r) : null;
  }

  byMrn(mrn: string): PatientRecord | null {
    const r = this.db.prepare('SELECT * FROM patients WHERE mrn = ?').get(mrn) as PatientListRow | undefined;
    return r ? toPatient(r) : null;
  }

  update(id: number, c: PatientChanges): { before: PatientRecord; after: PatientRecord } {
    const before = this.get(id);
    if (!before) throw new StoreError('NOT_FOUND', `Patient ${id} does not exist.`);
    const after = {
      ...before,
      ...Object.fromEntries(Object.entries(c as Record<string, unknown>).filter(([, v]) => v !== undefined)),
    };
    after.updatedAt = new Date().toISOString();
    this.db
      .prepare(
        `UPDATE patients SET given_name = @givenName, family_name = @familyName, birth_date = @birthDate, sex = @sex, notes = @notes,
           updated_at = @updatedAt, family_norm = @familyNorm, given_norm = @givenNorm WHERE id = @id`,
      )
      .run({
        ...after,
        familyNorm: normalizeForSearch(after.familyName),
        givenNorm: normalizeForSearch(after.givenName),
      });
    return { before, after };
  }

  /** Patients this user created or recorded: a nurse's "own" patients. */
  /** Whether the user registered this patient. */
  isRegisteredBy(patientId: number, userId: number): boolean {
    return !!this.db.prepare('SELECT 1 FROM patients WHERE id = ? AND created_by = ?').get(patientId, userId);
  }

  /** A live break-the-glass grant of this user to this patient (schema 4), or null. */
  activeGrant(
    patientId: number,
    userId: number,
    nowIso: string,
  ): { reason: string; grantedAt: string; expiresAt: string } | null {
    const r = this.db
      .prepare(
        'SELECT reason, granted_at, expires_at FROM access_grants WHERE user_id = ? AND patient_id = ? AND expires_at > ? ORDER BY expires_at DESC LIMIT 1',
      )
      .get(userId, patientId, nowIso) as { reason: string; granted_at: string; expires_at: string } | undefined;
    return r ? { reason: r.reason, grantedAt: r.granted_at, expiresAt: r.expires_at } : null;
  }

  grantAccess(g: { userId: number; patientId: number; reason: string; grantedAt: string; expiresAt: string }): void {
    this.db
      .prepare('INSERT INTO access_grants (user_id, patient_id, reason, granted_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(g.userId, g.patientId, g.reason, g.grantedAt, g.expiresAt);
  }

  isOwnedBy(patientId: number, userId: number): boolean {
    return !!this.db
      .prepare(
        `SELECT 1 FROM patients WHERE id = @p AND created_by = @u
         UNION ALL SELECT 1 FROM recordings WHERE recorded_by = @u AND patient_id = @p LIMIT 1`,
      )
      .get({ p: patientId, u: userId });
  }

  /**
   * Search on any part of the identifier, family name or given names (case- and accent-
   * insensitive, words in any order: patientMatch). Parameters are bound, never spliced into SQL.
   */
  search(query: string | undefined, limit: number, offset: number): { items: PatientSummaryRecord[]; total: number } {
    const m = patientMatch(query, 'q', this.engine);
    const where = m.sql ? `WHERE ${m.sql}` : '';
    const args: Record<string, unknown> = { ...m.args, limit, offset };
    const count = (): number =>
      (this.db.prepare(`SELECT count(*) AS n FROM patients ${where}`).get(m.args) as { n: number }).n;
    let rows: PatientListRow[];
    let total: number;
    if (this.engine === 'postgresql') {
      // One round trip: the page's ids with the match count (a window over every match, computed
      // before LIMIT), then each patient's recording figures from the row a trigger keeps (PG
      // migration 3). Only a page past the end needs the count on its own.
      rows = this.db
        .prepare(
          `WITH page AS (SELECT id, family_norm, given_norm, count(*) OVER () AS search_total FROM patients ${where}
             ORDER BY family_norm, given_norm, id LIMIT @limit OFFSET @offset)
           SELECT p.*, coalesce(s.recording_count, 0) AS recording_count, s.last_recorded_at, page.search_total
           FROM page JOIN patients p ON p.id = page.id LEFT JOIN patient_recording_stats s ON s.patient_id = p.id
           ORDER BY page.family_norm, page.given_norm, page.id`,
        )
        .all(args) as PatientListRow[];
      total = rows[0]?.search_total ?? (offset === 0 ? 0 : count());
    } else {
      total = count();
      rows = this.db
        // Page the ids first, so the per-patient counts are computed for this page only.
        .prepare(
          `SELECT ${SUMMARY_COLS} FROM patients p WHERE p.id IN (SELECT id FROM patients ${where} ORDER BY family_norm, given_norm, id LIMIT @limit OFFSET @offset)
         ORDER BY p.family_norm, p.given_norm, p.id`,
        )
        .all(args) as PatientListRow[];
    }
    return {
      items: rows.map((r) => ({
        ...toPatient(r),
        recordingCount: r.recording_count ?? 0,
        lastRecordedAt: r.last_recorded_at ?? null,
      })),
      total,
    };
  }
}

/**
 * The SQL condition (over the patients table's columns) for a search text, with its bound
 * arguments. Every word of the text must occur somewhere — any part of the identifier, of the
 * family name or of the given names ("muller" finds "Schmidt-Müller", "2002" finds "KH-120021"),
 * in any order; keys are case- and accent-folded (search-normalize.ts). Words of three or more
 * characters are answered by the trigram index (migration 6); shorter ones, which a trigram
 * cannot hold, are checked on the rows that index selected (or, for a text of only short words,
 * on every patient: still 10,000 short strings). Empty text matches everything (`sql` is '').
 */
export function patientMatch(
  query: string | undefined,
  prefix = 'q',
  engine: SqlEngine = 'sqlite',
): { sql: string; args: Record<string, string> } {
  const tokens = [
    ...new Set(
      normalizeForSearch((query ?? '').replace(/,/g, ' '))
        .split(' ')
        .filter(Boolean),
    ),
  ].slice(0, 8); // a longer text adds nothing a person types, only work
  if (tokens.length === 0) return { sql: '', args: {} };
  if (engine === 'postgresql') return pgPatientMatch(tokens, prefix);
  const args: Record<string, string> = {};
  const parts: string[] = [];
  const long = tokens.filter((t) => codePoints(t) >= 3);
  if (long.length > 0) {
    // each word one FTS5 string ("" escapes a quote inside it): a substring, never query syntax
    args[`${prefix}_fts`] = long.map((t) => `"${t.replace(/"/g, '""')}"`).join(' AND ');
    parts.push(`id IN (SELECT rowid FROM patients_search WHERE patients_search MATCH @${prefix}_fts)`);
  }
  tokens
    .filter((t) => codePoints(t) < 3)
    .forEach((t, i) => {
      args[`${prefix}_${i}`] = t;
      parts.push(`instr(mrn_norm || ' ' || family_norm || ' ' || given_norm, @${prefix}_${i}) > 0`);
    });
  return { sql: `(${parts.join(' AND ')})`, args };
}

/**
 * PostgreSQL: the same words on the same folded key (`search_key`, a generated column), each a
 * LIKE '%word%' that the pg_trgm GIN index answers (words under three characters scan, as on SQLite).
 */
function pgPatientMatch(tokens: string[], prefix: string): { sql: string; args: Record<string, string> } {
  // PostgreSQL text holds no NUL, so a word with one matches nothing (and libpq could not send it)
  if (tokens.some((t) => t.includes('\u0000'))) return { sql: '(1 = 0)', args: {} };
  const args: Record<string, string> = {};
  const parts = tokens.map((t, i) => {
    args[`${prefix}_${i}`] = `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return `search_key LIKE @${prefix}_${i}`;
  });
  return { sql: `(${parts.join(' AND ')})`, args };
}

/** Characters as the trigram tokenizer counts them (code points, not UTF-16 units). */
function codePoints(s: string): number {
  return (s.match(/./gsu) ?? []).length;
}
