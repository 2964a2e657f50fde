/**
 * The one error type the service throws. Transports turn it into `ApiErrorBody` on the wire;
 * anything else that escapes a handler becomes INTERNAL (its message is not leaked verbatim).
 */
import type { ApiErrorBody, ApiErrorCode } from './api.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  toBody(): ApiErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Any thrown value as a wire error body. Unknown errors are INTERNAL with a generic message. */
export function toErrorBody(err: unknown): ApiErrorBody {
  if (err instanceof ApiError) return err.toBody();
  return {
    code: 'INTERNAL',
    message:
      'The workstation hit an unexpected error; nothing was changed. Try again, and tell your administrator if it repeats.',
    details: { error: err instanceof Error ? err.message : String(err) },
  };
}

export function notFound(what: string, id: number | string): ApiError {
  return new ApiError('NOT_FOUND', `${what} ${id} does not exist (or you may not see it).`);
}
