/**
 * The export room's one error type. The service maps `code` onto its API error codes
 * (DESTINATION/FILE_EXISTS → STORAGE, CANCELLED → CONFLICT, INVALID → INVALID_INPUT, ...).
 */
import { CodedError } from '../common/coded-error.js';
export type ExportErrorCode =
  | 'DESTINATION' // the chosen folder is missing, not a folder or not writable
  | 'FILE_EXISTS' // the final name is taken: we never overwrite a user's file
  | 'CANCELLED' // the user cancelled; temp files were removed
  | 'INVALID' // input the writer cannot turn into a valid file
  | 'VERIFY' // an export folder failed verification
  | 'NOT_FOUND'; // a file or export that is not there

export class ExportError extends CodedError<'export', ExportErrorCode> {
  constructor(code: ExportErrorCode, message: string) {
    super('export', code, message);
  }
}

/** Thrown from inside a writer loop when its AbortSignal fired. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new ExportError('CANCELLED', 'The export was cancelled; no file was left under its final name.');
}
