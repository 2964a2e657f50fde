/** Test signals and measurements shared by the audio and features tests (not a test file itself). */
import { spawnSync } from 'node:child_process';
import { mulberry32 } from '../../src/common/mulberry32.js';

export function sine(n: number, rate: number, hz: number, amp = 0.5, phase = 0): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * hz * i) / rate + phase);
  return x;
}

/** Deterministic uniform noise in [-amp, amp] (mulberry32), so failures reproduce. */
export function noise(n: number, amp = 0.5, seed = 1): Float32Array {
  const next = mulberry32(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * (next() * 2 - 1);
  return x;
}

export function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / Math.max(1, to - from));
}

export const dB = (ratio: number): number => 20 * Math.log10(ratio);

/** Amplitude of the component at `hz` (Goertzel over [from, to)), for a sine of amplitude A it is ≈ A. */
export function toneAmplitude(x: Float32Array, rate: number, hz: number, from = 0, to = x.length): number {
  const w = (2 * Math.PI * hz) / rate;
  let re = 0,
    im = 0;
  for (let i = from; i < to; i++) {
    re += x[i]! * Math.cos(w * i);
    im -= x[i]! * Math.sin(w * i);
  }
  return (2 * Math.hypot(re, im)) / (to - from);
}

export function hasSox(): boolean {
  return spawnSync('sox', ['--version']).status === 0;
}

export function sox(args: string[]): void {
  const r = spawnSync('sox', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sox ${args.join(' ')} failed: ${r.stderr}`);
}
