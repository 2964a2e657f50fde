/**
 * Steady tones per patch (mains hum, a test tone, a beeping device): the share of the patch's
 * power that sits in its three strongest narrow spectral peaks. A chest recording is broadband
 * (even a wheeze glides in pitch over a 0.96 s patch), a hum or tone puts nearly all its power in
 * a few 1 Hz-wide lines. YAMNet's own "Hum" class cannot tell: KAUH's bell-mode recordings score
 * up to 0.64 on it, while a pure 50 Hz hum scores 0.11 once band-limited, and the novelty model
 * finds such a hum familiar (bell mode is 20–200 Hz).
 *
 * A line counts only where it stands 30 dB above the median of the 80 bins around it: KAUH's power is
 * crowded below 200 Hz (bell mode), so a plain share of power in a few bins would call every bell
 * recording a tone.
 *
 * The patch is read from the band-limited 16 kHz audio every 4th sample (4 kHz: the band is
 * already below 2 kHz, so this aliases nothing), Hann-windowed, 4096-point FFT (≈ 1 Hz bins).
 */
import FFTJS from 'fft.js';
import { PATCH_SAMPLES } from '../../features/yamnet-params.js';

const STEP = 4;
const N = 4096;
const fft = new FFTJS(N);
const input = new Float64Array(N);
const out = fft.createComplexArray() as number[];
const LINE_BINS = 3;
const PEAKS = 3;
/** Neighbourhood of a line (bins either side) and how far above its median a line must stand (30 dB). */
const NEIGHBOUR_BINS = 40;
const LINE_RATIO = 1000;
/** Below this frequency power is ignored (DC offsets and drift, not a tone). */
const MIN_HZ = 20;

export function patchTonality(samples16k: Float32Array, startsSec: readonly number[], rate: number): Float64Array {
  const len = Math.min(N, Math.floor(PATCH_SAMPLES / STEP));
  const window = Float64Array.from({ length: len }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / len));
  const binHz = rate / STEP / N;
  const lo = Math.ceil(MIN_HZ / binHz);
  const power = new Float64Array(N / 2);
  return Float64Array.from(startsSec, (s) => {
    const a = Math.round(s * rate);
    input.fill(0);
    let mean = 0;
    let n = 0;
    for (let i = 0; i < len && a + i * STEP < samples16k.length; i++, n++) mean += samples16k[a + i * STEP]!;
    mean /= Math.max(1, n);
    for (let i = 0; i < n; i++) input[i] = (samples16k[a + i * STEP]! - mean) * window[i]!;
    fft.realTransform(out, input);
    let total = 0;
    for (let k = lo; k < N / 2; k++) {
      power[k] = out[2 * k]! ** 2 + out[2 * k + 1]! ** 2;
      total += power[k]!;
    }
    if (!(total > 0)) return 0;
    // greedy: the strongest bin; its line (±LINE_BINS) counts when it stands LINE_DB above the median
    // of its neighbourhood (a tone's skirt falls off steeply, a broadband sound's does not); remove, repeat
    const ref = Float64Array.from(power);
    let inLines = 0;
    for (let p = 0; p < PEAKS; p++) {
      let best = lo;
      for (let k = lo; k < N / 2; k++) if (power[k]! > power[best]!) best = k;
      const a0 = Math.max(lo, best - LINE_BINS);
      const a1 = Math.min(N / 2 - 1, best + LINE_BINS);
      let line = 0;
      for (let k = a0; k <= a1; k++) line += power[k]!;
      const around: number[] = [];
      for (let k = Math.max(lo, best - NEIGHBOUR_BINS); k <= Math.min(N / 2 - 1, best + NEIGHBOUR_BINS); k++)
        if (k < a0 || k > a1) around.push(ref[k]!);
      around.sort((x, y) => x - y);
      const median = around.length ? around[around.length >> 1]! : 0;
      if (ref[best]! > LINE_RATIO * median) inLines += line;
      for (let k = a0; k <= a1; k++) power[k] = 0;
    }
    return inLines / total;
  });
}
