/**
 * A log-mel spectrogram as a PNG for reports: time left to right, low bands at the bottom, the
 * viridis colour map (perceptually uniform, readable in greyscale and by colour-blind readers).
 * Levels are scaled between the 2nd and 99.5th percentiles so one loud click does not wash out
 * the breath sounds.
 */
import { PNG } from 'pngjs';

/** Viridis sampled at 9 evenly spaced points (matplotlib's table); linear in between. */
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

export interface LogMelFrames {
  /** Row-major [frames × bands]. */
  data: Float32Array;
  frames: number;
  bands: number;
}

function percentile(sorted: Float32Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))]!;
}

/**
 * Renders to `width × height` pixels (columns take the max over the frames they cover, so short
 * events survive downsampling; rows repeat bands).
 */
export function spectrogramPng(s: LogMelFrames, width = 900, height = 192): Buffer {
  if (s.data.length < s.frames * s.bands)
    throw new Error(`spectrogram data holds ${s.data.length} values, expected ${s.frames}×${s.bands}`);
  const png = new PNG({ width, height, colorType: 6 });
  const sample = Float32Array.from(s.data.subarray(0, s.frames * s.bands).filter(Number.isFinite)).sort();
  const lo = percentile(sample, 0.02);
  const hi = percentile(sample, 0.995);
  const span = hi - lo || 1;
  for (let x = 0; x < width; x++) {
    const f0 = Math.floor((x * s.frames) / width);
    const f1 = Math.max(f0 + 1, Math.floor(((x + 1) * s.frames) / width));
    for (let y = 0; y < height; y++) {
      const band = s.bands - 1 - Math.floor((y * s.bands) / height);
      let v = -Infinity;
      for (let f = f0; f < f1 && f < s.frames; f++) v = Math.max(v, s.data[f * s.bands + band]!);
      const [r, g, b] = s.frames === 0 ? [0, 0, 0] : viridis((v - lo) / span);
      const o = (y * width + x) * 4;
      png.data[o] = r;
      png.data[o + 1] = g;
      png.data[o + 2] = b;
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** The service's SpectrogramData (base64 little-endian float32) as frames. */
export function framesFromBase64(b64: string, frames: number, bands: number): LogMelFrames {
  const buf = Buffer.from(b64, 'base64');
  const data = new Float32Array(frames * bands);
  for (let i = 0; i < data.length && i * 4 + 3 < buf.length; i++) data[i] = buf.readFloatLE(i * 4);
  return { data, frames, bands };
}
