/**
 * What the competence gate, the learned quality check and the sound detector read from the
 * band-limited 16 kHz audio, measured as that audio streams past (issue 18): per patch its level
 * (gate/contact.ts) and tonality (gate/tonal.ts), per 3 s window the rule measures
 * (sounds/quality-features.ts), and the detector's hand features per step (from every 4th sample).
 * The batch functions themselves run, each on the stretch of audio it reads, so the values are the
 * batch path's bit for bit; only a few seconds of audio are held (the stretch no measure has used
 * yet). Until issue 18's flat-memory work the 4 kHz audio of the whole recording was kept for the
 * hand features (57 MB an hour); now 11 floats a step are.
 *
 * A measure runs early only when the audio beyond its stretch has arrived (so the recording's end,
 * which clips the last patches and windows, cannot change it); the rest run at finish().
 */
import { PATCH_SAMPLES, SAMPLE_RATE } from '../features/yamnet-params.js';
import { patchLevelsDbfs } from './gate/contact.js';
import { patchTonality } from './gate/tonal.js';
import {
  centreLevels,
  HAND_DECIMATE,
  HAND_DIMS,
  HAND_GRID,
  HAND_RATE,
  HAND_STEP_SAMPLES,
  stepHandFeaturesAt,
} from './sounds/features.js';
import {
  QUALITY_WINDOW_SEC,
  qualityWindowSpan,
  qualityWindowsWith,
  windowRules,
  type QualityWindows,
} from './sounds/quality-features.js';
import { patchesPerWindow, windowHopPatches } from './scoring.js';
import { Grower } from './streaming-embeddings.js';

export interface StreamedEvidence {
  /** Samples of band-limited 16 kHz audio seen. */
  length16k: number;
  levelDbfs: Float64Array;
  tonality: Float64Array;
  qualityWindows: QualityWindows;
  /** The detector's hand features (count × HAND_DIMS, handFeatures of the band-limited audio), or null when not asked for. */
  hand: Float32Array | null;
}

/** Hand-feature steps computed together (each stretch's spectra start 40 samples early, so not one by one). */
const HAND_BATCH = 16;

export class StreamingPatchEvidence {
  /** Band-limited audio from sample `bufStart` on. */
  private buf = new Float32Array(SAMPLE_RATE * 8);
  private bufLen = 0;
  private bufStart = 0;
  private levels: number[] = [];
  private tonal: number[] = [];
  /** Tonality shares by hop index, the newest patch's second hop (patchTonality's cache). */
  private readonly hops = new Map<number, number>();
  /** Rule rows of the quality windows measured so far, by first patch. */
  private readonly rules = new Map<number, number[]>();
  private nextWindow = 0;
  /** Decimated audio (x[i] = banded16k[i × HAND_DECIMATE]) from decimated sample `decStart` on, when hand features are asked for. */
  private dec: Float32Array;
  private decLen = 0;
  private decStart = 0;
  private readonly handRows: Grower | null;
  private readonly handLevels: number[] = [];
  /** Steps whose hand features are computed. */
  private handDone = 0;
  private readonly perWindow = patchesPerWindow(QUALITY_WINDOW_SEC);
  private readonly windowHop = windowHopPatches(QUALITY_WINDOW_SEC);

  constructor(
    /** First sample of patch i (the batch path's Math.round(startsSec[i] × 16000)). */
    private readonly patchStart: (i: number) => number,
    handFeatures: boolean,
    /** Patches expected (a guess is fine): the hand rows are allocated once at about their size. */
    expectedPatches = 0,
  ) {
    this.handRows = handFeatures ? new Grower(Math.max(1, expectedPatches) * HAND_DIMS) : null;
    this.dec = new Float32Array(handFeatures ? HAND_RATE * 16 : 0);
  }

  private get total(): number {
    return this.bufStart + this.bufLen;
  }

  push(banded: Float32Array): void {
    if (this.handRows) {
      const first = (HAND_DECIMATE - (this.total % HAND_DECIMATE)) % HAND_DECIMATE;
      this.appendDecimated(banded, first);
    }
    this.append(banded);
    // patches whose samples lie wholly before the newest one
    for (;;) {
      const a = this.patchStart(this.levels.length);
      if (a + PATCH_SAMPLES >= this.total) break;
      this.measurePatch(a);
    }
    // hand features of the steps measured so far (each such patch is sure to be in the recording)
    if (this.handRows) {
      let upTo = this.levels.length;
      // (and whose decimated audio has all arrived: it has, for a measured patch; this only guards that)
      while (upTo > this.handDone && this.stepStart(upTo - 1) + HAND_STEP_SAMPLES > this.decStart + this.decLen) upTo--;
      if (upTo - this.handDone >= HAND_BATCH) this.measureHand(upTo);
    }
    // quality windows whose nominal end has arrived
    for (;;) {
      const p = this.nextWindow * this.windowHop;
      const [a, e, b] = qualityWindowSpan(p, this.perWindow, Infinity);
      if (e > this.total / SAMPLE_RATE) break;
      this.rules.set(p, windowRules(this.view(a, b)));
      this.nextWindow++;
    }
    this.dropUsed();
  }

  /** The evidence of a recording of `count` patches (the embedder's count). */
  finish(count: number): StreamedEvidence {
    while (this.levels.length < count) this.measurePatch(this.patchStart(this.levels.length));
    const length16k = this.total;
    const per = Math.min(this.perWindow, count);
    // a window measured early has the span it has now only if its patch count is the full one
    const qualityWindows = qualityWindowsWith(
      count,
      length16k,
      (a, b, p) => (per === this.perWindow ? this.rules.get(p) : undefined) ?? windowRules(this.view(a, b)),
    );
    return {
      length16k,
      levelDbfs: Float64Array.from(this.levels),
      tonality: Float64Array.from(this.tonal),
      qualityWindows,
      hand: this.handRows ? this.finishHand(count) : null,
    };
  }

  /** First decimated sample of step i (the batch path's Math.round(startsSec[i] × HAND_RATE)). */
  private stepStart(i: number): number {
    return Math.round((this.patchStart(i) / SAMPLE_RATE) * HAND_RATE);
  }

  /** Hand features of steps [handDone, upTo) from the decimated audio held (which reaches their ends). */
  private measureHand(upTo: number): void {
    const starts: number[] = [];
    for (let i = this.handDone; i < upTo; i++) starts.push(this.stepStart(i) - this.decStart);
    // up to the last step's end only: what lies beyond is measured again with the next steps
    const end = Math.min(this.decLen, starts[starts.length - 1]! + HAND_STEP_SAMPLES);
    const { rows, levels } = stepHandFeaturesAt(this.dec.subarray(0, end), starts);
    this.handRows!.append(rows);
    for (const l of levels) this.handLevels.push(l);
    this.handDone = upTo;
    // keep from a grid point at least one grid step before the next step (stepHandFeaturesAt's condition)
    const keepFrom = Math.max(0, Math.floor((this.stepStart(this.handDone) - HAND_GRID) / HAND_GRID) * HAND_GRID);
    const drop = Math.min(this.decLen, keepFrom - this.decStart);
    if (drop <= 0) return;
    this.dec.copyWithin(0, drop, this.decLen);
    this.decLen -= drop;
    this.decStart += drop;
  }

  /** The remaining steps' hand features (the held audio ends at the recording's end), centred on the recording's median level. */
  private finishHand(count: number): Float32Array {
    if (this.handDone > count)
      throw new Error(`StreamingPatchEvidence: ${this.handDone} steps measured, the recording has ${count}`);
    if (this.handDone < count) this.measureHand(count);
    const rows = this.handRows!.take();
    centreLevels(rows, this.handLevels);
    return rows;
  }

  /** Appends banded[first], banded[first + HAND_DECIMATE], … (straight into the buffer: no array per chunk). */
  private appendDecimated(banded: Float32Array, first: number): void {
    const n = Math.max(0, Math.ceil((banded.length - first) / HAND_DECIMATE));
    if (this.decLen + n > this.dec.length) {
      const grown = new Float32Array(Math.max(this.dec.length * 2, this.decLen + n));
      grown.set(this.dec.subarray(0, this.decLen));
      this.dec = grown;
    }
    for (let i = 0; i < n; i++) this.dec[this.decLen + i] = banded[first + i * HAND_DECIMATE]!;
    this.decLen += n;
  }

  /**
   * Patch level and tonality from the audio at its first sample on (to the end of what is held). A
   * patch's second hop is the next patch's first: its share is kept for it (`hops`), as the batch
   * patchTonality keeps it, instead of transforming the same samples twice.
   */
  private measurePatch(a: number): void {
    const from = this.view(a, this.total);
    const i = this.levels.length;
    this.levels.push(patchLevelsDbfs(from, [0], SAMPLE_RATE)[0]!);
    this.hops.delete(i - 1);
    this.tonal.push(patchTonality(from, [a / SAMPLE_RATE], SAMPLE_RATE, this.hops, a)[0]!);
  }

  /** Samples [a, b) of the band-limited audio (a must still be held). */
  private view(a: number, b: number): Float32Array {
    if (a < this.bufStart) throw new Error(`StreamingPatchEvidence: sample ${a} was already dropped`);
    return this.buf.subarray(a - this.bufStart, Math.min(this.bufLen, Math.max(0, b - this.bufStart)));
  }

  private append(x: Float32Array): void {
    if (this.bufLen + x.length > this.buf.length) {
      const grown = new Float32Array(Math.max(this.buf.length * 2, this.bufLen + x.length));
      grown.set(this.buf.subarray(0, this.bufLen));
      this.buf = grown;
    }
    this.buf.set(x, this.bufLen);
    this.bufLen += x.length;
  }

  /** Forgets the audio before the first sample a measure still to run reads. */
  private dropUsed(): void {
    const keepFrom = Math.min(
      this.patchStart(this.levels.length),
      qualityWindowSpan(this.nextWindow * this.windowHop, this.perWindow, Infinity)[0],
    );
    const drop = Math.min(this.bufLen, keepFrom - this.bufStart);
    if (drop <= 0) return;
    this.buf.copyWithin(0, drop, this.bufLen);
    this.bufLen -= drop;
    this.bufStart += drop;
  }
}
