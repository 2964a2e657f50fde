import { writeFileSync } from 'node:fs';
import wavefile from 'wavefile';

/**
 * The benches' synthetic breath: xorshift noise through a one-pole low-pass (most energy below
 * ~1.5 kHz, like lung sounds), under a 0.25 Hz breathing envelope, optionally with a faint 150 Hz
 * hum. Deterministic for a seed, so paired runs analyse the same samples.
 */
export function breathLike(seconds: number, rate: number, opts: { seed?: number; hum?: boolean } = {}): Float32Array {
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  let s = opts.seed ?? 987654321;
  let lp = 0;
  const hum = (opts.hum ?? true) ? 0.02 : 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    lp += 0.2 * (((s >>> 0) / 4294967296) * 2 - 1 - lp);
    const env = 0.5 + 0.5 * Math.sin((2 * Math.PI * 0.25 * i) / rate);
    out[i] = 0.3 * env * lp + hum * Math.sin((2 * Math.PI * 150 * i) / rate);
  }
  return out;
}

/** 16-bit PCM mono WAV of `samples` (clipped to [-1, 1]). */
export function writeWav(path: string, samples: Float32Array, rate: number): void {
  const wav = new wavefile.WaveFile();
  const pcm = Int16Array.from(samples, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767));
  wav.fromScratch(1, rate, '16', pcm);
  writeFileSync(path, wav.toBuffer());
}
