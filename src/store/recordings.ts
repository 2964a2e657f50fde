/**
 * Recordings, their analyses, findings and sign-offs. A recording's current analysis is
 * denormalised onto its row (top class, p(abnormal), status, quality) so lists, filters and the
 * review queue read one table through one index. Triggers (migration 001) freeze signed recordings.
 */
import type { SqlDatabase, SqlEngine, SqlStatement } from './sql-database.js';
import { StoreError, translateSqliteError } from './errors.js';
import { patientMatch } from './patients.js';
import type { FindingReadRow, ReanalysisRow, RecordingListRow, SignoffReadRow, SoundVerdictReadRow } from './rows.js';

import { CLASS_ORDER, type ClassName, type ClassProbabilities } from '../common/classes.js';
import type { AnalysisStatus } from '../common/analysis-status.js';

export interface NewRecording {
  patientId: number;
  site: string;
  deviceName: string;
  sampleRate: number;
  durationSec: number;
  fileName: string;
  wavSha256: string;
  status: string;
  recordedBy: number;
  recordedAt: string;
}

/** The five probability columns (all NULL for a withheld analysis). */
function probabilityColumns(p: ClassProbabilities | null): Record<ClassName, number | null> {
  return Object.fromEntries(CLASS_ORDER.map((c) => [c, p ? p[c] : null])) as Record<ClassName, number | null>;
}

export interface NewAnalysis {
  engineVersion: string;
  headName: string;
  headVersion: string;
  /** null, with pAbnormal and topClass, exactly when status is 'withheld' (a CHECK holds it). */
  probabilities: ClassProbabilities | null;
  pAbnormal: number | null;
  topClass: string | null;
  status: AnalysisStatus;
  quality: string;
  /** The whole AnalysisResult as JSON (timeline, YAMNet top classes, timings ...). */
  resultJson: string;
}

/** What a history re-analysis needs to know of a recording and its current (newest) analysis. */
export interface ReanalysisState {
  id: number;
  fileName: string;
  wavSha256: string;
  signed: boolean;
  /** The newest analysis's models, or null when the recording has none. */
  current: {
    engineVersion: string;
    headName: string;
    headVersion: string;
    status: string;
    /** From its result JSON (null when the JSON lacks them). */
    headSha256: string | null;
    yamnetSha256: string | null;
    soundsName: string | null;
    soundsVersion: string | null;
  } | null;
}

/*
 * The models' identity is read as two JSON objects, typed here, not as four scalars: the engines'
 * json_extract differ on scalars (SQLite gives a number as a number and an object as its text,
 * PostgreSQL gives every value as text), but both give an object as its JSON text. json_valid
 * first: one damaged result_json must not stop the whole listing (it reads as "no models").
 */
const json = (path: string) => `CASE WHEN json_valid(a.result_json) THEN json_extract(a.result_json, '${path}') END`;
const REANALYSIS_SELECT = `SELECT r.id, r.file_name, r.wav_sha256, (r.signed_at IS NOT NULL) AS signed,
    a.engine_version, a.head_name, a.head_version, a.status,
    ${json('$.models')} AS models_json, ${json('$.sounds.model')} AS sounds_model_json
  FROM recordings r
  LEFT JOIN analyses a ON a.id = (SELECT max(x.id) FROM analyses x WHERE x.recording_id = r.id)`;

type JsonObject = Partial<Record<string, unknown>>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON object's text as either engine returns it; anything else (a scalar, an array, none) reads as {}. */
function objectFrom(v: unknown): JsonObject {
  if (typeof v !== 'string') return {};
  try {
    const o: unknown = JSON.parse(v);
    return isObject(o) ? o : {};
  } catch {
    return {}; // a string value that is not JSON
  }
}

/** A string field of a JSON object (null when it is missing or not a string). */
const textOf = (o: unknown, key: string): string | null => {
  const v = isObject(o) ? o[key] : undefined;
  return typeof v === 'string' ? v : null;
};

function toReanalysisState(r: ReanalysisRow): ReanalysisState {
  const models = objectFrom(r.models_json);
  const sounds = objectFrom(r.sounds_model_json);
  return {
    id: r.id,
    fileName: r.file_name,
    wavSha256: r.wav_sha256,
    signed: r.signed === 1,
    current:
      r.engine_version === null || r.head_name === null || r.head_version === null || r.status === null
        ? null
        : {
            engineVersion: r.engine_version,
            headName: r.head_name,
            headVersion: r.head_version,
            status: r.status,
            headSha256: textOf(models['head'], 'sha256'),
            yamnetSha256: textOf(models['yamnet'], 'sha256'),
            soundsName: textOf(sounds, 'name'),
            soundsVersion: textOf(sounds, 'version'),
          },
  };
}

export interface RecordingSummaryRecord {
  id: number;
  patientId: number;
  patientMrn: string;
  patientName: string;
  site: string;
  recordedAt: string;
  recordedBy: string;
  durationSec: number;
  sampleRate: number;
  deviceName: string;
  status: string;
  quality: string | null;
  topClass: string | null;
  pAbnormal: number | null;
  analysisStatus: string | null;
  /** The engine that made the current analysis (null: none); an engine before 2.0.0 was not gated. */
  analysisEngine: string | null;
  /** The current analysis's screen label (from its stored JSON; only the listed page's rows read it). */
  screenLabel: string | null;
  signed: boolean;
  signedAt: string | null;
  signedBy: string | null;
}
export interface RecordingRecord extends RecordingSummaryRecord {
  wavSha256: string;
  fileName: string;
  analysisId: number | null;
}
export interface FindingRecord {
  id: number;
  recordingId: number;
  author: string;
  authorRole: string;
  text: string;
  label: string | null;
  createdAt: string;
  isAmendment: boolean;
}
export interface SoundVerdictRecord {
  id: number;
  recordingId: number;
  analysisId: number;
  soundType: string;
  eventIndex: number;
  startSec: number;
  endSec: number;
  verdict: string;
  author: string;
  createdAt: string;
  isAmendment: boolean;
}

export interface SignOffRecord {
  recordingId: number;
  signedBy: string;
  signedAt: string;
  label: string;
  statement: string;
  /** The meaning the signer chose, and their full name and role as printed at signing (null before schema 4). */
  meaning: string | null;
  signerName: string | null;
  signerRole: string | null;
}

export interface RecordingFilter {
  patientId?: number;
  query?: string;
  from?: string;
  to?: string;
  site?: string;
  signed?: boolean;
  topClass?: string;
  /** Only recordings of this user's own patients (created or recorded by them). */
  ownedBy?: number;
}

/** The current analysis's screen label (from its stored JSON). */
const SCREEN_LABEL_SQL = `(SELECT json_extract(a.result_json, '$.screen.label') FROM analyses a WHERE a.recording_id = r.id ORDER BY a.id DESC LIMIT 1)`;
/** The review queue's order: 0 an abnormal screen, 1 uncertain, 2 everything else. */
const PRIORITY_SQL = 'r.review_priority'; // kept by a trigger on analyses (SQLite 9, PG 3), indexed in this order
export type ReviewScreenFilter = 'abnormal' | 'healthy' | 'uncertain' | 'withheld' | 'none';
const SCREEN_FILTER_SQL: Record<ReviewScreenFilter, string> = {
  abnormal: 'r.review_priority = 0',
  healthy: `r.analysis_status = 'ok' AND ${SCREEN_LABEL_SQL} = 'healthy'`,
  uncertain: `r.analysis_status = 'uncertain'`,
  withheld: `r.analysis_status = 'withheld'`,
  none: `r.analysis_status IS NULL`,
};

const SELECT = `SELECT r.id, r.patient_id, r.site, r.device_name, r.sample_rate, r.duration_sec, r.file_name, r.wav_sha256, r.status,
    r.recorded_at, r.quality, r.top_class, r.p_abnormal, r.analysis_status, r.signed_at,
    (SELECT a.engine_version FROM analyses a WHERE a.recording_id = r.id ORDER BY a.id DESC LIMIT 1) AS analysis_engine,
    ${SCREEN_LABEL_SQL} AS screen_label,
    p.mrn AS patient_mrn, p.given_name, p.family_name, u.username AS recorded_by_name, su.username AS signed_by_name
  FROM recordings r
  JOIN patients p ON p.id = r.patient_id
  JOIN users u ON u.id = r.recorded_by
  LEFT JOIN users su ON su.id = r.signed_by`;

function toRecord(r: RecordingListRow): RecordingRecord {
  return {
    id: r.id,
    patientId: r.patient_id,
    patientMrn: r.patient_mrn,
    patientName: `${r.given_name} ${r.family_name}`,
    site: r.site,
    recordedAt: r.recorded_at,
    recordedBy: r.recorded_by_name,
    durationSec: r.duration_sec,
    sampleRate: r.sample_rate,
    deviceName: r.device_name,
    status: r.status,
    quality: r.quality,
    topClass: r.top_class,
    pAbnormal: r.p_abnormal,
    analysisStatus: r.analysis_status,
    analysisEngine: r.analysis_engine,
    screenLabel: r.screen_label,
    signed: r.signed_at !== null,
    signedAt: r.signed_at,
    signedBy: r.signed_by_name,
    wavSha256: r.wav_sha256,
    fileName: r.file_name,
    analysisId: r.analysis_id ?? null,
  };
}
function toSummary(r: RecordingListRow): RecordingSummaryRecord {
  const { wavSha256: _w, fileName: _f, analysisId: _a, ...s } = toRecord(r);
  return s;
}

/** A bare date as a lower/upper bound covers the whole day (UTC). */
function lower(d: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T00:00:00.000Z` : new Date(d).toISOString();
}
function upper(d: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T23:59:59.999Z` : new Date(d).toISOString();
}

export class Recordings {
  private readonly insertStmt: SqlStatement;
  private readonly insertAnalysisStmt: SqlStatement;
  private readonly setCurrentStmt: SqlStatement;

  constructor(
    private readonly db: SqlDatabase,
    private readonly engine: SqlEngine = 'sqlite',
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO recordings (patient_id, site, device_name, sample_rate, duration_sec, file_name, wav_sha256, status, recorded_by, recorded_at, created_at,
         quality, top_class, p_abnormal, analysis_status)
       VALUES (@patientId, @site, @deviceName, @sampleRate, @durationSec, @fileName, @wavSha256, @status, @recordedBy, @recordedAt, @createdAt,
         @quality, @topClass, @pAbnormal, @analysisStatus)`,
    );
    this.insertAnalysisStmt = db.prepare(
      `INSERT INTO analyses (recording_id, created_at, engine_version, head_name, head_version, p_asthma, p_copd, p_pneumonia, p_healthy,
         p_bronchial, p_abnormal, top_class, status, quality, result_json)
       VALUES (@recordingId, @createdAt, @engineVersion, @headName, @headVersion, @asthma, @copd, @pneumonia, @healthy, @bronchial,
         @pAbnormal, @topClass, @status, @quality, @resultJson)`,
    );
    this.setCurrentStmt = db.prepare(
      'UPDATE recordings SET quality = ?, top_class = ?, p_abnormal = ?, analysis_status = ? WHERE id = ?',
    );
  }

  /** Insert a recording, with its first analysis when there is one (two INSERTs, no UPDATE). */
  insert(r: NewRecording, analysis?: NewAnalysis | null): number {
    try {
      const id = Number(
        this.insertStmt.run({
          ...r,
          createdAt: new Date().toISOString(),
          quality: analysis?.quality ?? null,
          topClass: analysis?.topClass ?? null,
          pAbnormal: analysis?.pAbnormal ?? null,
          analysisStatus: analysis?.status ?? null,
        }).lastInsertRowid,
      );
      if (analysis)
        this.insertAnalysisStmt.run({
          recordingId: id,
          createdAt: new Date().toISOString(),
          ...analysis,
          ...probabilityColumns(analysis.probabilities),
        });
      return id;
    } catch (err) {
      throw translateSqliteError(err);
    }
  }

  /** Store a new analysis (re-analysis) and make it the recording's current one. */
  addAnalysis(recordingId: number, a: NewAnalysis): number {
    try {
      const id = Number(
        this.insertAnalysisStmt.run({
          recordingId,
          createdAt: new Date().toISOString(),
          ...a,
          ...probabilityColumns(a.probabilities),
        }).lastInsertRowid,
      );
      this.setCurrentStmt.run(a.quality, a.topClass, a.pAbnormal, a.status, recordingId);
      return id;
    } catch (err) {
      throw translateSqliteError(err);
    }
  }

  /** Every recording in id order, with its signature and its newest analysis's models (history re-analysis). */
  *reanalysisStates(): IterableIterator<ReanalysisState> {
    const rows = this.db.prepare(`${REANALYSIS_SELECT} ORDER BY r.id`).iterate() as IterableIterator<ReanalysisRow>;
    for (const r of rows) yield toReanalysisState(r);
  }

  /** One recording's re-analysis state, read again inside the transaction that stores its new analysis. */
  reanalysisState(id: number): ReanalysisState | null {
    const r = this.db.prepare(`${REANALYSIS_SELECT} WHERE r.id = ?`).get(id) as ReanalysisRow | undefined;
    return r ? toReanalysisState(r) : null;
  }

  get(id: number): RecordingRecord | null {
    const r = this.db
      .prepare(
        `${SELECT.replace('SELECT ', 'SELECT (SELECT max(a.id) FROM analyses a WHERE a.recording_id = r.id) AS analysis_id, ')} WHERE r.id = ?`,
      )
      .get(id) as RecordingListRow | undefined;
    return r ? toRecord(r) : null;
  }

  analysisJson(analysisId: number): string | null {
    const r = this.db.prepare('SELECT result_json FROM analyses WHERE id = ?').get(analysisId) as
      { result_json: string } | undefined;
    return r?.result_json ?? null;
  }

  list(f: RecordingFilter, limit: number, offset: number): { items: RecordingSummaryRecord[]; total: number } {
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    if (f.patientId !== undefined) {
      where.push('r.patient_id = @patientId');
      args['patientId'] = f.patientId;
    }
    if (f.query && f.query.trim()) {
      const m = patientMatch(f.query, 'q', this.engine);
      if (m.sql) {
        where.push(`r.patient_id IN (SELECT id FROM patients WHERE ${m.sql})`);
        Object.assign(args, m.args);
      }
    }
    if (f.from) {
      where.push('r.recorded_at >= @from');
      args['from'] = lower(f.from);
    }
    if (f.to) {
      where.push('r.recorded_at <= @to');
      args['to'] = upper(f.to);
    }
    if (f.site) {
      where.push('r.site = @site');
      args['site'] = f.site;
    }
    if (f.signed !== undefined) where.push(f.signed ? 'r.signed_at IS NOT NULL' : 'r.signed_at IS NULL');
    if (f.topClass) {
      where.push('r.top_class = @topClass');
      args['topClass'] = f.topClass;
    }
    if (f.ownedBy !== undefined) {
      // A nurse's view (src/service/access.ts): her own recordings, every recording of patients she
      // registered, and of patients she broke the glass for (until the grant expires).
      where.push(
        `(r.recorded_by = @owner OR r.patient_id IN (SELECT id FROM patients WHERE created_by = @owner
           UNION SELECT patient_id FROM access_grants WHERE user_id = @owner AND expires_at > @ownerNow))`,
      );
      args['owner'] = f.ownedBy;
      args['ownerNow'] = new Date().toISOString();
    }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM recordings r ${w}`).get(args) as { n: number }).n;
    // Page the ids on the recordings table alone (an index walk), then join only that page:
    // OFFSET would otherwise join every skipped row.
    const rows = this.db
      .prepare(
        `${SELECT} WHERE r.id IN (SELECT r.id FROM recordings r ${w} ORDER BY r.recorded_at DESC, r.id DESC LIMIT @limit OFFSET @offset)
         ORDER BY r.recorded_at DESC, r.id DESC`,
      )
      .all({ ...args, limit, offset }) as RecordingListRow[];
    return { items: rows.map(toSummary), total };
  }

  /**
   * Unsigned recordings by priority: an abnormal screen first, then uncertain, then the rest; oldest
   * first within each (first in, first reviewed). `screen` keeps one screen result only.
   */
  reviewQueue(
    limit: number,
    offset: number,
    screen?: ReviewScreenFilter,
  ): { items: RecordingSummaryRecord[]; total: number } {
    const where = screen ? `AND ${SCREEN_FILTER_SQL[screen]}` : '';
    const total = screen
      ? (
          this.db.prepare(`SELECT count(*) AS n FROM recordings r WHERE r.signed_at IS NULL ${where}`).get() as {
            n: number;
          }
        ).n
      : (this.db.prepare("SELECT value AS n FROM counters WHERE name = 'unsigned_recordings'").get() as { n: number })
          .n;
    // The page's ids in priority order from the recordings table alone, then only that page joined.
    const ids = (
      this.db
        .prepare(
          `SELECT r.id FROM recordings r WHERE r.signed_at IS NULL ${where}
           ORDER BY ${PRIORITY_SQL}, r.recorded_at, r.id LIMIT ? OFFSET ?`,
        )
        .all(limit, offset) as { id: number }[]
    ).map((r) => r.id);
    if (ids.length === 0) return { items: [], total };
    // one placeholder per id (a page is at most a few hundred): the same SQL on both engines
    const byId = new Map(
      (
        this.db.prepare(`${SELECT} WHERE r.id IN (${ids.map(() => '?').join(', ')})`).all(...ids) as RecordingListRow[]
      ).map((r) => [r.id, r]),
    );
    const rows = ids.map((id) => byId.get(id)).filter((r): r is RecordingListRow => r !== undefined);
    return { items: rows.map(toSummary), total };
  }

  findings(recordingId: number): FindingRecord[] {
    const rows = this.db
      .prepare(
        `SELECT f.*, u.username FROM findings f JOIN users u ON u.id = f.author_id WHERE f.recording_id = ? ORDER BY f.created_at, f.id`,
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

  /** Add a finding; after sign-off it is recorded as an amendment (the only change a signed recording takes). */
  addFinding(f: {
    recordingId: number;
    authorId: number;
    authorRole: string;
    text: string;
    label: string | null;
  }): FindingRecord {
    const isAmendment = this.signoff(f.recordingId) !== null;
    try {
      const id = Number(
        this.db
          .prepare(
            'INSERT INTO findings (recording_id, author_id, author_role, text, label, created_at, is_amendment) VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .run(f.recordingId, f.authorId, f.authorRole, f.text, f.label, new Date().toISOString(), isAmendment ? 1 : 0)
          .lastInsertRowid,
      );
      return this.findings(f.recordingId).find((x) => x.id === id)!;
    } catch (err) {
      throw translateSqliteError(err);
    }
  }

  /** Every verdict on the detected sounds of this recording, oldest first (the last per event counts). */
  soundVerdicts(recordingId: number): SoundVerdictRecord[] {
    const rows = this.db
      .prepare(
        `SELECT v.*, u.username FROM sound_verdicts v JOIN users u ON u.id = v.author_id
          WHERE v.recording_id = ? ORDER BY v.id`,
      )
      .all(recordingId) as SoundVerdictReadRow[];
    return rows.map((r) => ({
      id: r.id,
      recordingId: r.recording_id,
      analysisId: r.analysis_id,
      soundType: r.sound_type,
      eventIndex: r.event_index,
      startSec: r.start_sec,
      endSec: r.end_sec,
      verdict: r.verdict,
      author: r.username,
      createdAt: r.created_at,
      isAmendment: r.is_amendment === 1,
    }));
  }

  /** Record a verdict on one detected sound; after sign-off it is an amendment. */
  addSoundVerdict(v: {
    recordingId: number;
    analysisId: number;
    soundType: string;
    eventIndex: number;
    startSec: number;
    endSec: number;
    verdict: string;
    authorId: number;
  }): SoundVerdictRecord {
    const isAmendment = this.signoff(v.recordingId) !== null;
    try {
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO sound_verdicts (recording_id, analysis_id, sound_type, event_index, start_sec, end_sec, verdict, author_id, created_at, is_amendment)
             VALUES (@recordingId, @analysisId, @soundType, @eventIndex, @startSec, @endSec, @verdict, @authorId, @createdAt, @isAmendment)`,
          )
          .run({ ...v, createdAt: new Date().toISOString(), isAmendment: isAmendment ? 1 : 0 }).lastInsertRowid,
      );
      return this.soundVerdicts(v.recordingId).find((x) => x.id === id)!;
    } catch (err) {
      throw translateSqliteError(err);
    }
  }

  signoff(recordingId: number): SignOffRecord | null {
    const r = this.db
      .prepare('SELECT s.*, u.username FROM signoffs s JOIN users u ON u.id = s.signed_by WHERE s.recording_id = ?')
      .get(recordingId) as SignoffReadRow | undefined;
    return r
      ? {
          recordingId: r.recording_id,
          signedBy: r.username,
          signedAt: r.signed_at,
          label: r.label,
          statement: r.statement,
          meaning: r.meaning ?? null,
          signerName: r.signer_name ?? null,
          signerRole: r.signer_role ?? null,
        }
      : null;
  }

  sign(s: {
    recordingId: number;
    userId: number;
    label: string;
    statement: string;
    meaning?: string;
    signerName?: string;
    signerRole?: string;
    at?: string;
  }): SignOffRecord {
    if (this.signoff(s.recordingId))
      throw new StoreError('SIGNED', `Recording ${s.recordingId} is already signed; add an amendment instead.`);
    const at = s.at ?? new Date().toISOString();
    try {
      if (s.meaning !== undefined)
        this.db
          .prepare(
            'INSERT INTO signoffs (recording_id, signed_by, signed_at, label, statement, meaning, signer_name, signer_role) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            s.recordingId,
            s.userId,
            at,
            s.label,
            s.statement,
            s.meaning,
            s.signerName ?? null,
            s.signerRole ?? null,
          );
      else
        this.db
          .prepare('INSERT INTO signoffs (recording_id, signed_by, signed_at, label, statement) VALUES (?, ?, ?, ?, ?)')
          .run(s.recordingId, s.userId, at, s.label, s.statement);
      this.db
        .prepare('UPDATE recordings SET signed_at = ?, signed_by = ? WHERE id = ?')
        .run(at, s.userId, s.recordingId);
    } catch (err) {
      throw translateSqliteError(err);
    }
    return this.signoff(s.recordingId)!;
  }
}
