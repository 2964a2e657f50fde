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

/** Platt scaling on logit(score): a, b minimising the log-loss (Newton's method, a few iterations). */
export function fitPlatt(units: Array<{ score: number; truth: boolean }>): { a: number; b: number } {
  const xs = units.map((u) => {
    const q = Math.min(1 - 1e-6, Math.max(1e-6, u.score));
    return Math.log(q / (1 - q));
  });
  let a = 1;
  let b = 0;
  for (let it = 0; it < 50; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    units.forEach((u, i) => {
      const x = xs[i]!;
      const p = 1 / (1 + Math.exp(-(a * x + b)));
      const r = p - (u.truth ? 1 : 0);
      const w = Math.max(1e-9, p * (1 - p));
      ga += r * x;
      gb += r;
      haa += w * x * x;
      hab += w * x;
      hbb += w;
    });
    haa += 1e-6;
    hbb += 1e-6;
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-12)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}
