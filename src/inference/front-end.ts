/**
 * The inference room's view of src/audio and src/features: resampling, band-limiting, signal
 * quality and YAMNet patches streamed from log-mel frames (TEMPORARY until those rooms land).
 */
import type { QualityReport } from '../audio/quality-types.js';
import type { PatchSource } from './yamnet-session.js';

export const TARGET_RATE = 16000;

function pending(): never {
  throw new Error('src/audio and src/features are not committed yet');
}

export async function resampleTo16k(_samples: Float32Array, _rate: number): Promise<Float32Array> {
  return pending();
}
export async function bandLimitTo(_samples: Float32Array, _rate: number, _cutoffHz: number): Promise<Float32Array> {
  return pending();
}
export function assessSignalQuality(_samples: Float32Array, _rate: number): QualityReport {
  return pending();
}
export function patchSource16k(_samples16k: Float32Array): { source: PatchSource; startsSec: number[] } {
  return pending();
}

export async function readAudioFile(_path: string): Promise<{ samples: Float32Array; sampleRate: number; durationSec: number }> {
  return pending();
}
