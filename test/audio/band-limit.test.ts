/** Band-limiting to the head's training bandwidth: measured pass and stop, same length and timing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bandLimit, designLowPass } from '../../src/audio/band-limit.js';
import { dB, noise, rms, sine } from './signals.js';

const RATE = 16000;
const mid = (x: Float32Array): [number, number] => [Math.round(0.25 * RATE), x.length - Math.round(0.25 * RATE)];

test('cutoff 2000 Hz at 16 kHz: 1 kHz passes, 3 kHz is attenuated by ≥ 60 dB (measured figures printed)', async (t) => {
  const figures: string[] = [];
  for (const [hz, check] of [
    [500, (g: number) => Math.abs(g) < 0.01],
    [1000, (g: number) => Math.abs(g) < 0.01],
    [1700, (g: number) => Math.abs(g) < 0.01],
    [2500, (g: number) => g < -60],
    [3000, (g: number) => g < -60],
    [6000, (g: number) => g < -60],
  ] as const) {
    const x = sine(RATE * 2, RATE, hz, 0.5);
    const y = await bandLimit(x, RATE, 2000);
    assert.equal(y.length, x.length);
    const g = dB(rms(y, ...mid(y)) / rms(x, ...mid(x)));
    figures.push(`${hz} Hz: ${g.toFixed(g > -1 ? 4 : 1)} dB`);
    assert.ok(check(g), `${hz} Hz: gain ${g.toFixed(2)} dB`);
  }
  const fir = designLowPass(RATE, 2000);
  t.diagnostic(
    `${fir.taps.length}-tap Kaiser FIR, pass ≤ ${fir.passEdgeHz} Hz, stop ≥ ${fir.stopEdgeHz} Hz; ${figures.join(', ')}`,
  );
});

test('no delay: a passband tone comes out sample-aligned with the input', async () => {
  const x = sine(RATE, RATE, 800, 0.5);
  const y = await bandLimit(x, RATE, 2000);
  let m = 0;
  for (let i = 2000; i < RATE - 2000; i++) m = Math.max(m, Math.abs(y[i]! - x[i]!));
  assert.ok(m < 1e-3, `max deviation ${m}`);
});

test('broadband noise keeps its low band and loses its high band', async () => {
  const x = noise(RATE * 2, 0.5, 5);
  const y = await bandLimit(x, RATE, 2000);
  // White noise: about 2000/8000 of the power is below 2 kHz, so ≈ −6 dB overall.
  const g = dB(rms(y) / rms(x));
  assert.ok(g < -5 && g > -7.5, `overall ${g.toFixed(2)} dB`);
});

test('a cutoff at or near Nyquist leaves the audio as it is', async () => {
  const x = noise(1000, 0.5, 2);
  assert.deepEqual(await bandLimit(x, 4000, 2000), x);
  await assert.rejects(bandLimit(x, 16000, 0), RangeError);
});

test('the FFT convolution equals the direct FIR sum (edges included)', async () => {
  const x = noise(5000, 0.7, 17);
  const { taps } = designLowPass(RATE, 2000);
  const m = (taps.length - 1) / 2;
  const y = await bandLimit(x, RATE, 2000);
  let maxDiff = 0;
  for (let i = 0; i < x.length; i++) {
    let acc = 0;
    for (let k = -m; k <= m; k++) if (i + k >= 0 && i + k < x.length) acc += taps[m + k]! * x[i + k]!;
    maxDiff = Math.max(maxDiff, Math.abs(acc - y[i]!));
  }
  assert.ok(maxDiff < 1e-6, `max difference ${maxDiff}`);
  for (const n of [1, 2, 100, 1700]) assert.equal((await bandLimit(x.subarray(0, n), RATE, 2000)).length, n);
});
