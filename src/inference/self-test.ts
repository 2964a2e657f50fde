/**
 * The converted model's self-test on audio it generates (no files needed): a model that does
 * not recognise digital silence, a 1 kHz tone, white noise and speech-like vowels is refused. Expectations follow
 * the independent float64 run in ../shared/models/README.md.
 */
import type { AudioSetScore } from './analysis-types.js';
import { topClasses } from './class-map.js';
import { patchSource16k } from './front-end.js';
import type { YamnetSession } from './yamnet-session.js';

export interface SelfTestCase {
  name: string;
  /** What must hold, in words. */
  expect: string;
  pass: boolean;
  top: AudioSetScore[];
}

const RATE = 16000;
const SECONDS = 3;

/** Deterministic Gaussian noise (xorshift + Box-Muller): the same test audio on every machine. */
export function whiteNoise(n: number, rms: number, seed = 12345): Float32Array {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const t = 2 * Math.PI * u();
    out[i] = Math.max(-1, Math.min(1, rms * r * Math.cos(t)));
    if (i + 1 < n) out[i + 1] = Math.max(-1, Math.min(1, rms * r * Math.sin(t)));
  }
  return out;
}

/** Pink (1/f) noise at a given RMS: Paul Kellet's filter of white noise; deterministic. */
export function pinkNoise(n: number, rms: number, seed = 777): Float32Array {
  const w = whiteNoise(n, 1, seed);
  let [b0, b1, b2, b3, b4, b5, b6] = [0, 0, 0, 0, 0, 0, 0];
  const y = Float64Array.from(w, (x) => {
    b0 = 0.99886 * b0 + x * 0.0555179;
    b1 = 0.99332 * b1 + x * 0.0750759;
    b2 = 0.969 * b2 + x * 0.153852;
    b3 = 0.8665 * b3 + x * 0.3104856;
    b4 = 0.55 * b4 + x * 0.5329522;
    b5 = -0.7616 * b5 - x * 0.016898;
    const out = b0 + b1 + b2 + b3 + b4 + b5 + b6 + x * 0.5362;
    b6 = x * 0.115926;
    return out;
  });
  let e = 0;
  for (const v of y) e += v * v;
  const g = rms / Math.sqrt(e / Math.max(n, 1));
  return Float32Array.from(y, (v) => Math.max(-1, Math.min(1, v * g)));
}

export function sine(n: number, freq: number, amplitude: number, rate = RATE): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
}

/**
 * Speech-like audio from the source-filter model: a glottal pulse train (pitch gliding around
 * 120 Hz) through three formant resonators per vowel (/a/ /i/ /u/ /e/ /o/ formant frequencies),
 * in 0.22 s syllables with a smooth envelope and pauses. The converted YAMNet rates it 'Speech'
 * first (mean 0.25, next 'Synthesizer' 0.07); a broken conversion does not.
 */
export function speechLike(n: number, rate = RATE): Float32Array {
  const vowels = [
    [730, 1090, 2440],
    [270, 2290, 3010],
    [300, 870, 2240],
    [530, 1840, 2480],
    [640, 1190, 2390],
  ] as const;
  const syllable = 0.22;
  const out = new Float32Array(n);
  const state = [new Float64Array(2), new Float64Array(2), new Float64Array(2)];
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const k = Math.floor(t / syllable);
    const formants = vowels[(k * 3) % vowels.length]!;
    const f0 = 120 + 25 * Math.sin(2 * Math.PI * 0.7 * t) + 10 * Math.sin(2 * Math.PI * 3.1 * t);
    phase += f0 / rate;
    let pulse = 0;
    if (phase >= 1) {
      phase -= 1;
      pulse = 1;
    }
    const within = (t % syllable) / syllable;
    const envelope = Math.sin(Math.PI * Math.min(1, within * 1.15)) ** 2 * (k % 5 === 4 ? 0.1 : 1);
    let y = 0;
    for (let j = 0; j < 3; j++) {
      // two-pole resonator at the formant, bandwidth widening with the formant number
      const r = Math.exp((-Math.PI * (80 + 40 * j)) / rate);
      const c = 2 * r * Math.cos((2 * Math.PI * formants[j]!) / rate);
      const s = state[j]!;
      const o = pulse * (1 - r) + c * s[0]! - r * r * s[1]!;
      s[1] = s[0]!;
      s[0] = o;
      y += o / (j + 1);
    }
    out[i] = y * envelope;
  }
  let peak = 0;
  for (const x of out) peak = Math.max(peak, Math.abs(x));
  return out.map((x) => (peak > 0 ? (0.5 * x) / peak : 0));
}

export const SELF_TEST_SIGNALS: Array<{
  name: string;
  expect: string;
  audio: () => Float32Array;
  check: (top: AudioSetScore[]) => boolean;
}> = [
  {
    name: 'digital silence',
    expect: "'Silence' is the top class",
    audio: () => new Float32Array(RATE * SECONDS),
    check: (top) => top[0]?.name === 'Silence',
  },
  {
    name: '1 kHz sine, half scale',
    expect: "'Beep, bleep' and 'Sine wave' in the top 3",
    audio: () => sine(RATE * SECONDS, 1000, 0.5),
    check: (top) => ['Beep, bleep', 'Sine wave'].every((n) => top.some((t) => t.name === n)),
  },
  {
    // −23 dBFS: YAMNet's noise classes depend on level; louder noise drifts to 'Water'/'Waterfall'
    name: 'white noise, -23 dBFS',
    expect: "'Static' and 'White noise' in the top 3",
    audio: () => whiteNoise(RATE * SECONDS, 0.07),
    check: (top) => ['Static', 'White noise'].every((n) => top.some((t) => t.name === n)),
  },
  {
    name: 'speech-like vowels (source-filter synthesis)',
    expect: "'Speech' is the top class",
    audio: () => speechLike(RATE * 4),
    check: (top) => top[0]?.name === 'Speech',
  },
];

export async function runSelfTest(yamnet: YamnetSession, classMap: string[]): Promise<SelfTestCase[]> {
  const out: SelfTestCase[] = [];
  for (const sig of SELF_TEST_SIGNALS) {
    const { source } = patchSource16k(sig.audio());
    const res = await yamnet.run(source, true);
    const top = topClasses(res.scores!, res.count, classMap, 3);
    out.push({ name: sig.name, expect: sig.expect, pass: sig.check(top), top });
  }
  return out;
}
