/**
 * Temperature scaling for recording-level scores. A recording's probabilities are the mean of
 * its windows' softmax(logits / T) (scoring.ts), so T is fitted on that quantity: the T that
 * minimises the negative log-likelihood of the true class, by a log-spaced grid then golden-section.
 */
import { meanRows, softmaxWithTemperature } from '../scoring.js';

export interface ScoredRecording {
  /** windows × classes logits. */
  logits: Float32Array;
  windows: number;
  /** True class index. */
  label: number;
}

export function recordingProbabilities(logits: Float32Array, windows: number, temperature: number): Float32Array {
  return meanRows(softmaxWithTemperature(logits, windows, temperature), windows);
}

export function nll(recs: ScoredRecording[], temperature: number): number {
  let total = 0;
  for (const r of recs)
    total -= Math.log(Math.max(1e-12, recordingProbabilities(r.logits, r.windows, temperature)[r.label]!));
  return total / Math.max(1, recs.length);
}

export function fitTemperature(recs: ScoredRecording[]): number {
  if (recs.length === 0) return 1;
  const grid = Array.from({ length: 41 }, (_, i) => Math.exp(Math.log(0.2) + (i / 40) * Math.log(10 / 0.2)));
  let bestI = 0;
  grid.forEach((t, i) => {
    if (nll(recs, t) < nll(recs, grid[bestI]!)) bestI = i;
  });
  let lo = Math.log(grid[Math.max(0, bestI - 1)]!);
  let hi = Math.log(grid[Math.min(grid.length - 1, bestI + 1)]!);
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 30; it++) {
    const a = hi - phi * (hi - lo);
    const b = lo + phi * (hi - lo);
    if (nll(recs, Math.exp(a)) < nll(recs, Math.exp(b))) hi = b;
    else lo = a;
  }
  return Math.exp((lo + hi) / 2);
}
