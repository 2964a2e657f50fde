/**
 * Whole rows of the clinical tables as either engine returns them (snake_case column names),
 * declared once for code that copies or compares rows column by column (site-migrate.ts). A
 * query that reads part of a table names its columns with `Pick<…>` of these rather than
 * restating them. The audit log's row is `AuditRow` in audit-log.ts.
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

export interface AccessGrantRow {
  id: number;
  user_id: number;
  patient_id: number;
  reason: string;
  granted_at: string;
  expires_at: string;
}

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
