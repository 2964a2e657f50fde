/**
 * The analysis engine: the ONE code path from samples to an AnalysisResult, used by the CLI,
 * live capture, train-head and the service.
 *
 *   samples ─ resample 16 kHz ─┬─ band-limit to the card's bandwidth ─ log-mel patches ─ YAMNet ─ embeddings ─ head
 *                              └─ (full band) log-mel patches ─ YAMNet ─ AudioSet scores (sanity line)
 *
 * YAMNet runs twice when band-limiting changes the audio (the head needs band-limited
 * embeddings, the AudioSet line is defined on the full band) and once when it cannot (the
 * source has no content above the head's bandwidth, e.g. 4 kHz stethoscope files with a 2 kHz
 * head). `npm run bench` prints the cost of both.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLASS_ORDER,
  type AnalysisResult,
  type ClassName,
  type ClassProbabilities,
  type ModelVersions,
  type GateReport,
  type LiveAnalysis,
  type PatchEvidence,
  type ScreenResult,
  type WindowEvidence,
} from './analysis-types.js';
import type { ModelCard } from './model-card.js';
import { AnalysisError, ModelError } from './errors.js';
import { readClassMap, topClasses } from './class-map.js';
import { HeadSession } from './head-session.js';
import { ensureYamnet } from './models.js';
import { CLASS_MAP, DEFAULT_HEAD_CARD, DEFAULT_SOUNDS_CARD, YAMNET_ONNX, defaultModelsDir } from './paths.js';
import { SoundsModel, type BandLimitedPass } from './sounds/detector.js';
import type { LearnedQuality, SoundsResult } from './sounds/types.js';
import { meanRows, patchesPerWindow, softmaxWithTemperature, windowMeans, windowStarts } from './scoring.js';
import { YamnetSession, EMBEDDING_DIMS } from './yamnet-session.js';
import {
  assessSignalQuality,
  bandLimitTo,
  patchSource16k,
  resampleTo16k,
  TARGET_RATE,
  type ResampleQuality,
} from './front-end.js';

/** Bump when analysis results could change for the same models and audio. */
export const ENGINE_VERSION = '1.0.0';

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
  /** 'full' (default): AudioSet scores from full-band audio; 'head': reuse the head's band-limited pass. */
  audioSetBand?: 'full' | 'head';
  /**
   * SpeexDSP quality for whole recordings; default: src/audio's default ('medium', Speex 9), which
   * keeps YAMNet's top mel band (7.5 kHz) within 0.02 dB and rejects aliases by > 120 dB. The
   * 2 kHz head is indifferent to it; only the AudioSet line's top bands could notice.
   */
  resampleQuality?: ResampleQuality;
}

function now(): number {
  return performance.now();
}

export class AnalysisEngine {
  private constructor(
    private readonly yamnet: YamnetSession,
    private readonly head: HeadSession,
    readonly classMap: string[],
    readonly versions: ModelVersions,
    private readonly audioSetBand: 'full' | 'head',
    private readonly resampleQuality: ResampleQuality | undefined,
    private readonly sounds: SoundsModel | null,
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
    const head = await HeadSession.load(opts.headCard ?? join(modelsDir, DEFAULT_HEAD_CARD), 1);
    const trainedOn = head.card.training.yamnetSourceSha256;
    if (trainedOn && trainedOn !== manifest.sourceSha256) {
      await head.close();
      // embeddings of another YAMNet build are not what the head learned from
      throw new ModelError(
        'HEAD_INVALID',
        `the head ${head.card.name} ${head.card.version} was trained on YAMNet source ${trainedOn.slice(0, 12)}…, ` +
          `but models/yamnet.onnx was converted from ${manifest.sourceSha256.slice(0, 12)}…: run \`npx auscult models --source <that YAMNet>\` or retrain the head`,
      );
    }
    let yamnet: YamnetSession;
    try {
      yamnet = await YamnetSession.load(join(modelsDir, YAMNET_ONNX), { threads: opts.threads });
    } catch (err) {
      await head.close();
      throw err;
    }
    let sounds: SoundsModel | null;
    try {
      sounds = await loadSounds(opts, modelsDir, head.card.input.bandwidthHz, manifest.sourceSha256);
    } catch (err) {
      await Promise.all([head.close(), yamnet.close()]);
      throw err;
    }
    const classMap = readClassMap(join(modelsDir, CLASS_MAP));
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
      opts.audioSetBand ?? 'full',
      opts.resampleQuality,
      sounds,
    );
  }

  /** Probabilities in CLASS_ORDER from one row of head output. */
  private toProbabilities(row: ArrayLike<number>): ClassProbabilities {
    const idx = this.head.outputIndex;
    return Object.fromEntries(CLASS_ORDER.map((c) => [c, row[idx[c]]!])) as ClassProbabilities;
  }

  private screen(p: ClassProbabilities, forceUncertain: boolean): ScreenResult {
    const pAbnormal = 1 - p.healthy;
    const { threshold } = this.card.screen;
    const label: ScreenResult['label'] =
      forceUncertain || Math.abs(pAbnormal - threshold) < this.card.abstain.screenMargin
        ? 'uncertain'
        : pAbnormal >= threshold
          ? 'abnormal'
          : 'healthy';
    return { pAbnormal, label, threshold };
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
    const quality = assessSignalQuality(samples, sampleRate);

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
    const headOut = await this.yamnet.run(headPatches.source, fullPatches === null);
    const scoresOut = fullPatches ? await this.yamnet.run(fullPatches.source, true) : headOut;
    const yamnetMs = now() - t;
    const count = headOut.count;

    t = now();
    const k = this.card.classes.length;
    const { windowSec, hopSec } = this.card.input;
    // PLACEHOLDER GATE (issue 11 is building the real one): every patch is used, nothing is withheld.
    const patches: PatchEvidence[] = headPatches.startsSec.map((startSec) => ({
      startSec,
      endSec: startSec + 0.96,
      excluded: null,
    }));
    const windows = windowMeans(headOut.embeddings, count, windowSec, hopSec);
    const windowProbs = await this.headProbabilities(windows.data, windows.count);
    const per = Math.min(patchesPerWindow(windowSec), count);
    const windowEvidence: WindowEvidence[] = windowStarts(count, windowSec, hopSec).map((s, w) => {
      const probs = this.toProbabilities(windowProbs.subarray(w * k, (w + 1) * k));
      return {
        startSec: headPatches.startsSec[s]!,
        endSec: headPatches.startsSec[s + per - 1]! + 0.96,
        pAbnormal: 1 - probs.healthy,
        probabilities: probs,
      };
    });
    const probabilities = this.toProbabilities(meanRows(windowProbs, windows.count));
    const headMs = now() - t;

    // --- adventitious sounds and the learned quality check (issue 12): both reuse the head's band-limited
    // audio and embeddings; the detector is called only when the competence gate lets the analysis speak
    t = now();
    const pass: BandLimitedPass = {
      banded16k: banded,
      embeddings: headOut.embeddings,
      count,
      startsSec: headPatches.startsSec,
      durationSec: samples.length / sampleRate,
    };
    const learnedQuality = await this.learnedQuality(pass);
    const sounds = await this.detectSounds(pass);
    const soundsMs = now() - t;

    const topClass = CLASS_ORDER.reduce<ClassName>(
      (best, c) => (probabilities[c] > probabilities[best] ? c : best),
      CLASS_ORDER[0],
    );
    const statusReasons: string[] = [];
    const poor = quality.verdict === 'poor' && this.card.abstain.poorQualityIsUncertain;
    if (poor)
      statusReasons.push(`signal quality is poor${quality.reasons.length ? `: ${quality.reasons.join('; ')}` : ''}`);
    if (probabilities[topClass] < this.card.abstain.minTopProbability) {
      statusReasons.push(
        `the most likely class (${topClass}, ${probabilities[topClass].toFixed(2)}) is below the head's confidence floor ${this.card.abstain.minTopProbability}`,
      );
    }

    let normSum = 0;
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let d = 0; d < EMBEDDING_DIMS; d++) s += headOut.embeddings[i * EMBEDDING_DIMS + d]! ** 2;
      normSum += Math.sqrt(s);
    }

    const gate: GateReport = {
      passed: true,
      usableSec: samples.length / sampleRate,
      excludedSec: 0,
      foreignScore: 0,
      novelty: null,
      pPoor: learnedQuality?.pPoor ?? null,
    };
    return {
      durationSec: samples.length / sampleRate,
      sampleRate,
      quality,
      patchCount: count,
      embedding: { dims: EMBEDDING_DIMS, patches: count, meanL2Norm: normSum / count },
      probabilities,
      topClass,
      screen: this.screen(probabilities, poor),
      status: statusReasons.length > 0 ? 'uncertain' : 'ok',
      statusReasons,
      gate,
      patches,
      windows: windowEvidence,
      yamnetTop: topClasses(scoresOut.scores!, scoresOut.count, this.classMap, 3),
      models: this.versions,
      sounds,
      learnedQuality,
      timingsMs: {
        resample: resampleMs,
        frontEnd: frontEndMs,
        yamnet: yamnetMs,
        head: headMs,
        sounds: soundsMs,
        total: now() - tStart,
      },
    };
  }

  /** The sound detector's card, or null when none is installed. */
  get soundsCard(): SoundsModel['card'] | null {
    return this.sounds?.card ?? null;
  }

  /**
   * Crackles and wheezes of a recording from the head's band-limited pass. The competence gate calls
   * this only when the analysis may speak (a withheld analysis carries `sounds: null`).
   */
  async detectSounds(pass: BandLimitedPass): Promise<SoundsResult | null> {
    return this.sounds ? this.sounds.detect(pass) : null;
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

  /** Live capture, every 0.48 s: the newest ≥ 0.96 s of 16 kHz audio → probabilities + screen. */
  async analyzeLiveWindow(samples16k: Float32Array): Promise<LiveAnalysis> {
    if (samples16k.length === 0) throw new AnalysisError('AUDIO_EMPTY', 'the live window holds no samples');
    const bandwidth = this.card.input.bandwidthHz;
    const banded = TARGET_RATE / 2 > bandwidth ? await bandLimitTo(samples16k, TARGET_RATE, bandwidth) : samples16k;
    const patches = patchSource16k(banded);
    const out = await this.yamnet.run(patches.source, false);
    const mean = meanRows(out.embeddings, out.count);
    const probs = await this.headProbabilities(mean, 1);
    const probabilities = this.toProbabilities(probs);
    // PLACEHOLDER (issue 11 replaces it with ≥ 3 s gated, smoothed windows)
    return {
      provisional: true,
      status: 'ok',
      statusReasons: [],
      usableSec: samples16k.length / TARGET_RATE,
      probabilities,
      screen: this.screen(probabilities, false),
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.yamnet.close(), this.head.close(), this.sounds?.close()]);
  }
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
  const sounds = await SoundsModel.load(cardPath, 1);
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

/** The same analysis as a function (for callers that hold an engine). */
/**
 * YAMNet embeddings of audio band-limited to `bandwidthHz` (per patch): what the head sees.
 * The engine and train-head (which has no head yet to load an engine with) both use this.
 */
export async function embedBandLimited(
  yamnet: YamnetSession,
  samples: Float32Array,
  sampleRate: number,
  bandwidthHz: number,
  quality?: ResampleQuality,
): Promise<{ embeddings: Float32Array; count: number; patchStartsSec: number[] }> {
  if (samples.length === 0) throw new AnalysisError('AUDIO_EMPTY', 'the recording holds no samples');
  const s16 = await resampleTo16k(samples, sampleRate, quality);
  const banded =
    sampleRate / 2 > bandwidthHz && TARGET_RATE / 2 > bandwidthHz
      ? await bandLimitTo(s16, TARGET_RATE, bandwidthHz)
      : s16;
  const patches = patchSource16k(banded);
  const out = await yamnet.run(patches.source, false);
  return { embeddings: out.embeddings, count: out.count, patchStartsSec: patches.startsSec };
}

export function analyzeRecording(
  engine: AnalysisEngine,
  samples: Float32Array,
  sampleRate: number,
): Promise<AnalysisResult> {
  return engine.analyzeRecording(samples, sampleRate);
}
