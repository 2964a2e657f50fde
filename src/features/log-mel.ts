/**
 * YAMNet log-mel frames: 25 ms periodic Hann window (400 samples), hop 160, 512-point FFT, magnitude,
 * 64 mel bands (mel-filterbank.ts), log(mel + 0.001). Frames are not padded at the start: frame k
 * covers samples 160k .. 160k+399, so n samples give floor((n − 400)/160) + 1 frames (none below 400).
 *
 * The arithmetic is float64 (fft.js on Float64Arrays) and the output float32. FrameComputer holds all
 * scratch buffers, so computing a frame allocates nothing; the batch and streaming versions share it
 * and therefore agree exactly.
 */
import FFTJS from 'fft.js';
import { sparseMelBands } from './mel-filterbank.js';
import { FFT, FFT_BINS, HOP, LOG_OFFSET, MEL_BANDS, WINDOW } from './yamnet-params.js';

export interface LogMelFrames {
  /** frames × 64, row-major. */
  data: Float32Array;
  frames: number;
}

/** Number of complete frames in n samples. */
export function frameCount(n: number): number {
  return n < WINDOW ? 0 : Math.floor((n - WINDOW) / HOP) + 1;
}

/** Periodic Hann (as tf.signal.hann_window(periodic=True)): 0.5 − 0.5·cos(2πn/N), n = 0..N−1. */
export function periodicHann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/** Computes one frame at a time into caller-provided storage, with no allocation per frame. */
export class FrameComputer {
  private readonly fft = new FFTJS(FFT);
  private readonly window = periodicHann(WINDOW);
  private readonly input = new Float64Array(FFT); // samples 400..511 stay zero (FFT zero-padding)
  private readonly spectrum = new Float64Array(2 * FFT);
  private readonly magnitude = new Float64Array(FFT_BINS);
  // The mel weights, flattened: band b uses weights[wStart[b] .. wStart[b+1]) on bins from firstBin[b].
  private readonly weights: Float64Array;
  private readonly wStart = new Int32Array(MEL_BANDS + 1);
  private readonly firstBin = new Int32Array(MEL_BANDS);
  /** Bins outside [binLo, binHi) carry no weight in any band: their magnitude is not needed. */
  private readonly binLo: number;
  private readonly binHi: number;

  constructor() {
    const bands = sparseMelBands();
    this.weights = new Float64Array(bands.reduce((n, b) => n + b.weights.length, 0));
    let lo = FFT_BINS,
      hi = 0;
    for (let b = 0, w = 0; b < MEL_BANDS; b++) {
      const band = bands[b]!;
      this.wStart[b] = w;
      this.firstBin[b] = band.firstBin;
      this.weights.set(band.weights, w);
      w += band.weights.length;
      this.wStart[b + 1] = w;
      if (band.weights.length > 0) {
        lo = Math.min(lo, band.firstBin);
        hi = Math.max(hi, band.firstBin + band.weights.length);
      }
    }
    this.binLo = lo;
    this.binHi = hi;
  }

  /** Frame from samples[offset .. offset+399] into out[outOffset .. outOffset+63]. */
  compute(samples: Float32Array, offset: number, out: Float32Array, outOffset: number): void {
    const input = this.input,
      window = this.window;
    for (let i = 0; i < WINDOW; i++) input[i] = samples[offset + i]! * window[i]!;
    this.fft.realTransform(this.spectrum, input);
    const s = this.spectrum,
      mag = this.magnitude;
    for (let k = this.binLo; k < this.binHi; k++) {
      const re = s[2 * k]!,
        im = s[2 * k + 1]!;
      mag[k] = Math.sqrt(re * re + im * im);
    }
    const weights = this.weights,
      wStart = this.wStart,
      firstBin = this.firstBin;
    for (let b = 0; b < MEL_BANDS; b++) {
      const end = wStart[b + 1]!;
      let acc = 0;
      for (let j = wStart[b]!, k = firstBin[b]!; j < end; j++, k++) acc += weights[j]! * mag[k]!;
      out[outOffset + b] = Math.log(acc + LOG_OFFSET);
    }
  }
}

let shared: FrameComputer | undefined;

/** Log-mel frames of a 16 kHz mono waveform in [-1, 1]. */
export function logMelFrames(samples16k: Float32Array): LogMelFrames {
  const frames = frameCount(samples16k.length);
  const data = new Float32Array(frames * MEL_BANDS);
  const fc = (shared ??= new FrameComputer());
  for (let f = 0; f < frames; f++) fc.compute(samples16k, f * HOP, data, f * MEL_BANDS);
  return { data, frames };
}
