/**
 * The full-recording spectrogram for review: YAMNet log-mel frames (64 bands, 10 ms hop) of the
 * recording resampled to 16 kHz, the same front end the model and the live view use.
 */
import type { SpectrogramData } from './api.js';
import { resample } from '../audio/resample.js';
import { logMelFrames } from '../features/log-mel.js';
import { hzToMel, melBandEdgesHz, melToHz } from '../features/mel-filterbank.js';
import type { DecodedWav } from './wav-source.js';

export async function spectrogramOf(audio: DecodedWav): Promise<SpectrogramData> {
  const s16 = audio.sampleRate === 16000 ? audio.samples : await resample(audio.samples, audio.sampleRate, 16000);
  const { data, frames } = logMelFrames(s16);
  // Little-endian float32 on the wire (every platform Auscult runs on is little-endian).
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { framesBase64: bytes.toString('base64'), frames, bands: 64, hopSec: 0.01, bandEdgesHz: displayBandEdgesHz() };
}

/**
 * 65 edges for drawing 64 bands side by side. The filterbank's 66 edges describe overlapping
 * triangles (band i: lower [i], centre [i+1], upper [i+2]); for an axis each band gets the span
 * halfway (in mel) to its neighbours' centres, so its centre frequency sits in the middle.
 */
export function displayBandEdgesHz(): number[] {
  const mel = melBandEdgesHz().map(hzToMel);
  return Array.from({ length: mel.length - 1 }, (_, j) => melToHz((mel[j]! + mel[j + 1]!) / 2));
}
