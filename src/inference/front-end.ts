/**
 * The inference room's view of src/audio and src/features: resampling, band-limiting, signal
 * quality, WAV reading, and YAMNet patches streamed from log-mel frames.
 *
 * Patches overlap by half, so materialising all of them doubles the frame data; instead a
 * PatchSource copies each 96×64 patch (a contiguous run of frames) into YAMNet's batch buffer on
 * demand, computing the frames it needs first (so they are computed while YAMNet runs the batch before). Same patches as features' framesToPatches (test/inference/front-end.test.ts).
 */
import { readAudio } from '../audio/audio-read.js';
import type { DecodedAudio } from '../audio/wav-read.js';
import { resample, type ResampleQuality } from '../audio/resample.js';

export type { ResampleQuality } from '../audio/resample.js';
import { bandLimit } from '../audio/band-limit.js';
import { assessQuality } from '../audio/quality.js';
import type { QualityReport } from '../audio/quality-types.js';
import { LazyLogMelFrames } from '../features/log-mel.js';
import { patchCount, patchesFromWaveform } from '../features/patches.js';
import {
  HOP,
  MEL_BANDS,
  PATCH_FRAMES,
  PATCH_HOP_FRAMES,
  PATCH_SAMPLES,
  SAMPLE_RATE,
} from '../features/yamnet-params.js';
import type { PatchSource } from './yamnet-session.js';

export const TARGET_RATE = SAMPLE_RATE;

export function resampleTo16k(samples: Float32Array, rate: number, quality?: ResampleQuality): Promise<Float32Array> {
  return rate === TARGET_RATE ? Promise.resolve(samples) : resample(samples, rate, TARGET_RATE, quality);
}

export function bandLimitTo(samples: Float32Array, rate: number, cutoffHz: number): Promise<Float32Array> {
  return bandLimit(samples, rate, cutoffHz);
}

/**
 * 16 kHz audio band-limited to `bandwidthHz` in one pass (the heads' input, where the full-band
 * 16 kHz audio is not needed too): cheaper than resampleTo16k then bandLimitTo (bench/analysis.ts).
 * A source with nothing above the bandwidth (a 4 kHz file for a 2 kHz head) is only resampled.
 */
export function resampleTo16kBandLimited(
  samples: Float32Array,
  rate: number,
  bandwidthHz: number,
): Promise<Float32Array> {
  if (!(rate / 2 > bandwidthHz)) return resampleTo16k(samples, rate);
  return resample(samples, rate, TARGET_RATE, 'polyphase', { bandLimitHz: bandwidthHz });
}

export function assessSignalQuality(samples: Float32Array, rate: number): QualityReport {
  return assessQuality(samples, rate);
}

/** A WAV or FLAC recording (by content), mono float32. */
export function readAudioFile(path: string): Promise<DecodedAudio> {
  return readAudio(path);
}

/** YAMNet patches of 16 kHz audio, read on demand from its log-mel frames; start times in seconds. */
export function patchSource16k(samples16k: Float32Array): { source: PatchSource; startsSec: number[] } {
  const size = PATCH_FRAMES * MEL_BANDS;
  if (samples16k.length < PATCH_SAMPLES) {
    // shorter than one patch: features zero-pads it to exactly one
    const p = patchesFromWaveform(samples16k);
    return {
      source: { count: p.count, copyPatch: (i, dest) => dest.set(p.data.subarray(i * size, (i + 1) * size)) },
      startsSec: [0],
    };
  }
  // frames on demand: YamnetSession.run fills batch k+1 (computing its frames) while batch k runs
  const frames = new LazyLogMelFrames(samples16k);
  const count = patchCount(frames.frames);
  const startsSec = Array.from({ length: count }, (_, i) => (i * PATCH_HOP_FRAMES * HOP) / SAMPLE_RATE);
  return {
    source: {
      count,
      copyPatch: (i, dest) => {
        frames.ensure(i * PATCH_HOP_FRAMES + PATCH_FRAMES);
        const start = i * PATCH_HOP_FRAMES * MEL_BANDS;
        dest.set(frames.data.subarray(start, start + size));
      },
    },
    startsSec,
  };
}
