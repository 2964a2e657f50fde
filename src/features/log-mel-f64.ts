/**
 * The float64 YAMNet log-mel frame (fft.js on Float64Arrays), the front end before issue 18: the same
 * definition as log-mel.ts (which now computes the FFT in float32 with PFFFT, about twice as fast), kept
 * for the bench's side-by-side figures and as a second, independent implementation in the tests.
 */
import FFTJS from 'fft.js';
import { logMelFromMagnitude, packedMelBands } from './mel-filterbank.js';
import { FFT, FFT_BINS, WINDOW } from './yamnet-params.js';

/** Periodic Hann (as tf.signal.hann_window(periodic=True)): 0.5 − 0.5·cos(2πn/N), n = 0..N−1. */
export function periodicHann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/** Computes one frame at a time into caller-provided storage, with no allocation per frame. */
export class FrameComputer64 {
  private readonly fft = new FFTJS(FFT);
  private readonly window = periodicHann(WINDOW);
  private readonly input = new Float64Array(FFT); // samples 400..511 stay zero (FFT zero-padding)
  private readonly spectrum = new Float64Array(2 * FFT);
  private readonly magnitude = new Float64Array(FFT_BINS);
  private readonly bands = packedMelBands();

  /** Frame from samples[offset .. offset+399] into out[outOffset .. outOffset+63]. */
  compute(samples: Float32Array, offset: number, out: Float32Array, outOffset: number): void {
    const input = this.input,
      window = this.window;
    for (let i = 0; i < WINDOW; i++) input[i] = samples[offset + i]! * window[i]!;
    this.fft.realTransform(this.spectrum, input);
    const s = this.spectrum,
      mag = this.magnitude;
    const { binLo, binHi } = this.bands;
    for (let k = binLo; k < binHi; k++) {
      const re = s[2 * k]!,
        im = s[2 * k + 1]!;
      mag[k] = Math.sqrt(re * re + im * im);
    }
    logMelFromMagnitude(mag, this.bands, out, outOffset);
  }
}
