/**
 * The parts the live pipeline is built from, as small structural interfaces: the real ones come
 * from src/audio, src/features and src/inference (pipeline-parts.ts wires them); the bench and
 * tests may pass the same real parts in directly.
 */
import type { AnalysisResult, LiveAnalysis, QualityReport } from '../inference/analysis-types.js';

export interface Resampler {
  push(chunk: Float32Array): Float32Array;
  flush(): Float32Array;
  close(): void;
}

export interface FrontEnd {
  /** New 16 kHz samples in; the log-mel frames they complete out (row-major frames × 64). */
  push(samples16k: Float32Array): { data: Float32Array; frames: number };
  readonly framesEmitted: number;
}

export interface QualityMeter {
  push(chunk: Float32Array): void;
  level(): { rmsDbfs: number; peakDbfs: number };
  report(): QualityReport;
}

/** The engine's provisional live result (src/inference/analysis-types.ts). */
export type LiveResult = LiveAnalysis;

/**
 * Live analysis of one capture (src/inference/live-analyzer.ts): fed the 16 kHz stream, asked for
 * an update every 0.48 s of audio; null while it has nothing new to say.
 */
export interface LiveStream {
  push(samples16k: Float32Array): void;
  update(): Promise<LiveResult | null>;
}

/** What the session needs from the analysis engine. */
export interface CaptureAnalyzer {
  /** A live analyzer for one capture (a new one per capture: it keeps what it has heard). */
  createLive(): LiveStream;
  /** The saved WAV through exactly the path `auscult analyze` uses. */
  analyzeFile(wavPath: string): Promise<AnalysisResult>;
}

export interface PipelineParts {
  createResampler(fromRate: number, toRate: number): Promise<Resampler>;
  createFrontEnd(): FrontEnd;
  createQualityMeter(sampleRate: number): QualityMeter;
}
