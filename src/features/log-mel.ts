/**
 * YAMNet log-mel frames: 25 ms periodic Hann window (400 samples), hop 160, 512-point FFT, magnitude,
 * 64 mel bands (mel-filterbank.ts), log(mel + 0.001). Frames are not padded at the start: frame k
 * covers samples 160k .. 160k+399, so n samples give floor((n − 400)/160) + 1 frames (none below 400).
 *
 * The FFT is float32 (PFFFT, WASM SIMD: @echogarden/pffft-wasm), the magnitudes and mel sums float64,
 * the output float32; about twice as fast per frame as the float64 fft.js version it replaced
 * (log-mel-f64.ts, kept for the bench), and within the tests' 1e-4 of the float64 reference
 * (test/features/log-mel.test.ts). FrameComputer allocates nothing per frame, and the batch and
 * streaming front ends share it, so they agree exactly.
 *
 * The PFFFT module is loaded once, when this module is first imported (top-level await, a few ms), and
 * its four buffers are shared by every FrameComputer: compute() is synchronous, so two can never use
 * them at the same time.
 */
import createPffft from '@echogarden/pffft-wasm/simd';
import { logMelFromMagnitude, packedMelBands } from './mel-filterbank.js';
import { periodicHann } from './log-mel-f64.js';
import { FFT, FFT_BINS, HOP, MEL_BANDS, WINDOW } from './yamnet-params.js';

export { periodicHann } from './log-mel-f64.js';

export interface LogMelFrames {
  /** frames × 64, row-major. */
  data: Float32Array;
  frames: number;
}

/** Number of complete frames in n samples. */
export function frameCount(n: number): number {
  return n < WINDOW ? 0 : Math.floor((n - WINDOW) / HOP) + 1;
}

const pffft = await createPffft();
const setup = pffft._pffft_new_setup(FFT, 0);
const inPtr = pffft._pffft_aligned_malloc(FFT * 4);
const outPtr = pffft._pffft_aligned_malloc(FFT * 4);
const workPtr = pffft._pffft_aligned_malloc(FFT * 4);
if (!setup || !inPtr || !outPtr || !workPtr) throw new Error('log-mel: could not set up the FFT (out of memory)');
// Samples 400..511 of the FFT input stay zero (the FFT's zero-padding); nothing else allocates in this heap.
pffft.HEAPF32.fill(0, inPtr >> 2, (inPtr >> 2) + FFT);

/** Computes one frame at a time into caller-provided storage, with no allocation per frame. */
export class FrameComputer {
  private readonly window = Float32Array.from(periodicHann(WINDOW));
  private readonly magnitude = new Float64Array(FFT_BINS);
  private readonly bands = packedMelBands();

  /** Frame from samples[offset .. offset+399] into out[outOffset .. outOffset+63]. */
  compute(samples: Float32Array, offset: number, out: Float32Array, outOffset: number): void {
    const heap = pffft.HEAPF32;
    const window = this.window;
    const at = inPtr >> 2;
    for (let i = 0; i < WINDOW; i++) heap[at + i] = samples[offset + i]! * window[i]!;
    pffft._pffft_transform_ordered(setup, inPtr, outPtr, workPtr, 0);
    // Ordered real output: [F0, F256, re1, im1, re2, im2, ...]; the mel bands use bins 1..255 only.
    const s = outPtr >> 2,
      mag = this.magnitude;
    for (let k = this.bands.binLo; k < this.bands.binHi; k++) {
      const re = heap[s + 2 * k]!,
        im = heap[s + 2 * k + 1]!;
      mag[k] = Math.sqrt(re * re + im * im);
    }
    logMelFromMagnitude(mag, this.bands, out, outOffset);
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

/**
 * Log-mel frames computed on demand, in order: `ensure(n)` computes frames up to n (the engine asks
 * for a batch's patches while onnxruntime runs the batch before, so the front end overlaps YAMNet).
 * The same frames as logMelFrames, value for value (the same FrameComputer).
 */
export class LazyLogMelFrames {
  readonly frames: number;
  /** frames × 64; rows below `computed` are final. */
  readonly data: Float32Array;
  private computed = 0;

  constructor(private readonly samples16k: Float32Array) {
    this.frames = frameCount(samples16k.length);
    this.data = new Float32Array(this.frames * MEL_BANDS);
  }

  /** Computes every frame below `upTo` (clamped to the frame count) not computed yet. */
  ensure(upTo: number): void {
    const end = Math.min(upTo, this.frames);
    if (this.computed >= end) return;
    const fc = (shared ??= new FrameComputer());
    for (let f = this.computed; f < end; f++) fc.compute(this.samples16k, f * HOP, this.data, f * MEL_BANDS);
    this.computed = end;
  }
}
