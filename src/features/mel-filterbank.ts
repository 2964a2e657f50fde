/**
 * YAMNet's mel filter bank. This is the construction of YAMNet's mel_features.py
 * (spectrogram_to_mel_matrix) and of TensorFlow's tf.signal.linear_to_mel_weight_matrix, which YAMNet's
 * features.py calls with the same arguments:
 *  - FFT bin k (0..256) sits at k × 8000/256 Hz (linspace(0, nyquist, 257)), mapped to HTK mel,
 *    mel(f) = 1127 · ln(1 + f/700);
 *  - 66 band edges equally spaced in mel from mel(125 Hz) to mel(7500 Hz); band i has lower, centre and
 *    upper edges edges[i], edges[i+1], edges[i+2];
 *  - weight = max(0, min(rising, falling)) with both slopes computed in mel (not Hz);
 *  - the DC bin (k = 0) gets no weight in any band (mel_features zeroes row 0; TF's bands_to_zero=1).
 * Computed in float64, stored as float32 (TF computes it in float32; the difference is < 1e-6).
 */
import { FFT, FFT_BINS, LOG_OFFSET, MEL_BANDS, MEL_MAX_HZ, MEL_MIN_HZ, SAMPLE_RATE } from './yamnet-params.js';

export function hzToMel(hz: number): number {
  return 1127 * Math.log(1 + hz / 700);
}

export function melToHz(mel: number): number {
  return 700 * (Math.exp(mel / 1127) - 1);
}

/** The 66 band edges in mel (64 bands + 2: band i spans edges i..i+2, centred on edge i+1). */
function bandEdgesMel(): number[] {
  const lo = hzToMel(MEL_MIN_HZ);
  const hi = hzToMel(MEL_MAX_HZ);
  const n = MEL_BANDS + 2;
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** The 66 band edges in Hz: band i has lower edge [i], centre [i+1], upper edge [i+2]. */
export function melBandEdgesHz(): number[] {
  return bandEdgesMel().map(melToHz);
}

/** Frequency of FFT bin k in Hz. */
export function binHz(k: number): number {
  return (k * SAMPLE_RATE) / FFT;
}

let cached: Float32Array | undefined;

/**
 * The weight matrix, [257 FFT bins × 64 bands], row-major (bin-major), as mel_features.py lays it out:
 * weight of bin k in band b is at [k * 64 + b]. Mel energies = magnitude spectrum (1×257) · this matrix.
 * The returned array is shared: do not modify it.
 */
export function melFilterbank(): Float32Array {
  if (cached) return cached;
  const edges = bandEdgesMel();
  const m = new Float32Array(FFT_BINS * MEL_BANDS);
  for (let k = 1; k < FFT_BINS; k++) {
    const mel = hzToMel(binHz(k));
    for (let b = 0; b < MEL_BANDS; b++) {
      const lower = edges[b]!,
        center = edges[b + 1]!,
        upper = edges[b + 2]!;
      const rising = (mel - lower) / (center - lower);
      const falling = (upper - mel) / (upper - center);
      m[k * MEL_BANDS + b] = Math.max(0, Math.min(rising, falling));
    }
  }
  cached = m;
  return m;
}

/** Per band: the first bin with weight and the weights of its contiguous run (for a fast product). */
export interface SparseBand {
  firstBin: number;
  weights: Float64Array;
}

export function sparseMelBands(): SparseBand[] {
  const m = melFilterbank();
  const bands: SparseBand[] = [];
  for (let b = 0; b < MEL_BANDS; b++) {
    let first = -1,
      last = -1;
    for (let k = 0; k < FFT_BINS; k++) {
      if (m[k * MEL_BANDS + b]! > 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    const weights = new Float64Array(first < 0 ? 0 : last - first + 1);
    for (let k = first; k >= 0 && k <= last; k++) weights[k - first] = m[k * MEL_BANDS + b]!;
    bands.push({ firstBin: Math.max(0, first), weights });
  }
  return bands;
}

/** The sparse bands packed for the per-frame product: band b uses weights[start[b] .. start[b+1]) on bins from firstBin[b]. */
export interface PackedMelBands {
  weights: Float64Array;
  start: Int32Array;
  firstBin: Int32Array;
  /** Bins outside [binLo, binHi) carry no weight in any band: their magnitude is not needed. */
  binLo: number;
  binHi: number;
}

export function packedMelBands(): PackedMelBands {
  const bands = sparseMelBands();
  const weights = new Float64Array(bands.reduce((n, b) => n + b.weights.length, 0));
  const start = new Int32Array(MEL_BANDS + 1);
  const firstBin = new Int32Array(MEL_BANDS);
  let lo = FFT_BINS,
    hi = 0;
  for (let b = 0, w = 0; b < MEL_BANDS; b++) {
    const band = bands[b]!;
    start[b] = w;
    firstBin[b] = band.firstBin;
    weights.set(band.weights, w);
    w += band.weights.length;
    start[b + 1] = w;
    if (band.weights.length > 0) {
      lo = Math.min(lo, band.firstBin);
      hi = Math.max(hi, band.firstBin + band.weights.length);
    }
  }
  return { weights, start, firstBin, binLo: lo, binHi: hi };
}

/** out[outOffset + b] = log(Σ weights · magnitude + 0.001) for the 64 bands (float64 sums, float32 out). */
export function logMelFromMagnitude(
  mag: Float64Array | Float32Array,
  bands: PackedMelBands,
  out: Float32Array,
  outOffset: number,
): void {
  const { weights, start, firstBin } = bands;
  for (let b = 0; b < MEL_BANDS; b++) {
    const end = start[b + 1]!;
    let acc = 0;
    for (let j = start[b]!, k = firstBin[b]!; j < end; j++, k++) acc += weights[j]! * mag[k]!;
    out[outOffset + b] = Math.log(acc + LOG_OFFSET);
  }
}
