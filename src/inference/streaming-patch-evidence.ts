/**
 * What the competence gate, the learned quality check and the sound detector read from the
 * band-limited 16 kHz audio, measured as that audio streams past (issue 18): per patch its level
 * (gate/contact.ts) and tonality (gate/tonal.ts), per 3 s window the rule measures
 * (sounds/quality-features.ts), and every 4th sample for the detector's hand features. The batch
 * functions themselves run, each on the stretch of audio it reads, so the values are the batch
 * path's bit for bit; only a few seconds of 16 kHz audio are held (the stretch no measure has used
 * yet), plus 4 kHz audio for the hand features when the detector has them (57 MB an hour).
 *
 * A measure runs early only when the audio beyond its stretch has arrived (so the recording's end,
 * which clips the last patches and windows, cannot change it); the rest run at finish().
 */
import { PATCH_SAMPLES, SAMPLE_RATE } from '../features/yamnet-params.js';
import { patchLevelsDbfs } from './gate/contact.js';
import { patchTonality } from './gate/tonal.js';
import { HAND_DECIMATE } from './sounds/features.js';
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
  /** x[i] = banded16k[i × HAND_DECIMATE], or null when not kept. */
  decimated: Float32Array | null;
}

export class StreamingPatchEvidence {
  /** Band-limited audio from sample `bufStart` on. */
  private buf = new Float32Array(SAMPLE_RATE * 8);
  private bufLen = 0;
  private bufStart = 0;
  private levels: number[] = [];
  private tonal: number[] = [];
  /** Rule rows of the quality windows measured so far, by first patch. */
  private readonly rules = new Map<number, number[]>();
  private nextWindow = 0;
  private readonly decimated: Grower | null;
  private readonly perWindow = patchesPerWindow(QUALITY_WINDOW_SEC);
  private readonly windowHop = windowHopPatches(QUALITY_WINDOW_SEC);

  constructor(
    /** First sample of patch i (the batch path's Math.round(startsSec[i] × 16000)). */
    private readonly patchStart: (i: number) => number,
    keepDecimated: boolean,
    expectedSamples16k = 0,
  ) {
    this.decimated = keepDecimated ? new Grower(Math.ceil(Math.max(1, expectedSamples16k) / HAND_DECIMATE)) : null;
  }

  private get total(): number {
    return this.bufStart + this.bufLen;
  }

  push(banded: Float32Array): void {
    if (this.decimated) {
      const first = (HAND_DECIMATE - (this.total % HAND_DECIMATE)) % HAND_DECIMATE;
      const picked = new Float32Array(Math.max(0, Math.ceil((banded.length - first) / HAND_DECIMATE)));
      for (let i = 0; i < picked.length; i++) picked[i] = banded[first + i * HAND_DECIMATE]!;
      this.decimated.append(picked);
    }
    this.append(banded);
    // patches whose samples lie wholly before the newest one
    for (;;) {
      const a = this.patchStart(this.levels.length);
      if (a + PATCH_SAMPLES >= this.total) break;
      this.measurePatch(a);
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
      decimated: this.decimated?.view() ?? null,
    };
  }

  /** Patch level and tonality from the audio at its first sample on (to the end of what is held). */
  private measurePatch(a: number): void {
    const from = this.view(a, this.total);
    this.levels.push(patchLevelsDbfs(from, [0], SAMPLE_RATE)[0]!);
    this.tonal.push(patchTonality(from, [0], SAMPLE_RATE)[0]!);
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
