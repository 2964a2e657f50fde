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
 * Read from the band-limited 16 kHz audio every 4th sample (4 kHz: the band is already below 2 kHz,
 * so this aliases nothing), one Hann-windowed 2048-point FFT per 0.48 s hop (≈ 2 Hz bins); a patch's
 * share is the smaller of its two hops'. Half the transforms of one per patch, a quarter the size.
 */
import FFTJS from 'fft.js';
import { PATCH_HOP_SEC, PATCH_SAMPLES } from '../../features/yamnet-params.js';

const STEP = 4;
/** One FFT per 0.48 s hop (1920 samples at 4 kHz, zero-padded: ≈ 2 Hz bins); a patch is two hops. */
const N = 2048;
const fft = new FFTJS(N);
const input = new Float64Array(N);
const out = fft.createComplexArray() as number[];
const power = new Float64Array(N / 2);
const ref = new Float64Array(N / 2);
const around = new Float64Array(2 * 20 + 1);
const LINE_BINS = 2;
const PEAKS = 3;
/** Neighbourhood of a line (bins either side, ≈ ±40 Hz) and how far above its median a line must stand (30 dB). */
const NEIGHBOUR_BINS = 20;
const LINE_RATIO = 1000;
/** Below this frequency power is ignored (DC offsets and drift, not a tone). */
const MIN_HZ = 20;

/** Line share of one stretch of `len` samples (every STEP-th from `a`). */
function lineShare(samples: Float32Array, a: number, len: number, window: Float64Array, lo: number): number {
  input.fill(0);
  let n = 0;
  let mean = 0;
  for (; n < len && a + n * STEP < samples.length; n++) mean += samples[a + n * STEP]!;
  mean /= Math.max(1, n);
  for (let i = 0; i < n; i++) input[i] = (samples[a + i * STEP]! - mean) * window[i]!;
  fft.realTransform(out, input);
  let total = 0;
  for (let k = lo; k < N / 2; k++) {
    const p = out[2 * k]! ** 2 + out[2 * k + 1]! ** 2;
    power[k] = p;
    ref[k] = p;
    total += p;
  }
  if (!(total > 0)) return 0;
  // greedy: the strongest bin; its line (±LINE_BINS) counts when it stands LINE_RATIO above the median
  // of its neighbourhood (a tone's skirt falls off steeply, a broadband sound's does not); remove, repeat
  let inLines = 0;
  for (let p = 0; p < PEAKS; p++) {
    let best = lo;
    for (let k = lo; k < N / 2; k++) if (power[k]! > power[best]!) best = k;
    const a0 = Math.max(lo, best - LINE_BINS);
    const a1 = Math.min(N / 2 - 1, best + LINE_BINS);
    let line = 0;
    for (let k = a0; k <= a1; k++) line += power[k]!;
    let m = 0;
    for (let k = Math.max(lo, best - NEIGHBOUR_BINS); k <= Math.min(N / 2 - 1, best + NEIGHBOUR_BINS); k++)
      if (k < a0 || k > a1) around[m++] = ref[k]!;
    const sorted = around.subarray(0, m).sort();
    const median = m ? sorted[m >> 1]! : 0;
    if (ref[best]! > LINE_RATIO * median) inLines += line;
    for (let k = a0; k <= a1; k++) power[k] = 0;
  }
  return inLines / total;
}

/** Hann windows by length (one per rate in practice): the same values patchTonality computed per call. */
const windows = new Map<number, Float64Array>();
function hannOf(hop: number): Float64Array {
  let w = windows.get(hop);
  if (!w) {
    w = Float64Array.from({ length: hop }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / hop));
    windows.set(hop, w);
  }
  return w;
}

/**
 * Tonality of patches, each the smaller share of its two hops; a hop's share is computed once and kept
 * in `hops` by hop index (patch i is hops i and i + 1). A stream passes the same map for every patch,
 * with `offset` the stream index of samples16k[0] (a hop's share reads only its own samples, so it
 * does not depend on where the array holding them starts).
 */
export function patchTonality(
  samples16k: Float32Array,
  startsSec: readonly number[],
  rate: number,
  hops = new Map<number, number>(),
  offset = 0,
): Float64Array {
  const hop = Math.round((PATCH_HOP_SEC * rate) / STEP); // decimated samples per hop
  const window = hannOf(hop);
  const lo = Math.ceil(MIN_HZ / (rate / STEP / N));
  const shareAt = (h: number, a: number): number => {
    let v = hops.get(h);
    if (v === undefined) {
      v = lineShare(samples16k, a, hop, window, lo);
      hops.set(h, v);
    }
    return v;
  };
  return Float64Array.from(startsSec, (s) => {
    const a = Math.round(s * rate) - offset;
    const h = Math.round(s / PATCH_HOP_SEC);
    const second = a + hop * STEP;
    return second < samples16k.length && PATCH_SAMPLES > hop * STEP
      ? Math.min(shareAt(h, a), shareAt(h + 1, second))
      : shareAt(h, a);
  });
}
