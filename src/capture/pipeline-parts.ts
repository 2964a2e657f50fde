/**
 * The real parts of the live pipeline: libsamplerate (src/audio), the streaming YAMNet log-mel
 * front end (src/features, frames equal the batch front end's bit for bit) and the running
 * quality tracker (src/audio, the same thresholds as the recording-level report).
 */
import { StreamingResampler, type ResampleQuality } from '../audio/resample.js';
import { QualityTracker } from '../audio/quality.js';
import { StreamingLogMel } from '../features/streaming-log-mel.js';
import type { PipelineParts } from './pipeline-types.js';

/**
 * libsamplerate's 'medium' sinc for the live view: 'best' alone costs about 5 % of a core at
 * 48 kHz in this JavaScript build (bench/capture.ts), over the whole live budget. The live
 * frames and probabilities are a display; the stored analysis runs on the saved WAV through
 * the engine's own (best-quality) resampling, so it equals `auscult analyze`.
 */
export const LIVE_RESAMPLE_QUALITY: ResampleQuality = 'medium';

export function pipelineParts(quality: ResampleQuality = LIVE_RESAMPLE_QUALITY): PipelineParts {
  return {
    createResampler: (from, to) => StreamingResampler.create(from, to, quality),
    createFrontEnd: () => new StreamingLogMel(),
    createQualityMeter: (rate) => new QualityTracker(rate),
  };
}

export const realPipelineParts: PipelineParts = pipelineParts();
