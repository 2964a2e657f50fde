/** Typed errors of train-head: each message says what to fix. */
import { CodedError } from '../../common/coded-error.js';
export type TrainingErrorCode =
  'DATA_MISSING' | 'DATA_INVALID' | 'TOO_FEW_PATIENTS' | 'ENGINE_UNAVAILABLE' | 'BAD_OPTION';

export class TrainingError extends CodedError<'training', TrainingErrorCode> {
  constructor(code: TrainingErrorCode, message: string) {
    super('training', code, message);
  }
}
