/** Errors the store raises with a code the service maps onto its API errors. */
import { CodedError } from '../common/coded-error.js';
export type StoreErrorCode =
  | 'SCHEMA_TOO_NEW'
  | 'MIGRATION_FAILED'
  | 'CONFLICT'
  | 'SIGNED'
  | 'NOT_FOUND'
  | 'CORRUPT'
  | 'EMPTY'
  | 'NOT_AUSCULT'
  | 'UNREADABLE'
  /** The signing folder is missing, unreadable, or holds another key than the history's. */
  | 'SIGNING_KEY'
  /** The database is behind (or beside) its latest signed checkpoint: truncated or rolled back. */
  | 'ROLLED_BACK'
  /** The site database cannot be reached now (server stopped, network down); try again later. */
  | 'UNREACHABLE';

export class StoreError extends CodedError<'store', StoreErrorCode> {
  constructor(code: StoreErrorCode, message: string) {
    super('store', code, message);
  }
}

/** SQLite's error for a trigger-raised ABORT on a signed recording, as a typed StoreError. */
export function translateSqliteError(err: unknown): unknown {
  if (err instanceof Error && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (code === 'SQLITE_CONSTRAINT_TRIGGER' && /signed|sign-off/.test(err.message))
      return new StoreError('SIGNED', err.message);
    if (code === 'SQLITE_CONSTRAINT_UNIQUE') return new StoreError('CONFLICT', err.message);
  }
  return err;
}
