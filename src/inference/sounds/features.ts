/**
 * Per-step features of the adventitious-sound detector, computed from the same band-limited 16 kHz
 * audio and the same YAMNet patch embeddings the head sees. One time step = one YAMNet patch (0.96 s,
 * every 0.48 s). Training (train-sounds) and the engine call the same functions, so they cannot drift.
 *
 * Hand-crafted descriptors (HAND_FEATURES), each on a finer grid than the patch and summarised per step.
 * They are computed on the band-limited audio taken at every 4th sample (4 kHz): it holds nothing above
 * 2 kHz, so this loses nothing and costs a quarter (a 30 s recording: about 10 ms, see bench/analysis.ts).
 *  - crackles (discontinuous, transients of a few ms): the first difference of the signal (which
 *    favours the broadband click over breath and heart sounds) in 2 ms blocks; each block's energy
 *    against the median block of its step, in dB; the step's maximum, 99th percentile, rate of blocks
 *    10 / 15 dB above the median, and the excess kurtosis of the differenced samples;
 *  - wheezes (continuous, tonal): a 128-point (32 ms) spectrum every 10 ms over 125–2000 Hz; per frame the
 *    peak's height above the median bin (dB, "peakiness") and the spectral flatness; per step the mean
 *    and 90th percentile peakiness, the share of frames above 12 dB, the longest run of frames whose
 *    peak stays within ±2 bins (62 Hz) while above 9 dB (a held tone), the mean log-flatness;
 *  - the step's level against the recording's median step level (dB): per-recording normalisation.
 * All are ratios within the recording, so a device's gain or a filter mode's tilt moves them little.
 */
import FFTJS from 'fft.js';

export const SAMPLE_RATE = 16000;
export const STEP_SEC = 0.96;
export const STEP_HOP_SEC = 0.48;
export const EMBEDDING_DIMS = 1024;

export const HAND_FEATURES = [
  'transient_max_db',
  'transient_p99_db',
  'transient_rate10',
  'transient_rate15',
  'diff_kurtosis',
  'peak_mean_db',
  'peak_p90_db',
  'peak_share12',
  'tone_run',
  'log_flatness',
  'level_rel_db',
] as const;
export const HAND_DIMS = HAND_FEATURES.length;

/** What a feature set puts in each step's row (the card names the one the model was trained with). */
export const FEATURE_SETS = ['embedding', 'embedding+hand', 'embedding+recnorm', 'embedding+recnorm+hand'] as const;
export type FeatureSet = (typeof FEATURE_SETS)[number];

export function featureDims(set: FeatureSet): number {
  const emb = set.includes('recnorm') ? 2 * EMBEDDING_DIMS : EMBEDDING_DIMS;
  return emb + (set.endsWith('hand') ? HAND_DIMS : 0);
}

/** The descriptors' rate: every 4th sample of the band-limited 16 kHz audio. */
const DECIMATE = 4;
const RATE = SAMPLE_RATE / DECIMATE;
const BLOCK = 8; // 2 ms at 4 kHz
const FFT_N = 128; // 32 ms, 31.25 Hz bins
const FRAME_HOP = 40; // 10 ms
const LO_BIN = 4; // 125 Hz
const HI_BIN = 64; // 2000 Hz (Nyquist)

function quantile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const db = (x: number): number => 10 * Math.log10(x + 1e-12);

let fft: FFTJS | null = null;
let hann: Float64Array | null = null;

/** Peakiness (dB), log-flatness and peak bin of every 10 ms frame of `x` (16 kHz). */
function spectralFrames(x: Float32Array): { peak: Float32Array; flat: Float32Array; bin: Int16Array } {
  fft ??= new FFTJS(FFT_N);
  hann ??= Float64Array.from({ length: FFT_N }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FFT_N));
  const frames = x.length >= FFT_N ? 1 + Math.floor((x.length - FFT_N) / FRAME_HOP) : 0;
  const peak = new Float32Array(frames);
  const flat = new Float32Array(frames);
  const bin = new Int16Array(frames);
  const input = new Float64Array(FFT_N);
  const out = fft.createComplexArray() as number[];
  const bins = HI_BIN - LO_BIN + 1;
  const logp = new Float64Array(bins);
  for (let f = 0; f < frames; f++) {
    const start = f * FRAME_HOP;
    for (let i = 0; i < FFT_N; i++) input[i] = x[start + i]! * hann[i]!;
    fft.realTransform(out, input);
    let best = -Infinity;
    let bestBin = LO_BIN;
    let sumLog = 0;
    let sumPow = 0;
    for (let k = LO_BIN; k <= HI_BIN; k++) {
      const re = out[2 * k]!;
      const im = out[2 * k + 1]!;
      const p = re * re + im * im + 1e-12;
      const l = Math.log(p);
      logp[k - LO_BIN] = l;
      sumLog += l;
      sumPow += p;
      if (l > best) {
        best = l;
        bestBin = k;
      }
    }
    const median = select(logp, bins >> 1);
    peak[f] = ((best - median) * 10) / Math.LN10;
    flat[f] = sumLog / bins - Math.log(sumPow / bins);
    bin[f] = bestBin;
  }
  return { peak, flat, bin };
}

/** The k-th smallest value (0-based) of `a`, reordering `a` in place (Hoare's selection). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

/** Hand-crafted features (steps × HAND_DIMS) for steps starting at `startsSec` of band-limited 16 kHz audio. */
export function handFeatures(x16k: Float32Array, startsSec: readonly number[]): Float32Array {
  const { rows, levels } = stepHandFeatures(x16k, startsSec);
  centreLevels(rows, levels);
  return rows;
}

/** The level column: each step's level (dB) against the median step level of the recording. */
export const LEVEL_COLUMN = HAND_DIMS - 1;

/**
 * Fills the level column of `rows` from each step's level (`levels`) against the median of
 * `allLevels` (every step of the recording so far): the one hand feature that depends on the whole recording.
 */
export function centreLevels(
  rows: Float32Array,
  levels: ArrayLike<number>,
  allLevels: ArrayLike<number> = levels,
): void {
  const medLevel = quantile(Float64Array.from(allLevels).sort(), 0.5);
  for (let s = 0; s < levels.length; s++) rows[s * HAND_DIMS + LEVEL_COLUMN] = levels[s]! - medLevel;
}

/**
 * The per-step part of handFeatures: every column but the level one (left 0), and each step's level
 * in dB. The live analyzer computes this for new steps only and re-centres the levels each update.
 */
export function stepHandFeatures(
  x16k: Float32Array,
  startsSec: readonly number[],
): { rows: Float32Array; levels: Float64Array } {
  const x = new Float32Array(Math.ceil(x16k.length / DECIMATE));
  for (let i = 0; i < x.length; i++) x[i] = x16k[i * DECIMATE]!;
  return stepHandFeaturesDecimated(x, startsSec);
}

/** Every HAND_DECIMATE-th sample of the band-limited 16 kHz audio is all the hand features read. */
export const HAND_DECIMATE = DECIMATE;
/** The hand features' rate (decimated samples per second). */
export const HAND_RATE = RATE;
/** Where a stretch of decimated audio may start (stepHandFeaturesAt): the frame grid's step, a multiple of the block grid's. */
export const HAND_GRID = FRAME_HOP % BLOCK === 0 ? FRAME_HOP : FRAME_HOP * BLOCK;

/** handFeatures from the decimated audio (x[i] = x16k[i * HAND_DECIMATE]): what a stream keeps instead of the 16 kHz audio. */
export function handFeaturesDecimated(x: Float32Array, startsSec: readonly number[]): Float32Array {
  const { rows, levels } = stepHandFeaturesDecimated(x, startsSec);
  centreLevels(rows, levels);
  return rows;
}

/** stepHandFeatures from the decimated audio. */
function stepHandFeaturesDecimated(
  x: Float32Array,
  startsSec: readonly number[],
): { rows: Float32Array; levels: Float64Array } {
  return stepHandFeaturesAt(
    x,
    startsSec.map((t) => Math.round(t * RATE)),
  );
}

/** A step's length in decimated samples. */
export const HAND_STEP_SAMPLES = Math.round(STEP_SEC * RATE);

/**
 * stepHandFeatures of decimated audio for steps starting at samples `starts` of `x`. A step reads
 * x[a − 1, a + HAND_STEP_SAMPLES) only, on grids of 8 (blocks) and 40 samples (frames) from x[0]: a
 * stretch of a longer recording that starts on a multiple of 40, at least 40 samples before its
 * first step (or at the recording's start) and ends at or after its last step's end (or at the
 * recording's end), gives that recording's rows bit for bit (a stream computes them so).
 */
export function stepHandFeaturesAt(
  x: Float32Array,
  starts: ArrayLike<number>,
): { rows: Float32Array; levels: Float64Array } {
  const count = starts.length;
  const out = new Float32Array(count * HAND_DIMS);
  // 2 ms block energies of the differenced signal
  const nBlocks = Math.floor(x.length / BLOCK);
  const blockE = new Float64Array(nBlocks);
  for (let b = 0; b < nBlocks; b++) {
    let s = 0;
    for (let i = b * BLOCK + (b === 0 ? 1 : 0); i < (b + 1) * BLOCK; i++) {
      const d = x[i]! - x[i - 1]!;
      s += d * d;
    }
    blockE[b] = s / BLOCK;
  }
  const spec = spectralFrames(x);
  const stepLen = HAND_STEP_SAMPLES;
  const levels = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    const a = starts[s]!;
    const e = Math.min(x.length, a + stepLen);
    let sq = 0;
    for (let i = a; i < e; i++) sq += x[i]! * x[i]!;
    levels[s] = db(sq / Math.max(1, e - a));
  }
  for (let s = 0; s < count; s++) {
    const row = out.subarray(s * HAND_DIMS, (s + 1) * HAND_DIMS);
    const a = starts[s]!;
    const e = Math.min(x.length, a + stepLen);
    // transients
    const b0 = Math.floor(a / BLOCK);
    const b1 = Math.min(nBlocks, Math.floor(e / BLOCK));
    const rel = new Float64Array(Math.max(0, b1 - b0));
    for (let b = b0; b < b1; b++) rel[b - b0] = blockE[b]!;
    const medE = rel.length ? select(Float64Array.from(rel), rel.length >> 1) : 0;
    const medDb = db(medE);
    for (let i = 0; i < rel.length; i++) rel[i] = db(rel[i]!) - medDb;
    const sortedRel = rel.sort();
    const dur = Math.max(1e-9, (e - a) / RATE);
    let n10 = 0;
    let n15 = 0;
    for (const r of sortedRel) {
      if (r > 10) n10++;
      if (r > 15) n15++;
    }
    row[0] = sortedRel.length ? sortedRel[sortedRel.length - 1]! : 0;
    row[1] = quantile(sortedRel, 0.99);
    row[2] = n10 / dur;
    row[3] = n15 / dur;
    let m2 = 0;
    let m4 = 0;
    let n = 0;
    for (let i = Math.max(1, a); i < e; i++) {
      const d = x[i]! - x[i - 1]!;
      const d2 = d * d;
      m2 += d2;
      m4 += d2 * d2;
      n++;
    }
    m2 /= Math.max(1, n);
    m4 /= Math.max(1, n);
    row[4] = m2 > 0 ? Math.min(100, m4 / (m2 * m2) - 3) : 0;
    // tonality
    const f0 = Math.floor(a / FRAME_HOP);
    const f1 = Math.min(spec.peak.length, Math.floor((e - FFT_N) / FRAME_HOP) + 1);
    const nf = Math.max(0, f1 - f0);
    if (nf > 0) {
      const pk = Float64Array.from(spec.peak.subarray(f0, f1));
      let sum = 0;
      let share = 0;
      let flat = 0;
      let run = 0;
      let longest = 0;
      for (let f = f0; f < f1; f++) {
        const p = spec.peak[f]!;
        sum += p;
        if (p > 12) share++;
        flat += spec.flat[f]!;
        if (p > 9 && (run === 0 || Math.abs(spec.bin[f]! - spec.bin[f - 1]!) <= 2)) run++;
        else run = p > 9 ? 1 : 0;
        longest = Math.max(longest, run);
      }
      pk.sort();
      row[5] = sum / nf;
      row[6] = quantile(pk, 0.9);
      row[7] = share / nf;
      row[8] = longest / nf;
      row[9] = flat / nf;
    }
  }
  return { rows: out, levels };
}

/** Steps × featureDims(set): the rows the detector's ONNX model takes, in the order the set names. */
export function assembleFeatures(
  set: FeatureSet,
  embeddings: Float32Array,
  count: number,
  hand: Float32Array | null,
  /** The recording's mean embedding when `embeddings` holds only some of its steps (live). */
  recordingMean?: Float64Array,
  /** Where to write the rows (its first count × dims values; every one is written), instead of a new array. */
  into?: Float32Array,
): Float32Array {
  const dims = featureDims(set);
  const out = into ? into.subarray(0, count * dims) : new Float32Array(count * dims);
  if (out.length < count * dims) throw new Error(`assembleFeatures: ${count} rows do not fit the array given`);
  const recnorm = set.includes('recnorm');
  const mean = recordingMean ?? (recnorm ? meanEmbedding(embeddings, count) : new Float64Array(EMBEDDING_DIMS));
  const withHand = set.endsWith('hand');
  if (withHand && (!hand || hand.length < count * HAND_DIMS))
    throw new Error(`assembleFeatures: ${set} needs ${count} rows of hand features`);
  for (let i = 0; i < count; i++) {
    const row = out.subarray(i * dims, (i + 1) * dims);
    const emb = embeddings.subarray(i * EMBEDDING_DIMS, (i + 1) * EMBEDDING_DIMS);
    row.set(emb, 0);
    let p = EMBEDDING_DIMS;
    if (recnorm) {
      for (let d = 0; d < EMBEDDING_DIMS; d++) row[p + d] = emb[d]! - mean[d]!;
      p += EMBEDDING_DIMS;
    }
    if (withHand) row.set(hand!.subarray(i * HAND_DIMS, (i + 1) * HAND_DIMS), p);
  }
  return out;
}

/** The mean of `count` embeddings (count × 1024): the recnorm feature sets' recording mean. */
export function meanEmbedding(embeddings: Float32Array, count: number): Float64Array {
  const mean = new Float64Array(EMBEDDING_DIMS);
  for (let i = 0; i < count; i++)
    for (let d = 0; d < EMBEDDING_DIMS; d++) mean[d]! += embeddings[i * EMBEDDING_DIMS + d]!;
  for (let d = 0; d < EMBEDDING_DIMS; d++) mean[d]! /= Math.max(1, count);
  return mean;
}
