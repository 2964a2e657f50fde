/** Reference computations for the capture tests: the batch front end on a whole recording. */
import { resample } from '../../src/audio/resample.js';
import { logMelFrames, type LogMelFrames } from '../../src/features/log-mel.js';
import { LIVE_RESAMPLE_QUALITY } from '../../src/capture/pipeline-parts.js';

/** The batch YAMNet front end on 16-bit audio at `rate`: one-shot resample, then logMelFrames. */
export async function batchLogMel(pcm: Int16Array, rate: number): Promise<LogMelFrames> {
  const f = Float32Array.from(pcm, (v) => v / 32768);
  return logMelFrames(await resample(f, rate, 16000, LIVE_RESAMPLE_QUALITY));
}
