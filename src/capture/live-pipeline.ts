/**
 * The live pipeline: one stream of mono 16-bit samples at the device's rate feeds
 *  1. the crash-safe WAV writer (every sample, at the device rate),
 *  2. resample to 16 kHz -> streaming YAMNet log-mel front end -> 'frames' (small batches),
 *     plus 'level' and the running 'quality' verdict,
 *  3. the live analyzer (fed every 16 kHz sample; asked for an update every 0.48 s of audio) -> 'live':
 *     provisional results from ≥ 3 s of clean audio only, gated as a recording is (src/inference).
 *
 * `push` is synchronous and never drops a sample: the WAV and the front end see everything.
 * Only display work is shed under load: frames waiting to be published beyond
 * `maxPendingFrames` are dropped oldest-first (counted in `droppedFrames`), and a live window
 * that comes due while the previous one is still being analysed is coalesced into the newest
 * (counted in `liveSkipped`): the analyzer has the whole stream, so a coalesced update loses no audio.
 */
import { EventEmitter } from 'node:events';
import { WavStreamWriter, type WriteFailure } from '../audio/wav-stream-writer.js';
import type { AtRestKey } from '../common/at-rest.js';
import type { QualityReport } from '../inference/analysis-types.js';
import { HOP, MEL_BANDS, PATCH_HOP_FRAMES, PATCH_SAMPLES, SAMPLE_RATE } from '../features/yamnet-params.js';
import type { FrontEnd, LiveStream, LiveResult, PipelineParts, QualityMeter, Resampler } from './pipeline-types.js';

export const FRONT_END_RATE = SAMPLE_RATE;
export { MEL_BANDS };
/** A YAMNet patch (96 frames need 15600 samples); live updates every patch hop (0.48 s). */
export const LIVE_WINDOW_SAMPLES = PATCH_SAMPLES;
export const LIVE_HOP_SAMPLES = PATCH_HOP_FRAMES * HOP;

export interface FramesEvent {
  firstFrame: number;
  frames: number[][];
  droppedFrames: number;
  sentAtMs: number;
}
export interface LevelEvent {
  rmsDbfs: number;
  peakDbfs: number;
}
export interface LiveEvent extends LiveResult {
  patchStartSec: number;
}

export interface PipelineEvents {
  frames: [FramesEvent];
  level: [LevelEvent];
  quality: [QualityReport];
  live: [LiveEvent];
  liveError: [Error];
  /** The WAV could not be written (disk full, I/O error): the recording must end; what is kept is on disk. */
  storageError: [WriteFailure];
}

export interface LivePipelineOptions {
  sampleRate: number;
  wavPath: string;
  parts: PipelineParts;
  /** This capture's live analyzer (CaptureAnalyzer.createLive()), or null for no live analysis. */
  analyzer: LiveStream | null;
  /** Minimum gap between 'frames' events (default 5 ms): bounds the event rate when audio arrives in a burst (catching up, a faster-than-real-time device) while a real-time device's 20 ms chunks are each published at once (>= 20 updates/s, no added latency). */
  frameIntervalMs?: number;
  /** Frames allowed to wait for publishing before the oldest are dropped (default 100 = 1 s). */
  maxPendingFrames?: number;
  /** Quality verdict cadence in seconds of audio (default 0.5). */
  qualityEverySec?: number;
  flushIntervalMs?: number;
  /** Encrypt the WAV at rest with this key (a sealed PCM stream, see src/audio/sealed-file.ts). */
  seal?: AtRestKey | null;
}

export interface PipelineStats {
  samples: number;
  durationSec: number;
  framesEmitted: number;
  framesPublished: number;
  droppedFrames: number;
  liveRuns: number;
  liveSkipped: number;
}

export class LivePipeline extends EventEmitter<PipelineEvents> {
  private samples = 0;
  private pending: Float32Array[] = [];
  private pendingFirst = 0;
  private framesPublished = 0;
  private droppedFrames = 0;
  private lastPublish = -Infinity;
  private publishTimer: NodeJS.Timeout | null = null;
  private readonly frameIntervalMs: number;
  private readonly maxPendingFrames: number;
  private readonly qualityEvery: number;
  private nextQualityAt: number;
  // Live analysis: the analyzer keeps the stream; here only the cadence.
  private total16k = 0;
  private sinceLive = 0;
  private liveBusy = false;
  private liveDue = false;
  private liveRuns = 0;
  private liveSkipped = 0;
  private liveIdle: Promise<void> = Promise.resolve();
  private closed = false;
  private peakSinceLevel = 0;
  private sumSqSinceLevel = 0;
  private countSinceLevel = 0;

  private constructor(
    readonly sampleRate: number,
    readonly writer: WavStreamWriter,
    private readonly resampler: Resampler,
    private readonly frontEnd: FrontEnd,
    private readonly quality: QualityMeter,
    private readonly analyzer: LiveStream | null,
    opts: LivePipelineOptions,
  ) {
    super();
    this.frameIntervalMs = opts.frameIntervalMs ?? 5;
    this.maxPendingFrames = opts.maxPendingFrames ?? 100;
    this.qualityEvery = Math.round((opts.qualityEverySec ?? 0.5) * sampleRate);
    this.nextQualityAt = this.qualityEvery;
  }

  static async create(opts: LivePipelineOptions): Promise<LivePipeline> {
    const resampler = await opts.parts.createResampler(opts.sampleRate, FRONT_END_RATE);
    const writer = await WavStreamWriter.create(opts.wavPath, {
      sampleRate: opts.sampleRate,
      channels: 1,
      flushIntervalMs: opts.flushIntervalMs,
      seal: opts.seal ?? null,
    });
    const pipeline = new LivePipeline(
      opts.sampleRate,
      writer,
      resampler,
      opts.parts.createFrontEnd(),
      opts.parts.createQualityMeter(opts.sampleRate),
      opts.analyzer,
      opts,
    );
    writer.onFailure((f) => pipeline.emit('storageError', f));
    return pipeline;
  }

  /** Level meter only (the countdown before recording): nothing is written or analysed. */
  preview(mono: Int16Array): void {
    this.accumulateLevel(mono);
    if (Date.now() - this.lastPublish >= this.frameIntervalMs) this.publish();
  }

  /** One chunk of mono 16-bit samples at the device rate. */
  push(mono: Int16Array): void {
    if (this.closed) return;
    this.writer.write(mono);
    this.samples += mono.length;
    const f = new Float32Array(mono.length);
    for (let i = 0; i < mono.length; i++) f[i] = mono[i]! / 32768;
    this.quality.push(f);
    this.accumulateLevel(mono);
    this.feed16k(this.resampler.push(f));
    if (this.samples >= this.nextQualityAt) {
      this.nextQualityAt += this.qualityEvery;
      this.emit('quality', this.quality.report());
    }
  }

  private accumulateLevel(mono: Int16Array): void {
    for (let i = 0; i < mono.length; i++) {
      const v = mono[i]! / 32768;
      const a = Math.abs(v);
      if (a > this.peakSinceLevel) this.peakSinceLevel = a;
      this.sumSqSinceLevel += v * v;
    }
    this.countSinceLevel += mono.length;
  }

  private feed16k(s16: Float32Array): void {
    if (s16.length === 0) return;
    const { data, frames } = this.frontEnd.push(s16);
    for (let k = 0; k < frames; k++) this.pending.push(data.slice(k * MEL_BANDS, (k + 1) * MEL_BANDS));
    if (this.pending.length > this.maxPendingFrames) {
      const drop = this.pending.length - this.maxPendingFrames;
      this.pending.splice(0, drop);
      this.pendingFirst += drop;
      this.droppedFrames += drop;
    }
    this.schedulePublish();
    this.feedLive(s16);
  }

  private schedulePublish(): void {
    if (this.pending.length === 0 || this.publishTimer) return;
    const wait = this.lastPublish + this.frameIntervalMs - Date.now();
    if (wait <= 0) this.publish();
    else {
      this.publishTimer = setTimeout(() => {
        this.publishTimer = null;
        this.publish();
      }, wait);
    }
  }

  private publish(): void {
    this.lastPublish = Date.now();
    if (this.countSinceLevel > 0) {
      const rms = Math.sqrt(this.sumSqSinceLevel / this.countSinceLevel);
      this.emit('level', { rmsDbfs: toDb(rms), peakDbfs: toDb(this.peakSinceLevel) });
      this.peakSinceLevel = 0;
      this.sumSqSinceLevel = 0;
      this.countSinceLevel = 0;
    }
    if (this.pending.length === 0) return;
    const frames = this.pending.map((row) => Array.from(row));
    const event: FramesEvent = {
      firstFrame: this.pendingFirst,
      frames,
      droppedFrames: this.droppedFrames,
      sentAtMs: Date.now(),
    };
    this.pendingFirst += this.pending.length;
    this.framesPublished += this.pending.length;
    this.pending = [];
    this.emit('frames', event);
  }

  private feedLive(s16: Float32Array): void {
    const n = s16.length;
    this.total16k += n;
    if (!this.analyzer) return;
    this.analyzer.push(s16);
    this.sinceLive += n;
    if (this.total16k < LIVE_WINDOW_SAMPLES || this.sinceLive < LIVE_HOP_SAMPLES) return;
    this.sinceLive %= LIVE_HOP_SAMPLES;
    if (this.liveBusy) {
      // Coalesce: the next update covers everything pushed meanwhile.
      if (this.liveDue) this.liveSkipped++;
      this.liveDue = true;
      return;
    }
    this.runLive();
  }

  private runLive(): void {
    if (!this.analyzer || this.closed) return;
    this.liveBusy = true;
    this.liveDue = false;
    const patchStartSec = (this.total16k - LIVE_WINDOW_SAMPLES) / FRONT_END_RATE;
    this.liveRuns++;
    this.liveIdle = this.analyzer
      .update()
      .then(
        (r) => {
          if (r && !this.closed) this.emit('live', { ...r, patchStartSec });
        },
        (err: unknown) => {
          if (this.listenerCount('liveError') > 0)
            this.emit('liveError', err instanceof Error ? err : new Error(String(err)));
        },
      )
      .finally(() => {
        this.liveBusy = false;
        if (this.liveDue && !this.closed) this.runLive();
      });
  }

  get stats(): PipelineStats {
    return {
      samples: this.samples,
      durationSec: this.samples / this.sampleRate,
      framesEmitted: this.frontEnd.framesEmitted,
      framesPublished: this.framesPublished,
      droppedFrames: this.droppedFrames,
      liveRuns: this.liveRuns,
      liveSkipped: this.liveSkipped,
    };
  }

  /** The quality verdict over everything pushed so far. */
  qualityReport(): QualityReport {
    return this.quality.report();
  }

  /** End of audio: flush the resampler and front end, publish the last frames, close the WAV. */
  async finish(): Promise<{ path: string; samples: number; sampleRate: number }> {
    if (!this.closed) {
      this.feed16k(this.resampler.flush());
      if (this.publishTimer) clearTimeout(this.publishTimer);
      this.publishTimer = null;
      this.publish();
      this.closed = true;
      this.emit('quality', this.quality.report());
      this.resampler.close();
    }
    await this.liveIdle.catch(() => undefined);
    const r = await this.writer.close();
    return { path: r.path, samples: r.samples, sampleRate: r.sampleRate };
  }

  /** Cancel: stop everything and delete the WAV. */
  async discard(): Promise<void> {
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishTimer = null;
    if (!this.closed) {
      this.closed = true;
      this.resampler.close();
    }
    await this.liveIdle.catch(() => undefined);
    await this.writer.discard();
  }
}

function toDb(x: number): number {
  return x > 0 ? Math.max(-120, 20 * Math.log10(x)) : -120;
}
