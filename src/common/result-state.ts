/**
 * What a recording's analysis may say, decided ONCE for every place that shows or exports it (the
 * review queue, history, the recording page, the Record view, PDF, FHIR, CSV): the analysis status
 * ('ok' | 'uncertain' | 'withheld', src/common/analysis-status.ts) when the analysis is current,
 * 'earlier-engine' for an analysis stored by an engine before the competence gate (its figures were
 * never gated, so nobody sees them as if current), 'none' when there is no analysis.
 */
import { isAnalysisStatus, type AnalysisStatus } from './analysis-status.js';

export type ResultState = AnalysisStatus | 'earlier-engine' | 'none';

/** The first engine whose analyses passed the competence gate (ARCHITECTURE.md, issue 11). */
export const FIRST_GATED_ENGINE_MAJOR = 2;

/** What is known of the current analysis: its row's status and engine, and whether its JSON has a gate. */
export interface AnalysisFacts {
  status: string | null;
  engineVersion: string | null;
  /** Whether the stored result JSON carries a `gate` report; undefined where only the row was read. */
  hasGate?: boolean;
}

export function isGatedEngine(version: string | null): boolean {
  const major = /^(\d+)\./.exec(version ?? '')?.[1];
  return major !== undefined && Number(major) >= FIRST_GATED_ENGINE_MAJOR;
}

/** The one decision. `null` (no analysis row) is 'none'. */
export function resultState(a: AnalysisFacts | null): ResultState {
  if (!a || a.status === null) return 'none';
  if (!isGatedEngine(a.engineVersion) || a.hasGate === false) return 'earlier-engine';
  // A status the vocabulary does not know is not trusted as a result.
  return isAnalysisStatus(a.status) ? a.status : 'earlier-engine';
}

/** Whether figures (probabilities, screen, class, sounds) may be shown or exported in this state. */
export function showsFigures(state: ResultState): state is 'ok' | 'uncertain' {
  return state === 'ok' || state === 'uncertain';
}

/** Short words for badges, CSV and FHIR display texts. */
export const RESULT_STATE_LABELS: Readonly<Record<ResultState, string>> = {
  ok: 'Result',
  uncertain: 'Uncertain',
  withheld: 'Withheld',
  'earlier-engine': 'Earlier engine',
  none: 'Not analysed',
};

/** The sentence shown where no figure may appear. */
export const RESULT_STATE_SENTENCES: Readonly<Record<'withheld' | 'earlier-engine' | 'none', string>> = {
  withheld: 'No result: the analysis was withheld.',
  'earlier-engine': 'Analysed by an earlier engine: re-analyse to get a result.',
  none: 'Not analysed: the model was not available when this recording was saved. Re-analyse it.',
};
