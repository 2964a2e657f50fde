/**
 * The gate's tonality per patch (gate/tonal.ts) measured as a stream measures it — one patch at a
 * time, on the audio held from the patch's first sample, the hop shares kept across patches — equals
 * the whole-recording call value for value, and so does a fresh cache per patch (the stream before issue 18).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patchTonality } from '../../src/inference/gate/tonal.js';
import { HOP, PATCH_HOP_FRAMES, PATCH_SAMPLES, SAMPLE_RATE } from '../../src/features/yamnet-params.js';
import { noise } from '../audio/signals.js';

test('patch tonality streamed patch by patch with a shared hop cache equals the whole-array values, bit for bit', () => {
  // 12.3 s: broadband noise, a 50 Hz hum in the middle, a 1 kHz tone near the end (the last patches clipped)
  const n = Math.round(12.3 * SAMPLE_RATE);
  const x = noise(n, 0.05, 7);
  for (let i = 4 * SAMPLE_RATE; i < 8 * SAMPLE_RATE; i++) x[i]! += 0.3 * Math.sin((2 * Math.PI * 50 * i) / SAMPLE_RATE);
  for (let i = 10 * SAMPLE_RATE; i < n; i++) x[i]! += 0.2 * Math.sin((2 * Math.PI * 1000 * i) / SAMPLE_RATE);
  const count = Math.floor((n - PATCH_SAMPLES) / (PATCH_HOP_FRAMES * HOP)) + 2; // one patch past the last full one
  const startsSec = Array.from({ length: count }, (_, i) => (i * PATCH_HOP_FRAMES * HOP) / SAMPLE_RATE);
  const batch = patchTonality(x, startsSec, SAMPLE_RATE);
  assert.ok(batch.some((v) => v > 0.5) && batch.some((v) => v < 0.1), `a spread of shares: ${batch.join(' ')}`);

  const hops = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const a = Math.round(startsSec[i]! * SAMPLE_RATE);
    // what a stream holds: from the patch's first sample to a little past its end (or the recording's end)
    const held = x.subarray(a, Math.min(n, a + PATCH_SAMPLES + 1234));
    const shared = patchTonality(held, [a / SAMPLE_RATE], SAMPLE_RATE, hops, a)[0]!;
    const fresh = patchTonality(held, [a / SAMPLE_RATE], SAMPLE_RATE, new Map(), a)[0]!;
    assert.ok(Object.is(shared, batch[i]), `patch ${i}: ${shared} vs ${batch[i]}`);
    assert.ok(Object.is(fresh, batch[i]), `patch ${i} (fresh cache): ${fresh} vs ${batch[i]}`);
  }
});
