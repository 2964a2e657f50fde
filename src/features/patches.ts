/**
 * YAMNet patches: 96 log-mel frames (0.96 s) taken every 48 frames (0.48 s), no padding at the end.
 * A recording shorter than one patch (15 600 samples) is zero-padded to exactly one patch, as
 * ARCHITECTURE.md states. (YAMNet's own pad_waveform additionally pads the tail of longer recordings up
 * to a whole patch hop; we do not, so a trailing part shorter than one hop gets no patch of its own.)
 */
import { logMelFrames, type LogMelFrames } from './log-mel.js';
import { MEL_BANDS, PATCH_FRAMES, PATCH_HOP_FRAMES, PATCH_SAMPLES } from './yamnet-params.js';

export interface Patches {
  /** count × 96 × 64, row-major (patch, frame, band): the [N, 96, 64] input of the YAMNet model. */
  data: Float32Array;
  count: number;
  /** First frame of each patch (patch i starts at i × 48 frames = i × 0.48 s). */
  startFrames: number[];
}

/** Number of whole patches in a number of frames. */
export function patchCount(frames: number): number {
  return frames < PATCH_FRAMES ? 0 : Math.floor((frames - PATCH_FRAMES) / PATCH_HOP_FRAMES) + 1;
}

export function framesToPatches(frames: LogMelFrames): Patches {
  const count = patchCount(frames.frames);
  const size = PATCH_FRAMES * MEL_BANDS;
  const data = new Float32Array(count * size);
  const startFrames: number[] = [];
  for (let p = 0; p < count; p++) {
    const start = p * PATCH_HOP_FRAMES;
    startFrames.push(start);
    data.set(frames.data.subarray(start * MEL_BANDS, start * MEL_BANDS + size), p * size);
  }
  return { data, count, startFrames };
}

/** Patches of a 16 kHz waveform; shorter than one patch (incl. empty) is zero-padded to one patch. */
export function patchesFromWaveform(samples16k: Float32Array): Patches {
  let wave = samples16k;
  if (wave.length < PATCH_SAMPLES) {
    wave = new Float32Array(PATCH_SAMPLES);
    wave.set(samples16k);
  }
  return framesToPatches(logMelFrames(wave));
}
