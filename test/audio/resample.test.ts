/**
 * The resampler: anti-aliasing measured on real files, passband loss, 4 kHz → 16 kHz, streaming
 * output lining up with the batch output and with the input (exact tones, an impulse), and no WASM leak.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readWavFile } from '../../src/audio/wav-read.js';
import { encodeWav16 } from '../../src/audio/wav-write.js';
import { resample, StreamingResampler } from '../../src/audio/resample.js';
import { speexEngine } from '../../src/audio/speex-engine.js';
import { scratchDir } from '../support/paths.js';
import { writeFileSync } from 'node:fs';
import { dB, hasSox, noise, rms, sine, sox, toneAmplitude } from './signals.js';

const dir = scratchDir('auscult-resample-');
const noSox = hasSox() ? false : 'sox is not installed';

/** A 1.5 s tone at 44.1 kHz written by sox as 32-bit float WAV (no quantisation floor), read back. */
async function toneFile(hz: number): Promise<Float32Array> {
  const path = join(dir, `tone-${hz}.wav`);
  sox([
    '-n',
    '-r',
    '44100',
    '-e',
    'floating-point',
    '-b',
    '32',
    path,
    'synth',
    '1.5',
    'sine',
    String(hz),
    'vol',
    '0.5',
  ]);
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

test(
  '44.1 kHz → 16 kHz: tones above 8 kHz are attenuated by ≥ 60 dB (measured rejection printed)',
  { skip: noSox },
  async (t) => {
    const rejections: string[] = [];
    for (const hz of [8500, 9000, 10000, 12000, 16000, 20000]) {
      const x = await toneFile(hz);
      const y = await resample(x, 44100, 16000);
      assert.equal(y.length, Math.floor((x.length * 16000) / 44100));
      const g = gainDb(x, 44100, y, 16000);
      rejections.push(`${hz} Hz: ${(-g).toFixed(1)} dB`);
      assert.ok(g <= -60, `${hz} Hz tone only attenuated by ${(-g).toFixed(1)} dB`);
    }
    t.diagnostic(`measured stopband rejection (default quality): ${rejections.join(', ')}`);
    console.log(`resample 44.1k→16k stopband rejection: ${rejections.join(', ')}`);
  },
);

test(
  '44.1 kHz → 16 kHz: a 1 kHz tone passes with < 0.1 dB loss, and up to 7.5 kHz (the top mel band) too',
  { skip: noSox },
  async (t) => {
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
  },
);

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

/** Tones well inside both rates' passbands, as [Hz, amplitude, phase]: their exact values at any time are known. */
function tones(maxHz: number): Array<[number, number, number]> {
  return [
    [0.05 * maxHz, 0.3, 0.1],
    [0.37 * maxHz, 0.25, 1.3],
    [0.81 * maxHz, 0.2, 2.9],
  ];
}

function toneSum(n: number, rate: number, parts: Array<[number, number, number]>): Float32Array {
  const x = new Float32Array(n);
  for (const [hz, amp, phase] of parts)
    for (let i = 0; i < n; i++) x[i]! += amp * Math.sin((2 * Math.PI * hz * i) / rate + phase);
  return x;
}

test('streaming output lines up with the batch output and with the input (band-limited tones computed at the output rate; max difference printed)', async (t) => {
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
    assert.equal(batch.length, Math.floor((x.length * to) / from));
    for (const sizes of [[1], [7], [160], [1000], randomSizes]) {
      if (sizes[0] === 1 && from > 4000) continue; // per-sample calls at 44.1 kHz: slow, covered at 4 kHz
      const s = await streamed(x, from, to, sizes);
      const d = maxAbsDiff(s, batch);
      results.push(`${from}→${to} chunks ${sizes.length > 1 ? 'random' : sizes[0]}: ${d.toExponential(1)}`);
      assert.ok(d <= 1e-6, `${from}→${to} stream vs batch differ by ${d}`);
    }
    // The independent reference for alignment: tones below 7 kHz (or 0.9 × the input's Nyquist) resampled
    // must equal the same tones computed at the output times k / to. A shift of 1 % of a sample, or a
    // passband error of 0.001 dB, would show as > 1e-5 here. Edges (the tones start abruptly) are left out.
    const parts = tones(Math.min(7000, 0.45 * from));
    const y = await resample(toneSum(x.length, from, parts), from, to);
    const want = toneSum(y.length, to, parts);
    const edge = Math.round(0.1 * to);
    const dRef = maxAbsDiff(y.subarray(edge, y.length - edge), want.subarray(edge, y.length - edge));
    results.push(`${from}→${to} batch vs exact tones: ${dRef.toExponential(1)}`);
    assert.ok(dRef <= 1e-5, `${from}→${to} output differs from the exact tones by ${dRef}`);
  }
  t.diagnostic(results.join('; '));
});

test('an impulse at input time t comes out at t × toRate / fromRate (within one sample), batch and streamed', async () => {
  for (const [from, to] of [
    [44100, 16000],
    [48000, 16000],
    [22050, 16000],
    [4000, 16000],
    [16000, 44100],
  ] as const) {
    for (const at of [0.013, 0.5, 0.9871]) {
      const x = new Float32Array(from);
      const i0 = Math.round(at * from);
      x[i0] = 1;
      for (const y of [await resample(x, from, to), await streamed(x, from, to, [333])]) {
        let peak = 0;
        for (let k = 1; k < y.length; k++) if (Math.abs(y[k]!) > Math.abs(y[peak]!)) peak = k;
        const expected = (i0 * to) / from;
        assert.ok(
          Math.abs(peak - expected) <= 1,
          `${from}→${to}: impulse at input ${i0} peaks at output ${peak}, expected ${expected.toFixed(2)}`,
        );
      }
    }
  }
});

test('thousands of resamplers (batch, streamed, closed mid-stream) leave the WASM heap where it was', async () => {
  const x = noise(4410, 0.5, 41);
  const warm = await resample(x, 44100, 16000);
  const engine = await speexEngine();
  const before = engine.heapBytes();
  for (let i = 0; i < 1000; i++) {
    assert.equal((await resample(x, 44100, 16000)).length, warm.length);
    // Rates whose ratio does not reduce (441/160, 441/320) get the large interpolated filter table.
    const r = await StreamingResampler.create(i % 2 ? 44100 : 22050, 16000, i % 3 === 0 ? 'best' : 'medium');
    r.push(x.subarray(0, 1000));
    if (i % 2) r.flush();
    r.close();
  }
  // Each leaked state would hold 50-100 kB: 2000 of them would grow the 16 MB heap several times over.
  assert.equal(engine.heapBytes(), before, `WASM heap grew from ${before} to ${engine.heapBytes()} bytes`);
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
