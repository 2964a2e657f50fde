/**
 * train-head end to end: read the labelled folder, embed every recording (cached), evaluate by
 * patient-grouped repeated k-fold beside the baselines, train the shipped head on all eligible
 * patients, export it to ONNX and write its model card (JSON + Markdown).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLASS_ORDER } from '../analysis-types.js';
import { readAudioFile } from '../front-end.js';
import { ModelCardSchema, type ModelCard } from '../model-card.js';
import { windowMeans } from '../scoring.js';
import { bandwidthCheck, type BandwidthCheck } from './bandwidth-check.js';
import { buildCard, cardMarkdown, type EvaluationReport } from './card.js';
import {
  eligibleFiles,
  loadDataset,
  patientLabels,
  type Dataset,
  type LabelledFile,
  type TrainLabel,
} from './dataset.js';
import { EmbeddingCache } from './embedding-cache.js';
import { embedderVersions, loadEmbedder, type Embedder } from './embedder.js';
import { TrainingError } from './errors.js';
import {
  DEFAULT_SUMMARY,
  crossValidate,
  crossValidateFiles,
  majorityBaseline,
  mergeRuns,
  recordingFigures,
  summarise,
  type OofRun,
  type Summary,
  type Trainer,
} from './evaluate.js';
import { headToOnnx } from './export-onnx.js';
import { DEFAULT_LINEAR, trainLinear } from './linear.js';
import { DEFAULT_MLP, trainMlp } from './mlp.js';
import { groupedStratifiedKFold, naiveFileKFold } from './splits.js';
import { buildTrainRows, type FileWindows, type OtherPolicy } from './windows.js';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { PATCH_HOP_SEC } from '../../features/yamnet-params.js';
import { parseCsvRecords } from '../../common/csv.js';
import { bandLimited16k } from '../engine.js';
import { assessSignalQuality } from '../front-end.js';
import { readClassMap } from '../class-map.js';
import { CLASS_MAP, defaultModelsDir } from '../paths.js';
import { CompetenceGate } from '../gate/gate.js';
import { patchChecks } from '../gate/checks.js';
import { FOREIGN_GROUPS, fitGate, gateFileText, type GateFitOptions } from './gate-fit.js';
import { decideSample, gateOutOfFold, gateSample, rate, type GateSample } from './gate-eval.js';
import { makeNonChestInputs, nonChestToolsMissing } from './non-chest.js';
import type { GateRates } from './card.js';

export interface TrainHeadOptions {
  data: string;
  out: string;
  seed: number;
  cacheDir: string;
  folds: number;
  repeats: number;
  epochs: number;
  windowSec: number;
  hopSec: number;
  /** The head: 'linear' (multinomial logistic regression, L2) or 'mlp' (ARCHITECTURE.md's MLP); the other is evaluated beside it. */
  model: HeadModel;
  /** 'auto' measures both and keeps the better (see decideOtherPolicy). */
  otherPolicy: OtherPolicy | 'auto';
  /** Keep only the first N patients (by id) of each label: for quick runs and tests. */
  patientsPerLabel?: number;
  bootstrapRounds: number;
  /** Skip the naive file-level comparison (tests). */
  naive: boolean;
  /** Run the 44.1 kHz + out-of-band-content check through the engine with the new head. */
  checkBandwidth: boolean;
  modelsDir?: string;
  /** SPRSound (sprsound_index.csv + audio/): the gate's rate on another population; null: not measured. */
  sprsound?: string | null;
  /** Generate the non-chest inputs (espeak-ng, sox) and put them through the fitted gate (default true). */
  nonChest?: boolean;
  /** The command line recorded in the card. */
  command: string;
  citation?: string;
  licence?: string;
  log: (line: string) => void;
}

export type HeadModel = 'linear' | 'mlp';

export const DEFAULTS = {
  model: 'linear' as HeadModel,
  seed: 20211,
  folds: 5,
  repeats: 2,
  epochs: DEFAULT_MLP.epochs,
  windowSec: 3,
  hopSec: 3,
  otherPolicy: 'auto' as const,
  bootstrapRounds: DEFAULT_SUMMARY.bootstrapRounds,
};

export const KAUH_CITATION =
  'Fraiwan M, Fraiwan L, Khassawneh B, Ibnian A (2021). A dataset of lung sounds recorded from the chest wall using an electronic stethoscope. ' +
  'Mendeley Data, V3, doi:10.17632/jwyy9np4gv.3 (data article: Data in Brief 35 (2021) 106913).';

export interface TrainHeadResult {
  card: ModelCard;
  cardPath: string;
  onnxPath: string;
  markdownPath: string;
  report: EvaluationReport;
  timings: {
    embedSeconds: number;
    evaluateSeconds: number;
    finalSeconds: number;
    totalSeconds: number;
    cacheHits: number;
    cacheMisses: number;
  };
}

function subset(files: LabelledFile[], perLabel: number | undefined): LabelledFile[] {
  if (perLabel === undefined) return files;
  const byLabel = new Map<TrainLabel, string[]>();
  for (const p of [...new Set(files.map((f) => f.patient))].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  )) {
    const label = files.find((f) => f.patient === p)!.label;
    byLabel.set(label, [...(byLabel.get(label) ?? []), p]);
  }
  const keep = new Set([...byLabel.values()].flatMap((ps) => ps.slice(0, perLabel)));
  return files.filter((f) => keep.has(f.patient));
}

/** Bandwidth of the training data: the Nyquist frequency of its lowest sample rate (at most 8 kHz, YAMNet's own limit). */
export function bandwidthOf(rates: number[]): number {
  return Math.min(8000, Math.min(...rates) / 2);
}

async function embedAll(
  files: LabelledFile[],
  opts: TrainHeadOptions,
): Promise<{
  windows: FileWindows[];
  bandwidthHz: number;
  versions: Awaited<ReturnType<typeof embedderVersions>>;
  cache: EmbeddingCache;
  rates: number[];
  gateSamples: GateSample[];
  classMap: string[];
}> {
  const versions = await embedderVersions(opts.modelsDir, opts.log);
  const audio = new Map<string, { samples: Float32Array; sampleRate: number }>();
  const rates: number[] = [];
  for (const f of files) {
    const a = await readAudioFile(f.path).catch((err: unknown) => {
      throw new TrainingError(
        'DATA_INVALID',
        `cannot read ${f.path} (${err instanceof Error ? err.message : String(err)}); fix or exclude the file`,
      );
    });
    rates.push(a.sampleRate);
    audio.set(f.path, { samples: a.samples, sampleRate: a.sampleRate });
  }
  const bandwidthHz = bandwidthOf(rates);
  const cache = new EmbeddingCache(opts.cacheDir, {
    engineVersion: versions.engineVersion,
    yamnetSha256: versions.yamnet.sha256,
  });
  const held: { embedder: Embedder | null } = { embedder: null };
  const windows: FileWindows[] = [];
  const gateSamples: GateSample[] = [];
  const classMap = readClassMap(join(opts.modelsDir ?? defaultModelsDir(), CLASS_MAP));
  try {
    for (const [i, f] of files.entries()) {
      const a = audio.get(f.path)!;
      const pass = await cachedPass(cache, f.sha256, a, bandwidthHz, async () => {
        held.embedder ??= await loadEmbedder(opts.modelsDir, opts.log);
        return held.embedder;
      });
      const w = windowMeans(pass.embeddings, pass.count, opts.windowSec, opts.hopSec);
      windows.push({ file: f, windows: w.data, count: w.count });
      gateSamples.push(
        gateSample(
          { id: f.file, patient: f.patient },
          pass,
          a.samples.length / a.sampleRate,
          assessSignalQuality(a.samples, a.sampleRate),
          classMap,
          FOREIGN_GROUPS,
        ),
      );
      audio.delete(f.path);
      if ((i + 1) % 50 === 0)
        opts.log(`train-head: embedded ${i + 1}/${files.length} recordings (cache ${cache.hits} hits)`);
    }
  } finally {
    await held.embedder?.close();
  }
  return { windows, bandwidthHz, versions, cache, rates, gateSamples, classMap };
}

/** Band-limited embeddings + AudioSet scores of one file, from the cache or YAMNet (then cached). */
async function cachedPass(
  cache: EmbeddingCache,
  sha256: string,
  a: { samples: Float32Array; sampleRate: number },
  bandwidthHz: number,
  embedder: () => Promise<Embedder>,
): Promise<{
  banded16k: Float32Array;
  embeddings: Float32Array;
  scores: Float32Array;
  count: number;
  startsSec: number[];
}> {
  const hit = cache.get(sha256, bandwidthHz);
  const scores = hit ? cache.getScores(sha256, bandwidthHz, hit.count) : null;
  if (hit && scores) {
    const banded16k = await bandLimited16k(a.samples, a.sampleRate, bandwidthHz);
    return { banded16k, embeddings: hit.embeddings, scores, count: hit.count, startsSec: patchStarts(hit.count) };
  }
  const out = await (await embedder()).embed(a.samples, a.sampleRate, bandwidthHz);
  cache.put(sha256, bandwidthHz, out.embeddings);
  cache.putScores(sha256, bandwidthHz, out.scores);
  return { ...out, startsSec: patchStarts(out.count) };
}

function patchStarts(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i * PATCH_HOP_SEC);
}

/**
 * Decide what the "other" patients teach, from the two cross-validated runs on the same folds:
 * keep 'abnormal' only if it catches more of them as abnormal or uncertain without costing the
 * five-class balanced accuracy or the screen AUROC more than 0.02.
 */
export function decideOtherPolicy(exclude: Summary, abnormal: Summary): { policy: OtherPolicy; reason: string } {
  const eo = exclude.other;
  const ao = abnormal.other;
  if (!eo || !ao) return { policy: 'exclude', reason: 'no "other" patients in the data' };
  // "caught" = screened abnormal, or (if never) flagged uncertain; when the five-class answer is
  // always uncertain (floor 1), only the screen can tell the policies apart
  const caught = (o: NonNullable<Summary['other']>, s: Summary) =>
    s.abstain.minTopProbability >= 1
      ? o.screenedAbnormal
      : o.screenedAbnormal + (1 - o.screenedAbnormal) * o.flaggedUncertain;
  const catchE = caught(eo, exclude);
  const catchA = caught(ao, abnormal);
  const costBa = exclude.balancedAccuracy.value - abnormal.balancedAccuracy.value;
  const costScreen = exclude.screen.auroc.value - abnormal.screen.auroc.value;
  const fmt = (s: Summary) =>
    `balanced accuracy ${s.balancedAccuracy.value.toFixed(3)}, screen AUROC ${s.screen.auroc.value.toFixed(3)} ` +
    `(${s.screen.aurocWithOther?.toFixed(3) ?? 'n/a'} counting "other" as abnormal), "other" recordings screened abnormal ${(s.other!.screenedAbnormal * 100).toFixed(0)} %, flagged uncertain ${(s.other!.flaggedUncertain * 100).toFixed(0)} %`;
  const measured = `excluded: ${fmt(exclude)}; trained as abnormal-not-one-of-four: ${fmt(abnormal)}`;
  if (catchA > catchE && costBa <= 0.02 && costScreen <= 0.02)
    return { policy: 'abnormal', reason: `trained as abnormal (catches more, costs ≤ 0.02). ${measured}` };
  return {
    policy: 'exclude',
    reason: `left out of training (training on them did not catch more of them without costing > 0.02). ${measured}`,
  };
}

export async function trainHead(opts: TrainHeadOptions): Promise<TrainHeadResult> {
  const t0 = performance.now();
  const ds: Dataset = loadDataset(opts.data);
  const files = subset(eligibleFiles(ds), opts.patientsPerLabel);
  const excluded = ds.files.filter((f) => f.excluded);
  opts.log(
    `train-head: ${files.length} recordings of ${new Set(files.map((f) => f.patient)).size} patients (${excluded.length} excluded: ${excluded.map((f) => f.file).join('; ') || 'none'})`,
  );
  const labels = patientLabels(files);
  const fiveClassPatients = [...labels.values()].filter((l) => l !== 'other').length;
  if (fiveClassPatients < opts.folds)
    throw new TrainingError(
      'TOO_FEW_PATIENTS',
      `${fiveClassPatients} patients with one of the five classes cannot fill ${opts.folds} folds`,
    );

  const emb = await embedAll(files, opts);
  const tEmbed = performance.now();
  opts.log(
    `train-head: embeddings ready in ${((tEmbed - t0) / 1000).toFixed(1)} s (cache ${emb.cache.hits} hits, ${emb.cache.misses} computed), bandwidth ${emb.bandwidthHz} Hz, ${emb.windows.reduce((a, f) => a + f.count, 0)} windows of ${opts.windowSec} s`,
  );

  const K = CLASS_ORDER.length;
  const mlp: Trainer = (rows, seed) =>
    trainMlp(rows.x, rows.y, rows.w, rows.n, { ...DEFAULT_MLP, epochs: opts.epochs, seed, classes: K });
  const linear: Trainer = (rows) => trainLinear(rows.x, rows.y, rows.w, rows.n, { ...DEFAULT_LINEAR, classes: K });
  const head: Trainer = opts.model === 'mlp' ? mlp : linear;
  const headName = opts.model === 'mlp' ? 'MLP' : 'logistic head';
  const folds = groupedStratifiedKFold(labels, ds.groupOf, opts.folds, opts.repeats, opts.seed);
  const sumOpts = { ...DEFAULT_SUMMARY, bootstrapRounds: opts.bootstrapRounds, seed: opts.seed };
  const progress = (name: string) => (done: number, total: number) =>
    opts.log(`train-head: ${name} fold ${done}/${total}`);

  const hasOther = [...labels.values()].includes('other');
  const policies: OtherPolicy[] =
    opts.otherPolicy === 'auto' ? (hasOther ? ['exclude', 'abnormal'] : ['exclude']) : [opts.otherPolicy];
  const runs = new Map<OtherPolicy, { summary: Summary; seconds: number; models: number }>();
  let policy: OtherPolicy = policies[0]!;
  let policyReason =
    opts.otherPolicy === 'auto' ? 'no "other" patients in the data' : `set by --other ${opts.otherPolicy}`;
  if (policies.length === 2) {
    // both policies on the first repeat's folds (same folds, same seeds); the chosen one then runs the other repeats
    const first = folds.filter((f) => f.repeat === 0);
    const firstRuns = new Map<OtherPolicy, OofRun>();
    for (const p of policies)
      firstRuns.set(
        p,
        await crossValidate(emb.windows, first, head, p, opts.seed, progress(`${headName} (other: ${p}), repeat 1`)),
      );
    const s1 = (p: OtherPolicy) => summarise(emb.windows, firstRuns.get(p)!, sumOpts);
    ({ policy, reason: policyReason } = decideOtherPolicy(s1('exclude'), s1('abnormal')));
    policyReason += ` (measured on repeat 1 of ${opts.repeats})`;
    const rest = folds.filter((f) => f.repeat > 0);
    const more = rest.length
      ? await crossValidate(
          emb.windows,
          rest,
          head,
          policy,
          opts.seed,
          progress(`${headName} (other: ${policy}), later repeats`),
        )
      : null;
    for (const p of policies) {
      const base = firstRuns.get(p)!;
      const run = p === policy && more ? mergeRuns(base, more) : base;
      runs.set(p, { summary: summarise(emb.windows, run, sumOpts), seconds: run.seconds, models: run.models });
    }
  } else {
    const run = await crossValidate(
      emb.windows,
      folds,
      head,
      policy,
      opts.seed,
      progress(`${headName} (other: ${policy})`),
    );
    runs.set(policy, { summary: summarise(emb.windows, run, sumOpts), seconds: run.seconds, models: run.models });
  }
  opts.log(`train-head: "other" patients: ${policyReason}`);
  const main = runs.get(policy)!;

  // the other model on the same folds (the MLP on the first repeat only: it costs ~100x more)
  const otherModel = opts.model === 'mlp' ? linear : mlp;
  const cmpFolds = opts.model === 'mlp' ? folds : folds.filter((f) => f.repeat === 0);
  const cmpRun = await crossValidate(
    emb.windows,
    cmpFolds,
    otherModel,
    policy,
    opts.seed,
    opts.model === 'mlp' ? undefined : progress('MLP comparison'),
  );
  const comparison = {
    name:
      opts.model === 'mlp'
        ? 'logistic regression on the same embeddings'
        : `MLP of ARCHITECTURE.md (${opts.epochs} epochs), same folds`,
    note:
      opts.model === 'mlp'
        ? 'multinomial, L2, same standardisation, windows, weights and folds; no temperature'
        : `standardise → Dense 512/256/128 with Dropout and BatchNorm (ARCHITECTURE.md), same windows, weights and policy; first repeat's ${cmpFolds.length} folds; temperature as for the head`,
    summary: summarise(emb.windows, cmpRun, { ...sumOpts, temperature: opts.model !== 'mlp', bootstrapRounds: 0 }),
  };
  const majority = majorityBaseline(emb.windows, folds);
  let naive: EvaluationReport['naive'] = null;
  if (opts.naive) {
    const split = naiveFileKFold(emb.windows.length, opts.folds, opts.seed);
    const run = await crossValidateFiles(emb.windows, split, head, policy, opts.seed);
    naive = { ...recordingFigures(emb.windows, run), models: run.models };
  }
  const tEval = performance.now();

  // the shipped head: all eligible patients
  const rows = buildTrainRows(emb.windows, () => true, policy);
  const weights = await head(rows, opts.seed);
  const onnx = headToOnnx(weights, { seed: String(opts.seed), training_data: ds.kind });

  // the competence gate: out-of-fold rates on the first repeat's folds, then fitted on everyone
  const scoring = { windowSec: opts.windowSec, hopSec: opts.hopSec };
  const fair = fairQualityRule(emb.gateSamples, main.summary, emb.windows);
  const fitOpts: GateFitOptions = {
    quality: { withholdPoorVerdict: true, withholdPPoor: null, fair: fair.rule, fairReason: fair.reason },
    chosenOn: `${ds.kind === 'kauh' ? 'KAUH' : ds.root}: ${files.length} recordings of ${new Set(files.map((f) => f.patient)).size} patients, seed ${opts.seed}`,
  };
  const oof = gateOutOfFold(
    emb.gateSamples,
    folds.filter((f) => f.repeat === 0),
    fitOpts,
    emb.classMap,
    scoring,
    opts.log,
  );
  const allRows = new Float32Array(emb.gateSamples.reduce((a, g) => a + g.count, 0) * 1024);
  let off = 0;
  for (const g of emb.gateSamples) {
    allRows.set(g.embeddings, off);
    off += g.embeddings.length;
  }
  const gateModel = fitGate(allRows, allRows.length / 1024, fitOpts);
  const gateText = gateFileText(gateModel);
  const gate = new CompetenceGate(gateModel, emb.classMap);
  const otherPopulation = opts.sprsound
    ? await sprsoundRate(opts.sprsound, gate, emb.cache, emb.bandwidthHz, emb.classMap, scoring, opts)
    : null;
  const generated =
    opts.nonChest === false ? null : await generatedRate(gate, emb.bandwidthHz, emb.classMap, scoring, files, opts);
  const gateRates: GateRates = {
    checks: patchChecks(gateModel, gate.foreignGroups).map((c) => c.name),
    trainingOutOfFold: {
      protocol: `the gate (novelty model and threshold) fitted on the training patients of each of the first repeat's ${opts.folds} patient-grouped folds; each held-out recording judged by the engine's own decide()`,
      recordings: oof.recordings,
      patchesExcluded: oof.patchesExcluded,
    },
    otherPopulation,
    generated,
    fairQuality: fair.reason,
  };
  const tFinal = performance.now();

  const report: EvaluationReport = {
    main: main.summary,
    policy,
    policyReason,
    alternatives: [...runs.entries()]
      .filter(([p]) => p !== policy)
      .map(([p, r]) => ({ policy: p, summary: r.summary })),
    model: opts.model,
    comparison,
    majority,
    naive,
    folds: opts.folds,
    repeats: opts.repeats,
    cvModels: [...runs.values()].reduce((a, r) => a + r.models, 0),
    cvSeconds: [...runs.values()].reduce((a, r) => a + r.seconds, 0),
  };
  mkdirSync(opts.out, { recursive: true });
  const onnxPath = join(resolve(opts.out), 'head.onnx');
  const cardPath = join(resolve(opts.out), 'head.card.json');
  const markdownPath = join(resolve(opts.out), 'head.card.md');
  const card = buildCard({
    report,
    onnxFile: 'head.onnx',
    onnxSha256: createHash('sha256').update(onnx).digest('hex'),
    bandwidthHz: emb.bandwidthHz,
    sampleRates: [...new Set(emb.rates)].sort((a, b) => a - b),
    windowSec: opts.windowSec,
    hopSec: opts.hopSec,
    trainedPatients: rows.patients,
    windows: rows.n,
    dataset: ds,
    files,
    excluded,
    command: opts.command,
    seed: opts.seed,
    epochs: opts.model === 'mlp' ? opts.epochs : DEFAULT_LINEAR.steps,
    engineVersion: emb.versions.engineVersion,
    yamnetSourceSha256: emb.versions.yamnet.sourceSha256,
    yamnetSha256: emb.versions.yamnet.sha256,
    gate: { file: 'gate.json', sha256: createHash('sha256').update(gateText).digest('hex'), rates: gateRates },
    dataSha256: createHash('sha256')
      .update(
        files
          .map((f) => f.sha256)
          .sort()
          .join('\n'),
      )
      .digest('hex'),
    ages: ds.kind === 'kauh' ? kauhAges(opts.data, files) : null,
    citation:
      opts.citation ??
      (ds.kind === 'kauh' ? KAUH_CITATION : `training manifest ${opts.data} (no citation given: pass --citation)`),
    licence: opts.licence ?? (ds.kind === 'kauh' ? 'CC BY 4.0' : 'unknown (pass --licence)'),
  });
  const parsed = ModelCardSchema.parse(card);
  const write = (path: string, data: Uint8Array | string) => {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  };
  const totalSeconds = (performance.now() - t0) / 1000;
  const timings = {
    embedSeconds: (tEmbed - t0) / 1000,
    evaluateSeconds: (tEval - tEmbed) / 1000,
    finalSeconds: (tFinal - tEval) / 1000,
    totalSeconds,
    cacheHits: emb.cache.hits,
    cacheMisses: emb.cache.misses,
  };
  write(onnxPath, onnx);
  write(join(resolve(opts.out), 'gate.json'), gateText);
  write(cardPath, JSON.stringify(parsed, null, 2) + '\n');
  if (opts.checkBandwidth) {
    // one recording per label (the first patient's first file): through the engine with this head
    const picks = [...new Map(files.map((f) => [f.label, f.path])).values()];
    const check: BandwidthCheck = await bandwidthCheck(cardPath, opts.modelsDir, picks);
    report.bandwidthCheck = check;
    parsed.limitations.push(
      `Bandwidth check (AnalysisEngine.analyzeRecording with this head): ${check.recordings} recordings resampled to 44.1 kHz with tones at 3, 5 and 9 kHz and noise above 2.5 kHz added ` +
        `got probabilities within ${check.maxAbsDiff.toFixed(3)} (max |Δp|; mean ${check.meanAbsDiff.toFixed(4)}) of the originals, same top class in ${check.sameTopClass}/${check.recordings}.`,
    );
    opts.log(
      `train-head: bandwidth check: max |Δp| ${check.maxAbsDiff.toFixed(4)} over ${check.recordings} recordings`,
    );
    write(cardPath, JSON.stringify(ModelCardSchema.parse(parsed), null, 2) + '\n');
  }
  write(markdownPath, cardMarkdown(parsed, report));
  opts.log(
    `train-head: time: embeddings ${timings.embedSeconds.toFixed(0)} s (cache ${timings.cacheHits} hits, ${timings.cacheMisses} computed), evaluation ${timings.evaluateSeconds.toFixed(0)} s, head + gate ${timings.finalSeconds.toFixed(0)} s`,
  );
  opts.log(`train-head: wrote ${onnxPath}, ${cardPath}, ${markdownPath} in ${totalSeconds.toFixed(1)} s`);
  return { card: parsed, cardPath, onnxPath, markdownPath, report, timings };
}

/** Ages of the training patients from KAUH's index (years), or null when it has none. */
function kauhAges(root: string, files: LabelledFile[]): { min: number; max: number } | null {
  try {
    const rows = parseCsvRecords(readFileSync(join(root, 'kauh_index.csv'), 'utf8'));
    const names = new Set(files.map((f) => f.file));
    const ages = rows
      .filter((r) => names.has(r['file'] ?? ''))
      .map((r) => Number(r['age']))
      .filter((a) => Number.isFinite(a) && a > 0);
    return ages.length ? { min: Math.min(...ages), max: Math.max(...ages) } : null;
  } catch {
    return null;
  }
}

/**
 * What a 'fair' rule verdict does, from the out-of-fold screen: 'uncertain' unless at least 10
 * training recordings are fair and their screen accuracy is within 0.05 of the good ones'.
 */
function fairQualityRule(
  samples: GateSample[],
  summary: Summary,
  windows: FileWindows[],
): { rule: 'ok' | 'uncertain'; reason: string } {
  const t = summary.screen.threshold;
  const acc = (verdict: string) => {
    let right = 0;
    let n = 0;
    samples.forEach((s, i) => {
      const p = summary.oofPAbnormal.get(i);
      if (s.quality.verdict !== verdict || p === undefined) return;
      n++;
      if (p >= t === (windows[i]!.file.label !== 'healthy')) right++;
    });
    return { n, acc: n ? right / n : null };
  };
  const good = acc('good');
  const fair = acc('fair');
  const counts = `${fair.n} of ${samples.length} training recordings are rated fair (screen right ${fair.acc === null ? 'n/a' : `${Math.round(fair.acc * 100)} %`} out of fold, good ones ${good.acc === null ? 'n/a' : `${Math.round(good.acc * 100)} %`})`;
  if (fair.n >= 10 && fair.acc !== null && good.acc !== null && fair.acc >= good.acc - 0.05)
    return { rule: 'ok', reason: `Fair quality is shown as a result: ${counts}, no worse than good.` };
  return {
    rule: 'uncertain',
    reason:
      fair.n < 10
        ? `Fair quality (too quiet, some noise, some clipping or lost contact) makes a result "uncertain": ${counts}, too few to show that fair recordings are as reliable, so the cautious rule.`
        : `Fair quality makes a result "uncertain": ${counts}, worse than good.`,
  };
}

/** The final gate on SPRSound (children, another stethoscope): the share of its recordings withheld. */
async function sprsoundRate(
  root: string,
  gate: CompetenceGate,
  cache: EmbeddingCache,
  bandwidthHz: number,
  classMap: string[],
  scoring: { windowSec: number; hopSec: number },
  opts: TrainHeadOptions,
): Promise<GateRates['otherPopulation']> {
  const rows = parseCsvRecords(readFileSync(join(root, 'sprsound_index.csv'), 'utf8'));
  const held: { e: Embedder | null } = { e: null };
  let withheld = 0;
  let poorWithheld = 0;
  let poor = 0;
  const reasons: Record<string, number> = {};
  try {
    for (const [i, r] of rows.entries()) {
      const path = join(root, 'audio', r['file'] ?? '');
      const bytes = readFileSync(path);
      const sha = createHash('sha256').update(bytes).digest('hex');
      const a = await readAudioFile(path);
      const pass = await cachedPass(cache, sha, a, bandwidthHz, async () => {
        held.e ??= await loadEmbedder(opts.modelsDir, opts.log);
        return held.e;
      });
      const s = gateSample(
        { id: r['file'] ?? '', patient: r['patient'] ?? '' },
        pass,
        a.samples.length / a.sampleRate,
        assessSignalQuality(a.samples, a.sampleRate),
        classMap,
        FOREIGN_GROUPS,
      );
      const d = decideSample(gate, s, scoring);
      const isPoor = r['record_label'] === 'Poor Quality';
      if (isPoor) poor++;
      if (!d.passed) {
        withheld++;
        if (isPoor) poorWithheld++;
        const why = d.withheldReasons[0] ?? '';
        reasons[why] = (reasons[why] ?? 0) + 1;
      }
      if ((i + 1) % 500 === 0) opts.log(`train-head: SPRSound ${i + 1}/${rows.length}: ${withheld} withheld`);
    }
  } finally {
    await held.e?.close();
  }
  const rt = rate(withheld, rows.length);
  const most = rt.rate > 0.5;
  return {
    name: `SPRSound (${rows.length} recordings of ${new Set(rows.map((r) => r['patient'])).size} children aged 1 month–18 years, Yunting stethoscope)`,
    recordings: rt,
    reasons: Object.fromEntries(Object.entries(reasons).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    note:
      (most
        ? "The gate refuses most children's recordings: the head was trained on adults, and this is the truth of it — children are outside its competence. "
        : '') + `Of SPRSound's ${poor} recordings its physicians marked Poor Quality, ${poorWithheld} were withheld.`,
  };
}

/** The generated non-chest inputs through the fitted gate (the same evidence and decide() as the engine). */
async function generatedRate(
  gate: CompetenceGate,
  bandwidthHz: number,
  classMap: string[],
  scoring: { windowSec: number; hopSec: number },
  files: LabelledFile[],
  opts: TrainHeadOptions,
): Promise<GateRates['generated']> {
  const missing = nonChestToolsMissing();
  if (missing) {
    opts.log(`train-head: generated non-chest inputs not measured: ${missing}`);
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'auscult-nonchest-'));
  const embedder = await loadEmbedder(opts.modelsDir, opts.log);
  try {
    const real = files.find((f) => f.path.toLowerCase().endsWith('.wav'))?.path;
    if (!real) return null;
    const inputs = makeNonChestInputs(dir, real);
    const out: NonNullable<GateRates['generated']>['inputs'] = [];
    for (const input of inputs) {
      const a = await readAudioFile(input.path);
      const e = await embedder.embed(a.samples, a.sampleRate, bandwidthHz);
      const s = gateSample(
        { id: input.id, patient: '-' },
        { ...e, startsSec: patchStarts(e.count) },
        a.samples.length / a.sampleRate,
        assessSignalQuality(a.samples, a.sampleRate),
        classMap,
        FOREIGN_GROUPS,
      );
      const d = decideSample(gate, s, scoring);
      out.push({ name: input.name, withheld: !d.passed, reasons: d.withheldReasons });
    }
    return { withheld: out.filter((x) => x.withheld).length, of: out.length, inputs: out };
  } finally {
    await embedder.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
