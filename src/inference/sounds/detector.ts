/**
 * The adventitious-sound detector and the learned quality check, as the engine runs them: two ONNX
 * models beside one card (models/sounds.card.json). `sounds.onnx`: input `features` [N, D] (the card's
 * feature set per step) → `logits` [N, 2] (crackle, wheeze); `quality.onnx`: `features` [N, 1029] (rule
 * measures + mean embedding per 3 s window) → `logits` [N, 1] (poor). Both carry their class order and
 * feature set in the ONNX metadata; the card carries their SHA-256. Loading refuses any mismatch.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ModelError } from '../errors.js';
import { onnxMetadata } from '../head-session.js';
import { ort, sessionOptions } from '../ort.js';
import { SoundsCardSchema, type SoundsCard } from './card.js';
import { eventsFromSteps, platt, recordingScore } from './decision.js';
import {
  assembleFeatures,
  EMBEDDING_DIMS,
  featureDims,
  handFeatures,
  HAND_DIMS,
  HAND_FEATURES,
  meanEmbedding,
  STEP_SEC,
} from './features.js';
import { QUALITY_DIMS, RULE_FEATURES, qualityRowsOf, qualityWindows, type QualityWindows } from './quality-features.js';
import type { LearnedQuality, SoundsResult } from './types.js';

export const SOUNDS_INPUT = 'features';
export const SOUNDS_OUTPUT = 'logits';
const HINT =
  'the detector ships as models/sounds.onnx + models/quality.onnx + models/sounds.card.json (see `auscult train-sounds`)';

export function readSoundsCard(cardPath: string): SoundsCard {
  if (!existsSync(cardPath)) throw new ModelError('SOUNDS_MISSING', `no sound detector at ${cardPath}: ${HINT}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(cardPath, 'utf8'));
  } catch (err) {
    throw new ModelError(
      'SOUNDS_INVALID',
      `the sound detector's card ${cardPath} is not valid JSON (${(err as Error).message})`,
    );
  }
  const parsed = SoundsCardSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ModelError(
      'SOUNDS_INVALID',
      `the sound detector's card ${cardPath} does not follow the card schema (${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'})`,
    );
  }
  if (parsed.data.input.handFeatures.join() !== HAND_FEATURES.join())
    throw new ModelError('SOUNDS_INVALID', `${cardPath} was trained on other hand-crafted features; retrain it`);
  if (parsed.data.quality.ruleFeatures.join() !== RULE_FEATURES.join())
    throw new ModelError('SOUNDS_INVALID', `${cardPath}'s quality model uses other rule features; retrain it`);
  return parsed.data;
}

async function loadChecked(
  cardPath: string,
  file: string,
  sha: string,
  meta: Record<string, string>,
  dims: number,
  outputs: number,
  threads: number,
): Promise<{ session: ort.InferenceSession; sha256: string }> {
  const path = resolve(dirname(cardPath), file);
  if (!existsSync(path))
    throw new ModelError('SOUNDS_MISSING', `the card ${cardPath} names ${path}, which is missing: ${HINT}`);
  const bytes = readFileSync(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== sha)
    throw new ModelError(
      'SOUNDS_INVALID',
      `${path} does not match its model card (SHA-256 ${sha256.slice(0, 12)}…, card says ${sha.slice(0, 12)}…): reinstall the detector`,
    );
  let found: Record<string, string>;
  try {
    found = onnxMetadata(bytes);
  } catch {
    throw new ModelError('SOUNDS_INVALID', `${path} is not an ONNX model`);
  }
  for (const [k, v] of Object.entries(meta))
    if (found[k] !== v)
      throw new ModelError('SOUNDS_INVALID', `${path} declares ${k} "${found[k] ?? ''}", its card says "${v}"`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, sessionOptions(threads));
  } catch (err) {
    throw new ModelError('SOUNDS_INVALID', `${path} cannot be loaded (${(err as Error).message.split('\n')[0]})`);
  }
  if (session.inputNames.join() !== SOUNDS_INPUT || !session.outputNames.includes(SOUNDS_OUTPUT)) {
    await session.release();
    throw new ModelError('SOUNDS_INVALID', `${path} must take "features" and return "logits"`);
  }
  // one row through it: catches a model whose widths are not the card's before any recording does
  try {
    const probe = await session.run({ [SOUNDS_INPUT]: new ort.Tensor('float32', new Float32Array(dims), [1, dims]) });
    const n = (probe[SOUNDS_OUTPUT]!.data as Float32Array).length;
    for (const t of Object.values(probe)) t.dispose();
    if (n !== outputs) throw new Error(`${n} outputs, expected ${outputs}`);
  } catch (err) {
    await session.release();
    throw new ModelError('SOUNDS_INVALID', `${path} does not fit its card (${(err as Error).message.split('\n')[0]})`);
  }
  return { session, sha256 };
}

async function logits(
  session: ort.InferenceSession,
  rows: Float32Array,
  n: number,
  dims: number,
): Promise<Float32Array> {
  const out = await session.run({ [SOUNDS_INPUT]: new ort.Tensor('float32', rows, [n, dims]) });
  const data = (out[SOUNDS_OUTPUT]!.data as Float32Array).slice();
  for (const t of Object.values(out)) t.dispose();
  return data;
}

const sig = (z: number): number => 1 / (1 + Math.exp(-z));

/**
 * Rows per detector / quality-model run. One call over an hour's 7,500 steps × 2,059 features held
 * 62 MB of input and as much again in onnxruntime's arena (which keeps its high-water mark); 256 rows
 * are 2 MB. The models score each row on its own, so chunked equals whole bit for bit
 * (test/inference/sounds-chunked.test.ts).
 */
export const DEFAULT_CHUNK_ROWS = 256;

/** [from, to) spans of at most `size` rows covering [0, count). */
export function chunkSpans(count: number, size: number): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let a = 0; a < count; a += size) spans.push([a, Math.min(count, a + size)]);
  return spans;
}

/** What the detector needs from the engine's band-limited path (all of it already computed there). */
export interface BandLimitedPass {
  /** The band-limited 16 kHz audio the head's embeddings came from. */
  banded16k: Float32Array;
  /** count × 1024 patch embeddings. */
  embeddings: Float32Array;
  count: number;
  startsSec: readonly number[];
  durationSec: number;
}

export class SoundsModel {
  private constructor(
    readonly card: SoundsCard,
    readonly cardPath: string,
    private readonly detector: ort.InferenceSession,
    private readonly quality: ort.InferenceSession,
    readonly sha256: string,
    /** Rows per ONNX run (DEFAULT_CHUNK_ROWS; tests set it small to compare chunked with whole). */
    readonly chunkRows: number,
  ) {}

  static async load(cardPath: string, threads = 1, opts: { chunkRows?: number } = {}): Promise<SoundsModel> {
    const chunkRows = opts.chunkRows ?? DEFAULT_CHUNK_ROWS;
    if (!(Number.isInteger(chunkRows) && chunkRows >= 1) && chunkRows !== Infinity)
      throw new RangeError(`SoundsModel: chunkRows must be a whole number ≥ 1 (or Infinity), not ${chunkRows}`);
    const card = readSoundsCard(cardPath);
    const dims = featureDims(card.input.features);
    const det = await loadChecked(
      cardPath,
      card.onnxFile,
      card.onnxSha256,
      { classes: card.classes.join(','), features: card.input.features },
      dims,
      2,
      threads,
    );
    let q;
    try {
      q = await loadChecked(
        cardPath,
        card.quality.onnxFile,
        card.quality.onnxSha256,
        { classes: 'poor', features: 'rules+embedding' },
        QUALITY_DIMS,
        1,
        threads,
      );
    } catch (err) {
      await det.session.release();
      throw err;
    }
    return new SoundsModel(card, cardPath, det.session, q.session, det.sha256, chunkRows);
  }

  /**
   * Step probabilities (count × 2: crackle, wheeze). `hand`: the steps' hand-crafted features when
   * already computed (the live analyzer keeps them per patch); otherwise from `pass.banded16k`.
   */
  async stepProbabilities(pass: BandLimitedPass, hand?: Float32Array): Promise<Float32Array> {
    return this.stepProbabilitiesWith(pass, () => hand ?? handFeatures(pass.banded16k, pass.startsSec));
  }

  /** Whether the detector reads hand-crafted features (a stream then keeps the decimated audio for them). */
  get needsHandFeatures(): boolean {
    return this.card.input.features.endsWith('hand');
  }

  /** stepProbabilities with the hand features from `hand` (called only when the feature set has them). */
  async stepProbabilitiesWith(
    pass: Omit<BandLimitedPass, 'banded16k'>,
    hand: () => Float32Array,
  ): Promise<Float32Array> {
    return this.stepsFromFeatures(pass.embeddings, pass.count, this.needsHandFeatures ? hand() : null);
  }

  /**
   * Step probabilities (count × 2) of some steps of a recording from their embeddings and hand
   * features; `recordingMean`: the whole recording's mean embedding (the live analyzer scores only
   * its newest steps).
   */
  async stepsFromFeatures(
    embeddings: Float32Array,
    count: number,
    hand: Float32Array | null,
    recordingMean?: Float64Array,
  ): Promise<Float32Array> {
    const set = this.card.input.features;
    const dims = featureDims(set);
    // the recording mean over all steps, once: each chunk's rows are then the whole call's rows
    const mean = recordingMean ?? (set.includes('recnorm') ? meanEmbedding(embeddings, count) : undefined);
    if (set.endsWith('hand') && (!hand || hand.length < count * HAND_DIMS))
      throw new Error(`assembleFeatures: ${set} needs ${count} rows of hand features`);
    const p = new Float32Array(count * 2);
    // one buffer for every chunk's rows: fresh ones would be garbage (and RSS) until the next GC
    const buffer = new Float32Array(Math.min(count, this.chunkRows) * dims);
    for (const [a, b] of chunkSpans(count, this.chunkRows)) {
      const rows = assembleFeatures(
        set,
        embeddings.subarray(a * EMBEDDING_DIMS, b * EMBEDDING_DIMS),
        b - a,
        hand ? hand.subarray(a * HAND_DIMS, b * HAND_DIMS) : null,
        mean,
        buffer,
      );
      const z = await logits(this.detector, rows, b - a, dims);
      for (let i = 0; i < z.length; i++) p[2 * a + i] = sig(z[i]!);
    }
    return p;
  }

  /** Crackles and wheezes of one recording. Call only when the competence gate lets the analysis speak. */
  async detect(pass: BandLimitedPass, hand?: Float32Array): Promise<SoundsResult> {
    return this.detectWith(pass, () => hand ?? handFeatures(pass.banded16k, pass.startsSec));
  }

  /** detect with the hand features from `hand` (a stream's, from its decimated audio). */
  async detectWith(pass: Omit<BandLimitedPass, 'banded16k'>, hand: () => Float32Array): Promise<SoundsResult> {
    return this.fromSteps(await this.stepProbabilitiesWith(pass, hand), pass.startsSec, pass.durationSec);
  }

  /** Events, presence and timeline from step probabilities (count × 2: crackle, wheeze). */
  fromSteps(p: Float32Array, startsSec: readonly number[], durationSec: number): SoundsResult {
    const pass = { count: startsSec.length, startsSec, durationSec };
    const crackle = Float32Array.from({ length: pass.count }, (_, i) => p[2 * i]!);
    const wheeze = Float32Array.from({ length: pass.count }, (_, i) => p[2 * i + 1]!);
    const d = this.card.detection;
    const events = [
      ...eventsFromSteps('crackle', crackle, pass.startsSec, d.crackle.threshold, pass.durationSec),
      ...eventsFromSteps('wheeze', wheeze, pass.startsSec, d.wheeze.threshold, pass.durationSec),
    ].sort((a, b) => a.startSec - b.startSec || a.type.localeCompare(b.type));
    const presence = (probs: Float32Array, det: typeof d.crackle) => {
      const score = recordingScore(probs);
      return { present: score >= det.threshold, probability: platt(score, det.platt.a, det.platt.b) };
    };
    return {
      crackle: presence(crackle, d.crackle),
      wheeze: presence(wheeze, d.wheeze),
      events,
      timeline: pass.startsSec.map((startSec, i) => ({
        startSec,
        endSec: Math.min(pass.durationSec, startSec + STEP_SEC),
        crackle: crackle[i]!,
        wheeze: wheeze[i]!,
      })),
      model: { name: this.card.name, version: this.card.version, sha256: this.sha256 },
    };
  }

  /**
   * The learned quality check: P(poor) per 3 s window and for the recording (their mean). A live
   * window is a short recording: pass its band-limited audio and patch embeddings the same way.
   */
  async poorQuality(pass: Pick<BandLimitedPass, 'banded16k' | 'embeddings' | 'count'>): Promise<LearnedQuality> {
    return this.poorQualityOf(qualityWindows(pass.banded16k, pass.count), pass.embeddings);
  }

  /** poorQuality from windows whose rule measures are already computed (a stream's). */
  async poorQualityOf(w: QualityWindows, embeddings: Float32Array): Promise<LearnedQuality> {
    const z = new Float32Array(w.count);
    const buffer = new Float32Array(Math.min(w.count, this.chunkRows) * QUALITY_DIMS);
    for (const [a, b] of chunkSpans(w.count, this.chunkRows))
      z.set(await logits(this.quality, qualityRowsOf(w, embeddings, a, b, buffer), b - a, QUALITY_DIMS), a);
    const windows = Array.from(z, (v, i) => ({ startSec: w.startsSec[i]!, endSec: w.endsSec[i]!, pPoor: sig(v) }));
    const pPoor = windows.reduce((a, x) => a + x.pPoor, 0) / Math.max(1, windows.length);
    return { pPoor, poor: pPoor >= this.card.quality.threshold, windows };
  }

  async close(): Promise<void> {
    await Promise.all([this.detector.release(), this.quality.release()]);
  }
}
