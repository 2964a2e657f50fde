/**
 * The resampler: anti-aliasing measured on real files, passband loss, 4 kHz → 16 kHz, passband and
 * alias/image rejection on every engine ratio measured beside SpeexDSP quality 9 (the path it replaced),
 * streaming output lining up with the batch output and with the input (exact tones, an impulse), both
 * kernels against a float64 sum written here from the filter's definition, the band-limited conversion,
 * and no WASM leak in the Speex fallback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readWavFile } from '../../src/audio/wav-read.js';
import { encodeWav16 } from '../../src/audio/wav-write.js';
import { resample, StreamingResampler, type ResampleMethod } from '../../src/audio/resample.js';
import { SpeexResampler } from '../../src/audio/speex-resampler.js';
import { speexEngine } from '../../src/audio/speex-engine.js';
import { polyphasePlan, type Stage } from '../../src/audio/polyphase-design.js';
import { bandLimit } from '../../src/audio/band-limit.js';
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

/** The engine's conversions: devices and files to 16 kHz, and 16 kHz back to 44.1/48 kHz for playback. */
const ENGINE_RATIOS = [
  [44100, 16000],
  [48000, 16000],
  [22050, 16000],
  [8000, 16000],
  [4000, 16000],
  [16000, 44100],
  [16000, 48000],
] as const;

/** Pushes x through a streaming resampler in chunks of the given sizes (cycled). */
async function streamed(
  x: Float32Array,
  from: number,
  to: number,
  sizes: number[],
  method: ResampleMethod = 'polyphase',
  bandLimitHz?: number,
): Promise<Float32Array> {
  const r = await StreamingResampler.create(from, to, method, { bandLimitHz });
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

test('streaming output equals the batch output bit for bit and lines up with the input (band-limited tones computed at the output rate; max difference printed)', async (t) => {
  const rnd = noise(64, 1, 11);
  const randomSizes = Array.from(rnd, (v) => 1 + Math.floor(Math.abs(v) * 3000));
  const results: string[] = [];
  for (const [from, to, seconds] of [
    [44100, 16000, 0.6],
    [4000, 16000, 1.5],
    [48000, 16000, 0.5],
    [22050, 16000, 0.6],
    [8000, 16000, 1],
    [16000, 44100, 0.5],
    [16000, 48000, 0.5],
  ] as const) {
    const x = noise(Math.round(from * seconds), 0.5, from);
    const batch = await resample(x, from, to);
    assert.equal(batch.length, Math.floor((x.length * to) / from));
    for (const sizes of [[1], [7], [160], [1000], randomSizes]) {
      if (sizes[0] === 1 && from > 4000) continue; // per-sample calls at 44.1 kHz: slow, covered at 4 kHz
      const s = await streamed(x, from, to, sizes);
      const d = maxAbsDiff(s, batch);
      results.push(`${from}→${to} chunks ${sizes.length > 1 ? 'random' : sizes[0]}: ${d.toExponential(1)}`);
      assert.ok(d === 0, `${from}→${to} stream vs batch differ by ${d}`);
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
  for (const [from, to] of ENGINE_RATIOS) {
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

test('thousands of Speex resamplers (batch, streamed, closed mid-stream) leave the WASM heap where it was', async () => {
  const x = noise(4410, 0.5, 41);
  const warm = await resample(x, 44100, 16000, 'speex');
  const engine = await speexEngine();
  const before = engine.heapBytes();
  for (let i = 0; i < 1000; i++) {
    assert.equal((await resample(x, 44100, 16000, 'speex')).length, warm.length);
    // Rates whose ratio does not reduce (441/160, 441/320) get the large interpolated filter table.
    const r = await SpeexResampler.create(i % 2 ? 44100 : 22050, 16000, i % 3 === 0 ? 'best' : 'medium');
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

// ---- side by side with SpeexDSP quality 9, and against the definition ----

/** I0 and a Kaiser measurement window (β = 30: side lobes far below anything measured here). */
function i0(x: number): number {
  let sum = 1,
    term = 1;
  for (let k = 1; k < 200 && term > sum * 1e-18; k++) {
    term *= (x * x) / 4 / (k * k);
    sum += term;
  }
  return sum;
}
function measureWindow(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = (2 * i) / (n - 1) - 1;
    w[i] = i0(30 * Math.sqrt(1 - r * r)) / i0(30);
  }
  return w;
}
const windows = new Map<number, Float64Array>();

/** Amplitude of the component at `hz` over output samples [from, from + n), Kaiser-windowed. */
function windowedAmplitude(y: Float32Array, rate: number, hz: number, from: number, n: number): number {
  const w = windows.get(n) ?? measureWindow(n);
  windows.set(n, w);
  let re = 0,
    im = 0,
    ws = 0;
  for (let i = 0; i < n; i++) {
    const ph = (2 * Math.PI * hz * (from + i)) / rate;
    re += w[i]! * y[from + i]! * Math.cos(ph);
    im += w[i]! * y[from + i]! * Math.sin(ph);
    ws += w[i]!;
  }
  return (2 * Math.hypot(re, im)) / ws;
}

/** Where a component at `hz` lands after sampling at `rate` (folded into [0, rate/2]). */
function fold(hz: number, rate: number): number {
  const f = hz % rate;
  return f > rate / 2 ? rate - f : f;
}

/**
 * Worst passband deviation (tones to 0.9375 of the lower Nyquist B) and worst rejection: of input tones
 * from B up (down-conversion: what aliases into the output) or of the images of passband tones
 * (up-conversion: copies at k·from ± f), in dB.
 */
async function measureQuality(
  from: number,
  to: number,
  method: ResampleMethod,
): Promise<{ passDev: number; rejection: number }> {
  const band = Math.min(from, to) / 2;
  const n = 2 * from;
  const tone = (hz: number): Float32Array => sine(n, from, hz, 0.5);
  const at = Math.round(0.5 * to),
    len = to;
  let passDev = 0,
    rejection = Infinity;
  for (const r of [0.05, 0.3, 0.6, 0.8, 0.9, 0.9375]) {
    const y = await resample(tone(r * band), from, to, method);
    passDev = Math.max(passDev, Math.abs(dB(windowedAmplitude(y, to, r * band, at, len) / 0.5)));
    if (to > from) {
      for (let k = 1; k * from - r * band < to / 2; k++) {
        for (const image of [k * from - r * band, k * from + r * band]) {
          if (image >= to / 2) continue;
          rejection = Math.min(rejection, -dB(windowedAmplitude(y, to, image, at, len) / 0.5));
        }
      }
    }
  }
  if (to < from) {
    for (const r of [1.0, 1.005, 1.01, 1.02, 1.05, 1.1, 1.3, 1.6, 2, 2.5]) {
      const hz = r * band;
      if (hz >= from / 2) continue;
      const y = await resample(tone(hz), from, to, method);
      rejection = Math.min(rejection, -dB(windowedAmplitude(y, to, fold(hz, to), at, len) / 0.5));
    }
  }
  return { passDev, rejection };
}

test('on every engine ratio the polyphase resampler is at least as flat and rejects aliases/images at least as well as SpeexDSP quality 9 (figures printed)', async (t) => {
  const lines: string[] = [];
  for (const [from, to] of ENGINE_RATIOS) {
    const poly = await measureQuality(from, to, 'polyphase');
    const speex = await measureQuality(from, to, 'speex');
    lines.push(
      `${from}→${to}: passband (to 0.9375 B) ±${poly.passDev.toFixed(5)} dB vs Speex ±${speex.passDev.toFixed(5)}; ` +
        `worst ${to < from ? 'alias' : 'image'} −${poly.rejection.toFixed(1)} dB vs Speex −${speex.rejection.toFixed(1)}`,
    );
    assert.ok(poly.passDev <= speex.passDev, `${from}→${to}: passband ${poly.passDev} dB, Speex ${speex.passDev} dB`);
    assert.ok(poly.passDev < 0.001, `${from}→${to}: passband deviation ${poly.passDev} dB`);
    assert.ok(
      poly.rejection >= speex.rejection,
      `${from}→${to}: rejection ${poly.rejection} dB, Speex ${speex.rejection}`,
    );
    assert.ok(poly.rejection >= 120, `${from}→${to}: rejection only ${poly.rejection} dB`);
  }
  t.diagnostic(lines.join('\n'));
  console.log(`resampler quality, polyphase vs SpeexDSP 9:\n  ${lines.join('\n  ')}`);
});

/** The filter of one stage, from its definition: Kaiser-windowed sinc (Oppenheim & Schafer eqs. 7.62-7.63), float64. */
function referenceStage(x: Float64Array, stage: Stage): Float64Array {
  const { fromRate, toRate, spec } = stage;
  let g = fromRate,
    b = toRate;
  while (b) [g, b] = [b, g % b];
  const L = toRate / g,
    M = fromRate / g;
  const upRate = L * fromRate;
  const dw = (2 * Math.PI * (spec.stopHz - spec.passHz)) / upRate;
  const half = Math.ceil(Math.ceil((spec.attenuationDb - 7.95) / (2.285 * dw)) / 2);
  const beta = 0.1102 * (spec.attenuationDb - 8.7);
  const fc = (spec.passHz + spec.stopHz) / 2 / upRate;
  const h = new Float64Array(2 * half + 1);
  let sum = 0;
  for (let u = -half; u <= half; u++) {
    const sinc = u === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * u) / (Math.PI * u);
    h[u + half] = (sinc * i0(beta * Math.sqrt(Math.max(0, 1 - (u / half) ** 2)))) / i0(beta);
    sum += h[u + half]!;
  }
  const y = new Float64Array(Math.floor((x.length * L) / M));
  for (let k = 0; k < y.length; k++) {
    // output k at upsampled position kM; input n contributes h(kM − nL)
    let acc = 0;
    for (let n = Math.max(0, Math.ceil((k * M - half) / L)); n <= Math.floor((k * M + half) / L) && n < x.length; n++)
      acc += x[n]! * h[k * M - n * L + half]!;
    y[k] = (acc * L) / sum;
  }
  return y;
}

test('both kernels equal a float64 sum written from the filter definition (every stage of every engine ratio, and band-limited)', async (t) => {
  const lines: string[] = [];
  for (const [from, to, bandLimitHz] of [
    [44100, 16000, undefined],
    [48000, 16000, undefined],
    [22050, 16000, undefined],
    [4000, 16000, undefined],
    [16000, 48000, undefined],
    [44100, 16000, 2000],
    [16000, 16000, 2000],
  ] as const) {
    const x = noise(Math.round(from * 0.25), 0.5, 77);
    let ref: Float64Array = Float64Array.from(x);
    for (const stage of polyphasePlan(from, to, bandLimitHz)) ref = referenceStage(ref, stage);
    // the chain's intermediate stages are cut at ⌊n·L/M⌋ here; compare away from the end
    const tail = Math.round(0.02 * to);
    for (const method of ['polyphase', 'polyphase-js'] as const) {
      const y = await resample(x, from, to, method, { bandLimitHz });
      assert.equal(y.length, Math.floor((x.length * to) / from));
      let d = 0;
      for (let i = 0; i < y.length - tail; i++) d = Math.max(d, Math.abs(y[i]! - ref[i]!));
      lines.push(
        `${from}→${to}${bandLimitHz ? ` band-limited ${bandLimitHz} Hz` : ''} ${method}: ${d.toExponential(1)}`,
      );
      assert.ok(d < 2e-6, `${from}→${to} ${method}: differs from the definition by ${d}`);
    }
  }
  t.diagnostic(lines.join('; '));
});

test('band-limited conversion (the heads’ path): 1.7 kHz passes, 2.5 kHz and aliases of 10 kHz are ≥ 60 dB down, equal to resample-then-band-limit within 1e-3 away from the ends, streamed bit for bit', async (t) => {
  const figures: string[] = [];
  for (const from of [44100, 48000, 16000]) {
    for (const [hz, check] of [
      [1000, (g: number) => Math.abs(g) < 0.01],
      [1700, (g: number) => Math.abs(g) < 0.01],
      [2500, (g: number) => g < -60],
      [6000, (g: number) => g < -60],
      [10000, (g: number) => g < -60],
    ] as const) {
      if (hz >= from / 2) continue;
      const x = sine(from * 2, from, hz, 0.5);
      const y = await resample(x, from, 16000, 'polyphase', { bandLimitHz: 2000 });
      const g = dB(windowedAmplitude(y, 16000, fold(hz, 16000), 8000, 16000) / 0.5);
      figures.push(`${from} Hz, ${hz} Hz: ${g.toFixed(g > -1 ? 4 : 1)} dB`);
      assert.ok(check(g), `${from} → 16000 band-limited: ${hz} Hz gain ${g.toFixed(2)} dB`);
    }
    const x = noise(from, 0.5, 9);
    const fused = await resample(x, from, 16000, 'polyphase', { bandLimitHz: 2000 });
    const separate = await bandLimit(await resample(x, from, 16000), 16000, 2000);
    // Away from the ends (20 ms), where the separate path band-limits a resampled signal cut at its last sample.
    const inner = (y: Float32Array): Float32Array => y.subarray(320, y.length - 320);
    const d = maxAbsDiff(inner(fused), inner(separate));
    figures.push(`${from} Hz fused vs separate: ${d.toExponential(1)}`);
    assert.ok(d < 1e-3, `${from}: fused vs separate differ by ${d}`);
    assert.equal(maxAbsDiff(await streamed(x, from, 16000, [1000, 7], 'polyphase', 2000), fused), 0);
  }
  // at equal rates it is the band-limit's own filter (same design), summed in float32
  const x = noise(16000, 0.5, 10);
  const d = maxAbsDiff(
    await resample(x, 16000, 16000, 'polyphase', { bandLimitHz: 2000 }),
    await bandLimit(x, 16000, 2000),
  );
  assert.ok(d < 1e-6, `16 kHz band-limit via the resampler differs from bandLimit by ${d}`);
  t.diagnostic(figures.join(', '));
});

test('a rate pair whose polyphase table would be too large falls back to SpeexDSP, with the same length and alignment rules', async () => {
  const r = await StreamingResampler.create(44101, 16000);
  assert.equal(r.method, 'speex');
  r.close();
  const x = sine(44101, 44101, 1000, 0.5);
  const y = await resample(x, 44101, 16000);
  assert.equal(y.length, Math.floor((x.length * 16000) / 44101));
  assert.ok(Math.abs(dB(toneAmplitude(y, 16000, 1000, 4000, 12000) / 0.5)) < 0.01);
  assert.equal((await StreamingResampler.create(44100, 16000)).method, 'polyphase');
  await assert.rejects(StreamingResampler.create(44101, 16000, 'polyphase', { bandLimitHz: 2000 }), RangeError);
  await assert.rejects(resample(x, 44100, 16000, 'polyphase', { bandLimitHz: -1 }), RangeError);
});
