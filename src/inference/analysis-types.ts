/**
 * The shape of one analysis, shared by the engine, the store, the service API and the renderer.
 * Types only (plus the class order constant): no Node imports, so the renderer can use it.
 */

// The class vocabulary lives in src/common/classes.ts; re-exported for the inference room's own use.
export { CLASS_LABELS, CLASS_ORDER, type ClassName, type ClassProbabilities } from '../common/classes.js';
import type { ClassName, ClassProbabilities } from '../common/classes.js';

export type { QualityReport, QualityVerdict } from '../audio/quality-types.js';
import type { QualityReport } from '../audio/quality-types.js';
import type { LearnedQuality, SoundsResult } from './sounds/types.js';
export type {
  LearnedQuality,
  SoundEvent,
  SoundPresence,
  SoundsResult,
  SoundTimelineEntry,
  SoundType,
} from './sounds/types.js';

/** One YAMNet patch (0.96 s, every 0.48 s) through the head. */
export interface TimelineEntry {
  startSec: number;
  endSec: number;
  probabilities: ClassProbabilities;
}

export interface AudioSetScore {
  index: number;
  name: string;
  score: number;
}

/** Healthy-vs-abnormal screen: the output with the most measured signal, shown first. */
export interface ScreenResult {
  /** Probability that the chest sounds abnormal (1 − p(healthy) after calibration). */
  pAbnormal: number;
  label: 'abnormal' | 'healthy' | 'uncertain';
}

export interface ModelVersions {
  engineVersion: string;
  yamnet: { file: string; sha256: string; sourceSha256: string };
  head: { name: string; version: string; sha256: string };
}

export interface AnalysisResult {
  durationSec: number;
  /** The rate the audio arrived at (the file's or the device's). */
  sampleRate: number;
  quality: QualityReport;
  patchCount: number;
  embedding: { dims: number; patches: number; meanL2Norm: number };
  /** Recording-level probabilities, scored as the model card's `input` section defines. */
  probabilities: ClassProbabilities;
  topClass: ClassName;
  screen: ScreenResult;
  /** 'uncertain' when quality or confidence is too low to show a class as a finding. */
  status: 'ok' | 'uncertain';
  statusReasons: string[];
  timeline: TimelineEntry[];
  /** YAMNet's own AudioSet top-3 (mean over patches, full band): a sanity line. */
  yamnetTop: AudioSetScore[];
  models: ModelVersions;
  /**
   * Crackles and wheezes (models/sounds.card.json); null when the analysis is withheld or no detector
   * is installed. Computed only behind the competence gate.
   */
  sounds: SoundsResult | null;
  /** The learned quality check (P(poor), for the competence gate); null when no detector is installed. */
  learnedQuality: LearnedQuality | null;
  timingsMs: { resample: number; frontEnd: number; yamnet: number; head: number; sounds: number; total: number };
}
