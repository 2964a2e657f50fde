/**
 * The real parts of the live pipeline (TEMPORARY placeholder until src/audio's StreamingResampler
 * and QualityTracker and src/features' StreamingLogMel are committed).
 */
import type { PipelineParts } from './pipeline-types.js';
import { CaptureError } from './errors.js';

function pending(): never {
  throw new CaptureError('BACKEND_UNAVAILABLE', 'live capture needs src/audio and src/features, which are not in this build yet');
}

export const realPipelineParts: PipelineParts = {
  createResampler: async () => pending(),
  createFrontEnd: () => pending(),
  createQualityMeter: () => pending(),
};
