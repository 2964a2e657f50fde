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
 * libsamplerate's 'fastest' sinc (97 dB SNR, 80 % bandwidth: flat to 6.4 kHz at 16 kHz) for the
 * live view: in this JavaScript build 'best' alone costs several % of a core at 48 kHz and
 * 'medium' about twice 'fastest' (bench/capture.ts), against a 5 % budget for the whole live
 * pipeline. The live frames and probabilities are a display (the head sees 2 kHz anyway); the
 * stored analysis runs on the saved WAV through the engine's own best-quality resampling, so it
 * equals `auscult analyze`.
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
