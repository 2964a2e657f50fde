/**
 * The analysis engine: the ONE code path from samples to an AnalysisResult, used by the CLI,
 * live capture, train-head and the service.
 *
 *   samples ─ resample 16 kHz ─ band-limit to the card's bandwidth ─ log-mel patches ─ YAMNet
 *        ─┬─ competence gate (contact, AudioSet foreign sounds, tones, novelty; quality; length)
 *         └─ usable scoring windows ─ head ─ screen + five classes ─ sound detector
 *
 * One YAMNet pass: the gate's AudioSet scores and the AudioSet sanity line come from the same
 * band-limited pass as the head's embeddings (issue 18; the gate's thresholds were chosen on
 * band-limited scores). `audioSetBand: 'full'` still runs a second full-band pass for the sanity
 * line only (bench/analysis.ts measures both). Nothing of the head or the sound detector runs for
 * a recording the gate withholds.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  CLASS_ORDER,
  type AnalysisResult,
  type ClassName,
  type ClassProbabilities,
  type ModelVersions,
  type GateReport,
  type ScreenResult,
  type WindowEvidence,
} from './analysis-types.js';
import type { ModelCard } from './model-card.js';
import { AnalysisError, ModelError } from './errors.js';
import { addScores, readClassMap, topClasses, topClassesOfSums } from './class-map.js';
import { groupScores } from './gate/foreign.js';
import { HeadSession } from './head-session.js';
import { ensureYamnet } from './models.js';
import { CLASS_MAP, DEFAULT_HEAD_CARD, DEFAULT_SOUNDS_CARD, YAMNET_ONNX, defaultModelsDir } from './paths.js';
import { SoundsModel, type BandLimitedPass } from './sounds/detector.js';
import { CompetenceGate, readGateModel, type GatePass, type PatchArrays } from './gate/gate.js';
import { expectedPatches, Grower, StreamingEmbedder } from './streaming-embeddings.js';
import { StreamingPatchEvidence } from './streaming-patch-evidence.js';
import { AUDIOSET_CLASSES, HOP, PATCH_HOP_FRAMES } from '../features/yamnet-params.js';
import { openAudioStream } from '../audio/audio-read.js';
import type { GateDecision } from './gate/decide.js';
import { LiveAnalyzer } from './live-analyzer.js';
import type { LearnedQuality, SoundsResult } from './sounds/types.js';
import { meanRows, patchesPerWindow, softmaxWithTemperature } from './scoring.js';
import { YamnetSession, EMBEDDING_DIMS, type YamnetOutputs, type YamnetRunner } from './yamnet-session.js';
import { YamnetWorker } from './yamnet-worker.js';
import { patchLevelsDbfs } from './gate/contact.js';
import { patchTonality } from './gate/tonal.js';
import { handFeatures } from './sounds/features.js';
import { qualityWindows, type QualityWindows } from './sounds/quality-features.js';
import {
  assessSignalQuality,
  bandLimitTo,
  patchSource16k,
  resampleTo16k,
  TARGET_RATE,
  type ResampleQuality,
} from './front-end.js';

/** Bump when analysis results could change for the same models and audio. */
export const ENGINE_VERSION = '2.0.0';

export interface EngineOptions {
  modelsDir?: string;
  /** Path of the head's model card; default <modelsDir>/head.card.json. */
  headCard?: string;
  /**
   * The sound detector's card; default <modelsDir>/sounds.card.json when that file exists (no detector:
   * `sounds` and `learnedQuality` are null). null: do not load one. A card that exists but fails its
   * checks is an error, never silently skipped.
   */
  soundsCard?: string | null;
  /** Progress lines (e.g. when YAMNet has to be built first). */
  log?: (line: string) => void;
  threads?: number;
  /** 'head' (default): the AudioSet sanity line from the one band-limited pass; 'full': a second, full-band pass for it (the gate always reads the band-limited scores). */
  audioSetBand?: 'full' | 'head';
  /**
   * SpeexDSP quality for whole recordings; default: src/audio's default ('medium', Speex 9), which
   * keeps YAMNet's top mel band (7.5 kHz) within 0.02 dB and rejects aliases by > 120 dB. The
   * 2 kHz head is indifferent to it; only the AudioSet line's top bands could notice.
   */
  resampleQuality?: ResampleQuality;
  /**
   * Steps (and quality windows) per run of the sound detector and the learned quality model; default
   * sounds/detector.ts's DEFAULT_CHUNK_ROWS, which keeps an hour's run in a few MB. The result does not
   * depend on it (tests compare a small value with Infinity, one run for the whole recording).
   */
  detectorChunkRows?: number;
  /**
   * true: YAMNet runs on a worker thread (yamnet-worker.ts), and the front end and the audio's own
   * measures run on this thread meanwhile (analyzeRecording; a stream's next chunks likewise): less
   * wall time when a second core is free. false (default): the session on this thread, one stage
   * after the other. The result is the same either way, value for value (test). Not the default
   * because the worker costs ≈ 20–25 MB of RSS (a second isolate with onnxruntime loaded in it), and
   * a 60-minute 4 kHz recording streams at 288 MB of the 300 MB goal (bench analysis, memory60).
   */
  overlap?: boolean;
}

function now(): number {
  return performance.now();
}

/** engine.audioEvidence's measures. */
interface AudioEvidence {
  quality: AnalysisResult['quality'];
  levelDbfs: Float64Array;
  tonality: Float64Array;
  qualityWindows: QualityWindows | null;
  hand: Float32Array | null;
}

export class AnalysisEngine {
  private constructor(
    private readonly yamnet: YamnetRunner,
    private readonly head: HeadSession,
    readonly classMap: string[],
    readonly versions: ModelVersions,
    private readonly audioSetBand: 'full' | 'head',
    private readonly resampleQuality: ResampleQuality | undefined,
    private readonly sounds: SoundsModel | null,
    readonly gate: CompetenceGate,
    private readonly overlap: boolean,
  ) {}

  get card(): ModelCard {
    return this.head.card;
  }
  /** Where the head came from (for "which head was used" lines). */
  get headCardPath(): string {
    return this.head.cardPath;
  }

  static async load(opts: EngineOptions = {}): Promise<AnalysisEngine> {
    const modelsDir = opts.modelsDir ?? defaultModelsDir();
    const manifest = await ensureYamnet({ modelsDir, log: opts.log });
    // With overlap, YAMNet's worker is started first and loads its session while this thread loads the
    // head, the detector and the gate. Without, the session comes after the head, as before: on this
    // thread its creation overlaps nothing, and starting it first measured 12 MB more peak RSS (the
    // models' bytes alive together). Errors are reported in the order head, YAMNet, detector, gate,
    // and whatever did load is closed.
    const startYamnet = (): Promise<Settled<YamnetRunner>> =>
      settle<YamnetRunner>(
        (opts.overlap === true ? YamnetWorker : YamnetSession).load(join(modelsDir, YAMNET_ONNX), {
          threads: opts.threads,
        }),
      );
    const early = opts.overlap === true ? startYamnet() : null;
    const closeYamnet = async (): Promise<void> => {
      const y = await early;
      if (y?.ok) await y.value.close();
    };
    let head: HeadSession;
    try {
      head = await HeadSession.load(opts.headCard ?? join(modelsDir, DEFAULT_HEAD_CARD), 1);
    } catch (err) {
      await closeYamnet();
      throw err;
    }
    const trainedOn = head.card.training.yamnetSourceSha256;
    if (trainedOn && trainedOn !== manifest.sourceSha256) {
      await Promise.all([head.close(), closeYamnet()]);
      // embeddings of another YAMNet build are not what the head learned from
      throw new ModelError(
        'HEAD_INVALID',
        `the head ${head.card.name} ${head.card.version} was trained on YAMNet source ${trainedOn.slice(0, 12)}…, ` +
          `but models/yamnet.onnx was converted from ${manifest.sourceSha256.slice(0, 12)}…: run \`npx auscult models --source <that YAMNet>\` or retrain the head`,
      );
    }
    const yamnetLoad = early ?? (await startYamnet());
    const soundsLoad = await settle(loadSounds(opts, modelsDir, head.card.input.bandwidthHz, manifest.sourceSha256));
    const gateLoad = await settle(
      (async () => {
        const classMap = readClassMap(join(modelsDir, CLASS_MAP));
        return { classMap, gate: loadGate(head.card, head.cardPath, classMap) };
      })(),
    );
    const yamnetLoaded = await yamnetLoad;
    if (!yamnetLoaded.ok || !soundsLoad.ok || !gateLoad.ok) {
      await Promise.all([
        head.close(),
        yamnetLoaded.ok ? yamnetLoaded.value.close() : undefined,
        soundsLoad.ok ? soundsLoad.value?.close() : undefined,
      ]);
      throw [yamnetLoaded, soundsLoad, gateLoad].find((r): r is Failed => !r.ok)!.error;
    }
    const yamnet = yamnetLoaded.value;
    const sounds = soundsLoad.value;
    const { classMap, gate } = gateLoad.value;
    const versions: ModelVersions = {
      engineVersion: ENGINE_VERSION,
      yamnet: { file: manifest.file, sha256: manifest.sha256, sourceSha256: manifest.sourceSha256 },
      head: { name: head.card.name, version: head.card.version, sha256: head.sha256 },
    };
    return new AnalysisEngine(
      yamnet,
      head,
      classMap,
      versions,
      opts.audioSetBand ?? 'head',
      opts.resampleQuality,
      sounds,
      gate,
      opts.overlap ?? false,
    );
  }

  /** Probabilities in CLASS_ORDER from one row of head output. */
  private toProbabilities(row: ArrayLike<number>): ClassProbabilities {
    const idx = this.head.outputIndex;
    return Object.fromEntries(CLASS_ORDER.map((c) => [c, row[idx[c]]!])) as ClassProbabilities;
  }

  /** The screen; `uncertain` inside the card's band around the threshold or when the gate says so. */
  private screen(p: ClassProbabilities, forceUncertain: boolean): ScreenResult {
    const pAbnormal = 1 - p.healthy;
    const { threshold } = this.card.screen;
    const label: ScreenResult['label'] =
      forceUncertain || this.inBand(pAbnormal) ? 'uncertain' : pAbnormal >= threshold ? 'abnormal' : 'healthy';
    return { pAbnormal, label, threshold };
  }

  private inBand(pAbnormal: number): boolean {
    return Math.abs(pAbnormal - this.card.screen.threshold) < this.card.abstain.screenMargin;
  }

  /**
   * Why a result inside the gate is uncertain (empty: ok): the screen's band and what the gate says
   * of quality (ARCHITECTURE.md). The five-class answer is secondary and does not set the status;
   * the card's `minTopProbability` is for the UI's wording of it.
   */
  private uncertainReasons(probabilities: ClassProbabilities, gateReasons: string[]): string[] {
    const reasons = [...gateReasons];
    const pAbnormal = 1 - probabilities.healthy;
    const { threshold } = this.card.screen;
    if (this.inBand(pAbnormal))
      reasons.push(
        `too close to call: ${Math.round(pAbnormal * 100)} % abnormal is within ${Math.round(this.card.abstain.screenMargin * 100)} points of the screen's threshold ${Math.round(threshold * 100)} %`,
      );
    return reasons;
  }

  /** Scoring windows of usable patches → head probabilities per window and their mean. */
  private async scoreWindows(
    embeddings: Float32Array,
    startsSec: readonly number[],
    windowFirst: readonly number[],
  ): Promise<{ windows: WindowEvidence[]; probabilities: ClassProbabilities }> {
    const D = EMBEDDING_DIMS;
    const per = patchesPerWindow(this.card.input.windowSec);
    const data = new Float32Array(windowFirst.length * D);
    const acc = new Float64Array(D);
    windowFirst.forEach((s, w) => {
      acc.fill(0);
      for (let p = s; p < s + per; p++) for (let d = 0; d < D; d++) acc[d]! += embeddings[p * D + d]!;
      for (let d = 0; d < D; d++) data[w * D + d] = acc[d]! / per;
    });
    const probs = await this.headProbabilities(data, windowFirst.length);
    const k = this.card.classes.length;
    const windows = windowFirst.map((s, w) => {
      const p = this.toProbabilities(probs.subarray(w * k, (w + 1) * k));
      return {
        startSec: startsSec[s]!,
        endSec: startsSec[s + per - 1]! + 0.96,
        pAbnormal: 1 - p.healthy,
        probabilities: p,
      };
    });
    return { windows, probabilities: this.toProbabilities(meanRows(probs, windowFirst.length)) };
  }

  /** Head probabilities (calibrated) for count embeddings: count×5 in the card's order. */
  private async headProbabilities(embeddings: Float32Array, count: number): Promise<Float32Array> {
    const logits = await this.head.logits(embeddings, count);
    return softmaxWithTemperature(logits, count, this.card.calibration.temperature);
  }

  async analyzeRecording(samples: Float32Array, sampleRate: number): Promise<AnalysisResult> {
    const tStart = now();
    if (samples.length === 0) throw new AnalysisError('AUDIO_EMPTY', 'the recording holds no samples');
    if (!(sampleRate > 0)) throw new AnalysisError('AUDIO_INVALID', `invalid sample rate ${sampleRate}`);

    let t = now();
    const s16 = await resampleTo16k(samples, sampleRate, this.resampleQuality);
    const bandwidth = this.card.input.bandwidthHz;
    // band-limiting changes nothing when the source has no content above the head's bandwidth
    const bandLimitMatters = sampleRate / 2 > bandwidth && TARGET_RATE / 2 > bandwidth;
    const banded = bandLimitMatters ? await bandLimitTo(s16, TARGET_RATE, bandwidth) : s16;
    const resampleMs = now() - t;

    t = now();
    const headPatches = patchSource16k(banded);
    const fullPatches = bandLimitMatters && this.audioSetBand === 'full' ? patchSource16k(s16) : null;
    const frontEndMs = now() - t;

    t = now();
    const startsSec = headPatches.startsSec;
    let audio: AudioEvidence;
    let headOut: YamnetOutputs;
    if (this.overlap) {
      // what reads only the audio is measured while the worker thread runs YAMNet (yamnet-worker.ts)
      const running = this.yamnet.run(headPatches.source, true);
      try {
        audio = this.audioEvidence(samples, sampleRate, banded, startsSec);
      } catch (err) {
        running.catch(() => undefined);
        throw err;
      }
      headOut = await running;
    } else {
      headOut = await this.yamnet.run(headPatches.source, true);
      audio = this.audioEvidence(samples, sampleRate, banded, startsSec);
    }
    const quality = audio.quality;
    const fullOut = fullPatches ? await this.yamnet.run(fullPatches.source, true) : null;
    const yamnetMs = now() - t;
    const durationSec = samples.length / sampleRate;
    const pass: BandLimitedPass & GatePass = {
      banded16k: banded,
      embeddings: headOut.embeddings,
      scores: headOut.scores!,
      count: headOut.count,
      startsSec: headPatches.startsSec,
      durationSec,
    };
    return this.backHalf(
      {
        sampleRate,
        durationSec,
        quality,
        embeddings: headOut.embeddings,
        yamnetTop: topClasses((fullOut ?? headOut).scores!, headOut.count, this.classMap, 3),
        count: headOut.count,
        startsSec: headPatches.startsSec,
      },
      {
        learnedQuality: async () =>
          this.sounds && audio.qualityWindows
            ? this.sounds.poorQualityOf(audio.qualityWindows, headOut.embeddings)
            : null,
        patchEvidence: () => this.gate.patchEvidenceWith(audio.levelDbfs, audio.tonality, pass),
        detectSounds: async () => (this.sounds ? this.sounds.detectWith(pass, () => audio.hand!) : null),
      },
      { resample: resampleMs, frontEnd: frontEndMs, yamnet: yamnetMs },
      tStart,
    );
  }

  /**
   * What the back half reads of the audio itself, not of YAMNet's outputs: the signal quality, the
   * gate's per-patch level and tonality, the learned quality check's window measures and the
   * detector's hand features (each as patchEvidence, poorQuality and detect would compute it).
   * The hand features are measured before the gate decides, so a withheld recording pays for them;
   * they cost less than the wait for YAMNet they fill.
   */
  private audioEvidence(
    samples: Float32Array,
    sampleRate: number,
    banded: Float32Array,
    startsSec: readonly number[],
  ): AudioEvidence {
    const sounds = this.sounds;
    return {
      quality: assessSignalQuality(samples, sampleRate),
      levelDbfs: patchLevelsDbfs(banded, startsSec, TARGET_RATE),
      tonality: patchTonality(banded, startsSec, TARGET_RATE),
      qualityWindows: sounds ? qualityWindows(banded, startsSec.length) : null,
      hand: sounds?.needsHandFeatures ? handFeatures(banded, startsSec) : null,
    };
  }

  /**
   * A recording of any length in bounded memory (issue 18): its samples in chunks at their own rate
   * (openWavStream's), through the streaming resampler, band-limit, log-mel and YAMNet
   * (StreamingEmbedder) with the gate's and detector's per-patch evidence measured on the way
   * (StreamingPatchEvidence). The result equals analyzeRecording's on the whole array, field for
   * field, except timingsMs: the stages interleave, so the front half's time is all under `yamnet`.
   */
  async analyzeStream(
    chunks: AsyncIterable<Float32Array>,
    sampleRate: number,
    opts: { expectedSamples?: number } = {},
  ): Promise<AnalysisResult> {
    const tStart = now();
    if (!(sampleRate > 0)) throw new AnalysisError('AUDIO_INVALID', `invalid sample rate ${sampleRate}`);
    const expectedPatchCount =
      opts.expectedSamples !== undefined && opts.expectedSamples > 0
        ? expectedPatches(opts.expectedSamples, sampleRate)
        : 0;
    const evidence = new StreamingPatchEvidence(
      (i) => Math.round(((i * PATCH_HOP_FRAMES * HOP) / TARGET_RATE) * TARGET_RATE),
      this.sounds?.needsHandFeatures ?? false,
      expectedPatchCount,
    );
    // the AudioSet scores reduced batch by batch to what the gate and the sanity line read (an hour's
    // are 16 MB a pass): the foreign-sound groups' per-patch maxima, and per-class sums
    const groups = this.gate.foreignGroups;
    const foreign = groups.map(() => new Grower(Math.max(1, expectedPatchCount)));
    const bandSums = new Float64Array(AUDIOSET_CLASSES);
    const fullSums = new Float64Array(AUDIOSET_CLASSES);
    const embedder = await StreamingEmbedder.create(this.yamnet, sampleRate, {
      bandwidthHz: this.card.input.bandwidthHz,
      audioSetBand: this.audioSetBand,
      resampleMethod: this.resampleQuality ?? 'polyphase',
      expectedSamples: opts.expectedSamples,
      onBanded: (b) => evidence.push(b),
      keepScores: false,
      onBandLimitedScores: (scores, n) => {
        groupScores(scores, n, groups).forEach((g, k) => foreign[k]!.append(g));
        addScores(bandSums, scores, n);
      },
      onAudioSetScores: (scores, n) => addScores(fullSums, scores, n),
      overlap: this.overlap,
    });
    let pushed = 0;
    for await (const chunk of chunks) {
      pushed += chunk.length;
      await embedder.push(chunk);
    }
    if (pushed === 0) throw new AnalysisError('AUDIO_EMPTY', 'the recording holds no samples');
    const front = await embedder.finish();
    const ev = evidence.finish(front.count);
    const frontMs = now() - tStart;
    const parts = {
      embeddings: front.embeddings,
      count: front.count,
      startsSec: front.startsSec,
      durationSec: front.durationSec,
    };
    return this.backHalf(
      {
        sampleRate,
        durationSec: front.durationSec,
        quality: front.quality,
        embeddings: front.embeddings,
        yamnetTop: topClassesOfSums(front.fullBandPass ? fullSums : bandSums, front.count, this.classMap, 3),
        count: front.count,
        startsSec: front.startsSec,
      },
      {
        learnedQuality: async () =>
          this.sounds ? this.sounds.poorQualityOf(ev.qualityWindows, front.embeddings) : null,
        patchEvidence: () =>
          this.gate.patchEvidenceOf(
            ev.levelDbfs,
            ev.tonality,
            foreign.map((g) => g.take()),
            front,
          ),
        detectSounds: async () => (this.sounds ? this.sounds.detectWith(parts, () => ev.hand!) : null),
      },
      { resample: 0, frontEnd: 0, yamnet: frontMs },
      tStart,
    );
  }

  /**
   * A recording file, WAV or FLAC, streamed in bounded memory (analyzeStream): the same result as
   * analyzeRecording of the decoded array. A FLAC's end-of-file checks (length, MD5) run after its
   * last chunk, before any result is returned. Blocks of 64 KiB: smaller transient arrays per chunk leave less garbage between collections (an hour at 4 kHz peaked 8 MB lower than with 256 KiB). `warnings` are the reader's (e.g. clipped float samples).
   */
  async analyzeFile(path: string): Promise<{ result: AnalysisResult; warnings: string[] }> {
    const stream = await openAudioStream(path, { blockBytes: 1 << 16 });
    try {
      const result = await this.analyzeStream(stream.chunks(), stream.sampleRate, {
        expectedSamples: stream.frames > 0 ? stream.frames : undefined,
      });
      return { result, warnings: stream.warnings };
    } finally {
      await stream.close();
    }
  }

  /** Gate, head, detector and the result, from the front half's per-patch outputs (whole-array or streamed). */
  private async backHalf(
    front: {
      sampleRate: number;
      durationSec: number;
      quality: AnalysisResult['quality'];
      embeddings: Float32Array;
      /** YAMNet's top AudioSet classes over the recording (the sanity line). */
      yamnetTop: AnalysisResult['yamnetTop'];
      count: number;
      startsSec: number[];
    },
    from: {
      learnedQuality: () => Promise<LearnedQuality | null>;
      patchEvidence: () => PatchArrays;
      detectSounds: () => Promise<SoundsResult | null>;
    },
    frontMs: { resample: number; frontEnd: number; yamnet: number },
    tStart: number,
  ): Promise<AnalysisResult> {
    const { count, durationSec, quality } = front;
    // --- the competence gate: every patch, then the recording (the learned quality check it reads is
    // the sound model's ONNX and is timed with the sounds)
    let t = now();
    const learnedQuality = await from.learnedQuality();
    const qualityMs = now() - t;
    t = now();
    const where = { count, startsSec: front.startsSec, durationSec };
    const decision = this.gate.decide(from.patchEvidence(), where, quality, learnedQuality, this.card.input);
    const gateMs = now() - t;

    t = now();
    const verdict = decision.passed
      ? await this.verdict(decision, { embeddings: front.embeddings, startsSec: front.startsSec })
      : null;
    const headMs = now() - t;

    t = now();
    // the detector speaks only when the gate passes
    const sounds = verdict ? await from.detectSounds() : null;
    const soundsMs = now() - t + qualityMs;

    let normSum = 0;
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let d = 0; d < EMBEDDING_DIMS; d++) s += front.embeddings[i * EMBEDDING_DIMS + d]! ** 2;
      normSum += Math.sqrt(s);
    }
    const gate: GateReport = { ...decision.report, pPoor: learnedQuality?.pPoor ?? null };
    return {
      durationSec,
      sampleRate: front.sampleRate,
      quality,
      patchCount: count,
      embedding: { dims: EMBEDDING_DIMS, patches: count, meanL2Norm: normSum / count },
      probabilities: verdict?.probabilities ?? null,
      topClass: verdict?.topClass ?? null,
      screen: verdict?.screen ?? null,
      status: verdict ? (verdict.reasons.length ? 'uncertain' : 'ok') : 'withheld',
      statusReasons: verdict ? verdict.reasons : decision.withheldReasons,
      gate,
      patches: decision.patches,
      windows: verdict?.windows ?? [],
      yamnetTop: front.yamnetTop,
      models: this.versions,
      sounds,
      learnedQuality,
      timingsMs: {
        ...frontMs,
        gate: gateMs,
        head: headMs,
        sounds: soundsMs,
        total: now() - tStart,
      },
    };
  }

  /** The head's answer from the gate's windows (call only when the gate passed). */
  async verdict(
    decision: GateDecision,
    pass: Pick<GatePass, 'embeddings' | 'startsSec'>,
  ): Promise<{
    probabilities: ClassProbabilities;
    topClass: ClassName;
    screen: ScreenResult;
    windows: WindowEvidence[];
    reasons: string[];
  }> {
    const { windows, probabilities } = await this.scoreWindows(pass.embeddings, pass.startsSec, decision.windowStarts);
    const topClass = CLASS_ORDER.reduce<ClassName>(
      (best, c) => (probabilities[c] > probabilities[best] ? c : best),
      CLASS_ORDER[0],
    );
    const reasons = this.uncertainReasons(probabilities, decision.uncertainReasons);
    return {
      probabilities,
      topClass,
      screen: this.screen(probabilities, decision.uncertainReasons.length > 0),
      windows,
      reasons,
    };
  }

  /**
   * YAMNet on a stretch of 16 kHz audio, band-limited as the head needs: the live analyzer's
   * building block (it feeds new patches only, and keeps the rest).
   */
  async bandLimitedPass(samples16k: Float32Array): Promise<GatePass> {
    const bandwidth = this.card.input.bandwidthHz;
    const banded = TARGET_RATE / 2 > bandwidth ? await bandLimitTo(samples16k, TARGET_RATE, bandwidth) : samples16k;
    const patches = patchSource16k(banded);
    const out = await this.yamnet.run(patches.source, true);
    return {
      banded16k: banded,
      embeddings: out.embeddings,
      scores: out.scores!,
      count: out.count,
      startsSec: patches.startsSec,
      durationSec: samples16k.length / TARGET_RATE,
    };
  }

  /** The sound detector's card, or null when none is installed. */
  get soundsCard(): SoundsModel['card'] | null {
    return this.sounds?.card ?? null;
  }

  /**
   * Crackles and wheezes of a recording from the head's band-limited pass. The competence gate calls
   * this only when the analysis may speak (a withheld analysis carries `sounds: null`). `hand`: the
   * live analyzer's per-patch hand-crafted features (a file's are computed from `pass`).
   */
  async detectSounds(pass: BandLimitedPass, hand?: Float32Array): Promise<SoundsResult | null> {
    return this.sounds ? this.sounds.detect(pass, hand) : null;
  }

  /** The detector itself, for the live analyzer (it scores only its newest steps); null without one. */
  get soundsModel(): SoundsModel | null {
    return this.sounds;
  }

  /**
   * The learned quality check (P(poor) per 3 s window and for the recording), for the competence gate.
   * A live window: pass its band-limited 16 kHz audio and its patch embeddings the same way.
   */
  async learnedQuality(
    pass: Pick<BandLimitedPass, 'banded16k' | 'embeddings' | 'count'>,
  ): Promise<LearnedQuality | null> {
    return this.sounds ? this.sounds.poorQuality(pass) : null;
  }

  /** Band-limited embeddings per patch (train-head uses these with scoring.windowMeans). */
  async embedRecording(
    samples: Float32Array,
    sampleRate: number,
    bandwidthHz: number,
  ): Promise<{ embeddings: Float32Array; count: number; patchStartsSec: number[] }> {
    return embedBandLimited(this.yamnet, samples, sampleRate, bandwidthHz, this.resampleQuality);
  }

  /** A live analyzer for one capture: fed the 16 kHz stream, provisional results from ≥ 3 s of clean audio. */
  createLiveAnalyzer(): LiveAnalyzer {
    return new LiveAnalyzer(this);
  }

  async close(): Promise<void> {
    await Promise.all([this.yamnet.close(), this.head.close(), this.sounds?.close()]);
  }
}

/** A promise's outcome as a value, so several loads can run at once and their errors be taken in order. */
interface Failed {
  ok: false;
  error: unknown;
}
type Settled<T> = { ok: true; value: T } | Failed;
function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** The head's competence gate, pinned by the card (a card without one is refused: retrain the head). */
function loadGate(card: ModelCard, cardPath: string, classMap: string[]): CompetenceGate {
  if (!card.gate)
    throw new ModelError(
      'GATE_MISSING',
      `the head's card ${cardPath} names no competence gate (an engine ${ENGINE_VERSION} head needs one): retrain it with \`npx auscult train-head\``,
    );
  const path = resolve(dirname(cardPath), card.gate.file);
  return new CompetenceGate(readGateModel(path, card.gate.sha256), classMap, card.gate.sha256);
}

/** The sound detector, if one is installed, checked against the head's band and YAMNet build. */
async function loadSounds(
  opts: EngineOptions,
  modelsDir: string,
  headBandwidthHz: number,
  yamnetSourceSha256: string,
): Promise<SoundsModel | null> {
  if (opts.soundsCard === null) return null;
  const cardPath = opts.soundsCard ?? join(modelsDir, DEFAULT_SOUNDS_CARD);
  if (opts.soundsCard === undefined && !existsSync(cardPath)) return null;
  const sounds = await SoundsModel.load(cardPath, 1, { chunkRows: opts.detectorChunkRows });
  const c = sounds.card;
  const why =
    c.input.bandwidthHz !== headBandwidthHz
      ? `was trained on a ${c.input.bandwidthHz} Hz band, the head on ${headBandwidthHz} Hz`
      : c.training.yamnetSourceSha256 !== yamnetSourceSha256
        ? `was trained on YAMNet source ${c.training.yamnetSourceSha256.slice(0, 12)}…, models/yamnet.onnx comes from ${yamnetSourceSha256.slice(0, 12)}…`
        : null;
  if (why) {
    await sounds.close();
    throw new ModelError(
      'SOUNDS_INVALID',
      `the sound detector ${c.name} ${c.version} ${why}: retrain it with \`npx auscult train-sounds\``,
    );
  }
  return sounds;
}

/** 16 kHz audio band-limited to `bandwidthHz` as the head sees it (nothing to do when the source has no content above it). */
export async function bandLimited16k(
  samples: Float32Array,
  sampleRate: number,
  bandwidthHz: number,
  quality?: ResampleQuality,
): Promise<Float32Array> {
  const s16 = await resampleTo16k(samples, sampleRate, quality);
  return sampleRate / 2 > bandwidthHz && TARGET_RATE / 2 > bandwidthHz
    ? bandLimitTo(s16, TARGET_RATE, bandwidthHz)
    : s16;
}

/**
 * YAMNet embeddings (and AudioSet scores) of audio band-limited to `bandwidthHz` (per patch): what
 * the head and the gate see. The engine and train-head (which has no head yet to load an engine
 * with) both use this.
 */
export async function embedBandLimited(
  yamnet: YamnetRunner,
  samples: Float32Array,
  sampleRate: number,
  bandwidthHz: number,
  quality?: ResampleQuality,
): Promise<{
  embeddings: Float32Array;
  scores: Float32Array;
  count: number;
  patchStartsSec: number[];
  banded16k: Float32Array;
}> {
  if (samples.length === 0) throw new AnalysisError('AUDIO_EMPTY', 'the recording holds no samples');
  const banded = await bandLimited16k(samples, sampleRate, bandwidthHz, quality);
  const patches = patchSource16k(banded);
  const out = await yamnet.run(patches.source, true);
  return {
    embeddings: out.embeddings,
    scores: out.scores!,
    count: out.count,
    patchStartsSec: patches.startsSec,
    banded16k: banded,
  };
}

export function analyzeRecording(
  engine: AnalysisEngine,
  samples: Float32Array,
  sampleRate: number,
): Promise<AnalysisResult> {
  return engine.analyzeRecording(samples, sampleRate);
}
