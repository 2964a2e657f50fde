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

export { ANALYSIS_STATUSES, type AnalysisStatus } from '../common/analysis-status.js';
import type { AnalysisStatus } from '../common/analysis-status.js';

/** Why the competence gate left a patch out of the scored audio. */
export type PatchExclusion = 'speech' | 'music' | 'noise' | 'no-contact' | 'unfamiliar' | 'poor-quality';

/** One YAMNet patch (0.96 s, every 0.48 s) as the gate judged it. */
export interface PatchEvidence {
  startSec: number;
  endSec: number;
  /** null: the patch was used; otherwise why it was excluded from the result. */
  excluded: PatchExclusion | null;
}

/**
 * One scoring window (the card's `input.windowSec` of usable patches) through the head: the
 * evidence the recording's result is the mean of.
 */
export interface WindowEvidence {
  startSec: number;
  endSec: number;
  pAbnormal: number;
  probabilities: ClassProbabilities;
}

/** What the competence gate saw and decided (present on every analysis, withheld or not). */
export interface GateReport {
  /** The head was allowed to speak (false ⇔ status 'withheld'). */
  passed: boolean;
  /** Seconds of audio left after excluded patches (what the result was computed from). */
  usableSec: number;
  /** Seconds covered by excluded patches. */
  excludedSec: number;
  /** The highest recording-level score of the non-chest AudioSet classes the gate watches. */
  foreignScore: number;
  /** Novelty of the usable audio against the training data (the card's scale); null if none usable. */
  novelty: number | null;
  /** The learned quality model's P(poor), null when no quality model is installed. */
  pPoor: number | null;
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
  /** The card's threshold the label was decided at. */
  threshold: number;
}

/**
 * A provisional result during capture: from ≥ one scoring window of clean audio heard so far,
 * smoothed, and replaced by the final analysis when the take is saved. Null figures unless the
 * gate passes for what has been heard.
 */
export interface LiveAnalysis {
  provisional: true;
  status: AnalysisStatus;
  statusReasons: string[];
  /** Seconds of usable (not excluded) audio heard so far. */
  usableSec: number;
  screen: ScreenResult | null;
  probabilities: ClassProbabilities | null;
  /**
   * Crackles and wheezes so far, from the same patches and gate as the screen (null while withheld,
   * or when no detector is installed): provisional, the final detection runs on the saved file.
   */
  sounds: SoundsResult | null;
  /**
   * The learned quality check on the newest 3 s (null without a detector or before the first patch):
   * reported beside the rule-based measures, as for a recording.
   */
  learnedQuality: { pPoor: number; poor: boolean; threshold: number } | null;
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
  /**
   * Recording-level probabilities (mean over `windows`, scored as the model card's `input` section
   * defines); null iff status is 'withheld'. The same holds for `topClass` and `screen`.
   */
  probabilities: ClassProbabilities | null;
  topClass: ClassName | null;
  screen: ScreenResult | null;
  status: AnalysisStatus;
  /** Plain words a nurse understands, one per reason; empty when status is 'ok'. */
  statusReasons: string[];
  gate: GateReport;
  /** Every patch, with whether the gate excluded it and why. */
  patches: PatchEvidence[];
  /** The scoring windows the result was computed from; [] when withheld. */
  windows: WindowEvidence[];
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
  /**
   * `gate`: the competence gate's own work (contact, tonality, foreign-sound and novelty checks per
   * patch, the decision); `sounds` includes the learned quality check the gate reads (the sound
   * model's ONNX, which ran before the gate existed). Since perf18 `yamnet` also holds the log-mel
   * frames (computed batch by batch as YAMNet reads them; `frontEnd` is ~0) and the measures read from
   * the audio alone (signal quality, the gate's level and tonality, the detector's hand features),
   * which run while YAMNet does (EngineOptions.overlap).
   */
  timingsMs: {
    resample: number;
    frontEnd: number;
    yamnet: number;
    gate: number;
    head: number;
    sounds: number;
    total: number;
  };
}
