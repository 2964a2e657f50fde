import type { ApiErrorBody, ApiErrorCode } from '../../../src/service/api';

/** A failed call as the UI sees it: the service's code and its actionable message. */
export class ApiCallError extends Error {
  constructor(
    readonly code: ApiErrorCode | 'UNAVAILABLE',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
  static fromBody(body: ApiErrorBody): ApiCallError {
    return new ApiCallError(body.code, body.message, body.details);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiCallError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
