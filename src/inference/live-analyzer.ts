/**
 * Live analysis for one capture. Fed the 16 kHz stream; every update runs YAMNet on the patches
 * completed since the last one only, keeps each patch's embedding and gate evidence, and decides
 * over everything heard so far exactly as for a recording: the same patch checks, scoring windows
 * of usable patches only (≥ one 3 s window before any figure), the same head. The figures are the
 * mean over all clean windows so far (windows every 0.48 s: smooth, and close to what the saved
 * recording will get), marked provisional. Quality is judged on the newest 3 s: while it is poor,
 * nothing is shown. The sound detector runs on the same patches behind the same gate: each patch's
 * hand-crafted features are computed once, from the band-limited audio of the update that made it;
 * every update re-centres the recording-wide parts (running embedding mean, level median) and
 * rescores only the newest RESCORE_PATCHES patches (the lane shows the last 6 s); older steps keep
 * the probabilities they last had, so an update costs the same at 10 s as at 10 min. The learned quality check
 * scores the newest 3 s window (its patches' embeddings and band-limited audio).
 */
import { assessQuality } from '../audio/quality.js';
import { PATCH_HOP_FRAMES, HOP, PATCH_SAMPLES, PATCH_HOP_SEC, SAMPLE_RATE } from '../features/yamnet-params.js';
import type { LiveAnalysis } from './analysis-types.js';
import type { AnalysisEngine } from './engine.js';
import type { PatchArrays } from './gate/gate.js';
import { patchesPerWindow } from './scoring.js';
import { centreLevels, HAND_DIMS, stepHandFeatures } from './sounds/features.js';
import { EMBEDDING_DIMS } from './yamnet-session.js';

const PATCH_HOP = PATCH_HOP_FRAMES * HOP; // 7680 samples
/** Audio kept before the next patch so the band-limit filter settles before it: one patch hop (0.48 s), so the segment's patches stay on the stream's patch grid. */
const PAD = PATCH_HOP;
/** The newest stretch judged for quality (rules and learned check). */
const QUALITY_SEC = 3;
const QUALITY_SAMPLES = QUALITY_SEC * SAMPLE_RATE;
/** Patches the detector rescores each update: the live lane's 6 s (12 patches) and one more. */
export const RESCORE_PATCHES = 13;

/** A growable Float32 column store. */
class Rows {
  data: Float32Array;
  length = 0;
  constructor(private readonly width: number) {
    this.data = new Float32Array(width * 64);
  }
  append(rows: ArrayLike<number>, count: number): void {
    const need = (this.length + count) * this.width;
    if (need > this.data.length) {
      const next = new Float32Array(Math.max(need, this.data.length * 2));
      next.set(this.data.subarray(0, this.length * this.width));
      this.data = next;
    }
    for (let i = 0; i < count * this.width; i++) this.data[this.length * this.width + i] = rows[i]!;
    this.length += count;
  }
  view(): Float32Array {
    return this.data.subarray(0, this.length * this.width);
  }
}

export class LiveAnalyzer {
  private buffer = new Float32Array(0);
  /** Global index (16 kHz samples since the start) of buffer[0]. */
  private bufferStart = 0;
  private total = 0;
  private patches = 0;
  private readonly embeddings = new Rows(EMBEDDING_DIMS);
  private readonly level: number[] = [];
  private readonly tonality: number[] = [];
  private readonly novelty: number[] = [];
  private foreign: Rows[] = [];
  /** Per patch: the hand-crafted features (level column filled at each update) and its level in dB. */
  private readonly hand = new Rows(HAND_DIMS);
  private readonly levels: number[] = [];
  /** Running sum of the embeddings (the recording mean the detector's recnorm part needs). */
  private readonly embeddingSum = new Float64Array(EMBEDDING_DIMS);
  /** Step probabilities (crackle, wheeze) per patch, as last scored. */
  private readonly steps = new Rows(2);
  /** Band-limited 16 kHz audio from global sample `bandedStart` on, for the learned quality window. */
  private banded = new Float32Array(0);
  private bandedStart = 0;

  constructor(private readonly engine: AnalysisEngine) {}

  /** Seconds of 16 kHz audio pushed. */
  get heardSec(): number {
    return this.total / SAMPLE_RATE;
  }

  /** New 16 kHz samples (synchronous, cheap: the work happens in update()). */
  push(samples16k: Float32Array): void {
    if (samples16k.length === 0) return;
    const next = new Float32Array(this.buffer.length + samples16k.length);
    next.set(this.buffer);
    next.set(samples16k, this.buffer.length);
    this.buffer = next;
    this.total += samples16k.length;
  }

  /** Process the patches completed since the last call; null while no new patch is complete. */
  async update(): Promise<LiveAnalysis | null> {
    const fresh =
      this.total >= PATCH_SAMPLES ? Math.floor((this.total - PATCH_SAMPLES) / PATCH_HOP) + 1 - this.patches : 0;
    if (fresh <= 0) return null;
    const first = this.patches * PATCH_HOP;
    const from = Math.max(this.bufferStart, first - PAD);
    const segment = this.buffer.subarray(from - this.bufferStart);
    const sub = await this.engine.bandLimitedPass(segment);
    // the segment's patches start at `from`, on the stream's grid: keep those from `first` on
    const o = (first - from) / PATCH_HOP;
    const n = Math.min(fresh, sub.count - o);
    if (n <= 0) return null;
    const gate = this.engine.gate;
    const ev: PatchArrays = gate.patchEvidence(sub);
    if (this.foreign.length === 0) this.foreign = ev.foreign.map(() => new Rows(1));
    this.embeddings.append(sub.embeddings.subarray(o * EMBEDDING_DIMS), n);
    for (let i = o; i < o + n; i++) {
      this.level.push(ev.levelDbfs[i]!);
      this.tonality.push(ev.tonality[i]!);
      this.novelty.push(ev.novelty[i]!);
    }
    ev.foreign.forEach((g, k) => this.foreign[k]!.append(g.subarray(o, o + n), n));
    if (this.engine.soundsCard) {
      const hf = stepHandFeatures(sub.banded16k, sub.startsSec.slice(o, o + n));
      this.hand.append(hf.rows, n);
      this.levels.push(...hf.levels);
      for (let i = o; i < o + n; i++)
        for (let d = 0; d < EMBEDDING_DIMS; d++) this.embeddingSum[d]! += sub.embeddings[i * EMBEDDING_DIMS + d]!;
      this.steps.append(new Float32Array(2 * n), n);
      this.keepBanded(sub.banded16k, from, first, this.patches + n);
    }
    this.patches += n;
    // keep what the next update needs (PAD before the next patch) and the newest 3 s for quality
    const keepFrom = Math.max(this.bufferStart, Math.min(this.patches * PATCH_HOP - PAD, this.total - QUALITY_SAMPLES));
    if (keepFrom > this.bufferStart) {
      this.buffer = this.buffer.slice(keepFrom - this.bufferStart);
      this.bufferStart = keepFrom;
    }
    return this.result();
  }

  /**
   * Appends a segment's band-limited audio (it starts at global sample `from`; from `first` on it
   * replaces what the previous segment ended with) and drops what the newest 3 s window, of the
   * `patches` patches there will be, no longer needs.
   */
  private keepBanded(segment: Float32Array, from: number, first: number, patches: number): void {
    const keepAt = Math.max(this.bandedStart, Math.min(first, this.bandedStart + this.banded.length));
    const head = this.banded.subarray(0, keepAt - this.bandedStart);
    const tail = segment.subarray(keepAt - from);
    const next = new Float32Array(head.length + tail.length);
    next.set(head);
    next.set(tail, head.length);
    const cut = Math.max(0, (patches - patchesPerWindow(QUALITY_SEC)) * PATCH_HOP - this.bandedStart);
    this.banded = cut > 0 ? next.slice(cut) : next;
    this.bandedStart += cut;
  }

  /** Crackles and wheezes over every patch so far (call only when the gate passed): the newest rescored. */
  private async sounds(startsSec: number[]): Promise<LiveAnalysis['sounds']> {
    const model = this.engine.soundsModel;
    if (!model) return null;
    const p0 = Math.max(0, this.patches - RESCORE_PATCHES);
    const count = this.patches - p0;
    // the level column against the median of every level so far, for the rescored patches only
    const hand = this.hand.data.slice(p0 * HAND_DIMS, this.patches * HAND_DIMS);
    centreLevels(hand, this.levels.slice(p0), this.levels);
    const mean = this.embeddingSum.map((v) => v / this.patches);
    const fresh = await model.stepsFromFeatures(
      this.embeddings.data.subarray(p0 * EMBEDDING_DIMS, this.patches * EMBEDDING_DIMS),
      count,
      hand,
      mean,
    );
    this.steps.data.set(fresh, p0 * 2);
    return model.fromSteps(this.steps.view().slice(), startsSec, this.heardSec);
  }

  /** The learned quality check on the newest 3 s window (its patches and their band-limited audio). */
  private async learnedQuality(): Promise<LiveAnalysis['learnedQuality']> {
    const card = this.engine.soundsCard;
    if (!card || this.patches === 0) return null;
    const per = Math.min(patchesPerWindow(QUALITY_SEC), this.patches);
    const p0 = this.patches - per;
    const a = p0 * PATCH_HOP - this.bandedStart;
    const audio = this.banded.subarray(Math.max(0, a), a + (per - 1) * PATCH_HOP + PATCH_SAMPLES);
    const q = await this.engine.learnedQuality({
      banded16k: audio,
      embeddings: this.embeddings.view().subarray(p0 * EMBEDDING_DIMS),
      count: per,
    });
    return q && { pPoor: q.pPoor, poor: q.poor, threshold: card.quality.threshold };
  }

  private async result(): Promise<LiveAnalysis> {
    const recent = this.buffer.subarray(Math.max(0, this.buffer.length - QUALITY_SAMPLES));
    const quality = assessQuality(recent, SAMPLE_RATE);
    const startsSec = Array.from({ length: this.patches }, (_, i) => i * PATCH_HOP_SEC);
    const card = this.engine.card;
    const decision = this.engine.gate.decide(
      {
        levelDbfs: this.level,
        tonality: this.tonality,
        novelty: this.novelty,
        foreign: this.foreign.map((r) => r.view()),
      },
      { count: this.patches, startsSec, durationSec: this.heardSec },
      quality,
      null,
      { windowSec: card.input.windowSec, hopSec: PATCH_HOP_SEC },
    );
    const usableSec = decision.report.usableSec;
    const learnedQuality = await this.learnedQuality();
    if (!decision.passed)
      return {
        provisional: true,
        status: 'withheld',
        statusReasons: decision.withheldReasons,
        usableSec,
        screen: null,
        probabilities: null,
        sounds: null,
        learnedQuality,
      };
    const v = await this.engine.verdict(decision, { embeddings: this.embeddings.view(), startsSec });
    return {
      provisional: true,
      status: v.reasons.length ? 'uncertain' : 'ok',
      statusReasons: v.reasons,
      usableSec,
      screen: v.screen,
      probabilities: v.probabilities,
      sounds: await this.sounds(startsSec),
      learnedQuality,
    };
  }
}
