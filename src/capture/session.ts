/**
 * One recording: open the device, count down, record into the live pipeline, then stop (keep),
 * cancel (discard) or be interrupted (device lost: keep what was captured), and finally run the
 * saved WAV through the same analysis as `auscult analyze`.
 *
 * States: opening (reported as 'countdown') -> countdown -> recording -> stopping -> analyzing
 * -> done | interrupted; or -> cancelled; or error (could not open). The countdown keeps the
 * device open and shows the level meter (so the nurse can place the chest piece) but records
 * nothing; countdownSec = 0 skips it.
 */
import { EventEmitter } from 'node:events';
import type { AnalysisResult, QualityReport } from '../inference/analysis-types.js';
import type { AtRestKey } from '../common/at-rest.js';
import { CaptureError } from './errors.js';
import {
  LivePipeline,
  type FramesEvent,
  type LevelEvent,
  type LiveEvent,
  type PipelineStats,
} from './live-pipeline.js';
import type { CaptureBackend, OpenedInput, RawDevice } from './portaudio-backend.js';
import type { CaptureAnalyzer, PipelineParts } from './pipeline-types.js';

export type SessionStateName =
  'countdown' | 'recording' | 'stopping' | 'analyzing' | 'done' | 'interrupted' | 'cancelled' | 'error';

export interface SessionState {
  state: SessionStateName;
  deviceName: string;
  sampleRate: number | null;
  elapsedSec: number;
  targetSec: number | null;
  /** Countdown seconds left while counting down. */
  countdownLeftSec: number | null;
  message: string | null;
}

export interface SessionEvents {
  state: [SessionState];
  level: [LevelEvent];
  frames: [FramesEvent];
  quality: [QualityReport];
  live: [LiveEvent];
  fault: [CaptureError];
}

export interface CaptureOutcome {
  status: 'recorded' | 'interrupted';
  wavPath: string;
  sampleRate: number;
  samples: number;
  durationSec: number;
  deviceName: string;
  /** Null when no analyzer was given or the analysis failed (see analysisError). */
  analysis: AnalysisResult | null;
  analysisError: string | null;
  quality: QualityReport;
  /** Set when interrupted: what happened, in words a nurse can act on. */
  message: string | null;
  faultCode: CaptureError['code'] | null;
  stats: PipelineStats & { deviceOverflows: number };
}

export interface CaptureSessionOptions {
  backend: CaptureBackend;
  device: RawDevice;
  wavPath: string;
  parts: PipelineParts;
  analyzer: CaptureAnalyzer | null;
  /** Seconds, or null = until stop (the service offers src/common RECORDING_LENGTHS; the CLI any). */
  targetSec: number | null;
  countdownSec?: number;
  /** Force a rate (else the device's default rate first, then common rates). */
  sampleRate?: number;
  frameIntervalMs?: number;
  maxPendingFrames?: number;
  flushIntervalMs?: number;
  /** Encrypt the recording at rest with this key (the service's data folder key). */
  seal?: AtRestKey | null;
}

const COMMON_RATES = [48000, 44100, 32000, 22050, 16000, 11025, 8000];

export class CaptureSession extends EventEmitter<SessionEvents> {
  private input: OpenedInput | null = null;
  private pipeline: LivePipeline | null = null;
  private stateName: SessionStateName = 'countdown';
  /** True from the start of recording until the device has been drained at the end. */
  private recordingAudio = false;
  private message: string | null = null;
  private countdownLeft: number | null = null;
  private targetSamples: number | null = null;
  private fault: CaptureError | null = null;
  private ending: Promise<CaptureOutcome | null> | null = null;
  private settle!: (o: CaptureOutcome | null) => void;
  /** Resolves when the session ends: the outcome, or null when cancelled. Never rejects. */
  readonly done: Promise<CaptureOutcome | null>;
  private stateTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: CaptureSessionOptions) {
    super();
    this.done = new Promise((r) => (this.settle = r));
  }

  /** The device process's pid (diagnostics; tests use it to simulate a failing device). */
  get devicePid(): number | undefined {
    return this.input?.pid;
  }

  get state(): SessionState {
    const rate = this.input?.sampleRate ?? null;
    return {
      state: this.stateName,
      deviceName: this.opts.device.name,
      sampleRate: rate,
      elapsedSec: this.pipeline && rate ? this.pipeline.stats.samples / rate : 0,
      targetSec: this.opts.targetSec,
      countdownLeftSec: this.countdownLeft,
      message: this.message,
    };
  }

  private setState(name: SessionStateName, message: string | null = this.message): void {
    this.stateName = name;
    this.message = message;
    this.emit('state', this.state);
  }

  /**
   * Open the device and begin: resolves once the device is open (the countdown, then the
   * recording, follow on their own; `done` resolves at the end). Throws CaptureError (state
   * 'error') when the device cannot be opened; nothing is left behind then.
   */
  async start(): Promise<void> {
    const { device, backend } = this.opts;
    const rates = [
      ...new Set(
        [this.opts.sampleRate, Math.round(device.defaultSampleRate), ...COMMON_RATES].filter(
          (r): r is number => !!r && r > 0,
        ),
      ),
    ];
    const channels = device.maxInputChannels >= 2 ? [1, 2] : [1];
    this.countdownLeft = this.opts.countdownSec ?? 0;
    this.setState('countdown');
    let pipeline: LivePipeline | null = null;
    const early: Int16Array[] = [];
    try {
      this.input = await backend.open(
        device,
        { sampleRates: this.opts.sampleRate ? [this.opts.sampleRate] : rates, channels },
        {
          onData: (pcm, channels) => {
            const mono = toMono(pcm, channels);
            if (!pipeline)
              early.push(mono); // arrived before the pipeline was ready
            else this.onAudio(mono);
          },
          onFault: (err) => this.onFault(err),
        },
      );
      const input = this.input;
      pipeline = await LivePipeline.create({
        sampleRate: input.sampleRate,
        wavPath: this.opts.wavPath,
        parts: this.opts.parts,
        analyzer: this.opts.analyzer?.createLive() ?? null,
        frameIntervalMs: this.opts.frameIntervalMs,
        maxPendingFrames: this.opts.maxPendingFrames,
        flushIntervalMs: this.opts.flushIntervalMs,
        seal: this.opts.seal ?? null,
      });
    } catch (err) {
      await this.input?.stop().catch(() => undefined);
      const e = err instanceof CaptureError ? err : new CaptureError('STORAGE', (err as Error).message);
      this.setState('error', e.message);
      this.settle(null);
      throw e;
    }
    this.pipeline = pipeline;
    if (this.stateName === 'cancelled') {
      await this.input.stop().catch(() => undefined);
      await pipeline.discard();
      return;
    }
    pipeline.on('frames', (e) => this.emit('frames', e));
    pipeline.on('level', (e) => this.emit('level', e));
    pipeline.on('quality', (e) => this.emit('quality', e));
    pipeline.on('live', (e) => this.emit('live', e));
    // A disk that fills (or fails) ends THIS recording like a lost device: kept, analysed, reported.
    pipeline.on('storageError', (f) => this.onFault(new CaptureError('STORAGE', f.error.message)));
    this.targetSamples = this.opts.targetSec ? Math.round(this.opts.targetSec * this.input.sampleRate) : null;

    // Resolve now (the device is open); the countdown and recording run on their own.
    void this.begin(early);
  }

  private async begin(early: Int16Array[]): Promise<void> {
    if ((this.opts.countdownSec ?? 0) > 0) {
      const recordingFrom = Date.now() + (this.opts.countdownSec ?? 0) * 1000;
      this.countdownUntil = recordingFrom;
      early.length = 0; // audio from the countdown is not part of the recording
      await new Promise<void>((resolve) => {
        const tick = (): void => {
          const left = Math.max(0, Math.ceil((recordingFrom - Date.now()) / 1000));
          if (this.stateName !== 'countdown') {
            resolve();
            return;
          }
          if (left !== this.countdownLeft) {
            this.countdownLeft = left;
            this.emit('state', this.state);
          }
          if (Date.now() >= recordingFrom) resolve();
          else setTimeout(tick, Math.min(100, recordingFrom - Date.now()));
        };
        tick();
      });
    }
    if (this.stateName !== 'countdown') return; // cancelled or faulted during the countdown
    this.countdownLeft = null;
    this.recordingAudio = true;
    this.setState('recording');
    for (const chunk of early) this.onAudio(chunk);
    early.length = 0;
    // Elapsed-time updates for the UI, twice a second.
    this.stateTimer = setInterval(() => this.stateName === 'recording' && this.emit('state', this.state), 500);
    this.stateTimer.unref();
  }

  private countdownUntil = 0;

  private onAudio(mono: Int16Array): void {
    const p = this.pipeline;
    if (!p) return;
    if (this.stateName === 'countdown') {
      if (Date.now() < this.countdownUntil) p.preview(mono);
      return;
    }
    if (!this.recordingAudio) return; // before the recording began or after it ended
    let chunk = mono;
    if (this.targetSamples !== null) {
      const left = this.targetSamples - p.stats.samples;
      if (left <= 0) return;
      if (chunk.length > left) chunk = chunk.subarray(0, left);
    }
    p.push(chunk);
    if (this.targetSamples !== null && p.stats.samples >= this.targetSamples) void this.stop();
  }

  private onFault(err: CaptureError): void {
    if (this.ending || this.stateName === 'cancelled') return;
    this.fault = err;
    this.emit('fault', err);
    void this.end('interrupted');
  }

  /** Stop and keep what was recorded; resolves with the outcome once analysed. */
  stop(): Promise<CaptureOutcome | null> {
    return this.end('stop');
  }

  /** Stop and discard the recording (the UI asks for confirmation first). */
  async cancel(): Promise<void> {
    if (this.ending) {
      await this.ending;
      return;
    }
    this.ending = (async () => {
      this.clearTimers();
      this.stateName = 'cancelled';
      await this.input?.stop().catch(() => undefined);
      await this.pipeline?.discard().catch(() => undefined);
      this.setState('cancelled', 'Recording cancelled; nothing was kept.');
      this.settle(null);
      return null;
    })();
    await this.ending;
  }

  private clearTimers(): void {
    if (this.stateTimer) clearInterval(this.stateTimer);
    this.stateTimer = null;
  }

  private end(how: 'stop' | 'interrupted'): Promise<CaptureOutcome | null> {
    if (this.ending) return this.ending;
    this.ending = (async () => {
      this.clearTimers();
      if (how === 'stop') this.setState('stopping');
      else this.setState('interrupted', this.fault?.message ?? 'The recording was interrupted.');
      // Stopping drains what the device already captured (up to the target); a fault ends intake.
      if (how === 'interrupted') this.recordingAudio = false;
      await this.input?.stop().catch(() => undefined);
      this.recordingAudio = false;
      const pipeline = this.pipeline;
      if (!pipeline) {
        this.settle(null);
        return null;
      }
      const saved = await pipeline.finish();
      const interrupted = how === 'interrupted';
      const base = {
        status: interrupted ? ('interrupted' as const) : ('recorded' as const),
        wavPath: saved.path,
        sampleRate: saved.sampleRate,
        samples: saved.samples,
        durationSec: saved.samples / saved.sampleRate,
        deviceName: this.opts.device.name,
        quality: pipeline.qualityReport(),
        message: interrupted ? (this.fault?.message ?? null) : null,
        faultCode: interrupted ? (this.fault?.code ?? null) : null,
        stats: { ...pipeline.stats, deviceOverflows: this.input?.overflows ?? 0 },
      };
      let analysis: AnalysisResult | null = null;
      let analysisError: string | null = null;
      if (this.opts.analyzer && saved.samples > 0) {
        if (!interrupted) this.setState('analyzing');
        try {
          analysis = await this.opts.analyzer.analyzeFile(saved.path);
        } catch (err) {
          analysisError = (err as Error).message;
        }
      }
      const outcome: CaptureOutcome = { ...base, analysis, analysisError };
      if (interrupted) this.setState('interrupted', this.fault?.message ?? 'The recording was interrupted.');
      else this.setState('done', analysisError ? `Saved; analysis failed: ${analysisError}` : null);
      this.settle(outcome);
      return outcome;
    })();
    return this.ending;
  }
}

/** Mix interleaved channels to mono (mean, rounded), or pass mono through. */
export function toMono(pcm: Int16Array, channels: number): Int16Array {
  if (channels <= 1) return pcm;
  const n = Math.floor(pcm.length / channels);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += pcm[i * channels + c]!;
    out[i] = Math.round(s / channels);
  }
  return out;
}
