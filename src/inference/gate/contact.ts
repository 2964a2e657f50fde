/**
 * Contact per patch: the level of the patch's 16 kHz samples with their mean removed (as
 * src/audio/quality.ts does for its blocks: cheap front ends and normalised files carry DC).
 * A patch below the gate file's level is 'no-contact' (the chest piece is off the skin, or
 * nothing is connected).
 */
import { PATCH_SAMPLES } from '../../features/yamnet-params.js';

export function patchLevelsDbfs(samples16k: Float32Array, startsSec: readonly number[], rate: number): Float64Array {
  return Float64Array.from(startsSec, (s) => {
    const a = Math.round(s * rate);
    const b = Math.min(samples16k.length, a + PATCH_SAMPLES);
    if (b <= a) return -120;
    let sum = 0;
    for (let i = a; i < b; i++) sum += samples16k[i]!;
    const m = sum / (b - a);
    let sq = 0;
    for (let i = a; i < b; i++) sq += (samples16k[i]! - m) ** 2;
    const ms = sq / (b - a);
    return ms > 0 ? Math.max(-120, 10 * Math.log10(ms)) : -120;
  });
}
