/**
 * The resampler: anti-aliasing measured on real files, passband loss, 4 kHz → 16 kHz, and streaming
 * output lining up with the batch output and with libsamplerate's own one-shot conversion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import libsamplerate from '@alexanderolsen/libsamplerate-js';
import { readWavFile } from '../../src/audio/wav-read.js';
import { encodeWav16 } from '../../src/audio/wav-write.js';
import { resample, StreamingResampler } from '../../src/audio/resample.js';
import { scratchDir } from '../support/paths.js';
import { writeFileSync } from 'node:fs';
import { dB, hasSox, noise, rms, sine, sox, toneAmplitude } from './signals.js';

const dir = scratchDir('auscult-resample-');
const noSox = hasSox() ? false : 'sox is not installed';

/** A 1.5 s tone at 44.1 kHz written by sox as 32-bit float WAV (no quantisation floor), read back. */
async function toneFile(hz: number): Promise<Float32Array> {
  const path = join(dir, `tone-${hz}.wav`);
  sox(['-n', '-r', '44100', '-e', 'floating-point', '-b', '32', path, 'synth', '1.5', 'sine', String(hz), 'vol', '0.5']);
  const d = await readWavFile(path);
  assert.equal(d.sampleRate, 44100);
  return d.samples;
}

/** Level of the output relative to the input, on the middle second (away from the onset transients). */
function gainDb(input: Float32Array, inRate: number, output: Float32Array, outRate: number): number {
  const a = rms(input, Math.round(0.25 * inRate), Math.round(1.25 * inRate));
  const b = rms(output, Math.round(0.25 * outRate), Math.round(1.25 * outRate));
  return dB(b / a);
}

test('44.1 kHz → 16 kHz: tones above 8 kHz are attenuated by ≥ 60 dB (measured rejection printed)', { skip: noSox }, async (t) => {
  const rejections: string[] = [];
  for (const hz of [8500, 9000, 10000, 12000, 16000, 20000]) {
    const x = await toneFile(hz);
    const y = await resample(x, 44100, 16000);
    assert.equal(y.length, Math.floor((x.length * 16000) / 44100));
    const g = gainDb(x, 44100, y, 16000);
    rejections.push(`${hz} Hz: ${(-g).toFixed(1)} dB`);
    assert.ok(g <= -60, `${hz} Hz tone only attenuated by ${(-g).toFixed(1)} dB`);
  }
  t.diagnostic(`measured stopband rejection (best-quality sinc): ${rejections.join(', ')}`);
  console.log(`resample 44.1k→16k stopband rejection: ${rejections.join(', ')}`);
});

test('44.1 kHz → 16 kHz: a 1 kHz tone passes with < 0.1 dB loss, and up to 7.5 kHz (the top mel band) too', { skip: noSox }, async (t) => {
  const losses: string[] = [];
  for (const hz of [1000, 5000, 7500]) {
    const x = await toneFile(hz);
    const y = await resample(x, 44100, 16000);
    const g = gainDb(x, 44100, y, 16000);
    losses.push(`${hz} Hz: ${g.toFixed(4)} dB`);
    assert.ok(Math.abs(g) < 0.1, `${hz} Hz changed by ${g.toFixed(3)} dB`);
    // And it is the same tone, not something else at the same level.
    assert.ok(Math.abs(toneAmplitude(y, 16000, hz, 4000, 20000) - 0.5) < 0.01);
  }
  t.diagnostic(`passband: ${losses.join(', ')}`);
});

test('4 kHz (KAUH) → 16 kHz: length ×4, tone kept, no image at 4 kHz − f', async () => {
  const x = sine(4000 * 2, 4000, 500, 0.5);
  const path = join(dir, 'kauh-like.wav');
  writeFileSync(path, encodeWav16(x, 4000));
  const d = await readWavFile(path);
  const y = await resample(d.samples, 4000, 16000);
  assert.equal(y.length, 4 * x.length);
  const kept = toneAmplitude(y, 16000, 500, 4000, 28000);
  assert.ok(Math.abs(dB(kept / 0.5)) < 0.1, `500 Hz tone level ${dB(kept / 0.5).toFixed(3)} dB`);
  for (const image of [3500, 4500, 7500]) {
    const a = toneAmplitude(y, 16000, image, 4000, 28000);
    assert.ok(dB(a / 0.5) < -60, `image at ${image} Hz only ${dB(a / 0.5).toFixed(1)} dB down`);
  }
});

test('equal rates return the input; invalid rates are refused', async () => {
  const x = sine(100, 16000, 440);
  assert.equal(await resample(x, 16000, 16000), x);
  await assert.rejects(resample(x, 0, 16000), RangeError);
  await assert.rejects(resample(x, 44100.5, 16000), RangeError);
});

/** Pushes x through a streaming resampler in chunks of the given sizes (cycled). */
async function streamed(x: Float32Array, from: number, to: number, sizes: number[]): Promise<Float32Array> {
  const r = await StreamingResampler.create(from, to);
  const parts: Float32Array[] = [];
  for (let i = 0, k = 0; i < x.length; k++) {
    const n = sizes[k % sizes.length]!;
    parts.push(r.push(x.subarray(i, i + n)));
    i += n;
  }
  parts.push(r.flush());
  r.close();
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('streaming output lines up with the batch output and with libsamplerate one-shot (max difference printed)', async (t) => {
  const rnd = noise(64, 1, 11);
  const randomSizes = Array.from(rnd, (v) => 1 + Math.floor(Math.abs(v) * 3000));
  const results: string[] = [];
  for (const [from, to, seconds] of [
    [44100, 16000, 0.6],
    [4000, 16000, 1.5],
    [48000, 16000, 0.5],
  ] as const) {
    const x = noise(Math.round(from * seconds), 0.5, from);
    const batch = await resample(x, from, to);
    // libsamplerate's one-shot API (end of input flagged) is the independent reference for alignment.
    const src = await libsamplerate.create(1, from, to, { converterType: 0 });
    const oneShot = src.simple(x);
    src.destroy();
    assert.equal(batch.length, oneShot.length, 'batch length differs from libsamplerate one-shot');
    const dOneShot = maxAbsDiff(batch, oneShot);
    for (const sizes of [[1], [7], [160], [1000], randomSizes]) {
      if (sizes[0] === 1 && from > 4000) continue; // per-sample calls at 44.1 kHz: slow, covered at 4 kHz
      const s = await streamed(x, from, to, sizes);
      const d = maxAbsDiff(s, batch);
      results.push(`${from}→${to} chunks ${sizes.length > 1 ? 'random' : sizes[0]}: ${d.toExponential(1)}`);
      assert.ok(d <= 1e-6, `${from}→${to} stream vs batch differ by ${d}`);
    }
    results.push(`${from}→${to} batch vs one-shot: ${dOneShot.toExponential(1)}`);
    assert.ok(dOneShot <= 1e-6, `batch vs libsamplerate one-shot differ by ${dOneShot}`);
  }
  t.diagnostic(results.join('; '));
});

test('a reused (pooled) converter starts from a clean state: same input, same output', async () => {
  const x = noise(30000, 0.5, 31);
  const first = await resample(x, 44100, 16000);
  await resample(noise(30000, 0.9, 32), 44100, 16000); // leaves its own history in the converter
  const r = await StreamingResampler.create(44100, 16000);
  r.push(noise(5000, 0.9, 33)); // closed mid-stream, tail never flushed
  r.close();
  assert.deepEqual(await resample(x, 44100, 16000), first);
});
