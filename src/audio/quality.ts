/**
 * Signal quality of a recording, in terms a nurse can act on.
 *
 * Measures (see QualityReport in quality-types.ts):
 *  - clipping ratio: samples with |x| ≥ 0.999 (within 0.1 % of full scale);
 *  - RMS and peak of the whole signal, dBFS (a full-scale square wave is 0 dBFS; a full-scale sine −3);
 *  - 50 ms block levels with each block's mean removed, because cheap USB front ends and normalised
 *    files carry DC offsets (KAUH files: up to 0.25 of full scale) that would otherwise read as sound;
 *    silence ratio = share of blocks below −60 dBFS, noise floor = their 10th percentile.
 * Levels are floored at −120 dBFS (digital silence would otherwise be −∞, which JSON cannot carry).
 *
 * Thresholds were set against the 336 real KAUH recordings (which are peak-normalised: peak 0 dBFS,
 * a handful of full-scale samples, RMS −30 to −10 dBFS, median block level −41 to −15 dBFS) so that
 * ordinary real recordings come out good, and each fault a nurse can fix has its own reason.
 *
 * Streaming: QualityTracker keeps running sums and one level per 50 ms block (a 10-minute recording is
 * 12 000 numbers), so report() covers the whole stream so far and equals assessQuality on the same
 * samples. The live "is it OK now" view is level() (since the last call) plus report().
 */
import type { QualityReport, QualityVerdict } from './quality-types.js';

export const QUALITY_THRESHOLDS = {
  clipLevel: 0.999,
  /** Clipped-sample share above which the verdict is fair / poor. */
  clippingFair: 0.0005,
  clippingPoor: 0.01,
  /** Block level (dBFS, mean removed) under which a block counts as silent (no contact). */
  silentBlockDbfs: -60,
  /** No signal: even the loudest 10 % of blocks are below this (digital silence, unplugged). */
  digitalSilenceDbfs: -100,
  /** No contact: this share of blocks or more is silent (below silentBlockDbfs). */
  noContactShare: 0.9,
  /** Weak: the median level of the blocks with contact is below this. */
  weakDbfs: -50,
  /** Share of silent blocks above which contact was lost for part / most of the recording. */
  silenceFair: 0.2,
  silencePoor: 0.5,
  /** RMS above which the recording is too loud (gain too high) even if it did not clip. */
  tooLoudRmsDbfs: -6,
  /** A noise floor (quietest 10 % of blocks) above this means constant loud background noise. */
  noisyFloorDbfs: -15,
  blockSec: 0.05,
} as const;

const FLOOR_DB = -120;

export const QUALITY_REASONS = {
  noSignal:
    'no signal: the recording is silent; check the stethoscope is connected and switched on, then place the chest piece on the skin',
  noContact: 'no contact: place the chest piece on the skin (the sound level is very low)',
  weak: 'very quiet: press the chest piece firmly on the skin, or raise the input gain',
  lostContactMost: 'lost contact for most of the recording: hold the chest piece firmly on the skin and record again',
  lostContactPart: 'lost contact in parts of the recording: keep the chest piece still and firmly on the skin',
  clippingPoor: 'clipping: the sound is distorted; move the chest piece or lower the gain, then record again',
  clippingFair: 'some clipping: move the chest piece or lower the gain',
  tooLoud: 'too loud: lower the input gain',
  noisy: 'noisy: constant background noise; quiet the room, keep the chest piece and tubing still',
} as const;

function db(power: number): number {
  return power > 0 ? Math.max(FLOOR_DB, 10 * Math.log10(power)) : FLOOR_DB;
}

/** Accumulates quality measures over a stream of mono chunks at one sample rate. */
export class QualityTracker {
  private readonly blockLen: number;
  private count = 0;
  private sumSq = 0;
  private peak = 0;
  private clipped = 0;
  // Current block: running sum and sum of squares (its mean is removed when the block closes).
  private bSum = 0;
  private bSq = 0;
  private bN = 0;
  private levels = new Float32Array(256);
  private nLevels = 0;
  // For level(): since the last call.
  private lSq = 0;
  private lPeak = 0;
  private lN = 0;

  constructor(readonly sampleRate: number) {
    if (!(sampleRate > 0)) throw new RangeError(`QualityTracker: invalid sample rate ${sampleRate}`);
    this.blockLen = Math.max(1, Math.round(sampleRate * QUALITY_THRESHOLDS.blockSec));
  }

  push(chunk: Float32Array): void {
    const clip = QUALITY_THRESHOLDS.clipLevel;
    const blockLen = this.blockLen;
    let sumSq = 0,
      peak = 0,
      clipped = 0;
    let bSum = this.bSum,
      bSq = this.bSq,
      bN = this.bN;
    // block by block (the same sums in the same order as sample by sample with a block check); the
    // chunk's peak once for both maxima
    for (let i = 0; i < chunk.length;) {
      const end = Math.min(chunk.length, i + blockLen - bN);
      bN += end - i;
      for (; i < end; i++) {
        const v = chunk[i]!;
        const a = v < 0 ? -v : v;
        const sq = v * v;
        sumSq += sq;
        if (a > peak) peak = a;
        if (a >= clip) clipped++;
        bSum += v;
        bSq += sq;
      }
      if (bN === blockLen) {
        this.closeBlock(bSum, bSq, bN);
        bSum = bSq = bN = 0;
      }
    }
    this.bSum = bSum;
    this.bSq = bSq;
    this.bN = bN;
    this.count += chunk.length;
    this.sumSq += sumSq;
    if (peak > this.peak) this.peak = peak;
    this.clipped += clipped;
    this.lSq += sumSq;
    if (peak > this.lPeak) this.lPeak = peak;
    this.lN += chunk.length;
  }

  private closeBlock(sum: number, sq: number, n: number): void {
    if (this.nLevels === this.levels.length) {
      const grown = new Float32Array(this.levels.length * 2);
      grown.set(this.levels);
      this.levels = grown;
    }
    const mean = sum / n;
    this.levels[this.nLevels++] = db(Math.max(0, sq / n - mean * mean));
  }

  /** RMS and peak since the previous call (for a level meter), dBFS. */
  level(): { rmsDbfs: number; peakDbfs: number } {
    const out = {
      rmsDbfs: this.lN > 0 ? db(this.lSq / this.lN) : FLOOR_DB,
      peakDbfs: db(this.lPeak * this.lPeak),
    };
    this.lSq = 0;
    this.lPeak = 0;
    this.lN = 0;
    return out;
  }

  /** The report for everything pushed so far. */
  report(): QualityReport {
    const T = QUALITY_THRESHOLDS;
    // Block levels: the closed blocks, plus the open one when there is no closed block yet.
    let levels = this.levels.subarray(0, this.nLevels);
    if (levels.length === 0 && this.bN > 0) {
      const mean = this.bSum / this.bN;
      levels = Float32Array.of(db(Math.max(0, this.bSq / this.bN - mean * mean)));
    }
    const sorted = Float32Array.from(levels).sort();
    const pct = (p: number): number =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : FLOOR_DB;
    let silent = 0;
    for (let i = 0; i < levels.length; i++) if (levels[i]! < T.silentBlockDbfs) silent++;

    const clippingRatio = this.count ? this.clipped / this.count : 0;
    const rmsDbfs = this.count ? db(this.sumSq / this.count) : FLOOR_DB;
    const peakDbfs = db(this.peak * this.peak);
    const silenceRatio = levels.length ? silent / levels.length : 1;
    const noiseFloorDbfs = pct(0.1);

    // Level of the blocks with contact (the median over all blocks would call a recording that lost
    // contact half the time "no contact").
    let active = 0;
    for (let i = 0; i < sorted.length; i++) if (sorted[i]! >= T.silentBlockDbfs) active++;
    const activeMedian = active ? sorted[sorted.length - active + Math.floor(active / 2)]! : FLOOR_DB;

    const poor: string[] = [];
    const fair: string[] = [];
    const R = QUALITY_REASONS;
    if (this.count === 0 || this.peak === 0 || pct(0.9) <= T.digitalSilenceDbfs) poor.push(R.noSignal);
    else if (silenceRatio >= T.noContactShare) poor.push(R.noContact);
    else {
      if (silenceRatio > T.silencePoor) poor.push(R.lostContactMost);
      else if (silenceRatio > T.silenceFair) fair.push(R.lostContactPart);
      if (activeMedian < T.weakDbfs) fair.push(R.weak);
    }
    if (clippingRatio > T.clippingPoor) poor.push(R.clippingPoor);
    else if (clippingRatio > T.clippingFair) fair.push(R.clippingFair);
    else if (rmsDbfs > T.tooLoudRmsDbfs) fair.push(R.tooLoud);
    if (noiseFloorDbfs > T.noisyFloorDbfs && clippingRatio <= T.clippingPoor) fair.push(R.noisy);

    const verdict: QualityVerdict = poor.length ? 'poor' : fair.length ? 'fair' : 'good';
    return { verdict, reasons: [...poor, ...fair], clippingRatio, rmsDbfs, peakDbfs, silenceRatio, noiseFloorDbfs };
  }
}

/** Quality of a whole recording (the same computation as a QualityTracker fed the same samples). */
export function assessQuality(samples: Float32Array, sampleRate: number): QualityReport {
  const t = new QualityTracker(sampleRate);
  t.push(samples);
  return t.report();
}
