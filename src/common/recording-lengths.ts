/** The fixed lengths a recording can be started with, in seconds (null elsewhere = until stopped). */
export const RECORDING_LENGTHS = [3, 10, 20, 30] as const;
export type RecordingLength = (typeof RECORDING_LENGTHS)[number];
/**
 * The length a recording starts with until the user picks another: 20 s covers at least three
 * breath cycles at a resting 12–20 breaths a minute (3 s was less than one).
 */
export const DEFAULT_RECORDING_LENGTH: RecordingLength = 20;
/** Below this the analysis has no 3 s scoring window (the competence gate withholds it). */
export const MIN_ANALYSABLE_SEC = 3;
/** A take shorter than this holds fewer than three breath cycles (flagged in the review queue). */
export const VERY_SHORT_SEC = 10;
