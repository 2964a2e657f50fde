/**
 * Band-limiting to a training set's bandwidth (the head was trained on KAUH, recorded at 4 kHz, so it
 * has only heard content below 2 kHz): a linear-phase low-pass FIR, applied zero-phase (the filter's
 * delay is compensated), so the output has the input's length and timing.
 *
 * Design: windowed sinc with a Kaiser window (Kaiser's formulas for β and the length), ideal cutoff at
 * `cutoffHz` (−6 dB there), transition band cutoff ± 12.5 %, 80 dB design attenuation. At 16 kHz and a
 * 2000 Hz cutoff: pass to 1750 Hz, stop from 2250 Hz, 161 taps. Measured in test/audio/band-limit.test.ts
 * (1 kHz passes, 3 kHz attenuated by far more than 60 dB). A direct FIR rather than libsamplerate down
 * and up: the latter runs two best-quality sinc conversions and is tens of times slower here.
 */

const ATTENUATION_DB = 80;
const HALF_TRANSITION = 0.125;

/** Zeroth-order modified Bessel function of the first kind (series; converges fast for β < 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 60; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

export interface LowPassFir {
  /** Symmetric taps, odd length, unity gain at DC. */
  taps: Float64Array;
  cutoffHz: number;
  passEdgeHz: number;
  stopEdgeHz: number;
}

const cache = new Map<string, LowPassFir>();

/** The low-pass used by bandLimit, exposed for tests and the bench. */
export function designLowPass(sampleRate: number, cutoffHz: number): LowPassFir {
  const key = `${sampleRate}/${cutoffHz}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const passEdgeHz = cutoffHz * (1 - HALF_TRANSITION);
  const stopEdgeHz = cutoffHz * (1 + HALF_TRANSITION);
  const dw = (2 * Math.PI * (stopEdgeHz - passEdgeHz)) / sampleRate;
  const beta = 0.1102 * (ATTENUATION_DB - 8.7);
  let len = Math.ceil((ATTENUATION_DB - 7.95) / (2.285 * dw)) + 1;
  if (len % 2 === 0) len++;
  const m = (len - 1) / 2;
  const fc = cutoffHz / sampleRate; // cycles per sample
  const taps = new Float64Array(len);
  const i0b = besselI0(beta);
  let sum = 0;
  for (let i = 0; i < len; i++) {
    const k = i - m;
    const sinc = k === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * k) / (Math.PI * k);
    const r = k / m;
    const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b;
    taps[i] = sinc * w;
    sum += taps[i]!;
  }
  for (let i = 0; i < len; i++) taps[i]! /= sum;
  const fir = { taps, cutoffHz, passEdgeHz, stopEdgeHz };
  cache.set(key, fir);
  return fir;
}

/**
 * Low-passes mono audio at `cutoffHz`; same length, same rate, no delay. A cutoff at or above the
 * Nyquist frequency (less the transition band) returns a copy: there is nothing above it to remove.
 */
export async function bandLimit(samples: Float32Array, sampleRate: number, cutoffHz: number): Promise<Float32Array> {
  if (!(sampleRate > 0) || !(cutoffHz > 0)) throw new RangeError(`bandLimit: invalid rate ${sampleRate} or cutoff ${cutoffHz}`);
  if (cutoffHz * (1 + HALF_TRANSITION) >= sampleRate / 2) return samples.slice();
  const { taps } = designLowPass(sampleRate, cutoffHz);
  const n = samples.length;
  const len = taps.length;
  const m = (len - 1) / 2;
  const out = new Float32Array(n);
  // Symmetric taps: y[i] = h[m]·x[i] + Σ_{k=1..m} h[m+k]·(x[i−k] + x[i+k]); samples outside are zero.
  for (let i = 0; i < n; i++) {
    let acc = taps[m]! * samples[i]!;
    if (i >= m && i + m < n) {
      for (let k = 1; k <= m; k++) acc += taps[m + k]! * (samples[i - k]! + samples[i + k]!);
    } else {
      for (let k = 1; k <= m; k++) {
        const a = i - k >= 0 ? samples[i - k]! : 0;
        const b = i + k < n ? samples[i + k]! : 0;
        acc += taps[m + k]! * (a + b);
      }
    }
    out[i] = acc;
  }
  return out;
}
