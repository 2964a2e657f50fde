/**
 * Binary detection figures with 95 % intervals over patients: a percentile bootstrap that resamples
 * patients (with all their recordings or events) with replacement, as BRIEF.md asks.
 */
import { auroc } from '../../training/metrics.js';
import { Rng } from '../../training/rng.js';

export interface Unit {
  patient: string;
  score: number;
  truth: boolean;
}

export interface Iv {
  value: number;
  lo: number;
  hi: number;
}

export interface Binary {
  auroc: Iv | null;
  sensitivity: Iv;
  specificity: Iv;
  average: Iv;
  positives: number;
  negatives: number;
  patients: number;
}

function figures(units: Unit[], threshold: number): { auroc: number | null; sens: number; spec: number } {
  let tp = 0;
  let p = 0;
  let tn = 0;
  let n = 0;
  for (const u of units) {
    if (u.truth) {
      p++;
      if (u.score >= threshold) tp++;
    } else {
      n++;
      if (u.score < threshold) tn++;
    }
  }
  return {
    auroc: auroc(
      units.map((u) => u.score),
      units.map((u) => u.truth),
    ),
    sens: p ? tp / p : NaN,
    spec: n ? tn / n : NaN,
  };
}

/** Units grouped by patient, in a stable order. */
export function byPatient<T extends { patient: string }>(units: T[]): T[][] {
  const m = new Map<string, T[]>();
  for (const u of units) m.set(u.patient, [...(m.get(u.patient) ?? []), u]);
  return [...m.keys()].sort().map((k) => m.get(k)!);
}

/** Resampled patient sets (indices into byPatient's groups), the same for every statistic of one run. */
export function bootstrapDraws(groups: number, rounds: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: rounds }, () => Array.from({ length: groups }, () => rng.int(groups)));
}

function interval(value: number, samples: number[]): Iv {
  const v = samples.filter(Number.isFinite).sort((a, b) => a - b);
  const q = (p: number) => (v.length ? v[Math.min(v.length - 1, Math.max(0, Math.floor(p * v.length)))]! : NaN);
  return { value, lo: q(0.025), hi: q(0.975) };
}

export function binaryFigures(units: Unit[], threshold: number, rounds: number, seed: number): Binary {
  const groups = byPatient(units);
  const all = figures(units, threshold);
  const draws = bootstrapDraws(groups.length, rounds, seed);
  const a: number[] = [];
  const se: number[] = [];
  const sp: number[] = [];
  const av: number[] = [];
  for (const d of draws) {
    const sample = d.flatMap((g) => groups[g]!);
    const f = figures(sample, threshold);
    if (f.auroc !== null) a.push(f.auroc);
    se.push(f.sens);
    sp.push(f.spec);
    av.push((f.sens + f.spec) / 2);
  }
  return {
    auroc: all.auroc === null ? null : interval(all.auroc, a),
    sensitivity: interval(all.sens, se),
    specificity: interval(all.spec, sp),
    average: interval((all.sens + all.spec) / 2, av),
    positives: units.filter((u) => u.truth).length,
    negatives: units.filter((u) => !u.truth).length,
    patients: groups.length,
  };
}

/** SPRSound-challenge event score: SE over abnormal events (exact class), SP over normal events. */
export interface FourClassUnit {
  patient: string;
  truth: number; // 0 normal, 1 crackle, 2 wheeze, 3 both
  pred: number;
}

function fourClass(units: FourClassUnit[]): { se: number; sp: number } {
  let ab = 0;
  let abOk = 0;
  let no = 0;
  let noOk = 0;
  for (const u of units) {
    if (u.truth === 0) {
      no++;
      if (u.pred === 0) noOk++;
    } else {
      ab++;
      if (u.pred === u.truth) abOk++;
    }
  }
  return { se: ab ? abOk / ab : NaN, sp: no ? noOk / no : NaN };
}

export function fourClassFigures(
  units: FourClassUnit[],
  rounds: number,
  seed: number,
): { sensitivity: Iv; specificity: Iv; average: Iv; events: number } {
  const groups = byPatient(units);
  const all = fourClass(units);
  const se: number[] = [];
  const sp: number[] = [];
  const av: number[] = [];
  for (const d of bootstrapDraws(groups.length, rounds, seed)) {
    const f = fourClass(d.flatMap((g) => groups[g]!));
    se.push(f.se);
    sp.push(f.sp);
    av.push((f.se + f.sp) / 2);
  }
  return {
    sensitivity: interval(all.se, se),
    specificity: interval(all.sp, sp),
    average: interval((all.se + all.sp) / 2, av),
    events: units.length,
  };
}

/** Youden point for "score ≥ t is positive" (ties broken towards the higher threshold). */
export function youden(units: Array<{ score: number; truth: boolean }>): number {
  const sorted = [...units].sort((a, b) => b.score - a.score);
  const P = units.filter((u) => u.truth).length;
  const N = units.length - P;
  if (P === 0 || N === 0) return 0.5;
  let tp = 0;
  let fp = 0;
  let best = -Infinity;
  let thr = sorted[0]?.score ?? 0.5;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i]!.truth) tp++;
    else fp++;
    if (i + 1 < sorted.length && sorted[i + 1]!.score === sorted[i]!.score) continue;
    const j = tp / P - fp / N;
    if (j > best) {
      best = j;
      thr = sorted[i]!.score;
    }
  }
  return thr;
}

/**
 * Platt scaling on logit(score): the a ≥ 0, b minimising the mean log-loss, by a log-spaced grid over a
 * and a linear one over b, then a finer grid around the best point. A grid rather than Newton's method:
 * with near-separable or saturated scores (many recordings at p ≈ 1) Newton runs off to a → ∞, a
 * probability that jumps from 0 to 1; the grid bounds a to [0.01, 10].
 */
export function fitPlatt(units: Array<{ score: number; truth: boolean }>): { a: number; b: number } {
  const xs = units.map((u) => {
    const q = Math.min(1 - 1e-6, Math.max(1e-6, u.score));
    return Math.log(q / (1 - q));
  });
  const loss = (a: number, b: number): number => {
    let l = 0;
    units.forEach((u, i) => {
      const z = a * xs[i]! + b;
      // log(1 + e^−z) for positives, log(1 + e^z) for negatives, computed stably
      const t = u.truth ? -z : z;
      l += t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
    });
    return l / Math.max(1, units.length);
  };
  let best = { a: 1, b: 0, l: loss(1, 0) };
  const search = (as: number[], bs: number[]) => {
    for (const a of as)
      for (const b of bs) {
        const l = loss(a, b);
        if (l < best.l) best = { a, b, l };
      }
  };
  search(
    Array.from({ length: 31 }, (_, i) => Math.exp(Math.log(0.01) + (i / 30) * Math.log(1000))),
    Array.from({ length: 61 }, (_, i) => -15 + i * 0.5),
  );
  for (let round = 0; round < 2; round++) {
    const da = round === 0 ? 1.26 : 1.05;
    const db = round === 0 ? 0.5 : 0.05;
    const { a: a0, b: b0 } = best;
    search(
      Array.from({ length: 21 }, (_, i) => Math.min(10, Math.max(0.01, a0 * da ** ((i - 10) / 10)))),
      Array.from({ length: 21 }, (_, i) => b0 + ((i - 10) / 10) * db),
    );
  }
  return { a: best.a, b: best.b };
}
