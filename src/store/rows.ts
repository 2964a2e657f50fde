/**
 * Whole rows of the clinical tables as either engine returns them (snake_case column names),
 * declared once for code that copies or compares rows column by column (site-migrate.ts). A
 * query that reads part of a table names its columns with `Pick<…>` of these rather than
 * restating them; the rows the repositories' joins return are declared below, from these. The
 * audit log's row is `AuditRow` in audit-log.ts.
 */

export interface UserRow {
  id: number;
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  active: number;
  created_at: string;
  updated_at: string;
  credential_epoch: number;
}

export interface PatientRow {
  id: number;
  mrn: string;
  given_name: string;
  family_name: string;
  birth_date: string | null;
  sex: string;
  notes: string;
  created_by: number | null;
  created_at: string;
  updated_at: string;
  /** Search keys (search-normalize.ts), kept with the names they fold. */
  mrn_norm: string;
  family_norm: string;
  given_norm: string;
}

export interface RecordingRow {
  id: number;
  patient_id: number;
  site: string;
  device_name: string;
  sample_rate: number;
  duration_sec: number;
  file_name: string;
  wav_sha256: string;
  status: string;
  recorded_by: number;
  recorded_at: string;
  created_at: string;
  /** The current analysis's headline, denormalised (the analysis itself is in analyses). */
  quality: string | null;
  top_class: string | null;
  p_abnormal: number | null;
  analysis_status: string | null;
  signed_at: string | null;
  signed_by: number | null;
  /** Kept by a trigger on analyses (SQLite 9, PG 3): never written by the application. */
  review_priority: number;
}

export interface SignoffRow {
  recording_id: number;
  signed_by: number;
  signed_at: string;
  label: string;
  statement: string;
  /** The electronic signature's meaning, printed name and role (null: signed before schema 4). */
  meaning: string | null;
  signer_name: string | null;
  signer_role: string | null;
}

export interface FindingRow {
  id: number;
  recording_id: number;
  author_id: number;
  author_role: string;
  text: string;
  label: string | null;
  created_at: string;
  is_amendment: number;
}

export interface SoundVerdictRow {
  id: number;
  recording_id: number;
  analysis_id: number;
  sound_type: string;
  event_index: number;
  start_sec: number;
  end_sec: number;
  verdict: string;
  author_id: number;
  created_at: string;
  is_amendment: number;
}

export interface AccessGrantRow {
  id: number;
  user_id: number;
  patient_id: number;
  reason: string;
  granted_at: string;
  expires_at: string;
}

// ---- The rows the repositories' queries return (joins and computed columns over the rows above)

/** users.ts: `SELECT * FROM users`; a file before SQLite schema 4 has no credential_epoch. */
export type UserReadRow = Omit<UserRow, 'credential_epoch'> & Partial<Pick<UserRow, 'credential_epoch'>>;

/** patients.ts: a patient, with its recordings' count and latest time when listed or searched. */
export type PatientListRow = PatientRow & {
  recording_count?: number;
  last_recorded_at?: string | null;
  /** PostgreSQL's search page: how many patients matched (a window over the matches). */
  search_total?: number;
};

/** recordings.ts: a recording with its patient's names, recorder and signer, and its current analysis's engine and screen. */
export type RecordingListRow = Pick<
  RecordingRow,
  | 'id'
  | 'patient_id'
  | 'site'
  | 'device_name'
  | 'sample_rate'
  | 'duration_sec'
  | 'file_name'
  | 'wav_sha256'
  | 'status'
  | 'recorded_at'
  | 'quality'
  | 'top_class'
  | 'p_abnormal'
  | 'analysis_status'
  | 'signed_at'
> &
  Pick<PatientRow, 'given_name' | 'family_name'> & {
    /** Only when read by id (Recordings.get): the newest analysis. */
    analysis_id?: number | null;
    analysis_engine: string | null;
    screen_label: string | null;
    patient_mrn: string;
    recorded_by_name: string;
    signed_by_name: string | null;
  };

/**
 * recordings.ts: a recording, whether it is signed, and its newest analysis's models (all null
 * when it has none; the JSON-read ones also when the result JSON is damaged).
 */
export type ReanalysisRow = Pick<RecordingRow, 'id' | 'file_name' | 'wav_sha256'> & {
  signed: number;
  engine_version: string | null;
  head_name: string | null;
  head_version: string | null;
  status: string | null;
  /** `$.models` and `$.sounds.model` of the result JSON: an object's JSON text, or a scalar as the engine gives it. */
  models_json: unknown;
  sounds_model_json: unknown;
};

/** record-seals.ts: the recording columns a seal covers. */
export type SealedRecordingRow = Pick<
  RecordingRow,
  | 'id'
  | 'patient_id'
  | 'site'
  | 'device_name'
  | 'sample_rate'
  | 'duration_sec'
  | 'file_name'
  | 'wav_sha256'
  | 'status'
  | 'recorded_at'
  | 'recorded_by'
>;

/** A sign-off with its signer's username; the signature columns are missing before SQLite schema 4. */
export type SignoffReadRow = Omit<SignoffRow, 'meaning' | 'signer_name' | 'signer_role'> &
  Partial<Pick<SignoffRow, 'meaning' | 'signer_name' | 'signer_role'>> & { username: string };

/** record-seals.ts: a sign-off with its signer's username and the recording row's signature time. */
export type SealSignoffRow = SignoffRow & { username: string; rec_signed_at: string | null };

/** A finding with its author's username (recordings.ts, export-queries.ts). */
export type FindingReadRow = Omit<FindingRow, 'author_id'> & { username: string };

/** A verdict on a detected sound with its author's username. */
export type SoundVerdictReadRow = Omit<SoundVerdictRow, 'author_id'> & { username: string };

/** The names in a column list written as SQL (`'a, b, c'`), as a union. */
export type ColumnNames<S extends string> = S extends `${infer H}, ${infer T}` ? H | ColumnNames<T> : S;

/**
 * A column list of rows R, written as SQL, returned as given; it does not compile when a name is
 * not one of R's columns, so a misspelt column is caught before a query runs.
 */
export const columnsOf =
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the rows; S is inferred
  <R>() =>
    <S extends string>(list: S & ([ColumnNames<S>] extends [keyof R] ? unknown : never)): S =>
      list;
