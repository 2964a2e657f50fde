/**
 * What the adventitious-sound detector returns for one recording (engine → store → API → UI).
 * Types only: no Node imports, so the renderer can use them.
 */
export const SOUND_TYPES = ['crackle', 'wheeze'] as const;
export type SoundType = (typeof SOUND_TYPES)[number];

export interface SoundPresence {
  /** At least one detected event of this type (the step probability reached the card's threshold). */
  present: boolean;
  /** Recording-level probability (calibrated on SPRSound's out-of-fold recordings; see the card). */
  probability: number;
}

export interface SoundEvent {
  type: SoundType;
  startSec: number;
  endSec: number;
  /** The highest step probability inside the event. */
  probability: number;
}

/** One detector step (a YAMNet patch: 0.96 s every 0.48 s). */
export interface SoundTimelineEntry {
  startSec: number;
  endSec: number;
  crackle: number;
  wheeze: number;
}

export interface SoundsResult {
  crackle: SoundPresence;
  wheeze: SoundPresence;
  events: SoundEvent[];
  timeline: SoundTimelineEntry[];
  model: { name: string; version: string; sha256: string };
}

/** The learned quality check's verdict (feeds the competence gate). */
export interface LearnedQuality {
  /** P(the recording is of unusable quality), mean over its 3 s windows. */
  pPoor: number;
  /** pPoor at or above the card's threshold. */
  poor: boolean;
  windows: Array<{ startSec: number; endSec: number; pPoor: number }>;
}
