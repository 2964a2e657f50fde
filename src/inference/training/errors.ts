/** Typed errors of train-head: each message says what to fix. */
export type TrainingErrorCode =
  'DATA_MISSING' | 'DATA_INVALID' | 'TOO_FEW_PATIENTS' | 'ENGINE_UNAVAILABLE' | 'BAD_OPTION';

export class TrainingError extends Error {
  constructor(
    readonly code: TrainingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TrainingError';
  }
}
