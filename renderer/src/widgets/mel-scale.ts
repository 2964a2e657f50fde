/**
 * The YAMNet front end's mel axis (HTK mel, 64 bands from 125 Hz to 7500 Hz, equally spaced in
 * mel), for axis labels. Band centres and positions only: the renderer never computes features.
 */
export const MEL_LOW_HZ = 125;
export const MEL_HIGH_HZ = 7500;
export const BANDS = 64;

export const hzToMel = (hz: number): number => 1127 * Math.log(1 + hz / 700);
export const melToHz = (mel: number): number => 700 * (Math.exp(mel / 1127) - 1);

/** Fraction 0 (bottom, lowest band) .. 1 (top) of where `hz` sits on the band axis. */
export function bandPosition(hz: number, lowHz = MEL_LOW_HZ, highHz = MEL_HIGH_HZ): number {
  return (hzToMel(hz) - hzToMel(lowHz)) / (hzToMel(highHz) - hzToMel(lowHz));
}

export const HZ_TICKS = [125, 250, 500, 1000, 2000, 4000, 7500];

export function hzLabel(hz: number): string {
  return hz >= 1000 ? `${(hz / 1000).toFixed(hz % 1000 === 0 ? 0 : 1)} kHz` : `${hz} Hz`;
}
