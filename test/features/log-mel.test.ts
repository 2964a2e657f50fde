/**
 * The YAMNet front end against an independent float64 reference written here from the published
 * definition (direct DFT, mel matrix from the formula), not from our modules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logMelFrames, frameCount } from '../../src/features/log-mel.js';
import { FrameComputer64 } from '../../src/features/log-mel-f64.js';
import { melBandEdgesHz, melFilterbank } from '../../src/features/mel-filterbank.js';
import { noise, sine } from '../audio/signals.js';

// ---- the reference: YAMNet params.py / features.py / mel_features.py, restated ----
const SR = 16000,
  WIN = 400,
  HOPN = 160,
  NFFT = 512,
  BINS = 257,
  BANDS = 64;
const mel = (hz: number): number => 1127 * Math.log(1 + hz / 700);

function refMelMatrix(): Float64Array[] {
  // rows: FFT bins (linspace 0..8000, 257 points); columns: bands. Edges: 66 points linear in mel.
  const lo = mel(125),
    hi = mel(7500);
  const edges = Array.from({ length: BANDS + 2 }, (_, i) => lo + (i * (hi - lo)) / (BANDS + 1));
  const rows: Float64Array[] = [];
  for (let k = 0; k < BINS; k++) {
    const row = new Float64Array(BANDS);
    const m = mel((k * 8000) / (BINS - 1));
    for (let b = 0; b < BANDS && k > 0; b++) {
      const up = (m - edges[b]!) / (edges[b + 1]! - edges[b]!);
      const down = (edges[b + 2]! - m) / (edges[b + 2]! - edges[b + 1]!);
      row[b] = Math.max(0, Math.min(up, down));
    }
    rows.push(row);
  }
  return rows;
}

function refLogMel(x: Float32Array): Float64Array[] {
  const W = refMelMatrix();
  const cos = new Float64Array(NFFT),
    sin = new Float64Array(NFFT);
  for (let i = 0; i < NFFT; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / NFFT);
    sin[i] = Math.sin((2 * Math.PI * i) / NFFT);
  }
  const frames: Float64Array[] = [];
  for (let start = 0; start + WIN <= x.length; start += HOPN) {
    const seg = new Float64Array(WIN);
    for (let n = 0; n < WIN; n++) seg[n] = x[start + n]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / WIN));
    const mag = new Float64Array(BINS);
    for (let k = 0; k < BINS; k++) {
      let re = 0,
        im = 0;
      for (let n = 0; n < WIN; n++) {
        const idx = (k * n) % NFFT;
        re += seg[n]! * cos[idx]!;
        im -= seg[n]! * sin[idx]!;
      }
      mag[k] = Math.hypot(re, im);
    }
    const out = new Float64Array(BANDS);
    for (let b = 0; b < BANDS; b++) {
      let s = 0;
      for (let k = 0; k < BINS; k++) s += mag[k]! * W[k]![b]!;
      out[b] = Math.log(s + 0.001);
    }
    frames.push(out);
  }
  return frames;
}

test('log-mel frames agree with the float64 reference within 1e-4 (max difference printed)', (t) => {
  // Mixed content: noise, tones (incl. near the band limits), silence, a quiet part, a loud part.
  const x = noise(SR, 0.3, 4);
  const tones = [sine(SR, SR, 1000, 0.4), sine(SR, SR, 130, 0.2), sine(SR, SR, 7400, 0.2)];
  for (let i = 0; i < SR; i++) x[i] = x[i]! + tones[0]![i]! + tones[1]![i]! + tones[2]![i]!;
  x.fill(0, 4000, 6000);
  for (let i = 8000; i < 10000; i++) x[i]! *= 1e-4;
  const ours = logMelFrames(x);
  const ref = refLogMel(x);
  assert.equal(ours.frames, ref.length);
  assert.equal(ours.frames, 98);
  let maxDiff = 0;
  for (let f = 0; f < ref.length; f++) {
    for (let b = 0; b < BANDS; b++) maxDiff = Math.max(maxDiff, Math.abs(ours.data[f * BANDS + b]! - ref[f]![b]!));
  }
  t.diagnostic(`max |ours − reference| over ${ref.length}×64 values: ${maxDiff.toExponential(2)}`);
  assert.ok(maxDiff < 1e-4, `max difference ${maxDiff}`);
});

/**
 * Where float32 is weakest: the FFT's rounding error is relative to the frame's loudest bin, while the
 * log's floor (0.001) is absolute, so the far bands of a loud pure tone (true mel energy below the floor)
 * carry an error of about 1e-5 / 0.001. Measured here: ≈ 2e-3 for a 0.9 tone; broadband signals at any
 * level stay within the 1e-4 of the test above. (YAMNet's own front end runs in TensorFlow float32.)
 */
test('the float32 front end: broadband noise at full scale and at 1e-5 within 1e-4 of the float64 reference; loud pure tones within 5e-3 (far bands at the 0.001 floor; max differences printed)', (t) => {
  const cases: Array<[string, Float32Array, number]> = [
    ['noise at full scale', noise(SR / 2, 1, 12), 1e-4],
    ['noise at 1e-5', noise(SR / 2, 1e-5, 13), 1e-4],
    ['1 kHz tone at 0.9', sine(SR / 2, SR, 1000, 0.9), 5e-3],
    ['7 kHz tone at 0.9', sine(SR / 2, SR, 7000, 0.9), 5e-3],
  ];
  const lines: string[] = [];
  for (const [name, x, tolerance] of cases) {
    const ours = logMelFrames(x);
    const ref = refLogMel(x);
    let maxDiff = 0;
    for (let f = 0; f < ref.length; f++)
      for (let b = 0; b < BANDS; b++) maxDiff = Math.max(maxDiff, Math.abs(ours.data[f * BANDS + b]! - ref[f]![b]!));
    lines.push(`${name}: ${maxDiff.toExponential(2)}`);
    assert.ok(maxDiff < tolerance, `${name}: max difference ${maxDiff}`);
  }
  t.diagnostic(lines.join('; '));
  console.log(`float32 front end vs float64 reference: ${lines.join('; ')}`);
});

test('the float64 front end it replaced (log-mel-f64.ts, kept for the bench) agrees with the reference within 1e-5', () => {
  const x = noise(SR / 2, 0.3, 14);
  for (let i = 0; i < x.length; i++) x[i]! += 0.4 * Math.sin((2 * Math.PI * 440 * i) / SR);
  const ref = refLogMel(x);
  const fc = new FrameComputer64();
  const out = new Float32Array(64);
  let maxDiff = 0;
  for (let f = 0; f < ref.length; f++) {
    fc.compute(x, f * HOPN, out, 0);
    for (let b = 0; b < BANDS; b++) maxDiff = Math.max(maxDiff, Math.abs(out[b]! - ref[f]![b]!));
  }
  assert.ok(maxDiff < 1e-5, `max difference ${maxDiff}`);
});

test('the filter bank equals the formula: 257×64, DC row zero, 66 edges from 125 to 7500 Hz', () => {
  const W = refMelMatrix();
  const ours = melFilterbank();
  assert.equal(ours.length, 257 * 64);
  let maxDiff = 0;
  for (let k = 0; k < 257; k++)
    for (let b = 0; b < 64; b++) maxDiff = Math.max(maxDiff, Math.abs(ours[k * 64 + b]! - W[k]![b]!));
  assert.ok(maxDiff < 1e-6, `filter bank differs by ${maxDiff}`);
  for (let b = 0; b < 64; b++) {
    assert.equal(ours[b], 0, 'DC bin must have no weight');
    let sum = 0;
    for (let k = 0; k < 257; k++) sum += ours[k * 64 + b]!;
    assert.ok(sum > 0, `band ${b} has no weight at all`);
  }
  const edges = melBandEdgesHz();
  assert.equal(edges.length, 66);
  assert.ok(Math.abs(edges[0]! - 125) < 1e-9 && Math.abs(edges[65]! - 7500) < 1e-9);
  for (let i = 1; i < 66; i++) assert.ok(edges[i]! > edges[i - 1]!);
});

test('a 1 kHz tone lands in the mel band the formula predicts', () => {
  // 1000 Hz is FFT bin 32 exactly; the band with the largest weight there, from the formula:
  const W = refMelMatrix();
  let expected = 0;
  for (let b = 1; b < BANDS; b++) if (W[32]![b]! > W[32]![expected]!) expected = b;
  const lo = mel(125),
    hi = mel(7500);
  const centerHz = 700 * (Math.exp((lo + ((expected + 1) * (hi - lo)) / 65) / 1127) - 1);
  assert.ok(Math.abs(centerHz - 1000) < 40, `predicted band ${expected} is centred at ${centerHz} Hz`);

  const frames = logMelFrames(sine(SR, SR, 1000, 0.5));
  for (const f of [10, 50, 90]) {
    const row = frames.data.subarray(f * 64, f * 64 + 64);
    let arg = 0;
    for (let b = 1; b < 64; b++) if (row[b]! > row[arg]!) arg = b;
    assert.equal(arg, expected, `frame ${f}: loudest band ${arg}, expected ${expected}`);
    // Far bands are near silence: the tone is the only thing there.
    assert.ok(row[0]! < row[expected]! - 8 && row[63]! < row[expected]! - 8);
  }
});

test('frame counts: no padding at the start, frame k covers 160k..160k+399; 15600 samples give 96 frames', () => {
  for (const [n, want] of [
    [0, 0],
    [399, 0],
    [400, 1],
    [559, 1],
    [560, 2],
    [15600, 96],
    [16000, 98],
  ] as const) {
    assert.equal(frameCount(n), want, `n=${n}`);
    assert.equal(logMelFrames(new Float32Array(n)).frames, want);
  }
  // Frame k depends only on samples 160k..160k+399: a click at sample 1000 changes frames 4, 5, 6 only.
  const quiet = new Float32Array(4000);
  const click = new Float32Array(4000);
  click[1000] = 0.9;
  const a = logMelFrames(quiet),
    b = logMelFrames(click);
  const changed: number[] = [];
  for (let f = 0; f < a.frames; f++) {
    if (a.data.subarray(f * 64, f * 64 + 64).some((v, i) => v !== b.data[f * 64 + i])) changed.push(f);
  }
  assert.deepEqual(changed, [4, 5, 6]); // 160·4 = 640 ≤ 1000 < 640+400 … 160·6 = 960 ≤ 1000 < 1360
});

test('digital silence gives log(0.001) in every band', () => {
  const f = logMelFrames(new Float32Array(2000));
  for (const v of f.data) assert.equal(v, Math.fround(Math.log(0.001)));
});
