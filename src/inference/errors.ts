/** Typed errors of the inference room: each says what to do next. */

import { CodedError } from '../common/coded-error.js';

export type ModelErrorCode =
  | 'MODEL_MISSING'
  | 'MODEL_CORRUPT'
  | 'MODEL_SOURCE_MISSING'
  | 'MODEL_SOURCE_INVALID'
  | 'MODEL_SELF_TEST_FAILED'
  | 'HEAD_MISSING'
  | 'HEAD_INVALID'
  | 'SOUNDS_MISSING'
  | 'SOUNDS_INVALID'
  | 'GATE_MISSING'
  | 'GATE_INVALID';

export class ModelError extends CodedError<'model', ModelErrorCode> {
  constructor(code: ModelErrorCode, message: string) {
    super('model', code, message);
  }
}

/** The one line that tells an admin how to provide YAMNet (used by `auscult models` and errors). */
export const HOW_TO_PROVIDE_YAMNET =
  'provide YAMNet with `npx auscult models --source <folder with yamnet.tflite and yamnet_class_map.csv>` ' +
  '(or set AUSCULT_MODEL_SOURCE to that folder, or AUSCULT_MODEL_URL to a YAMNet .tflite address)';

export type AnalysisErrorCode = 'AUDIO_EMPTY' | 'AUDIO_INVALID';

export class AnalysisError extends CodedError<'analysis', AnalysisErrorCode> {
  constructor(code: AnalysisErrorCode, message: string) {
    super('analysis', code, message);
  }
}
