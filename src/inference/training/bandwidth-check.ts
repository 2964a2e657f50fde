/**
 * The bandwidth promise, measured through the real engine: a recording resampled to 44.1 kHz
 * with loud content added above the head's bandwidth must get the same probabilities as the
 * original. AnalysisEngine.analyzeRecording band-limits before the head's embeddings, so the
 * only differences left are the resamplers' and the low-pass transition band's.
 */
import { resample } from '../../audio/resample.js';
import { bandLimit } from '../../audio/band-limit.js';
import { CLASS_ORDER } from '../analysis-types.js';
import { AnalysisEngine } from '../engine.js';
import { readAudioFile } from '../front-end.js';
import { Rng } from './rng.js';

export const CHECK_RATE = 44100;

/** Tones at 3, 5 and 9 kHz plus noise above 2.8 kHz (for a 2 kHz head), about as loud as the recording itself. */
export async function withContentAbove(
  samples44k: Float32Array,
  rate: number,
  aboveHz: number,
  seed: number,
): Promise<Float32Array> {
  const rng = new Rng(seed);
  let rms = 0;
  for (const v of samples44k) rms += v * v;
  rms = Math.sqrt(rms / Math.max(1, samples44k.length)) || 0.01;
  const noise = Float32Array.from(samples44k, () => rng.next() * 2 - 1);
  // the band-limit filter stops from 1.125 × its cutoff; keep the added noise above 1.4 × (its own transition included)
  const low = await bandLimit(noise, rate, aboveHz * 1.6);
  const added = new Float32Array(samples44k.length);
  for (let i = 0; i < added.length; i++) {
    const t = i / rate;
    const tones =
      Math.sin(2 * Math.PI * 3000 * t) + Math.sin(2 * Math.PI * 5000 * t) + Math.sin(2 * Math.PI * 9000 * t);
    added[i] = rms * (0.5 * tones + 2 * (noise[i]! - low[i]!));
  }
  // never rescale the recording itself (YAMNet's log-mel depends on level): shrink only the addition if it would clip
  let sigPeak = 0;
  let addPeak = 0;
  for (let i = 0; i < added.length; i++) {
    sigPeak = Math.max(sigPeak, Math.abs(samples44k[i]!));
    addPeak = Math.max(addPeak, Math.abs(added[i]!));
  }
  const k = Math.min(1, Math.max(0, 0.99 - sigPeak) / Math.max(1e-9, addPeak));
  const out = new Float32Array(samples44k.length);
  for (let i = 0; i < out.length; i++) out[i] = samples44k[i]! + k * added[i]!;
  return out;
}

export interface BandwidthCheck {
  recordings: number;
  /** Largest |Δp| over the recordings and the five classes. */
  maxAbsDiff: number;
  meanAbsDiff: number;
  sameTopClass: number;
}

export async function bandwidthCheck(
  cardPath: string,
  modelsDir: string | undefined,
  paths: string[],
): Promise<BandwidthCheck> {
  const engine = await AnalysisEngine.load({ headCard: cardPath, modelsDir, threads: 1 });
  try {
    let max = 0;
    let sum = 0;
    let n = 0;
    let same = 0;
    for (const [i, path] of paths.entries()) {
      const a = await readAudioFile(path);
      const orig = await engine.analyzeRecording(a.samples, a.sampleRate);
      const up = await resample(a.samples, a.sampleRate, CHECK_RATE);
      const noisy = await withContentAbove(up, CHECK_RATE, engine.card.input.bandwidthHz, i + 1);
      const hi = await engine.analyzeRecording(noisy, CHECK_RATE);
      // a withheld side has no figures to compare: it counts as a disagreement of 1 on every class
      const po = orig.probabilities;
      const ph = hi.probabilities;
      for (const c of CLASS_ORDER) {
        const d = po && ph ? Math.abs(po[c] - ph[c]) : po === ph ? 0 : 1;
        max = Math.max(max, d);
        sum += d;
        n++;
      }
      if (orig.topClass === hi.topClass) same++;
    }
    return { recordings: paths.length, maxAbsDiff: max, meanAbsDiff: sum / Math.max(1, n), sameTopClass: same };
  } finally {
    await engine.close();
  }
}
