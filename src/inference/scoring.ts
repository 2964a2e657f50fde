/**
 * The ONE definition of how patch embeddings become recording-level scores: the engine and
 * train-head both import it, so training and analysis see the same windows.
 *
 * YAMNet patches are 0.96 s long and start every 0.48 s. A window of `windowSec` holds the
 * patches lying wholly inside it: 1 + floor((windowSec − 0.96) / 0.48) patches (at least 1);
 * windows start every round(hopSec / 0.48) patches (at least 1). Only whole windows are used;
 * a recording with no more patches than one window is a single window of all its patches.
 */
import { EMBEDDING_DIMS, PATCH_HOP_SEC, PATCH_SEC } from '../features/yamnet-params.js';

export function patchesPerWindow(windowSec: number): number {
  return Math.max(1, Math.floor((windowSec - PATCH_SEC) / PATCH_HOP_SEC + 1e-9) + 1);
}

export function windowHopPatches(hopSec: number): number {
  return Math.max(1, Math.round(hopSec / PATCH_HOP_SEC));
}

/** Start (in patches) of every window for a recording of `count` patches. */
export function windowStarts(count: number, windowSec: number, hopSec: number): number[] {
  const per = patchesPerWindow(windowSec);
  if (count <= per) return [0];
  const hop = windowHopPatches(hopSec);
  const starts: number[] = [];
  for (let s = 0; s + per <= count; s += hop) starts.push(s);
  return starts;
}

/** Mean embedding of each window: `count` rows of `dims` in, one row per window out. */
export function windowMeans(
  embeddings: Float32Array,
  count: number,
  windowSec: number,
  hopSec: number,
  dims = EMBEDDING_DIMS,
): { data: Float32Array; count: number } {
  if (count < 1) throw new Error('windowMeans: no patches');
  if (embeddings.length < count * dims)
    throw new Error(`windowMeans: ${embeddings.length} values for ${count}×${dims}`);
  const per = Math.min(patchesPerWindow(windowSec), count);
  const starts = windowStarts(count, windowSec, hopSec);
  const out = new Float32Array(starts.length * dims);
  const acc = new Float64Array(dims);
  starts.forEach((s, w) => {
    acc.fill(0);
    for (let p = s; p < s + per; p++) {
      const row = p * dims;
      for (let d = 0; d < dims; d++) acc[d]! += embeddings[row + d]!;
    }
    for (let d = 0; d < dims; d++) out[w * dims + d] = acc[d]! / per;
  });
  return { data: out, count: starts.length };
}

/** Row-wise softmax(logits / T) for `count` rows (the width is logits.length / count). */
export function softmaxWithTemperature(logits: Float32Array, count: number, temperature: number): Float32Array {
  if (!(temperature > 0)) throw new Error('softmaxWithTemperature: temperature must be positive');
  if (count < 1 || logits.length % count !== 0)
    throw new Error(`softmaxWithTemperature: ${logits.length} logits for ${count} rows`);
  const k = logits.length / count;
  const out = new Float32Array(logits.length);
  for (let r = 0; r < count; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[r * k + j]! / temperature);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits[r * k + j]! / temperature - max);
    for (let j = 0; j < k; j++) out[r * k + j] = Math.exp(logits[r * k + j]! / temperature - max) / sum;
  }
  return out;
}

/** Column means of a count×k matrix. */
export function meanRows(data: Float32Array, count: number): Float32Array {
  const k = data.length / count;
  const out = new Float32Array(k);
  const acc = new Float64Array(k);
  for (let r = 0; r < count; r++) for (let j = 0; j < k; j++) acc[j]! += data[r * k + j]!;
  for (let j = 0; j < k; j++) out[j] = acc[j]! / count;
  return out;
}
