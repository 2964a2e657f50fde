/**
 * train-sounds end to end: SPRSound (and optionally KAUH) → cached features → patient-grouped
 * cross-validation of every candidate beside the baselines → the shipped detector and quality model
 * (trained on SPRSound's train2022 + test2022_intra children) → held-out figures on the published test
 * sets whose children are not in training → KAUH across datasets → ONNX + card (JSON, Markdown).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ENGINE_VERSION } from '../../engine.js';
import { groupedStratifiedKFold, type Fold } from '../../training/splits.js';
import { TrainingError } from '../../training/errors.js';
import { SoundsCardSchema, type SoundsCard } from '../card.js';
import {
  assembleFeatures,
  featureDims,
  HAND_DIMS,
  HAND_FEATURES,
  STEP_HOP_SEC,
  STEP_SEC,
  type FeatureSet,
} from '../features.js';
import { QUALITY_DIMS, QUALITY_WINDOW_SEC, RULE_DIMS, RULE_FEATURES, qualityRows } from '../quality-features.js';
import { loadKauh, loadSprsound, type SoundRecording } from './data.js';
import { extractAll, FEATURE_VERSION, type Extracted } from './extract.js';
import {
  chooseThresholds,
  kauhFigures,
  setFigures,
  stepTargets,
  type Scored,
  type SetFigures,
  type Thresholds,
} from './evaluate.js';
import { logisticLogits, sigmoid, trainLogistic, DEFAULT_LOGISTIC, type LogisticWeights } from './logistic.js';
import { binaryFigures, fitPlatt, youden, type Binary } from './metrics.js';
import { soundsCardMarkdown } from './card-md.js';
import { failuresOf } from './failures.js';
import { logisticToOnnx } from './export-onnx.js';
import { recordingScore } from '../decision.js';
import { auroc } from '../../training/metrics.js';

export interface TrainSoundsOptions {
  data: string;
  kauh?: string;
  out: string;
  cacheDir: string;
  seed: number;
  folds: number;
  bootstrapRounds: number;
  /** Only the first N children (by id) of each subset: quick runs and the determinism test. */
  patientsPerSubset?: number;
  /** Feature sets to compare (default all); the shipped one is the best of them by CV. */
  featureSets?: FeatureSet[];
  steps?: number;
  modelsDir?: string;
  command: string;
  log: (line: string) => void;
}

export const SOUNDS_DEFAULTS = { seed: 20221, folds: 5, bootstrapRounds: 1000 };

/**
 * The candidates a default run compares: the issue's baseline, + the hand-crafted descriptors, + per-recording
 * normalisation on top (embedding+recnorm alone costs a 2048-wide fit per fold on a shared 2-core machine;
 * `--features` runs it).
 */
export const DEFAULT_CANDIDATES: FeatureSet[] = ['embedding', 'embedding+hand', 'embedding+recnorm+hand'];

const POOL = new Set(['train2022', 'test2022_intra']);
const HELD_OUT = ['test2022_inter', 'test2023'];
export const SPRSOUND_CITATION =
  'Q. Zhang et al., "SPRSound: Open-Source SJTU Paediatric Respiratory Sound Database", IEEE Transactions on Biomedical Circuits and Systems, 2022 (doi:10.21227/nfkk-1x47).';

/** Hand-crafted baseline: one descriptor per type, no learning (thresholds still from training folds). */
const HAND_BASELINE = { crackle: HAND_FEATURES.indexOf('transient_rate10'), wheeze: HAND_FEATURES.indexOf('tone_run') };

function subset(recs: SoundRecording[], n: number | undefined): SoundRecording[] {
  if (n === undefined) return recs;
  const keep = new Set<string>();
  for (const sub of new Set(recs.map((r) => r.subset)))
    for (const p of [...new Set(recs.filter((r) => r.subset === sub).map((r) => r.patient))].sort().slice(0, n))
      keep.add(p);
  // test2022_intra shares children with train2022: keep theirs too, so both sides stay consistent
  return recs.filter((r) => keep.has(r.patient));
}

/** Training rows of the detector: every step of the given annotated recordings, patient- and class-balanced. */
function detectorRows(items: Extracted[], set: FeatureSet) {
  const dims = featureDims(set);
  const n = items.reduce((a, it) => a + it.count, 0);
  const x = new Float32Array(n * dims);
  const y = new Float32Array(n * 2);
  const w = new Float32Array(n * 2);
  const stepsOf = new Map<string, number>();
  for (const it of items) stepsOf.set(it.rec.patient, (stepsOf.get(it.rec.patient) ?? 0) + it.count);
  let row = 0;
  for (const it of items) {
    x.set(assembleFeatures(set, it.embeddings, it.count, it.hand), row * dims);
    const t = stepTargets(it);
    const base = 1 / stepsOf.get(it.rec.patient)!;
    for (let i = 0; i < it.count; i++) {
      y[2 * (row + i)] = t[2 * i]!;
      y[2 * (row + i) + 1] = t[2 * i + 1]!;
      w[2 * (row + i)] = base;
      w[2 * (row + i) + 1] = base;
    }
    row += it.count;
  }
  // each output: positives and negatives carry the same total weight
  for (let k = 0; k < 2; k++) {
    let pos = 0;
    let neg = 0;
    for (let r = 0; r < n; r++) {
      if (y[2 * r + k]) pos += w[2 * r + k]!;
      else neg += w[2 * r + k]!;
    }
    for (let r = 0; r < n; r++) w[2 * r + k]! *= y[2 * r + k] ? (pos > 0 ? 0.5 / pos : 0) : neg > 0 ? 0.5 / neg : 0;
  }
  return { x, y, w, n, dims };
}

async function fitDetector(items: Extracted[], set: FeatureSet, steps: number): Promise<LogisticWeights> {
  const r = detectorRows(items, set);
  return trainLogistic(r.x, r.y, r.w, r.n, r.dims, 2, { ...DEFAULT_LOGISTIC, steps });
}

function scoreWith(wt: LogisticWeights, set: FeatureSet, items: Extracted[]): Scored[] {
  return items.map((item) => {
    const z = logisticLogits(wt, assembleFeatures(set, item.embeddings, item.count, item.hand), item.count);
    return { item, steps: z.map(sigmoid) };
  });
}

function handScores(items: Extracted[]): Scored[] {
  return items.map((item) => {
    const steps = new Float32Array(item.count * 2);
    for (let i = 0; i < item.count; i++) {
      steps[2 * i] = item.hand[i * HAND_DIMS + HAND_BASELINE.crackle]!;
      steps[2 * i + 1] = item.hand[i * HAND_DIMS + HAND_BASELINE.wheeze]!;
    }
    return { item, steps };
  });
}

function patientStrata(items: Extracted[]): Map<string, string> {
  const m = new Map<string, { c: boolean; w: boolean }>();
  for (const it of items) {
    const v = m.get(it.rec.patient) ?? { c: false, w: false };
    v.c ||= it.rec.crackle;
    v.w ||= it.rec.wheeze;
    m.set(it.rec.patient, v);
  }
  return new Map([...m].map(([p, v]) => [p, v.c && v.w ? 'both' : v.c ? 'crackle' : v.w ? 'wheeze' : 'normal']));
}

/** Out-of-fold scores and, per test fold, the thresholds chosen on the other folds' out-of-fold scores. */
interface Oof {
  scored: Scored[];
  foldOf: Map<Scored, number>;
  thresholds: Map<number, Thresholds>;
}

function withThresholds(scored: Scored[], foldOf: Map<Scored, number>, folds: number): Oof {
  const thresholds = new Map<number, Thresholds>();
  for (let f = 0; f < folds; f++) thresholds.set(f, chooseThresholds(scored.filter((s) => foldOf.get(s) !== f)));
  return { scored, foldOf, thresholds };
}

async function crossValidate(
  items: Extracted[],
  folds: Fold[],
  score: (train: Extracted[], test: Extracted[]) => Promise<Scored[]>,
): Promise<Oof> {
  const scored: Scored[] = [];
  const foldOf = new Map<Scored, number>();
  for (const fold of folds) {
    const test = items.filter((it) => fold.test.has(it.rec.patient));
    const train = items.filter((it) => fold.train.has(it.rec.patient));
    for (const s of await score(train, test)) {
      scored.push(s);
      foldOf.set(s, fold.fold);
    }
  }
  return withThresholds(scored, foldOf, folds.length);
}

const figuresOf = (oof: Oof, rounds: number, seed: number): SetFigures =>
  setFigures(oof.scored, (s) => oof.thresholds.get(oof.foldOf.get(s)!)!, rounds, seed);

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const r3n = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : r3(x));
const iv = (i: { value: number; lo: number; hi: number }) => ({ value: r3n(i.value), lo: r3n(i.lo), hi: r3n(i.hi) });
const bin = (b: Binary) => ({
  auroc: b.auroc ? iv(b.auroc) : null,
  sensitivity: iv(b.sensitivity),
  specificity: iv(b.specificity),
  average: iv(b.average),
  positives: b.positives,
  negatives: b.negatives,
  patients: b.patients,
});
const setCard = (f: SetFigures) => ({
  crackle: { stepAuroc: r3n(f.crackle.stepAuroc), event: bin(f.crackle.event), recording: bin(f.crackle.recording) },
  wheeze: { stepAuroc: r3n(f.wheeze.stepAuroc), event: bin(f.wheeze.event), recording: bin(f.wheeze.recording) },
  eventFourClass: {
    sensitivity: iv(f.eventFourClass.sensitivity),
    specificity: iv(f.eventFourClass.specificity),
    average: iv(f.eventFourClass.average),
    events: f.eventFourClass.events,
  },
  recordings: f.recordings,
  patients: f.patients,
});

/** The learned quality check: window rows (rules + mean embedding), patient- and class-balanced. */
function qualityData(items: Extracted[], use: 'rules' | 'embedding' | 'both') {
  const dims = use === 'rules' ? RULE_DIMS : use === 'embedding' ? QUALITY_DIMS - RULE_DIMS : QUALITY_DIMS;
  const rows = items.map((it) => {
    const full = qualityRows(it.quality, it.embeddings);
    if (use === 'both') return full;
    const out = new Float32Array(it.quality.count * dims);
    for (let i = 0; i < it.quality.count; i++)
      out.set(
        full.subarray(
          i * QUALITY_DIMS + (use === 'rules' ? 0 : RULE_DIMS),
          i * QUALITY_DIMS + (use === 'rules' ? RULE_DIMS : QUALITY_DIMS),
        ),
        i * dims,
      );
    return out;
  });
  return { rows, dims };
}

async function fitQuality(
  items: Extracted[],
  rows: Float32Array[],
  dims: number,
  steps: number,
): Promise<LogisticWeights> {
  const n = items.reduce((a, it) => a + it.quality.count, 0);
  const x = new Float32Array(n * dims);
  const y = new Float32Array(n);
  const w = new Float32Array(n);
  const winOf = new Map<string, number>();
  for (const it of items) winOf.set(it.rec.patient, (winOf.get(it.rec.patient) ?? 0) + it.quality.count);
  let r = 0;
  items.forEach((it, i) => {
    x.set(rows[i]!, r * dims);
    for (let j = 0; j < it.quality.count; j++) {
      y[r + j] = it.rec.poor ? 1 : 0;
      w[r + j] = 1 / winOf.get(it.rec.patient)!;
    }
    r += it.quality.count;
  });
  let pos = 0;
  let neg = 0;
  for (let j = 0; j < n; j++) {
    if (y[j]) pos += w[j]!;
    else neg += w[j]!;
  }
  for (let j = 0; j < n; j++) w[j]! *= y[j] ? 0.5 / Math.max(pos, 1e-12) : 0.5 / Math.max(neg, 1e-12);
  return trainLogistic(x, y, w, n, dims, 1, { ...DEFAULT_LOGISTIC, steps });
}

const meanP = (wt: LogisticWeights, rows: Float32Array, n: number): number => {
  const z = logisticLogits(wt, rows, n);
  let s = 0;
  for (const v of z) s += sigmoid(v);
  return s / Math.max(1, n);
};

export interface TrainSoundsResult {
  card: SoundsCard;
  cardPath: string;
  markdownPath: string;
  onnxPath: string;
  qualityOnnxPath: string;
  seconds: number;
}

/** Data, features and the patient-grouped folds: what a training run and a misses run share. */
async function prepare(opts: TrainSoundsOptions, poolOnly = false) {
  const log = opts.log;
  const all = subset(loadSprsound(opts.data), opts.patientsPerSubset);
  // a misses run needs only the cross-validation's recordings (the folds depend on those alone)
  const spr = poolOnly ? all.filter((r) => POOL.has(r.subset) && !r.poor) : all;
  const kauhRecs = opts.kauh ? subset(loadKauh(opts.kauh), opts.patientsPerSubset) : [];
  log(`train-sounds: ${spr.length} SPRSound recordings, ${kauhRecs.length} KAUH recordings`);
  const bandwidthHz = 2000; // both sets are 4 kHz recordings: the head's band
  const ext = await extractAll([...spr, ...kauhRecs], {
    cacheDir: opts.cacheDir,
    modelsDir: opts.modelsDir,
    bandwidthHz,
    log,
  });
  const tFeatures = performance.now();
  const sprItems = ext.items.filter((it) => it.rec.subset !== 'kauh');
  const kauhItems = ext.items.filter((it) => it.rec.subset === 'kauh');
  // the detector learns and is judged on recordings the physicians could annotate
  const pool = sprItems.filter((it) => POOL.has(it.rec.subset) && !it.rec.poor);
  const held = sprItems.filter((it) => HELD_OUT.includes(it.rec.subset) && !it.rec.poor);
  const poolPatients = new Set(pool.map((it) => it.rec.patient));
  const leak = held.filter((it) => poolPatients.has(it.rec.patient));
  if (leak.length > 0)
    throw new TrainingError(
      'DATA_INVALID',
      `${leak.length} held-out recordings belong to training children (e.g. ${leak[0]!.rec.file})`,
    );
  if (pool.length === 0) throw new TrainingError('TOO_FEW_PATIENTS', 'no annotated SPRSound recordings to train on');
  const folds = groupedStratifiedKFold(patientStrata(pool), new Map(), opts.folds, 1, opts.seed);
  return { spr, ext, tFeatures, sprItems, kauhItems, pool, held, poolPatients, folds, bandwidthHz };
}

export const FAILURES_PROTOCOL =
  "Out-of-fold, as in the cross-validation above: each annotated event of the type (Wheeze+Crackle counts for both) is missed when the steps it is judged by stay below its fold's threshold; a recording is missed when no step reaches it. Tone prominence: the mean over the event's steps of the spectral peak's height above the median bin; transient rate: 2 ms blocks 10 dB above the step's median, per second; level: the steps' level against the recording's median step (dB). Thirds: cut at the annotated events' own terciles. The recordings behind these counts: `train-sounds --misses <file>` (not committed: file names are data)";

function failuresCard(oof: Oof) {
  const thr = (s: Scored) => oof.thresholds.get(oof.foldOf.get(s)!)!;
  const fold = (s: Scored) => oof.foldOf.get(s)!;
  const crackle = failuresOf(oof.scored, thr, fold, 'crackle');
  const wheeze = failuresOf(oof.scored, thr, fold, 'wheeze');
  return {
    card: { protocol: FAILURES_PROTOCOL, crackle: crackle.figures, wheeze: wheeze.figures },
    missed: [...wheeze.missed, ...crackle.missed],
  };
}

export interface SoundsMissesResult {
  featureSet: FeatureSet;
  failures: NonNullable<SoundsCard['evaluation']['failures']>;
  /** Quick (no bootstrap) out-of-fold recording AUROCs: the same as the card's when the run matches it. */
  recordingAuroc: { crackle: number | null; wheeze: number | null };
  missesPath: string;
  seconds: number;
}

/**
 * `train-sounds --misses <file>`: only the shipped feature set's cross-validation (no training of the
 * shipped model, nothing written to models/): which annotated recordings the folds miss, written as
 * JSON lines to the file (file names: data, keep it out of the repository), and the card's groups.
 */
export async function soundsMisses(opts: TrainSoundsOptions & { misses: string; featureSet: FeatureSet }) {
  const t0 = performance.now();
  const p = await prepare({ ...opts, kauh: undefined }, true);
  const steps = opts.steps ?? DEFAULT_LOGISTIC.steps;
  let k = 0;
  const oof = await crossValidate(p.pool, p.folds, async (train, test) => {
    const wt = await fitDetector(train, opts.featureSet, steps);
    opts.log(`train-sounds: ${opts.featureSet}: fold ${++k}/${p.folds.length}`);
    return scoreWith(wt, opts.featureSet, test);
  });
  const f = failuresCard(oof);
  const quick = figuresOf(oof, 0, opts.seed);
  mkdirSync(dirname(resolve(opts.misses)), { recursive: true });
  writeFileSync(opts.misses, f.missed.map((m) => JSON.stringify(m)).join('\n') + '\n');
  const result: SoundsMissesResult = {
    featureSet: opts.featureSet,
    failures: f.card,
    recordingAuroc: {
      crackle: r3n(quick.crackle.recording.auroc?.value ?? null),
      wheeze: r3n(quick.wheeze.recording.auroc?.value ?? null),
    },
    missesPath: resolve(opts.misses),
    seconds: (performance.now() - t0) / 1000,
  };
  return result;
}

export async function trainSounds(opts: TrainSoundsOptions): Promise<TrainSoundsResult> {
  const t0 = performance.now();
  const log = opts.log;
  const { spr, ext, tFeatures, sprItems, kauhItems, pool, held, poolPatients, folds, bandwidthHz } =
    await prepare(opts);
  const steps = opts.steps ?? DEFAULT_LOGISTIC.steps;
  const rounds = opts.bootstrapRounds;
  const sets = opts.featureSets ?? [...DEFAULT_CANDIDATES];

  // --- candidates and baselines on the same folds
  const oofs = new Map<string, Oof>();
  const handOof = await crossValidate(pool, folds, async (_train, test) => handScores(test));
  // each candidate's KAUH figures in the comparison table: the mean step probabilities of its fold models
  // (an ensemble of models that never saw KAUH), so comparing candidates costs no extra training
  const kauhEnsembles = new Map<string, Scored[]>();
  for (const set of sets) {
    let k = 0;
    const ens = kauhItems.map((item) => ({ item, steps: new Float32Array(item.count * 2) }));
    oofs.set(
      set,
      await crossValidate(pool, folds, async (train, test) => {
        const wt = await fitDetector(train, set, steps);
        log(`train-sounds: ${set}: fold ${++k}/${folds.length}`);
        scoreWith(wt, set, kauhItems).forEach((sc, i) => {
          for (let j = 0; j < sc.steps.length; j++) ens[i]!.steps[j]! += sc.steps[j]! / folds.length;
        });
        return scoreWith(wt, set, test);
      }),
    );
    kauhEnsembles.set(set, ens);
  }
  const quick = (oof: Oof) => figuresOf(oof, 0, opts.seed);
  const summaries = new Map([...oofs].map(([k, v]) => [k, quick(v)]));
  const criterion = (f: SetFigures) =>
    ((f.crackle.recording.auroc?.value ?? 0) + (f.wheeze.recording.auroc?.value ?? 0)) / 2;
  const chosen = [...summaries.entries()].sort(
    (a, b) => criterion(b[1]) - criterion(a[1]) || a[0].localeCompare(b[0]),
  )[0]![0] as FeatureSet;
  log(
    `train-sounds: chosen feature set ${chosen} (mean CV recording AUROC ${criterion(summaries.get(chosen)!).toFixed(3)})`,
  );
  const main = figuresOf(oofs.get(chosen)!, rounds, opts.seed);
  const tCv = performance.now();

  // --- the shipped detector: all pool children; thresholds and Platt maps from all out-of-fold scores
  const shippedW = await fitDetector(pool, chosen, steps);
  const mainOof = oofs.get(chosen)!;
  const thresholds = chooseThresholds(mainOof.scored);
  const col = (s: Scored, k: number) => Float32Array.from({ length: s.item.count }, (_, i) => s.steps[2 * i + k]!);
  const plattOf = (k: 0 | 1) =>
    fitPlatt(
      mainOof.scored.map((s) => ({
        score: recordingScore(col(s, k)),
        truth: k === 0 ? s.item.rec.crackle : s.item.rec.wheeze,
      })),
    );
  const plattC = plattOf(0);
  const plattW = plattOf(1);
  const heldScored = scoreWith(shippedW, chosen, held);
  const heldFig = setFigures(heldScored, () => thresholds, rounds, opts.seed + 100);
  const kauhScored = kauhItems.length ? scoreWith(shippedW, chosen, kauhItems) : [];
  const kauh = kauhItems.length ? kauhFigures(kauhScored, thresholds, rounds, opts.seed + 200) : null;

  // comparisons: every candidate and the baselines, their KAUH figures from a model on all pool children
  const comparisons: SoundsCard['evaluation']['comparisons'] = [];
  const kauhAurocs = (scored: Scored[]) => {
    if (!scored.length) return null;
    const f = kauhFigures(scored, { crackle: 0.5, wheeze: 0.5 }, 0, 0);
    return { crackleAuroc: r3n(f.crackle.auroc?.value ?? null), wheezeAuroc: r3n(f.wheeze.auroc?.value ?? null) };
  };
  const compare = (name: string, note: string, f: SetFigures, k: ReturnType<typeof kauhAurocs>) =>
    comparisons.push({
      name,
      note,
      crackle: {
        stepAuroc: r3n(f.crackle.stepAuroc),
        recordingAuroc: r3n(f.crackle.recording.auroc?.value ?? null),
        eventAverage: r3n(f.crackle.event.average.value),
      },
      wheeze: {
        stepAuroc: r3n(f.wheeze.stepAuroc),
        recordingAuroc: r3n(f.wheeze.recording.auroc?.value ?? null),
        eventAverage: r3n(f.wheeze.event.average.value),
      },
      fourClassAverage: r3n(f.eventFourClass.average.value),
      kauh: k,
    });
  const prevalence = pool.filter((it) => it.rec.crackle).length / pool.length;
  const prevalenceW = pool.filter((it) => it.rec.wheeze).length / pool.length;
  comparisons.push({
    name: 'prevalence',
    note: `the training folds' prevalence for every recording (crackles ${(prevalence * 100).toFixed(0)} %, wheezes ${(prevalenceW * 100).toFixed(0)} % of recordings): AUROC 0.5 and (sensitivity + specificity) / 2 = 0.5 by construction`,
    crackle: { stepAuroc: 0.5, recordingAuroc: 0.5, eventAverage: 0.5 },
    wheeze: { stepAuroc: 0.5, recordingAuroc: 0.5, eventAverage: 0.5 },
    fourClassAverage: 0.5,
    kauh: kauhItems.length ? { crackleAuroc: 0.5, wheezeAuroc: 0.5 } : null,
  });
  compare(
    'hand-crafted detector',
    'no learning: crackle score = rate of 2 ms blocks 10 dB above the step median (differenced signal); wheeze score = longest held spectral peak (share of the step); thresholds from the training folds',
    quick(handOof),
    kauhAurocs(handScores(kauhItems)),
  );
  for (const set of sets) {
    const note =
      set === 'embedding'
        ? "the issue's baseline: logistic regression on standardised YAMNet patch embeddings (2 kHz band)"
        : set === 'embedding+hand'
          ? 'embeddings + the 11 hand-crafted descriptors (transients at 2 ms, spectral peaks at 10 ms, summarised per step)'
          : set === 'embedding+recnorm'
            ? "embeddings + each embedding minus its recording's mean (per-recording normalisation)"
            : 'embeddings + per-recording normalisation + the hand-crafted descriptors';
    compare(
      `logistic on ${set}${set === chosen ? ' (shipped)' : ''}`,
      note,
      summaries.get(set)!,
      kauhAurocs(kauhEnsembles.get(set)!),
    );
  }
  const tEval = performance.now();

  // --- the learned quality check: every SPRSound recording, patient-grouped folds over all 385 children
  const qFolds = groupedStratifiedKFold(
    new Map(
      sprItems.map((it) => [
        it.rec.patient,
        sprItems.some((o) => o.rec.patient === it.rec.patient && o.rec.poor) ? 'poor' : 'ok',
      ]),
    ),
    new Map(),
    opts.folds,
    1,
    opts.seed + 1,
  );
  const qAuroc = async (use: 'rules' | 'embedding' | 'both') => {
    const { rows, dims } = qualityData(sprItems, use);
    const p = new Map<Extracted, number>();
    for (const fold of qFolds) {
      const trainIdx = sprItems.map((it, i) => [it, i] as const).filter(([it]) => fold.train.has(it.rec.patient));
      const wt = await fitQuality(
        trainIdx.map(([it]) => it),
        trainIdx.map(([, i]) => rows[i]!),
        dims,
        steps,
      );
      sprItems.forEach((it, i) => {
        if (fold.test.has(it.rec.patient)) p.set(it, meanP(wt, rows[i]!, it.quality.count));
      });
    }
    return p;
  };
  const qBoth = await qAuroc('both');
  const qRules = await qAuroc('rules');
  const qEmb = await qAuroc('embedding');
  const qUnits = (p: Map<Extracted, number>) =>
    sprItems.map((it) => ({ patient: it.rec.patient, score: p.get(it)!, truth: it.rec.poor }));
  const qThreshold = youden(qUnits(qBoth));
  const qFig = binaryFigures(qUnits(qBoth), qThreshold, rounds, opts.seed + 300);
  const aur = (p: Map<Extracted, number>) =>
    r3n(
      auroc(
        qUnits(p).map((u) => u.score),
        qUnits(p).map((u) => u.truth),
      ),
    );
  const { rows: qRows, dims: qDims } = qualityData(sprItems, 'both');
  const qualityW = await fitQuality(sprItems, qRows, qDims, steps);
  log(`train-sounds: quality AUROC ${aur(qBoth)} (rules only ${aur(qRules)}, embedding only ${aur(qEmb)})`);

  // --- write
  const onnx = logisticToOnnx(shippedW, {
    classes: 'crackle,wheeze',
    features: chosen,
    seed: String(opts.seed),
    training_data: 'sprsound',
  });
  const qOnnx = logisticToOnnx(qualityW, {
    classes: 'poor',
    features: 'rules+embedding',
    seed: String(opts.seed),
    training_data: 'sprsound',
  });
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const trainedSteps = pool.reduce((a, it) => a + it.count, 0);
  const poolSubsets = [...POOL].join(' + ');
  const unidentified = spr.filter((r) => r.patient.startsWith('unidentified-')).length;
  const card: SoundsCard = SoundsCardSchema.parse({
    schema: 'auscult.sounds-card/1',
    name: 'auscult-sounds-sprsound',
    version: '1.0.0',
    classes: ['crackle', 'wheeze'],
    architecture: `two independent logistic regressions (sigmoid) on standardised per-step features (${chosen}: ${featureDims(chosen)} values per step), L2 ${DEFAULT_LOGISTIC.l2}, full-batch Adam ${steps} steps, rows weighted so that every child counts the same and positives weigh as much as negatives; TensorFlow.js (WebAssembly backend)`,
    onnxFile: 'sounds.onnx',
    onnxSha256: sha(onnx),
    input: {
      embedding: 'yamnet-1024',
      bandwidthHz,
      features: chosen,
      handFeatures: [...HAND_FEATURES],
      featureVersion: FEATURE_VERSION,
      stepSec: STEP_SEC,
      stepHopSec: STEP_HOP_SEC,
    },
    detection: {
      crackle: { threshold: thresholds.crackle, platt: plattC },
      wheeze: { threshold: thresholds.wheeze, platt: plattW },
      definition:
        "one step = one YAMNet patch (0.96 s every 0.48 s). A step fires when its probability reaches the type's threshold (Youden point of the out-of-fold SPRSound recording scores); an event is a run of firing steps spanning their central 0.48 s; present = at least one event; the recording's probability = Platt(max step probability)",
    },
    quality: {
      onnxFile: 'quality.onnx',
      onnxSha256: sha(qOnnx),
      classes: ['poor'],
      windowSec: QUALITY_WINDOW_SEC,
      ruleFeatures: [...RULE_FEATURES],
      threshold: qThreshold,
      evaluation: {
        protocol: `patient-grouped ${opts.folds}-fold CV over all ${new Set(sprItems.map((it) => it.rec.patient)).size} SPRSound children (every subset); P(poor) of a recording = mean over its ${QUALITY_WINDOW_SEC} s windows; 95 % intervals: bootstrap over children (${rounds} rounds); threshold = Youden point of the out-of-fold recordings`,
        auroc: qFig.auroc ? iv(qFig.auroc) : { value: null, lo: null, hi: null },
        recordings: sprItems.length,
        poor: sprItems.filter((it) => it.rec.poor).length,
        patients: qFig.patients,
        sensitivity: iv(qFig.sensitivity),
        specificity: iv(qFig.specificity),
        comparisons: [
          {
            name: 'rule-based measures only',
            auroc: aur(qRules),
            note: 'logistic on the 5 measures of src/audio/quality.ts per window (clipping, RMS, peak, silence, noise floor)',
          },
          { name: 'embedding only', auroc: aur(qEmb), note: "logistic on the window's mean YAMNet embedding" },
          { name: 'rules + embedding (shipped)', auroc: aur(qBoth), note: 'both, one logistic regression' },
        ],
      },
    },
    training: {
      data: `SPRSound ${poolSubsets}: ${pool.length} annotated recordings of ${poolPatients.size} children (${sprItems.filter((it) => POOL.has(it.rec.subset) && it.rec.poor).length} Poor Quality recordings left out of the detector), 4 kHz FLAC, band-limited 2 kHz; quality model: all ${sprItems.length} SPRSound recordings${opts.patientsPerSubset ? ` (subset: first ${opts.patientsPerSubset} children per subset)` : ''}`,
      citation: SPRSOUND_CITATION,
      licence: 'SPRSound: open access (IEEE DataPort / the SJTU repository); cite the paper',
      command: opts.command,
      seed: opts.seed,
      engineVersion: ENGINE_VERSION,
      yamnetSourceSha256: ext.yamnetSourceSha256,
      recordings: pool.length,
      patients: poolPatients.size,
      steps: trainedSteps,
    },
    evaluation: {
      protocol:
        `SPRSound cross-validation: patient-grouped ${opts.folds}-fold over the children of ${poolSubsets} (test2022_intra shares its children with train2022: all of a child's recordings on one side), stratified by the sounds a child has; Poor Quality recordings excluded. ` +
        `Each test fold's thresholds are the Youden points of the other folds' out-of-fold recording scores. Step: a step is crackle/wheeze when an annotated event of that type covers ≥ 0.12 s of its central 0.48 s. Event: each physician-annotated event, scored by the steps whose central half it overlaps (max). ` +
        `Recording: crackles present = record label DAS or CAS & DAS (or a crackle event); wheezes = CAS or CAS & DAS. 95 % intervals: percentile bootstrap over children (${rounds} rounds). ` +
        `Held-out: the shipped model (all ${poolPatients.size} pool children) with the shipped thresholds on ${HELD_OUT.join(' + ')} (children never in training${unidentified ? `; ${unidentified} recordings without a patient id grouped by age and sex` : ''}). ` +
        `KAUH: the same shipped model, never trained on KAUH, per patient (mean of the bell, diaphragm and extended versions), crackles = sound types C, Crep, I C, I C E W, I C B; wheezes = E W, I E W, I C E W; flagged files excluded.`,
      crossValidation: setCard(main),
      heldOut: { ...setCard(heldFig), subsets: HELD_OUT },
      kauh: kauh
        ? {
            protocol: `${new Set(kauhItems.map((it) => it.rec.patient)).size} adult patients, ${kauhItems.length} recordings; thresholds as shipped (chosen on SPRSound)`,
            crackle: bin(kauh.crackle),
            wheeze: bin(kauh.wheeze),
            perFilter: kauh.perFilter.map((f) => ({
              filter: f.filter,
              crackleAuroc: r3n(f.crackleAuroc),
              wheezeAuroc: r3n(f.wheezeAuroc),
            })),
          }
        : null,
      comparisons,
      choice: `shipped feature set: ${chosen}, the candidate with the highest mean SPRSound cross-validated recording AUROC (crackle, wheeze), decided before looking at KAUH or the held-out sets`,
      failures: failuresCard(mainOof).card,
    },
    intendedUse:
      'Decision support during lung auscultation: where in a recording crackles and wheezes are likely, for a clinician to check by ear and on the spectrogram. Not a diagnosis; not for use without a clinician.',
    limitations: [] as string[],
  });
  card.limitations.push(
    `Trained on children (SPRSound, one hospital, Yunting model II stethoscopes); adults and other stethoscopes only as measured on KAUH below.`,
    `Crackles are short transients (milliseconds); the detector's step is a 0.96 s YAMNet patch, so it marks the breath phase that holds crackles, not single crackles.`,
    kauh
      ? `Across datasets (KAUH adults, patient level): crackle AUROC ${kauh.crackle.auroc ? r3(kauh.crackle.auroc.value) : 'n/a'}, wheeze AUROC ${kauh.wheeze.auroc ? r3(kauh.wheeze.auroc.value) : 'n/a'}; at the children's thresholds crackle sensitivity ${r3(kauh.crackle.sensitivity.value)} / specificity ${r3(kauh.crackle.specificity.value)}, wheeze ${r3(kauh.wheeze.sensitivity.value)} / ${r3(kauh.wheeze.specificity.value)}.`
      : 'Not checked across datasets in this run (no --kauh).',
    'Probabilities: the step values are the logistic outputs of a class-balanced model (not calibrated); the recording-level probability is Platt-calibrated on SPRSound out-of-fold recordings, i.e. on one device and population.',
  );
  mkdirSync(opts.out, { recursive: true });
  const out = resolve(opts.out);
  const write = (path: string, data: Uint8Array | string) => {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  };
  const onnxPath = join(out, 'sounds.onnx');
  const qualityOnnxPath = join(out, 'quality.onnx');
  const cardPath = join(out, 'sounds.card.json');
  const markdownPath = join(out, 'sounds.card.md');
  const seconds = (performance.now() - t0) / 1000;
  write(onnxPath, onnx);
  write(qualityOnnxPath, qOnnx);
  write(cardPath, JSON.stringify(card, null, 2) + '\n');
  write(
    markdownPath,
    soundsCardMarkdown(card, {
      totalSeconds: seconds,
      featureSeconds: (tFeatures - t0) / 1000,
      cvSeconds: (tCv - tFeatures) / 1000,
      evalSeconds: (tEval - tCv) / 1000,
      cacheHits: ext.hits,
      cacheMisses: ext.misses,
    }),
  );
  log(`train-sounds: wrote ${onnxPath}, ${qualityOnnxPath}, ${cardPath}, ${markdownPath} in ${seconds.toFixed(1)} s`);
  return { card, cardPath, markdownPath, onnxPath, qualityOnnxPath, seconds };
}
