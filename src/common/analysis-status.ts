/**
 * The one status every analysis carries, used identically by the engine, the store, the API, the
 * UI and every export (ARCHITECTURE.md, "The competence gate"):
 * - `ok`: inside the models' measured competence and outside the screen's uncertainty band;
 * - `uncertain`: inside the gate, but within the screen's band (or where the data says the quality
 *   makes the result unreliable);
 * - `withheld`: the gate fired; no probability, screen or class exists for anyone.
 */
export const ANALYSIS_STATUSES = ['ok', 'uncertain', 'withheld'] as const;
export type AnalysisStatus = (typeof ANALYSIS_STATUSES)[number];

export function isAnalysisStatus(value: unknown): value is AnalysisStatus {
  return typeof value === 'string' && (ANALYSIS_STATUSES as readonly string[]).includes(value);
}

/** How each status is written for people (UI badges, PDF, CSV, FHIR display texts). */
export const ANALYSIS_STATUS_LABELS: Readonly<Record<AnalysisStatus, string>> = {
  ok: 'Result',
  uncertain: 'Uncertain',
  withheld: 'Withheld',
};
