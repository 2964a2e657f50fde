/**
 * Features of the learned quality check: for each scoring window (the head's 3 s windows, scoring.ts)
 * the rule-based measures of src/audio/quality.ts on that window's band-limited 16 kHz audio, beside the
 * window's mean YAMNet embedding. A recording's P(poor) is the mean over its windows; a live window is
 * one window. Training and the engine both cut windows here.
 */
import { assessQuality } from '../../audio/quality.js';
import { patchesPerWindow, windowStarts } from '../scoring.js';
import { EMBEDDING_DIMS, SAMPLE_RATE, STEP_HOP_SEC, STEP_SEC } from './features.js';

export const QUALITY_WINDOW_SEC = 3;
export const RULE_FEATURES = ['log10_clipping', 'rms_dbfs', 'peak_dbfs', 'silence_ratio', 'noise_floor_dbfs'] as const;
export const RULE_DIMS = RULE_FEATURES.length;
export const QUALITY_DIMS = RULE_DIMS + EMBEDDING_DIMS;

export interface QualityWindows {
  count: number;
  /** count × RULE_DIMS. */
  rules: Float32Array;
  startsSec: number[];
  endsSec: number[];
  /** First patch and patch count of each window. */
  patches: Array<[number, number]>;
}

/** The windows of a recording of `patchCount` patches and their rule measures. */
export function qualityWindows(banded16k: Float32Array, patchCount: number): QualityWindows {
  return qualityWindowsWith(patchCount, banded16k.length, (a, b) => windowRules(banded16k.subarray(a, b)));
}

/** The rule measures of one window's band-limited 16 kHz samples [a, b). */
export function windowRules(seg: Float32Array): number[] {
  const q = assessQuality(seg.length > 0 ? seg : new Float32Array(1), SAMPLE_RATE);
  return [Math.log10(q.clippingRatio + 1e-6), q.rmsDbfs, q.peakDbfs, q.silenceRatio, q.noiseFloorDbfs];
}

/**
 * The windows of a recording of `patchCount` patches and `length16k` band-limited samples, with the
 * rule measures of samples [a, b) from `rulesOf` (the engine's stream computes them as the audio
 * passes and keeps only these rows).
 */
export function qualityWindowsWith(
  patchCount: number,
  length16k: number,
  rulesOf: (a: number, b: number, firstPatch: number) => number[],
): QualityWindows {
  const per = Math.min(patchesPerWindow(QUALITY_WINDOW_SEC), patchCount);
  const starts = windowStarts(patchCount, QUALITY_WINDOW_SEC, QUALITY_WINDOW_SEC);
  const rules = new Float32Array(starts.length * RULE_DIMS);
  const startsSec: number[] = [];
  const endsSec: number[] = [];
  starts.forEach((p, w) => {
    const [a, e, b] = qualityWindowSpan(p, per, length16k);
    startsSec.push(p * STEP_HOP_SEC);
    endsSec.push(e);
    rules.set(rulesOf(a, b, p), w * RULE_DIMS);
  });
  return { count: starts.length, rules, startsSec, endsSec, patches: starts.map((p) => [p, per]) };
}

/** Window p's first sample, end in seconds, and end sample (exclusive) for a recording of length16k samples. */
export function qualityWindowSpan(p: number, per: number, length16k: number): [number, number, number] {
  const a = p * STEP_HOP_SEC;
  const e = Math.min(length16k / SAMPLE_RATE, (p + per - 1) * STEP_HOP_SEC + STEP_SEC);
  const a0 = Math.round(a * SAMPLE_RATE);
  return [a0, e, Math.max(a0 + 1, Math.round(e * SAMPLE_RATE))];
}

/** windows × QUALITY_DIMS rows: rule measures, then the window's mean embedding. */
export function qualityRows(w: QualityWindows, embeddings: Float32Array): Float32Array {
  return qualityRowsOf(w, embeddings, 0, w.count);
}

/** The rows of windows [from, to) only (the engine feeds the quality model in bounded chunks). */
export function qualityRowsOf(
  w: QualityWindows,
  embeddings: Float32Array,
  from: number,
  to: number,
  /** Where to write the rows (every value of its first (to − from) × QUALITY_DIMS is written), instead of a new array. */
  into?: Float32Array,
): Float32Array {
  const n = (to - from) * QUALITY_DIMS;
  const out = into ? into.subarray(0, n) : new Float32Array(n);
  if (out.length < n) throw new Error(`qualityRowsOf: ${to - from} rows do not fit the array given`);
  const acc = new Float64Array(EMBEDDING_DIMS);
  for (let i = from; i < to; i++) {
    const o = (i - from) * QUALITY_DIMS;
    out.set(w.rules.subarray(i * RULE_DIMS, (i + 1) * RULE_DIMS), o);
    const [p0, n] = w.patches[i]!;
    acc.fill(0);
    for (let p = p0; p < p0 + n; p++)
      for (let d = 0; d < EMBEDDING_DIMS; d++) acc[d]! += embeddings[p * EMBEDDING_DIMS + d]!;
    for (let d = 0; d < EMBEDDING_DIMS; d++) out[o + RULE_DIMS + d] = acc[d]! / n;
  }
  return out;
}
