/**
 * The real parts of the live pipeline: the polyphase resampler (src/audio), the streaming YAMNet log-mel
 * front end (src/features, frames equal the batch front end's bit for bit) and the running
 * quality tracker (src/audio, the same thresholds as the recording-level report).
 */
import { StreamingResampler, type ResampleMethod } from '../audio/resample.js';
import { QualityTracker } from '../audio/quality.js';
import { StreamingLogMel } from '../features/streaming-log-mel.js';
import type { PipelineParts } from './pipeline-types.js';

/**
 * The same resampler as whole-recording analysis (polyphase: flat to 7.5 kHz, ≥ 125 dB alias
 * rejection), so the live frames equal the batch front end's on the same audio. At 48 kHz it costs
 * well under 1 % of a core (bench/capture.ts). The stored analysis runs on the saved WAV through the
 * engine, so it equals `auscult analyze` whatever this is.
 */
export const LIVE_RESAMPLE_QUALITY: ResampleMethod = 'polyphase';

export function pipelineParts(method: ResampleMethod = LIVE_RESAMPLE_QUALITY): PipelineParts {
  return {
    createResampler: (from, to) => StreamingResampler.create(from, to, method),
    createFrontEnd: () => new StreamingLogMel(),
    createQualityMeter: (rate) => new QualityTracker(rate),
  };
}

export const realPipelineParts: PipelineParts = pipelineParts();
