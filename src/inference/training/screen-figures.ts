/**
 * What one analysis of one recording achieves on the screen (the card's lead), from out-of-fold
 * recording probabilities: AUROC, sensitivity and specificity at the shipped threshold, overall
 * and per filter mode, with 95 % intervals from a bootstrap over patients (a patient's recordings
 * go in and out together); and the uncertain band chosen from the same data.
 */
import { auroc, bootstrapInterval, type Interval } from './metrics.js';

export interface ScoredFile {
  patient: string;
  /** Patient-level label index for stratifying the bootstrap. */
  stratum: number;
  filter: string | null;
  abnormal: boolean;
  /** Out-of-fold P(abnormal), mean over repeats. */
  pAbnormal: number;
}

export interface ScreenFigures {
  recordings: number;
  patients: number;
  auroc: Interval;
  sensitivity: Interval;
  specificity: Interval;
}

export interface BandChoice {
  margin: number;
  /** Share of recordings inside the band (status 'uncertain' for the screen). */
  uncertainShare: number;
  accuracyInside: number | null;
  accuracyOutside: number;
  rule: string;
  /** The figures for the margins considered (what each would cost). */
  table: Array<{ margin: number; uncertainShare: number; accuracyOutside: number; accuracyInside: number | null }>;
}

export function screenFigures(files: ScoredFile[], threshold: number, rounds: number, seed: number): ScreenFigures {
  const patients = [...new Set(files.map((f) => f.patient))].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  );
  const byPatient = new Map<string, number[]>();
  files.forEach((f, i) => byPatient.set(f.patient, [...(byPatient.get(f.patient) ?? []), i]));
  const strata = patients.map((p) => files[byPatient.get(p)![0]!]!.stratum);
  const expand = (idx: number[]): ScoredFile[] =>
    idx.flatMap((i) => byPatient.get(patients[i]!)!.map((j) => files[j]!));
  const sens = (fs: ScoredFile[]) => {
    const pos = fs.filter((f) => f.abnormal);
    return pos.length ? pos.filter((f) => f.pAbnormal >= threshold).length / pos.length : null;
  };
  const spec = (fs: ScoredFile[]) => {
    const neg = fs.filter((f) => !f.abnormal);
    return neg.length ? neg.filter((f) => f.pAbnormal < threshold).length / neg.length : null;
  };
  const auc = (fs: ScoredFile[]) =>
    auroc(
      fs.map((f) => f.pAbnormal),
      fs.map((f) => f.abnormal),
    );
  return {
    recordings: files.length,
    patients: patients.length,
    auroc: bootstrapInterval(strata, (idx) => auc(expand(idx)), rounds, seed),
    sensitivity: bootstrapInterval(strata, (idx) => sens(expand(idx)), rounds, seed + 1),
    specificity: bootstrapInterval(strata, (idx) => spec(expand(idx)), rounds, seed + 2),
  };
}

/** Accuracy a screen answer must beat to be shown as healthy/abnormal rather than uncertain. */
export const BAND_COIN = 0.6;

/**
 * The band around the threshold in which the screen is no better than a coin: the widest margin
 * (steps of 0.025, up to 0.3) for which out-of-fold recordings inside |pAbnormal − t| < margin
 * were screened right at most BAND_COIN of the time (at least 10 recordings inside).
 */
export function chooseBand(files: ScoredFile[], threshold: number): BandChoice {
  const right = (f: ScoredFile) => f.pAbnormal >= threshold === f.abnormal;
  const table: BandChoice['table'] = [];
  let best = { margin: 0, uncertainShare: 0, accuracyInside: null as number | null, accuracyOutside: 0 };
  for (let k = 0; k <= 12; k++) {
    const m = Math.round(k * 25) / 1000;
    const inside = files.filter((f) => Math.abs(f.pAbnormal - threshold) < m);
    const outside = files.filter((f) => Math.abs(f.pAbnormal - threshold) >= m);
    const row = {
      margin: m,
      uncertainShare: inside.length / files.length,
      accuracyInside: inside.length ? inside.filter(right).length / inside.length : null,
      accuracyOutside: outside.length ? outside.filter(right).length / outside.length : 0,
    };
    table.push(row);
    if (k === 0) best = row;
    else if (inside.length >= 10 && row.accuracyInside !== null && row.accuracyInside <= BAND_COIN) best = row;
  }
  return {
    ...best,
    rule: `the widest margin (0.025 steps, ≤ 0.3) inside which out-of-fold recordings were screened right at most ${BAND_COIN * 100} % of the time`,
    table,
  };
}
