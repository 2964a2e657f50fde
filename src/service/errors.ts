/**
 * The one error type the service throws, and the one table that turns every room's typed error
 * into it. Transports turn an ApiError into `ApiErrorBody` on the wire; anything else that
 * escapes a handler becomes INTERNAL (its message is not leaked verbatim).
 */
import type { ApiErrorBody, ApiErrorCode } from './api.js';
import { CodedError } from '../common/coded-error.js';
import type { AudioFileError } from '../audio/audio-file-error.js';
import type { WavFileError } from '../audio/wav-stream-writer.js';
import type { SealedFileError } from '../audio/sealed-file.js';
import type { CaptureError } from '../capture/errors.js';
import type { ExportError } from '../export/errors.js';
import type { AnalysisError, ModelError } from '../inference/errors.js';
import type { StoreError } from '../store/errors.js';

export class ApiError extends CodedError<'api', ApiErrorCode> {
  constructor(
    code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super('api', code, message);
  }

  toBody(): ApiErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** The rooms' errors a command can meet. */
type RoomError =
  | StoreError
  | CaptureError
  | ExportError
  | AudioFileError
  | WavFileError
  | SealedFileError
  | ModelError
  | AnalysisError;
/** An API code, or an API code with the message people should see instead of the room's. */
type Mapping = ApiErrorCode | { code: ApiErrorCode; message: string };

/** Every (domain, code) → API error. Exhaustive: a new code in a room is a compile error here. */
const API_ERRORS: { [E in RoomError as E['domain']]: Record<E['code'], Mapping> } = {
  store: {
    SIGNED: { code: 'SIGNED', message: 'This recording is signed and cannot be altered; add an amendment instead.' },
    CONFLICT: 'CONFLICT',
    NOT_FOUND: 'NOT_FOUND',
    SCHEMA_TOO_NEW: 'STORAGE',
    MIGRATION_FAILED: 'STORAGE',
    CORRUPT: 'STORAGE',
    EMPTY: 'STORAGE',
    NOT_AUSCULT: 'STORAGE',
    UNREADABLE: 'STORAGE',
    SIGNING_KEY: 'STORAGE',
    ROLLED_BACK: 'STORAGE',
    UNREACHABLE: 'STORAGE',
  },
  capture: {
    DEVICE_MISSING: 'DEVICE',
    DEVICE_BUSY: 'DEVICE',
    DEVICE_OPEN_FAILED: 'DEVICE',
    DEVICE_LOST: 'DEVICE',
    DEVICE_STALLED: 'DEVICE',
    BACKEND_UNAVAILABLE: 'DEVICE',
    STORAGE: 'STORAGE',
    STATE: 'CONFLICT',
  },
  export: {
    INVALID: 'INVALID_INPUT',
    NOT_FOUND: 'NOT_FOUND',
    CANCELLED: 'CONFLICT',
    DESTINATION: 'STORAGE',
    FILE_EXISTS: 'STORAGE',
    VERIFY: 'STORAGE',
  },
  'audio-file': {
    EMPTY: 'AUDIO',
    NOT_WAV: 'AUDIO',
    TRUNCATED: 'AUDIO',
    UNSUPPORTED: 'AUDIO',
    TOO_LARGE: 'AUDIO',
    CORRUPT: 'AUDIO',
    NOT_FOUND: 'AUDIO',
  },
  'wav-file': { WAV_INVALID: 'AUDIO', WAV_IO: 'STORAGE', WAV_DISK_FULL: 'STORAGE' },
  'sealed-file': {
    SEALED_KEY: 'STORAGE',
    SEALED_CORRUPT: 'STORAGE',
    SEALED_UNFINISHED: 'STORAGE',
    SEALED_IO: 'STORAGE',
  },
  model: {
    MODEL_MISSING: 'MODEL',
    MODEL_CORRUPT: 'MODEL',
    MODEL_SOURCE_MISSING: 'MODEL',
    MODEL_SOURCE_INVALID: 'MODEL',
    MODEL_SELF_TEST_FAILED: 'MODEL',
    HEAD_MISSING: 'MODEL',
    HEAD_INVALID: 'MODEL',
    SOUNDS_MISSING: 'MODEL',
    SOUNDS_INVALID: 'MODEL',
    GATE_MISSING: 'MODEL',
    GATE_INVALID: 'MODEL',
  },
  analysis: { AUDIO_EMPTY: 'AUDIO', AUDIO_INVALID: 'AUDIO' },
};

const INTERNAL_MESSAGE =
  'The workstation hit an unexpected error; nothing was changed. Try again, and tell your administrator if it repeats.';

/** The API error for a room's typed error, or null when it is not one the table knows. */
function fromRoomError(err: { domain: string; code: string; message: string }): ApiError | null {
  const table: Partial<Record<string, Mapping>> | undefined = (
    API_ERRORS as Partial<Record<string, Partial<Record<string, Mapping>>>>
  )[err.domain];
  const m = table?.[err.code];
  if (m === undefined) return null;
  const details = { domain: err.domain, code: err.code };
  return typeof m === 'string' ? new ApiError(m, err.message, details) : new ApiError(m.code, m.message, details);
}

/** Anything a command threw, as the ApiError the caller sees. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof CodedError) {
    const mapped = fromRoomError(err as CodedError);
    if (mapped) return mapped;
  }
  const code = err instanceof Error && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new ApiError('BUSY', 'The database is busy with another task; nothing was changed. Try again in a moment.');
  }
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') {
    return new ApiError('STORAGE', 'The disk is full; nothing was changed. Free some space and try again.');
  }
  console.error('auscult: unexpected error in a command:', err);
  return new ApiError('INTERNAL', INTERNAL_MESSAGE, { error: err instanceof Error ? err.message : String(err) });
}

/** Any thrown value as a wire error body. Unknown errors are INTERNAL with a generic message. */
export function toErrorBody(err: unknown): ApiErrorBody {
  if (err instanceof ApiError) return err.toBody();
  return {
    code: 'INTERNAL',
    message: INTERNAL_MESSAGE,
    details: { error: err instanceof Error ? err.message : String(err) },
  };
}

export function notFound(what: string, id: number | string): ApiError {
  return new ApiError('NOT_FOUND', `${what} ${id} does not exist (or you may not see it).`);
}
