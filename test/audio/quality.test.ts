/** Signal quality: each reason a nurse can act on, from signals built to show exactly that fault. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { assessQuality, QualityTracker, QUALITY_REASONS as R } from '../../src/audio/quality.js';
import { readWavFile } from '../../src/audio/wav-read.js';
import { KAUH_DIR, kauhMissing } from '../support/paths.js';
import { noise } from './signals.js';

const RATE = 16000;

/** Breathing-like: noise under a slow envelope (inhale/exhale every 4 s), level set by `amp`. */
function breathing(seconds: number, amp = 0.1, seed = 1): Float32Array {
  const x = noise(Math.round(seconds * RATE), 1, seed);
  for (let i = 0; i < x.length; i++) {
    const env = 0.3 + 0.7 * Math.abs(Math.sin((Math.PI * i) / (2 * RATE)));
    x[i] = x[i]! * amp * env;
  }
  return x;
}

test('an ordinary breathing-like recording is good, with no reasons, and sensible figures', () => {
  const q = assessQuality(breathing(10), RATE);
  assert.equal(q.verdict, 'good', q.reasons.join('; '));
  assert.deepEqual(q.reasons, []);
  assert.equal(q.clippingRatio, 0);
  assert.ok(q.rmsDbfs < -20 && q.rmsDbfs > -35, `rms ${q.rmsDbfs}`);
  assert.ok(q.peakDbfs <= -20 + 1 && q.peakDbfs > -25, `peak ${q.peakDbfs}`);
  assert.equal(q.silenceRatio, 0);
  assert.ok(q.noiseFloorDbfs < q.rmsDbfs);
});

test('digital silence: poor, no signal (check the connection)', () => {
  const q = assessQuality(new Float32Array(RATE * 3), RATE);
  assert.equal(q.verdict, 'poor');
  assert.deepEqual(q.reasons, [R.noSignal]);
  assert.equal(q.rmsDbfs, -120);
  assert.equal(q.peakDbfs, -120);
  assert.equal(q.silenceRatio, 1);
  assert.ok(Number.isFinite(q.noiseFloorDbfs));
});

test('a very low level (chest piece in the air): poor, no contact', () => {
  const q = assessQuality(breathing(5, 0.0008), RATE);
  assert.equal(q.verdict, 'poor');
  assert.deepEqual(q.reasons, [R.noContact]);
  assert.match(q.reasons[0]!, /^no contact: place the chest piece on the skin/);
});

test('quiet but present: fair, press firmly or raise the gain', () => {
  const q = assessQuality(breathing(5, 0.004), RATE);
  assert.equal(q.verdict, 'fair');
  assert.deepEqual(q.reasons, [R.weak]);
});

test('a DC offset alone does not count as sound (no contact is still detected)', () => {
  const x = breathing(5, 0.0008);
  for (let i = 0; i < x.length; i++) x[i]! += 0.2;
  assert.deepEqual(assessQuality(x, RATE).reasons, [R.noContact]);
});

test('clipping: poor when heavy (move the chest piece or lower the gain), fair when slight', () => {
  const heavy = breathing(5, 3);
  for (let i = 0; i < heavy.length; i++) heavy[i] = Math.max(-1, Math.min(1, heavy[i]!));
  const q = assessQuality(heavy, RATE);
  assert.equal(q.verdict, 'poor');
  assert.ok(q.reasons.includes(R.clippingPoor), q.reasons.join('; '));
  assert.match(R.clippingPoor, /clipping: .*move the chest piece or lower the gain/);
  assert.ok(q.clippingRatio > 0.01);

  const slight = breathing(10, 0.1);
  for (let i = 0; i < slight.length; i += 500) slight[i] = 1; // 0.2 % of samples at full scale
  const s = assessQuality(slight, RATE);
  assert.equal(s.verdict, 'fair');
  assert.deepEqual(s.reasons, [R.clippingFair]);
  assert.ok(Math.abs(s.clippingRatio - 0.002) < 1e-4);
});

test('too loud without clipping: fair, lower the gain', () => {
  const x = breathing(10, 0.1);
  // 80 % of the time a loud 0.9 sine-like sound (RMS ≈ −4 dBFS), peaks below full scale.
  for (let i = 0; i < x.length; i++) if (i % RATE < 0.8 * RATE) x[i] = 0.9 * Math.sin((2 * Math.PI * 300 * i) / RATE);
  const q = assessQuality(x, RATE);
  assert.equal(q.clippingRatio, 0);
  assert.deepEqual(q.reasons, [R.tooLoud]);
  assert.equal(q.verdict, 'fair');
});

test('lost contact: fair when in parts, poor for most of the recording', () => {
  const part = breathing(10);
  part.fill(0, 0, 3 * RATE); // 30 % silent
  const p = assessQuality(part, RATE);
  assert.equal(p.verdict, 'fair');
  assert.deepEqual(p.reasons, [R.lostContactPart]);
  assert.ok(Math.abs(p.silenceRatio - 0.3) < 0.01);

  const most = breathing(10);
  most.fill(0, 0, 6 * RATE); // 60 % silent
  const m = assessQuality(most, RATE);
  assert.equal(m.verdict, 'poor');
  assert.deepEqual(m.reasons, [R.lostContactMost]);
});

test('constant loud background noise: fair, noisy', () => {
  const q = assessQuality(noise(RATE * 5, 0.5, 9), RATE); // uniform, RMS ≈ −10.8 dBFS, no quiet moments
  assert.equal(q.verdict, 'fair');
  assert.deepEqual(q.reasons, [R.noisy]);
  assert.ok(q.noiseFloorDbfs > -15);
});

test('QualityTracker fed in chunks gives the assessQuality report; level() covers only what came since the last call', () => {
  const x = breathing(7, 0.1, 3);
  x.fill(0, RATE, 2 * RATE);
  const t = new QualityTracker(RATE);
  const sizes = [1, 7, 160, 1000, 4096, 333];
  for (let i = 0, k = 0; i < x.length; k++) {
    const n = sizes[k % sizes.length]!;
    t.push(x.subarray(i, i + n));
    i += n;
  }
  // Equal up to float rounding of the running sums (chunking changes the order of additions).
  const a = t.report(),
    b = assessQuality(x, RATE);
  assert.equal(a.verdict, b.verdict);
  assert.deepEqual(a.reasons, b.reasons);
  for (const k of ['clippingRatio', 'rmsDbfs', 'peakDbfs', 'silenceRatio', 'noiseFloorDbfs'] as const) {
    assert.ok(Math.abs(a[k] - b[k]) < 1e-9, `${k}: ${a[k]} vs ${b[k]}`);
  }

  const live = new QualityTracker(RATE);
  live.push(new Float32Array(800).fill(0.5));
  const first = live.level();
  assert.ok(Math.abs(first.rmsDbfs - 20 * Math.log10(0.5)) < 1e-9);
  assert.ok(Math.abs(first.peakDbfs - 20 * Math.log10(0.5)) < 1e-9);
  live.push(new Float32Array(800).fill(0.05));
  const second = live.level();
  assert.ok(Math.abs(second.peakDbfs - 20 * Math.log10(0.05)) < 1e-5, `${second.peakDbfs}`);
  assert.equal(live.level().rmsDbfs, -120, 'nothing since the last call');
});

test('real KAUH recordings: ordinary clinical recordings are not judged poor', { skip: kauhMissing() }, async (t) => {
  const audioDir = join(KAUH_DIR, 'audio');
  const files = readdirSync(audioDir)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .slice(0, 60);
  const verdicts = { good: 0, fair: 0, poor: 0 };
  for (const f of files) {
    const d = await readWavFile(join(audioDir, f));
    const q = assessQuality(d.samples, d.sampleRate);
    verdicts[q.verdict]++;
    assert.notEqual(q.verdict, 'poor', `${f}: ${q.reasons.join('; ')}`);
  }
  t.diagnostic(`first ${files.length} KAUH files: ${JSON.stringify(verdicts)}`);
  assert.ok(verdicts.good >= files.length * 0.9);
});

/** QualityTracker.push as it was before issue 18's CPU work: one sample at a time, the block closed inside the loop. */
function sampleBySample(x: Float32Array, rate: number, sizes: readonly number[]) {
  const blockLen = Math.max(1, Math.round(rate * 0.05));
  let count = 0,
    sumSq = 0,
    peak = 0,
    clipped = 0,
    bSum = 0,
    bSq = 0,
    bN = 0;
  const levels: number[] = [];
  for (let i = 0, k = 0; i < x.length; k++) {
    const chunk = x.subarray(i, i + sizes[k % sizes.length]!);
    i += chunk.length;
    let s = 0;
    for (let j = 0; j < chunk.length; j++) {
      const v = chunk[j]!;
      const a = v < 0 ? -v : v;
      s += v * v;
      if (a > peak) peak = a;
      if (a >= 0.999) clipped++;
      bSum += v;
      bSq += v * v;
      if (++bN === blockLen) {
        const mean = bSum / bN;
        const ms = Math.max(0, bSq / bN - mean * mean);
        levels.push(Math.fround(ms > 0 ? Math.max(-120, 10 * Math.log10(ms)) : -120));
        bSum = bSq = bN = 0;
      }
    }
    count += chunk.length;
    sumSq += s;
  }
  return { count, sumSq, peak, clipped, levels };
}

test('QualityTracker counts block by block: the same sums, peak, clipped samples and block levels as sample by sample, bit for bit', () => {
  const x = breathing(5, 0.3, 11);
  for (let i = 5000; i < 5400; i++) x[i] = i % 2 ? 1 : -1; // clipped run across a block edge
  x.fill(0, 20_000, 36_000); // silent blocks
  for (const sizes of [[x.length], [1, 7, 799, 800, 801, 4096, 333]]) {
    const t = new QualityTracker(RATE);
    for (let i = 0, k = 0; i < x.length; k++) {
      const n = sizes[k % sizes.length]!;
      t.push(x.subarray(i, i + n));
      i += n;
    }
    const ref = sampleBySample(x, RATE, sizes);
    const r = t.report();
    const db = (p: number) => (p > 0 ? Math.max(-120, 10 * Math.log10(p)) : -120);
    assert.ok(Object.is(r.rmsDbfs, db(ref.sumSq / ref.count)), `rms ${r.rmsDbfs}`);
    assert.ok(Object.is(r.peakDbfs, db(ref.peak * ref.peak)), `peak ${r.peakDbfs}`);
    assert.ok(Object.is(r.clippingRatio, ref.clipped / ref.count));
    assert.ok(ref.clipped > 0);
    const sorted = Float32Array.from(ref.levels).sort();
    assert.ok(Object.is(r.noiseFloorDbfs, sorted[Math.floor(0.1 * sorted.length)]!));
    assert.ok(Object.is(r.silenceRatio, ref.levels.filter((l) => l < -60).length / ref.levels.length));
    assert.ok(r.silenceRatio > 0);
  }
});
