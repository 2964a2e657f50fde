/** The fixed lengths a recording can be started with, in seconds (null elsewhere = until stopped). */
export const RECORDING_LENGTHS = [3, 10, 20, 30] as const;
export type RecordingLength = (typeof RECORDING_LENGTHS)[number];
