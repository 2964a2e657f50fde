/**
 * Viridis (perceptually uniform, readable in grey and by most colour-blind viewers), as a
 * 256-entry lookup table interpolated between its published key colours at 0, 0.1, … 1.
 */
const VIRIDIS_KEYS = [
  '#440154',
  '#482475',
  '#414487',
  '#355f8d',
  '#2a788e',
  '#21918c',
  '#22a884',
  '#44bf70',
  '#7ad151',
  '#bddf26',
  '#fde725',
];

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** RGBA bytes, 256 entries. */
export const VIRIDIS: Uint8ClampedArray = (() => {
  const keys = VIRIDIS_KEYS.map(rgb);
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (keys.length - 1);
    const k = Math.min(Math.floor(t), keys.length - 2);
    const f = t - k;
    const a = keys[k] as [number, number, number];
    const b = keys[k + 1] as [number, number, number];
    lut[i * 4] = a[0] + (b[0] - a[0]) * f;
    lut[i * 4 + 1] = a[1] + (b[1] - a[1]) * f;
    lut[i * 4 + 2] = a[2] + (b[2] - a[2]) * f;
    lut[i * 4 + 3] = 255;
  }
  return lut;
})();

/** log-mel values are ln(mel + 0.001); in decibels that is 20·log10(e)·value. */
export const DB_PER_LOG_UNIT = 20 / Math.LN10;

/** Colour index 0..255 for a log-mel value within [minDb, maxDb]. */
export function colorIndex(logMel: number, minDb: number, maxDb: number): number {
  const db = logMel * DB_PER_LOG_UNIT;
  const t = (db - minDb) / (maxDb - minDb);
  return t <= 0 ? 0 : t >= 1 ? 255 : Math.round(t * 255);
}
