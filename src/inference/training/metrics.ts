/**
 * Classification metrics for the evaluation: confusion, per-class precision/recall/F1,
 * macro-F1, balanced accuracy, AUROC (Mann–Whitney, ties counted half), expected calibration
 * error with its reliability table, and percentile bootstrap intervals.
 */
import { Rng } from './rng.js';

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** rows = true, columns = predicted. */
export function confusionMatrix(truth: number[], pred: number[], k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  truth.forEach((t, i) => m[t]![pred[i]!]!++);
  return m;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Per-class scores; an empty denominator scores 0 (a class never predicted has precision 0). */
export function perClassScores(m: number[][]): ClassScores[] {
  return m.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = m.reduce((a, r) => a + r[c]!, 0);
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  });
}

/** Mean F1 over the classes that have at least one true example. */
export function macroF1(m: number[][]): number {
  const s = perClassScores(m).filter((c) => c.support > 0);
  return s.reduce((a, c) => a + c.f1, 0) / Math.max(1, s.length);
}

/** Mean recall over the classes present. */
export function balancedAccuracy(m: number[][]): number {
  const s = perClassScores(m).filter((c) => c.support > 0);
  return s.reduce((a, c) => a + c.recall, 0) / Math.max(1, s.length);
}

export function accuracy(m: number[][]): number {
  const total = m.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
  return total > 0 ? m.reduce((a, r, i) => a + r[i]!, 0) / total : 0;
}

/** AUROC of `scores` for `positive` labels; null when one side is empty. */
export function auroc(scores: number[], positive: boolean[]): number | null {
  const pos = scores.filter((_, i) => positive[i]);
  const neg = scores.filter((_, i) => !positive[i]);
  if (pos.length === 0 || neg.length === 0) return null;
  // rank-based (Mann–Whitney U) with average ranks for ties
  const all = scores.map((s, i) => ({ s, p: positive[i]! })).sort((a, b) => a.s - b.s);
  let rankSumPos = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let q = i; q < j; q++) if (all[q]!.p) rankSumPos += avgRank;
    i = j;
  }
  return (rankSumPos - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  meanConfidence: number;
  accuracy: number;
}

/** ECE over equal-width confidence bins of the top-class probability. */
export function calibration(
  confidence: number[],
  correct: boolean[],
  bins = 10,
): { ece: number; reliability: ReliabilityBin[] } {
  const table: ReliabilityBin[] = [];
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const lo = b / bins;
    const hi = (b + 1) / bins;
    const idx = confidence
      .map((c, i) => i)
      .filter((i) => confidence[i]! >= lo && (confidence[i]! < hi || (b === bins - 1 && confidence[i]! <= hi)));
    const count = idx.length;
    const meanConfidence = count ? idx.reduce((a, i) => a + confidence[i]!, 0) / count : 0;
    const acc = count ? idx.filter((i) => correct[i]).length / count : 0;
    ece += (count / Math.max(1, confidence.length)) * Math.abs(acc - meanConfidence);
    table.push({ lo, hi, count, meanConfidence, accuracy: acc });
  }
  return { ece, reliability: table };
}

export interface Interval {
  value: number;
  lo: number;
  hi: number;
}

/**
 * Percentile bootstrap: `statistic` gets resampled indices (into the caller's patient list),
 * drawn with replacement within each stratum so every class keeps its patient count.
 * Non-finite statistics (e.g. an AUROC with one side empty) are skipped.
 */
export function bootstrapInterval(
  strata: number[],
  statistic: (indices: number[]) => number | null,
  rounds: number,
  seed: number,
): Interval {
  const all = strata.map((_, i) => i);
  const value = statistic(all) ?? NaN;
  const byStratum = new Map<number, number[]>();
  strata.forEach((s, i) => byStratum.set(s, [...(byStratum.get(s) ?? []), i]));
  const rng = new Rng(seed);
  const values: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const sample: number[] = [];
    for (const members of byStratum.values())
      for (let j = 0; j < members.length; j++) sample.push(members[rng.int(members.length)]!);
    const v = statistic(sample);
    if (v !== null && Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const q = (p: number): number =>
    values.length ? values[Math.min(values.length - 1, Math.max(0, Math.floor(p * values.length)))]! : NaN;
  return { value, lo: q(0.025), hi: q(0.975) };
}

/** The threshold maximising sensitivity + specificity − 1 (Youden's J) for "score ≥ t is positive". */
export function youdenThreshold(scores: number[], positive: boolean[]): number {
  const candidates = [...new Set(scores)].sort((a, b) => a - b);
  let best = 0.5;
  let bestJ = -Infinity;
  const P = positive.filter(Boolean).length;
  const N = positive.length - P;
  for (const t of candidates) {
    let tp = 0;
    let tn = 0;
    scores.forEach((s, i) => {
      if (s >= t && positive[i]) tp++;
      if (s < t && !positive[i]) tn++;
    });
    const j = (P ? tp / P : 0) + (N ? tn / N : 0) - 1;
    if (j > bestJ) {
      bestJ = j;
      best = t;
    }
  }
  return best;
}
