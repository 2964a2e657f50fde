/**
 * Cross-validation and its summary. Models are trained per fold; every recording of a test
 * patient is scored as the engine scores it (mean over windows of softmax(logits / T)), a
 * patient's prediction is the mean over that patient's recordings (KAUH: the three filter
 * versions of one auscultation), and metrics are computed per repeat then averaged. Intervals
 * are percentile bootstraps over patients (resampled within each class), each bootstrap sample
 * scored on every repeat and averaged.
 */
import { CLASS_ORDER } from '../analysis-types.js';
import { calibration as calibrationTable, type ReliabilityBin } from './metrics.js';
import {
  accuracy,
  argmax,
  auroc,
  balancedAccuracy,
  bootstrapInterval,
  confusionMatrix,
  macroF1,
  perClassScores,
  youdenThreshold,
  type Interval,
} from './metrics.js';
import { fitTemperature, recordingProbabilities, type ScoredRecording } from './calibration.js';
import type { Fold } from './splits.js';
import { chooseBand, screenFigures, type BandChoice, type ScoredFile, type ScreenFigures } from './screen-figures.js';
import type { MlpWeights } from './mlp.js';
import { predictLogits } from './mlp.js';
import { buildTrainRows, type FileWindows, type OtherPolicy, type TrainRows } from './windows.js';

const K = CLASS_ORDER.length;
const HEALTHY = CLASS_ORDER.indexOf('healthy');

export type Trainer = (rows: TrainRows, seed: number) => Promise<MlpWeights>;

/** Out-of-fold window logits of every eligible file, per repeat. */
export interface OofRun {
  repeats: number;
  logits: Array<Map<number, Float32Array>>;
  /** Test fold of each file, per repeat. */
  foldOfFile: Array<Map<number, number>>;
  seconds: number;
  models: number;
}

export async function crossValidate(
  files: FileWindows[],
  folds: Fold[],
  trainer: Trainer,
  policy: OtherPolicy,
  seed: number,
  onFold?: (done: number, total: number) => void,
): Promise<OofRun> {
  const t0 = performance.now();
  const repeats = Math.max(...folds.map((f) => f.repeat)) + 1;
  const logits = Array.from({ length: repeats }, () => new Map<number, Float32Array>());
  const foldOfFile = Array.from({ length: repeats }, () => new Map<number, number>());
  for (const [i, fold] of folds.entries()) {
    const rows = buildTrainRows(files, (f) => fold.train.has(f.file.patient), policy);
    const weights = await trainer(rows, seed + 1000 * fold.repeat + fold.fold);
    for (const [fi, f] of files.entries()) {
      if (!fold.test.has(f.file.patient)) continue;
      logits[fold.repeat]!.set(fi, await predictLogits(weights, f.windows, f.count));
      foldOfFile[fold.repeat]!.set(fi, fold.fold);
    }
    onFold?.(i + 1, folds.length);
  }
  return { repeats, logits, foldOfFile, seconds: (performance.now() - t0) / 1000, models: folds.length };
}

/** Repeats of `b` appended after those of `a` (same files, later repeats). */
export function mergeRuns(a: OofRun, b: OofRun): OofRun {
  const off = b.logits.slice(a.repeats);
  return {
    repeats: a.repeats + off.length,
    logits: [...a.logits, ...off],
    foldOfFile: [...a.foldOfFile, ...b.foldOfFile.slice(a.repeats)],
    seconds: a.seconds + b.seconds,
    models: a.models + b.models,
  };
}

/** The same trainer on a naive file-level split (patients' recordings on both sides). */
export async function crossValidateFiles(
  files: FileWindows[],
  split: Array<{ train: number[]; test: number[] }>,
  trainer: Trainer,
  policy: OtherPolicy,
  seed: number,
): Promise<OofRun> {
  const t0 = performance.now();
  const logits = new Map<number, Float32Array>();
  const foldOfFile = new Map<number, number>();
  for (const [k, fold] of split.entries()) {
    const train = new Set(fold.train);
    const rows = buildTrainRows(files, (_, i) => train.has(i), policy);
    const weights = await trainer(rows, seed + k);
    for (const fi of fold.test) {
      const f = files[fi]!;
      logits.set(fi, await predictLogits(weights, f.windows, f.count));
      foldOfFile.set(fi, k);
    }
  }
  return {
    repeats: 1,
    logits: [logits],
    foldOfFile: [foldOfFile],
    seconds: (performance.now() - t0) / 1000,
    models: split.length,
  };
}

export interface PerClassSummary {
  class: (typeof CLASS_ORDER)[number];
  patients: number;
  precision: Interval;
  recall: Interval;
  f1: Interval;
  auroc: number | null;
}

export interface Summary {
  temperature: number;
  calibrationMethod: string;
  eceUncalibrated: number;
  ece: number;
  reliability: ReliabilityBin[];
  perClass: PerClassSummary[];
  macroF1: Interval;
  balancedAccuracy: Interval;
  accuracy: number;
  confusion: number[][];
  screen: {
    auroc: Interval;
    sensitivity: Interval;
    specificity: Interval;
    threshold: number;
    patients: { healthy: number; abnormal: number };
    /** AUROC with the "other" patients counted as abnormal (null when they were not scored). */
    aurocWithOther: number | null;
  };
  recordingLevel: { macroF1: number; balancedAccuracy: number; screenAuroc: number | null; recordings: number };
  /** One analysis of one recording: the screen at the shipped threshold, overall and per filter mode. */
  recordingScreen: { all: ScreenFigures; perFilter: Array<{ filter: string } & ScreenFigures>; band: BandChoice };
  /** Out-of-fold P(abnormal) per scored five-class file index (mean over repeats). */
  oofPAbnormal: Map<number, number>;
  abstain: {
    minTopProbability: number;
    screenMargin: number;
    coverage: number;
    accuracyAbove: number;
    screenAccuracyOutside: number;
    screenCoverage: number;
  };
  other: {
    patients: number;
    flaggedUncertain: number;
    screenedAbnormal: number;
    fiveClassFlaggedUncertain: number;
    uncertaintyAuroc: number | null;
  } | null;
}

export interface SummaryOptions {
  /** Fit a temperature (cross-fitted across folds) and keep it when it lowers the ECE. */
  temperature: boolean;
  bootstrapRounds: number;
  seed: number;
  /** Accuracy a shown class must reach among recordings above minTopProbability. */
  targetClassAccuracy: number;
  /** Screen accuracy outside the uncertain band. */
  targetScreenAccuracy: number;
}

export const DEFAULT_SUMMARY: Omit<SummaryOptions, 'seed'> = {
  temperature: true,
  bootstrapRounds: 1000,
  targetClassAccuracy: 0.6,
  targetScreenAccuracy: 0.8,
};

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

/** Recording probabilities per repeat (T per fold: fitted on the other folds' recordings, or fixed). */
function recordingProbs(
  files: FileWindows[],
  run: OofRun,
  temperatureFor: (repeat: number, fold: number) => number,
): Array<Map<number, Float32Array>> {
  return run.logits.map((byFile, r) => {
    const out = new Map<number, Float32Array>();
    for (const [fi, lg] of byFile)
      out.set(fi, recordingProbabilities(lg, files[fi]!.count, temperatureFor(r, run.foldOfFile[r]!.get(fi)!)));
    return out;
  });
}

function scoredRecordings(
  files: FileWindows[],
  run: OofRun,
  r: number,
  keep: (fold: number) => boolean,
): ScoredRecording[] {
  const out: ScoredRecording[] = [];
  for (const [fi, lg] of run.logits[r]!) {
    const label = CLASS_ORDER.indexOf(files[fi]!.file.label as (typeof CLASS_ORDER)[number]);
    if (label < 0 || !keep(run.foldOfFile[r]!.get(fi)!)) continue;
    out.push({ logits: lg, windows: files[fi]!.count, label });
  }
  return out;
}

function eceOf(
  files: FileWindows[],
  probs: Array<Map<number, Float32Array>>,
): { ece: number; reliability: ReliabilityBin[] } {
  const conf: number[] = [];
  const correct: boolean[] = [];
  for (const byFile of probs) {
    for (const [fi, p] of byFile) {
      const label = CLASS_ORDER.indexOf(files[fi]!.file.label as (typeof CLASS_ORDER)[number]);
      if (label < 0) continue;
      const top = argmax(p);
      conf.push(p[top]!);
      correct.push(top === label);
    }
  }
  return calibrationTable(conf, correct, 10);
}

/** Summarise an out-of-fold run (patient-grouped folds). */
export function summarise(files: FileWindows[], run: OofRun, opts: SummaryOptions): Summary {
  // temperature: cross-fitted per fold, kept only if it lowers the ECE of out-of-fold recordings
  const uncalibrated = recordingProbs(files, run, () => 1);
  const eceUncal = eceOf(files, uncalibrated);
  let probs = uncalibrated;
  let temperature = 1;
  let method = 'none (temperature scaling did not lower the cross-validated ECE)';
  let cal = eceUncal;
  if (opts.temperature) {
    const perFold = new Map<string, number>();
    const tFor = (r: number, f: number): number => {
      const key = `${r}/${f}`;
      if (!perFold.has(key)) perFold.set(key, fitTemperature(scoredRecordings(files, run, r, (g) => g !== f)));
      return perFold.get(key)!;
    };
    const crossFitted = recordingProbs(files, run, tFor);
    const calT = eceOf(files, crossFitted);
    if (calT.ece < eceUncal.ece) {
      probs = crossFitted;
      cal = calT;
      const all = run.logits.flatMap((_, r) => scoredRecordings(files, run, r, () => true));
      temperature = fitTemperature(all);
      method = `temperature scaling (NLL of recording-level probabilities; cross-fitted across folds: ECE ${eceUncal.ece.toFixed(3)} → ${calT.ece.toFixed(3)})`;
    }
  }

  // patient-level predictions: mean over the patient's scored recordings
  const patientFiles = new Map<string, number[]>();
  for (const fi of run.logits[0]!.keys()) {
    const p = files[fi]!.file.patient;
    patientFiles.set(p, [...(patientFiles.get(p) ?? []), fi]);
  }
  const patients = [...patientFiles.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const labelOf = (p: string): number =>
    CLASS_ORDER.indexOf(files[patientFiles.get(p)![0]!]!.file.label as (typeof CLASS_ORDER)[number]);
  const fiveClass = patients.filter((p) => labelOf(p) >= 0);
  const labels = fiveClass.map(labelOf);
  const patientProbs = (r: number, p: string): Float32Array => {
    const acc = new Float32Array(K);
    const fs = patientFiles.get(p)!;
    for (const fi of fs) probs[r]!.get(fi)!.forEach((v, j) => (acc[j]! += v / fs.length));
    return acc;
  };
  const R = run.repeats;
  const P = Array.from({ length: R }, (_, r) => fiveClass.map((p) => patientProbs(r, p)));
  const preds = P.map((rows) => rows.map(argmax));
  const confusionOf = (idx: number[], r: number): number[][] =>
    confusionMatrix(
      idx.map((i) => labels[i]!),
      idx.map((i) => preds[r]![i]!),
      K,
    );
  const overRepeats =
    (f: (idx: number[], r: number) => number | null) =>
    (idx: number[]): number | null => {
      const vals = Array.from({ length: R }, (_, r) => f(idx, r)).filter((v): v is number => v !== null);
      return vals.length ? mean(vals) : null;
    };
  const B = opts.bootstrapRounds;
  let s = opts.seed;
  const boot = (f: (idx: number[], r: number) => number | null): Interval =>
    bootstrapInterval(labels, overRepeats(f), B, s++);

  const perClass: PerClassSummary[] = CLASS_ORDER.map((c, k) => ({
    class: c,
    patients: labels.filter((l) => l === k).length,
    precision: boot((idx, r) => perClassScores(confusionOf(idx, r))[k]!.precision),
    recall: boot((idx, r) => perClassScores(confusionOf(idx, r))[k]!.recall),
    f1: boot((idx, r) => perClassScores(confusionOf(idx, r))[k]!.f1),
    auroc: overRepeats((idx, r) =>
      auroc(
        idx.map((i) => P[r]![i]![k]!),
        idx.map((i) => labels[i] === k),
      ),
    )(labels.map((_, i) => i)),
  }));
  const all = labels.map((_, i) => i);
  // the confusion matrix shown is the sum over repeats divided by R, rounded (per patient)
  const summed = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let r = 0; r < R; r++) confusionOf(all, r).forEach((row, i) => row.forEach((v, j) => (summed[i]![j]! += v / R)));
  const confusion = summed.map((row) => row.map((v) => Math.round(v)));

  // screen: pAbnormal = 1 − p(healthy); threshold per fold from the other folds (Youden)
  const pAbn = P.map((rows) => rows.map((p) => 1 - p[HEALTHY]!));
  const abnormal = labels.map((l) => l !== HEALTHY);
  const foldOfPatient = (r: number, p: string): number => run.foldOfFile[r]!.get(patientFiles.get(p)![0]!)!;
  const decisions = Array.from({ length: R }, (_, r) => {
    const folds = new Set(fiveClass.map((p) => foldOfPatient(r, p)));
    const out = new Array<boolean>(fiveClass.length);
    for (const f of folds) {
      const inF = fiveClass.map((p, i) => (foldOfPatient(r, p) === f ? i : -1)).filter((i) => i >= 0);
      const outF = fiveClass.map((p, i) => (foldOfPatient(r, p) !== f ? i : -1)).filter((i) => i >= 0);
      const t = youdenThreshold(
        outF.map((i) => pAbn[r]![i]!),
        outF.map((i) => abnormal[i]!),
      );
      for (const i of inF) out[i] = pAbn[r]![i]! >= t;
    }
    return out;
  });
  const sensitivity = boot((idx, r) => {
    const pos = idx.filter((i) => abnormal[i]);
    return pos.length ? pos.filter((i) => decisions[r]![i]).length / pos.length : null;
  });
  const specificity = boot((idx, r) => {
    const neg = idx.filter((i) => !abnormal[i]);
    return neg.length ? neg.filter((i) => !decisions[r]![i]).length / neg.length : null;
  });
  const screenAuroc = boot((idx, r) =>
    auroc(
      idx.map((i) => pAbn[r]![i]!),
      idx.map((i) => abnormal[i]!),
    ),
  );
  const meanPAbn = all.map((i) => mean(pAbn.map((rows) => rows[i]!)));
  const threshold = youdenThreshold(meanPAbn, abnormal);

  const others = patients.filter((p) => labelOf(p) < 0);
  let aurocWithOther: number | null = null;
  if (others.length) {
    aurocWithOther = mean(
      Array.from({ length: R }, (_, r) => {
        const sc = [...pAbn[r]!, ...others.map((p) => 1 - patientProbs(r, p)[HEALTHY]!)];
        return auroc(sc, [...abnormal, ...others.map(() => true)]) ?? NaN;
      }),
    );
  }

  // recording level (what one analysis sees)
  const recConf: number[] = [];
  const recCorrect: boolean[] = [];
  const recPAbn: number[] = [];
  const recAbn: boolean[] = [];
  const recMacro: number[] = [];
  const recBal: number[] = [];
  const recAuc: number[] = [];
  let recordings = 0;
  for (let r = 0; r < R; r++) {
    const t: number[] = [];
    const pr: number[] = [];
    const sc: number[] = [];
    for (const [fi, p] of probs[r]!) {
      const label = CLASS_ORDER.indexOf(files[fi]!.file.label as (typeof CLASS_ORDER)[number]);
      if (label < 0) continue;
      const top = argmax(p);
      t.push(label);
      pr.push(top);
      sc.push(1 - p[HEALTHY]!);
      recConf.push(p[top]!);
      recCorrect.push(top === label);
      recPAbn.push(1 - p[HEALTHY]!);
      recAbn.push(label !== HEALTHY);
    }
    const m = confusionMatrix(t, pr, K);
    recMacro.push(macroF1(m));
    recBal.push(balancedAccuracy(m));
    recAuc.push(
      auroc(
        sc,
        t.map((l) => l !== HEALTHY),
      ) ?? NaN,
    );
    recordings = t.length;
  }

  // one analysis of one recording: the screen at the shipped threshold, intervals over patients
  const scored: ScoredFile[] = [];
  const oofPAbnormal = new Map<number, number>();
  for (const fi of [...probs[0]!.keys()].sort((a, b) => a - b)) {
    const f = files[fi]!.file;
    const label = CLASS_ORDER.indexOf(f.label as (typeof CLASS_ORDER)[number]);
    if (label < 0) continue;
    const pA = mean(probs.map((byFile) => 1 - byFile.get(fi)![HEALTHY]!));
    oofPAbnormal.set(fi, pA);
    scored.push({ patient: f.patient, stratum: label, filter: f.filter, abnormal: label !== HEALTHY, pAbnormal: pA });
  }
  const rounds = Math.max(1, B);
  const filters = [...new Set(scored.map((f) => f.filter).filter((x): x is string => x !== null))].sort();
  const recordingScreen = {
    all: screenFigures(scored, threshold, rounds, opts.seed + 7),
    perFilter: filters.map((filter) => ({
      filter,
      ...screenFigures(
        scored.filter((f) => f.filter === filter),
        threshold,
        rounds,
        opts.seed + 11,
      ),
    })),
    band: chooseBand(scored, threshold),
  };

  // abstain thresholds, measured on out-of-fold recordings
  const grid = Array.from({ length: 16 }, (_, i) => 0.2 + 0.05 * i);
  let minTop = 1;
  let coverage = 0;
  let accAbove = 0;
  for (const g of grid) {
    const idx = recConf.map((_, i) => i).filter((i) => recConf[i]! >= g);
    if (idx.length < 10) break;
    const acc = idx.filter((i) => recCorrect[i]).length / idx.length;
    if (acc >= opts.targetClassAccuracy) {
      minTop = Number(g.toFixed(2));
      coverage = idx.length / recConf.length;
      accAbove = acc;
      break;
    }
  }
  // "other" patients: are they flagged uncertain, or screened abnormal?
  let other: Summary['other'] = null;
  if (others.length) {
    let flagged = 0;
    let abn = 0;
    let n = 0;
    const u: number[] = [];
    const isOther: boolean[] = [];
    for (let r = 0; r < R; r++) {
      for (const [fi, p] of probs[r]!) {
        const o = files[fi]!.file.label === 'other';
        const top = p[argmax(p)]!;
        u.push(1 - top);
        isOther.push(o);
        if (!o) continue;
        n++;
        if (top < minTop) flagged++;
        if (1 - p[HEALTHY]! >= threshold) abn++;
      }
    }
    other = {
      patients: others.length,
      flaggedUncertain: flagged / Math.max(1, n),
      screenedAbnormal: abn / Math.max(1, n),
      fiveClassFlaggedUncertain: recConf.filter((c) => c < minTop).length / Math.max(1, recConf.length),
      uncertaintyAuroc: auroc(u, isOther),
    };
  }

  return {
    temperature,
    calibrationMethod: method,
    eceUncalibrated: eceUncal.ece,
    ece: cal.ece,
    reliability: cal.reliability,
    perClass,
    macroF1: boot((idx, r) => macroF1(confusionOf(idx, r))),
    balancedAccuracy: boot((idx, r) => balancedAccuracy(confusionOf(idx, r))),
    accuracy: mean(Array.from({ length: R }, (_, r) => accuracy(confusionOf(all, r)))),
    confusion,
    screen: {
      auroc: screenAuroc,
      sensitivity,
      specificity,
      threshold,
      patients: { healthy: abnormal.filter((a) => !a).length, abnormal: abnormal.filter(Boolean).length },
      aurocWithOther,
    },
    recordingLevel: { macroF1: mean(recMacro), balancedAccuracy: mean(recBal), screenAuroc: mean(recAuc), recordings },
    recordingScreen,
    oofPAbnormal,
    abstain: {
      minTopProbability: minTop,
      // the band from data (chooseBand); the earlier rule (accuracy outside ≥ target) left most recordings uncertain
      screenMargin: recordingScreen.band.margin,
      coverage,
      accuracyAbove: accAbove,
      screenAccuracyOutside: recordingScreen.band.accuracyOutside,
      screenCoverage: 1 - recordingScreen.band.uncertainShare,
    },
    other,
  };
}

/** Recording-level figures of a run without patient structure (the naive split). */
export function recordingFigures(
  files: FileWindows[],
  run: OofRun,
): { macroF1: number; balancedAccuracy: number; screenAuroc: number | null } {
  const t: number[] = [];
  const pr: number[] = [];
  const sc: number[] = [];
  for (const [fi, lg] of run.logits[0]!) {
    const label = CLASS_ORDER.indexOf(files[fi]!.file.label as (typeof CLASS_ORDER)[number]);
    if (label < 0) continue;
    const p = recordingProbabilities(lg, files[fi]!.count, 1);
    t.push(label);
    pr.push(argmax(p));
    sc.push(1 - p[HEALTHY]!);
  }
  const m = confusionMatrix(t, pr, K);
  return {
    macroF1: macroF1(m),
    balancedAccuracy: balancedAccuracy(m),
    screenAuroc: auroc(
      sc,
      t.map((l) => l !== HEALTHY),
    ),
  };
}

/** Majority-class baseline on the same folds: each fold predicts its training set's commonest class. */
export function majorityBaseline(files: FileWindows[], folds: Fold[]): { macroF1: number; balancedAccuracy: number } {
  const R = Math.max(...folds.map((f) => f.repeat)) + 1;
  const res: Array<{ m: number; b: number }> = [];
  for (let r = 0; r < R; r++) {
    const truth: number[] = [];
    const pred: number[] = [];
    for (const fold of folds.filter((f) => f.repeat === r)) {
      const labelOf = new Map<string, number>();
      for (const f of files)
        labelOf.set(f.file.patient, CLASS_ORDER.indexOf(f.file.label as (typeof CLASS_ORDER)[number]));
      const counts = new Array<number>(K).fill(0);
      for (const p of fold.train) if ((labelOf.get(p) ?? -1) >= 0) counts[labelOf.get(p)!]!++;
      const majority = argmax(counts);
      for (const p of fold.test)
        if ((labelOf.get(p) ?? -1) >= 0) {
          truth.push(labelOf.get(p)!);
          pred.push(majority);
        }
    }
    const m = confusionMatrix(truth, pred, K);
    res.push({ m: macroF1(m), b: balancedAccuracy(m) });
  }
  return { macroF1: mean(res.map((x) => x.m)), balancedAccuracy: mean(res.map((x) => x.b)) };
}
