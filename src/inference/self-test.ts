/**
 * The converted model's self-test on audio it generates (no files needed): a model that does
 * not recognise digital silence, a 1 kHz tone and white noise is refused. Expectations follow
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

export const SELF_TEST_SIGNALS: Array<{ name: string; expect: string; audio: () => Float32Array; check: (top: AudioSetScore[]) => boolean }> = [
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
