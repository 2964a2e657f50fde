/**
 * The engine's front half for a recording of any length in bounded memory (issue 18): push the
 * recording's samples in chunks (e.g. from openWavStream), get back what analyzeRecording computes
 * from the whole array before its head, gate and detector run — signal quality, the band-limited
 * pass's 1024-D embeddings, the AudioSet scores (full band, or the band-limited pass with
 * audioSetBand 'head') and the patch start times. Nothing at 16 kHz is kept: each stage holds only
 * what its next output needs, and YAMNet runs every 32 patches, as YamnetSession.run batches them.
 *
 *   chunk ─ QualityTracker
 *         └ StreamingResampler (polyphase) ─┬─ StreamingBandLimit ─ StreamingLogMel ─ patches ─ YAMNet ─ embeddings
 *                                           └─ (full band) StreamingLogMel ─ patches ─ YAMNet ─ AudioSet scores
 *
 * Equal to the batch path bit for bit (test/inference/streaming-embeddings.test.ts): the resampler,
 * band-limit and log-mel streams equal their batch versions, patches are cut from the same frames,
 * and YAMNet sees the same batches (patches 0–31, 32–63, …).
 *
 * Memory for 60 minutes: 7,500 patches × (1024 + 521) floats = 46 MB, against 1.2 GB of float32
 * arrays (samples, 16 kHz, band-limited, two sets of frames) for the whole-array path at 44.1 kHz.
 *
 * THE SEAM (engine.ts is being rewritten by the competence-gate work, so it is not wired in here):
 * AnalysisEngine.analyzeRecording(samples, rate) computes `quality`, `s16`/`banded`, `headPatches`,
 * `headOut` and `scoresOut` from the whole array, then scores windows and runs the gate and detector
 * on `headOut.embeddings`. A streaming `analyzeStream(chunks, rate)` replaces everything up to
 * `headOut`/`scoresOut` with one StreamingEmbedder and keeps the rest as it is, except for the sound
 * detector and learned quality check, which also read `banded16k` (the whole band-limited audio) for
 * their hand-crafted descriptors: they need the same treatment (descriptors per 10 ms step computed
 * from the band-limited stream here and kept, ~100 floats a second) before the path is flat end to end.
 */
import { StreamingBandLimit } from '../audio/streaming-band-limit.js';
import { StreamingResampler, type ResampleMethod } from '../audio/resample.js';
import { QualityTracker } from '../audio/quality.js';
import type { QualityReport } from '../audio/quality-types.js';
import { StreamingLogMel } from '../features/streaming-log-mel.js';
import {
  AUDIOSET_CLASSES,
  EMBEDDING_DIMS,
  HOP,
  MEL_BANDS,
  PATCH_FRAMES,
  PATCH_HOP_FRAMES,
  PATCH_SAMPLES,
  SAMPLE_RATE,
  WINDOW,
} from '../features/yamnet-params.js';
import { AnalysisError } from './errors.js';
import { PATCH_SIZE, type YamnetRunner } from './yamnet-session.js';

export interface StreamedFrontHalf {
  sampleRate: number;
  /** Samples pushed, at the recording's own rate. */
  samples: number;
  durationSec: number;
  quality: QualityReport;
  /** count × 1024, from the band-limited pass (what the head sees). */
  embeddings: Float32Array;
  /** count × 521 AudioSet scores (full band unless audioSetBand is 'head' or band-limiting changes nothing); null with keepScores false. */
  scores: Float32Array | null;
  /** count × 521 AudioSet scores of the band-limited pass (what the competence gate reads); null with keepScores false. */
  bandLimitedScores: Float32Array | null;
  /** Whether a second, full-band pass ran (its scores went to onAudioSetScores). */
  fullBandPass: boolean;
  count: number;
  startsSec: number[];
}

/** A float32 array that grows by doubling: the per-patch outputs, whose count is known only at the end. */
export class Grower {
  private data: Float32Array;
  length = 0;
  constructor(initial: number) {
    this.data = new Float32Array(initial);
  }
  append(x: Float32Array): void {
    if (this.length + x.length > this.data.length) {
      const grown = new Float32Array(Math.max(this.data.length * 2, this.length + x.length));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(x, this.length);
    this.length += x.length;
  }
  /** The values: the array itself when it was sized exactly, else a trimmed copy (the doubling slack freed). */
  take(): Float32Array {
    return this.length === this.data.length ? this.data : this.data.slice(0, this.length);
  }
  /** The values without a copy (the slack stays allocated): for an array sized from a close estimate, where a copy would briefly double it. */
  view(): Float32Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * One YAMNet pass over a 16 kHz stream: log-mel frames as they complete, patches cut every 48 frames,
 * YAMNet run on each full batch. Keeps at most one patch's frames and one batch of patches.
 */
class PatchPass {
  private readonly logMel = new StreamingLogMel();
  /** The newest frames: frame `framesStart` is frames[0]. */
  private frames = new Float32Array(PATCH_FRAMES * MEL_BANDS * 2);
  private framesLen = 0;
  private framesStart = 0;
  private readonly batch: Float32Array;
  private inBatch = 0;
  private patches = 0;
  private samples16k = 0;
  /** The batch onnxruntime is running (overlap), its outputs appended when it ends. */
  private running: Promise<void> | null = null;
  readonly embeddings: Grower | null;
  readonly scores: Grower | null;

  constructor(
    private readonly yamnet: YamnetRunner,
    keep: { embeddings: boolean; scores: boolean },
    /** Each batch's AudioSet scores (n × 521), in order, before they are dropped or kept. */
    private readonly onScores: ((scores: Float32Array, n: number) => void) | undefined,
    /** Patches expected (from the file's header), so the outputs are allocated once; a guess is fine. */
    expected: number,
    private readonly overlap: boolean,
  ) {
    this.batch = new Float32Array(yamnet.batchSize * PATCH_SIZE);
    this.embeddings = keep.embeddings ? new Grower(expected * EMBEDDING_DIMS) : null;
    this.scores = keep.scores ? new Grower(expected * AUDIOSET_CLASSES) : null;
  }

  get count(): number {
    return this.patches;
  }

  async push(s16: Float32Array): Promise<void> {
    this.samples16k += s16.length;
    const f = this.logMel.push(s16);
    if (f.frames > 0) await this.addFrames(f.data, f.frames);
  }

  /** Ends the stream; a stream shorter than one patch is zero-padded to one, as patchSource16k pads it. */
  async finish(): Promise<void> {
    if (this.samples16k < PATCH_SAMPLES) await this.push(new Float32Array(PATCH_SAMPLES - this.samples16k));
    if (this.inBatch > 0) await this.runBatch();
    const last = this.running;
    this.running = null;
    if (last) await last;
  }

  private async addFrames(data: Float32Array, n: number): Promise<void> {
    const need = (this.framesLen + n) * MEL_BANDS;
    if (need > this.frames.length) {
      const grown = new Float32Array(Math.max(this.frames.length * 2, need));
      grown.set(this.frames.subarray(0, this.framesLen * MEL_BANDS));
      this.frames = grown;
    }
    this.frames.set(data, this.framesLen * MEL_BANDS);
    this.framesLen += n;
    // every patch whose 96 frames are complete, in order
    for (;;) {
      const first = this.patches * PATCH_HOP_FRAMES - this.framesStart;
      if (first + PATCH_FRAMES > this.framesLen) break;
      this.batch.set(
        this.frames.subarray(first * MEL_BANDS, (first + PATCH_FRAMES) * MEL_BANDS),
        this.inBatch * PATCH_SIZE,
      );
      this.inBatch++;
      this.patches++;
      if (this.inBatch === this.yamnet.batchSize) await this.runBatch();
    }
    // drop the frames no later patch starts at or after
    const keepFrom = this.patches * PATCH_HOP_FRAMES - this.framesStart;
    if (keepFrom > 0) {
      const drop = Math.min(keepFrom, this.framesLen);
      this.frames.copyWithin(0, drop * MEL_BANDS, this.framesLen * MEL_BANDS);
      this.framesLen -= drop;
      this.framesStart += drop;
    }
  }

  /**
   * YAMNet on the batch. With `overlap`, returns once the batch is handed to onnxruntime (after the
   * batch before has finished: outputs stay in order, one batch in flight), so the next chunk's
   * resampling, band-limit, log-mel and evidence run while it runs; finish() waits for the last.
   * runArray copies the batch before it returns, so this.batch may be refilled at once.
   */
  private async runBatch(): Promise<void> {
    const n = this.inBatch;
    this.inBatch = 0;
    const before = this.running;
    this.running = null;
    if (before) await before;
    const done = this.yamnet
      .runArray(this.batch, n, this.scores !== null || this.onScores !== undefined)
      .then((out) => {
        this.embeddings?.append(out.embeddings);
        if (out.scores) this.onScores?.(out.scores, n);
        if (this.scores && out.scores) this.scores.append(out.scores);
      });
    if (!this.overlap) return done;
    // awaited by the next batch or finish(); a stream abandoned before then must not leave it unhandled
    done.catch(() => undefined);
    this.running = done;
  }
}

export interface StreamingEmbedderOptions {
  /** The head's bandwidth (its card's input.bandwidthHz). */
  bandwidthHz: number;
  /** 'full' (the engine's default): AudioSet scores from a second, full-band pass; 'head': from the band-limited one. */
  audioSetBand?: 'full' | 'head';
  resampleMethod?: ResampleMethod;
  /**
   * The recording's length in samples when known (a WAV header says it): the per-patch outputs are
   * then allocated once at their final size instead of growing by doubling (which, near the end of an
   * hour, briefly holds the old and the new array).
   */
  expectedSamples?: number;
  /**
   * false: the AudioSet scores are not kept (an hour's are 16 MB a pass); the caller reduces each
   * batch's as it comes (onBandLimitedScores / onAudioSetScores). Default true.
   */
  keepScores?: boolean;
  /** Each batch's AudioSet scores of the band-limited pass (n × 521), in patch order. */
  onBandLimitedScores?: (scores: Float32Array, n: number) => void;
  /** Each batch's AudioSet scores of the full-band pass, when it runs (n × 521), in patch order. */
  onAudioSetScores?: (scores: Float32Array, n: number) => void;
  /** true (with a YamnetWorker): each YAMNet batch runs while the next chunks are resampled and cut into patches (PatchPass.runBatch); false (default): one after the other. Same outputs. */
  overlap?: boolean;
  /** Each stretch of the band-limited 16 kHz audio (the resampled audio when band-limiting changes nothing), in order: the engine measures the gate's and detector's per-patch evidence from it. */
  onBanded?: (banded16k: Float32Array) => void;
}

/** Patches the batch path makes of n samples at `rate` (patchSource16k of the resampled audio). */
export function expectedPatches(n: number, rate: number): number {
  const n16 = rate === SAMPLE_RATE ? n : Math.floor((n * SAMPLE_RATE) / rate);
  if (n16 < PATCH_SAMPLES) return 1;
  return Math.floor((Math.floor((n16 - WINDOW) / HOP) + 1 - PATCH_FRAMES) / PATCH_HOP_FRAMES) + 1;
}

export class StreamingEmbedder {
  private pushed = 0;
  private finished = false;

  private constructor(
    readonly sampleRate: number,
    private readonly quality: QualityTracker,
    private readonly resampler: StreamingResampler,
    private readonly bandLimit: StreamingBandLimit | null,
    private readonly head: PatchPass,
    private readonly full: PatchPass | null,
    private readonly onBanded: ((banded16k: Float32Array) => void) | undefined,
  ) {}

  static async create(
    yamnet: YamnetRunner,
    sampleRate: number,
    opts: StreamingEmbedderOptions,
  ): Promise<StreamingEmbedder> {
    if (!(sampleRate > 0)) throw new AnalysisError('AUDIO_INVALID', `invalid sample rate ${sampleRate}`);
    const bw = opts.bandwidthHz;
    // as the engine decides: band-limiting changes nothing when the source has no content above the band
    const bandLimitMatters = sampleRate / 2 > bw && SAMPLE_RATE / 2 > bw;
    const fullPass = bandLimitMatters && (opts.audioSetBand ?? 'full') === 'full';
    const resampler = await StreamingResampler.create(sampleRate, SAMPLE_RATE, opts.resampleMethod ?? 'polyphase');
    const expected =
      opts.expectedSamples !== undefined && opts.expectedSamples > 0
        ? expectedPatches(opts.expectedSamples, sampleRate)
        : 256;
    return new StreamingEmbedder(
      sampleRate,
      new QualityTracker(sampleRate),
      resampler,
      bandLimitMatters ? new StreamingBandLimit(SAMPLE_RATE, bw) : null,
      new PatchPass(
        yamnet,
        { embeddings: true, scores: opts.keepScores ?? true },
        opts.onBandLimitedScores,
        expected,
        opts.overlap ?? false,
      ),
      fullPass
        ? new PatchPass(
            yamnet,
            { embeddings: false, scores: opts.keepScores ?? true },
            opts.onAudioSetScores,
            expected,
            opts.overlap ?? false,
          )
        : null,
      opts.onBanded,
    );
  }

  /** One chunk of the recording at its own rate, mono in [-1, 1]. */
  async push(chunk: Float32Array): Promise<void> {
    if (this.finished) throw new Error('StreamingEmbedder: push() after finish()');
    this.pushed += chunk.length;
    this.quality.push(chunk);
    await this.feed(this.resampler.push(chunk));
  }

  private async feed(s16: Float32Array): Promise<void> {
    if (s16.length === 0) return;
    await this.pushBanded(this.bandLimit ? this.bandLimit.push(s16) : s16);
    if (this.full) await this.full.push(s16);
  }

  private async pushBanded(banded: Float32Array): Promise<void> {
    if (banded.length > 0) this.onBanded?.(banded);
    await this.head.push(banded);
  }

  async finish(): Promise<StreamedFrontHalf> {
    if (this.finished) throw new Error('StreamingEmbedder: finish() twice');
    this.finished = true;
    if (this.pushed === 0) throw new AnalysisError('AUDIO_EMPTY', 'the recording holds no samples');
    const tail = this.resampler.flush();
    this.resampler.close();
    if (tail.length > 0) await this.pushBanded(this.bandLimit ? this.bandLimit.push(tail) : tail);
    if (this.bandLimit) await this.pushBanded(this.bandLimit.flush());
    if (this.full && tail.length > 0) await this.full.push(tail);
    await this.head.finish();
    await this.full?.finish();
    const count = this.head.count;
    const bandLimitedScores = this.head.scores?.take() ?? null;
    const scores = this.full ? (this.full.scores?.take() ?? null) : bandLimitedScores;
    return {
      sampleRate: this.sampleRate,
      samples: this.pushed,
      durationSec: this.pushed / this.sampleRate,
      quality: this.quality.report(),
      embeddings: this.head.embeddings!.take(),
      scores,
      bandLimitedScores,
      fullBandPass: this.full !== null,
      count,
      startsSec: Array.from({ length: count }, (_, i) => (i * PATCH_HOP_FRAMES * HOP) / SAMPLE_RATE),
    };
  }
}
