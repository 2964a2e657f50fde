/**
 * Read-only streaming queries for exports (owned by the export room). Each generator reads in
 * keyset batches (`WHERE key > last ORDER BY key LIMIT n`) rather than holding one open
 * `iterate()` cursor: an export awaits file writes between rows, and better-sqlite3 refuses every
 * other statement on a connection while a cursor is open, so a cursor would block the service.
 * Batches keep memory flat in the number of rows all the same.
 */
import type { SqlDatabase } from './sql-database.js';
import { toInclusiveEnd } from './audit-log.js';
import type { FindingReadRow } from './rows.js';
import { resultState, showsFigures, type ResultState } from '../common/result-state.js';
import type { ClassProbabilities } from '../common/classes.js';

const BATCH = 4000;

export interface ExportAuditScope {
  from?: string;
  to?: string;
  patientId?: number;
}

function auditWhere(scope: ExportAuditScope): { sql: string; args: Record<string, unknown> } {
  const where: string[] = [];
  const args: Record<string, unknown> = {};
  if (scope.from) {
    where.push('at >= @from');
    args['from'] = scope.from;
  }
  if (scope.to) {
    where.push('at <= @to');
    args['to'] = toInclusiveEnd(scope.to);
  }
  if (scope.patientId !== undefined) {
    // A patient's history: the patient row, its recordings (and their findings/sign-offs/exports,
    // which the service logs against the recording), and any entry whose details name the patient.
    where.push(`((object_type = 'patient' AND object_id = @pidText)
      OR (object_type = 'recording' AND object_id IN (SELECT CAST(id AS TEXT) FROM recordings WHERE patient_id = @pid))
      OR json_extract(details_json, '$.patientId') = @pid)`);
    args['pid'] = scope.patientId;
    args['pidText'] = String(scope.patientId);
  }
  return { sql: where.length ? ' AND ' + where.join(' AND ') : '', args };
}

/** The chain head now: entries appended later have higher seqs, so `seq <= head` is a snapshot. */
export function auditHeadForExport(db: SqlDatabase): { seq: number; hash: string } {
  const r = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as
    { seq: number; hash: string } | undefined;
  return r ?? { seq: 0, hash: '0'.repeat(64) };
}

export function countAuditForExport(db: SqlDatabase, scope: ExportAuditScope, uptoSeq: number): number {
  const w = auditWhere(scope);
  return (
    db.prepare(`SELECT count(*) AS n FROM audit_log WHERE seq <= @upto${w.sql}`).get({ ...w.args, upto: uptoSeq }) as {
      n: number;
    }
  ).n;
}

/** An audit entry as stored: details as the canonical JSON text the hash covers (not re-encoded). */
export interface ExportAuditRow {
  seq: number;
  at: string;
  username: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  transport: string;
  detailsJson: string;
  prevHash: string;
  hash: string;
}

/** Audit entries in `scope` with seq ≤ `uptoSeq`, in seq order, in batches. */
export function* auditEntriesForExport(
  db: SqlDatabase,
  scope: ExportAuditScope,
  uptoSeq: number,
): Generator<ExportAuditRow> {
  const w = auditWhere(scope);
  // Rows as arrays (raw): one object fewer per row, a million times.
  const stmt = db
    .prepare(
      `SELECT seq, at, username, action, object_type, object_id, transport, details_json, prev_hash, hash FROM audit_log
               WHERE seq > @after AND seq <= @upto${w.sql} ORDER BY seq LIMIT ${BATCH}`,
    )
    .raw(true);
  let after = 0;
  for (;;) {
    const rows = stmt.all({ ...w.args, after, upto: uptoSeq }) as [
      number,
      string,
      string | null,
      string,
      string | null,
      string | null,
      string,
      string,
      string,
      string,
    ][];
    for (const r of rows) {
      yield {
        seq: r[0],
        at: r[1],
        username: r[2],
        action: r[3],
        objectType: r[4],
        objectId: r[5],
        transport: r[6],
        detailsJson: r[7],
        prevHash: r[8],
        hash: r[9],
      };
    }
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1]![0];
  }
}

/** Seqs only (the verifier's completeness check against the live database). */
export function* auditSeqsForExport(db: SqlDatabase, scope: ExportAuditScope, uptoSeq: number): Generator<number> {
  const w = auditWhere(scope);
  const stmt = db
    .prepare(`SELECT seq FROM audit_log WHERE seq > @after AND seq <= @upto${w.sql} ORDER BY seq LIMIT ${BATCH * 5}`)
    .pluck();
  let after = 0;
  for (;;) {
    const seqs = stmt.all({ ...w.args, after, upto: uptoSeq }) as number[];
    yield* seqs;
    if (seqs.length < BATCH * 5) return;
    after = seqs[seqs.length - 1]!;
  }
}

export function auditHashAt(db: SqlDatabase, seq: number): string | null {
  const r = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(seq) as string | undefined;
  return r ?? null;
}

export interface ExportRecordingScope {
  patientId?: number;
  recordingId?: number;
  from?: string;
  to?: string;
}

export interface SoundPresenceRow {
  present: boolean;
  probability: number;
}

/** One recording with its patient, current analysis and sign-off: the analyses CSV's row. */
export interface ExportRecordingRow {
  id: number;
  patientId: number;
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate: string | null;
  sex: string;
  site: string;
  recordedAt: string;
  recordedBy: string;
  deviceName: string;
  sampleRate: number;
  durationSec: number;
  status: string;
  fileName: string;
  wavSha256: string;
  quality: string | null;
  analysis: {
    id: number;
    createdAt: string;
    engineVersion: string;
    headName: string;
    headVersion: string;
    /**
     * What the analysis may say (src/common/result-state.ts); every figure below is null unless it
     * is 'ok' or 'uncertain' (withheld: none exists; earlier engine: never gated).
     */
    result: ResultState;
    probabilities: ClassProbabilities | null;
    pAbnormal: number | null;
    topClass: string | null;
    status: string;
    /** The plain reasons of the status (empty for 'ok'). */
    statusReasons: string[];
    /** Recording-level crackle/wheeze presence (null: no detector, or no figures may be shown). */
    sounds: { crackle: SoundPresenceRow; wheeze: SoundPresenceRow } | null;
    resultJson: string;
  } | null;
  signedAt: string | null;
  signedBy: string | null;
  signLabel: string | null;
  signStatement: string | null;
  /** The electronic signature's printed full name, role and meaning (null: signed before schema 4). */
  signerName: string | null;
  signerRole: string | null;
  signMeaning: string | null;
}

interface RecRow {
  id: number;
  patient_id: number;
  mrn: string;
  given_name: string;
  family_name: string;
  birth_date: string | null;
  sex: string;
  site: string;
  recorded_at: string;
  recorded_by: string;
  device_name: string;
  sample_rate: number;
  duration_sec: number;
  status: string;
  file_name: string;
  wav_sha256: string;
  quality: string | null;
  a_id: number | null;
  a_created_at: string;
  engine_version: string;
  head_name: string;
  head_version: string;
  p_asthma: number | null;
  p_copd: number | null;
  p_pneumonia: number | null;
  p_healthy: number | null;
  p_bronchial: number | null;
  a_p_abnormal: number | null;
  a_top_class: string | null;
  a_status: string;
  has_gate: number | null;
  status_reasons: string | null;
  crackle_present: number | string | null;
  crackle_p: number | string | null;
  wheeze_present: number | string | null;
  wheeze_p: number | string | null;
  result_json: string;
  signed_at: string | null;
  signed_by: string | null;
  s_label: string | null;
  s_statement: string | null;
  s_signer_name: string | null;
  s_signer_role: string | null;
  s_meaning: string | null;
}

function recWhere(scope: ExportRecordingScope): { sql: string; args: Record<string, unknown> } {
  const where: string[] = [];
  const args: Record<string, unknown> = {};
  if (scope.patientId !== undefined) {
    where.push('r.patient_id = @patientId');
    args['patientId'] = scope.patientId;
  }
  if (scope.recordingId !== undefined) {
    where.push('r.id = @recordingId');
    args['recordingId'] = scope.recordingId;
  }
  if (scope.from) {
    where.push('r.recorded_at >= @from');
    args['from'] = scope.from;
  }
  if (scope.to) {
    where.push('r.recorded_at <= @to');
    args['to'] = toInclusiveEnd(scope.to);
  }
  return { sql: where.length ? ' AND ' + where.join(' AND ') : '', args };
}

function reasons(json: string | null): string[] {
  if (!json) return [];
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * SQLite's json_extract gives a JSON true as 1 and a number as a number; the site engine's
 * (PostgreSQL's `#>>`) gives both as text ('true', '0.71'): the same reading of either.
 */
function presence(present: number | string | null, p: number | string | null): SoundPresenceRow | null {
  if (present === null || p === null) return null;
  const probability = Number(p);
  if (!Number.isFinite(probability)) return null;
  return { present: present === 1 || present === 'true', probability };
}

/** The analysis columns of a row, with figures only where the one result state allows them. */
function exportAnalysis(r: RecRow, id: number): NonNullable<ExportRecordingRow['analysis']> {
  const result = resultState({ status: r.a_status, engineVersion: r.engine_version, hasGate: r.has_gate === 1 });
  const figures = showsFigures(result);
  const probs =
    figures &&
    r.p_asthma !== null &&
    r.p_copd !== null &&
    r.p_pneumonia !== null &&
    r.p_healthy !== null &&
    r.p_bronchial !== null
      ? { asthma: r.p_asthma, copd: r.p_copd, pneumonia: r.p_pneumonia, healthy: r.p_healthy, bronchial: r.p_bronchial }
      : null;
  const crackle = presence(r.crackle_present, r.crackle_p);
  const wheeze = presence(r.wheeze_present, r.wheeze_p);
  return {
    id,
    createdAt: r.a_created_at,
    engineVersion: r.engine_version,
    headName: r.head_name,
    headVersion: r.head_version,
    result,
    probabilities: probs,
    pAbnormal: figures ? r.a_p_abnormal : null,
    topClass: figures ? r.a_top_class : null,
    status: r.a_status,
    statusReasons: reasons(r.status_reasons),
    sounds: figures && crackle && wheeze ? { crackle, wheeze } : null,
    resultJson: r.result_json,
  };
}

export function countRecordingsForExport(db: SqlDatabase, scope: ExportRecordingScope): number {
  const w = recWhere(scope);
  return (db.prepare(`SELECT count(*) AS n FROM recordings r WHERE 1=1${w.sql}`).get(w.args) as { n: number }).n;
}

/** Recordings in scope, oldest id first, in batches, each with its current analysis and sign-off. */
export function* recordingsForExport(
  db: SqlDatabase,
  scope: ExportRecordingScope,
  opts: { withResultJson?: boolean } = {},
): Generator<ExportRecordingRow> {
  const w = recWhere(scope);
  const stmt = db.prepare(`
    SELECT r.id, r.patient_id, p.mrn, p.given_name, p.family_name, p.birth_date, p.sex, r.site, r.recorded_at,
           ru.username AS recorded_by, r.device_name, r.sample_rate, r.duration_sec, r.status, r.file_name, r.wav_sha256, r.quality,
           a.id AS a_id, a.created_at AS a_created_at, a.engine_version, a.head_name, a.head_version,
           a.p_asthma, a.p_copd, a.p_pneumonia, a.p_healthy, a.p_bronchial, a.p_abnormal AS a_p_abnormal,
           a.top_class AS a_top_class, a.status AS a_status,
           -- a few fields of the stored result, read by SQLite's JSON functions rather than parsing every JSON here
           -- (json_type would also count a JSON null, which no engine writes; PostgreSQL has no json_type)
           json_extract(a.result_json, '$.gate') IS NOT NULL AS has_gate,
           json_extract(a.result_json, '$.statusReasons') AS status_reasons,
           json_extract(a.result_json, '$.sounds.crackle.present') AS crackle_present,
           json_extract(a.result_json, '$.sounds.crackle.probability') AS crackle_p,
           json_extract(a.result_json, '$.sounds.wheeze.present') AS wheeze_present,
           json_extract(a.result_json, '$.sounds.wheeze.probability') AS wheeze_p,
           ${opts.withResultJson ? 'a.result_json' : "'' AS result_json"},
           s.signed_at, su.username AS signed_by, s.label AS s_label, s.statement AS s_statement,
           s.signer_name AS s_signer_name, s.signer_role AS s_signer_role, s.meaning AS s_meaning
      FROM recordings r
      JOIN patients p ON p.id = r.patient_id
      JOIN users ru ON ru.id = r.recorded_by
      LEFT JOIN analyses a ON a.id = (SELECT max(x.id) FROM analyses x WHERE x.recording_id = r.id)
      LEFT JOIN signoffs s ON s.recording_id = r.id
      LEFT JOIN users su ON su.id = s.signed_by
     WHERE r.id > @after${w.sql}
     ORDER BY r.id LIMIT ${BATCH}`);
  let after = 0;
  for (;;) {
    const rows = stmt.all({ ...w.args, after }) as RecRow[];
    for (const r of rows) {
      yield {
        id: r.id,
        patientId: r.patient_id,
        mrn: r.mrn,
        givenName: r.given_name,
        familyName: r.family_name,
        birthDate: r.birth_date,
        sex: r.sex,
        site: r.site,
        recordedAt: r.recorded_at,
        recordedBy: r.recorded_by,
        deviceName: r.device_name,
        sampleRate: r.sample_rate,
        durationSec: r.duration_sec,
        status: r.status,
        fileName: r.file_name,
        wavSha256: r.wav_sha256,
        quality: r.quality,
        analysis: r.a_id === null ? null : exportAnalysis(r, r.a_id),
        signedAt: r.signed_at,
        signedBy: r.signed_by,
        signLabel: r.s_label,
        signStatement: r.s_statement,
        signerName: r.s_signer_name,
        signerRole: r.s_signer_role,
        signMeaning: r.s_meaning,
      };
    }
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1]!.id;
  }
}

export interface ExportFindingRow {
  id: number;
  recordingId: number;
  author: string;
  authorRole: string;
  text: string;
  label: string | null;
  createdAt: string;
  isAmendment: boolean;
}

export function findingsForExport(db: SqlDatabase, recordingId: number): ExportFindingRow[] {
  const rows = db
    .prepare(
      `SELECT f.id, f.recording_id, u.username, f.author_role, f.text, f.label, f.created_at, f.is_amendment
      FROM findings f JOIN users u ON u.id = f.author_id WHERE f.recording_id = ? ORDER BY f.id`,
    )
    .all(recordingId) as FindingReadRow[];
  return rows.map((r) => ({
    id: r.id,
    recordingId: r.recording_id,
    author: r.username,
    authorRole: r.author_role,
    text: r.text,
    label: r.label,
    createdAt: r.created_at,
    isAmendment: r.is_amendment === 1,
  }));
}

/** Patients with at least one recording in scope, ascending (one FHIR bundle / PDF set each). */
export function patientIdsForExport(db: SqlDatabase, scope: ExportRecordingScope): number[] {
  const w = recWhere(scope);
  return db
    .prepare(`SELECT DISTINCT r.patient_id FROM recordings r WHERE 1=1${w.sql} ORDER BY r.patient_id`)
    .pluck()
    .all(w.args) as number[];
}

export function patientMrn(db: SqlDatabase, patientId: number): string | null {
  return (db.prepare('SELECT mrn FROM patients WHERE id = ?').pluck().get(patientId) as string | undefined) ?? null;
}
