// The one window definition and the calibrated softmax, on hand-computed cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  meanRows,
  patchesPerWindow,
  softmaxWithTemperature,
  windowHopPatches,
  windowMeans,
  windowStarts,
} from '../../src/inference/scoring.js';

test('windows: whole patches inside windowSec, every round(hopSec / 0.48) patches', () => {
  // patch k covers [0.48k, 0.48k + 0.96]: a 3 s window holds patches 0..4 (ends at 2.88 s)
  assert.equal(patchesPerWindow(3), 5);
  assert.equal(patchesPerWindow(0.96), 1);
  assert.equal(patchesPerWindow(1.44), 2);
  assert.equal(patchesPerWindow(0.5), 1);
  assert.equal(windowHopPatches(1.44), 3);
  assert.equal(windowHopPatches(0.1), 1);
  // 10 patches, window 5, hop 3: starts 0 and 3 (6 + 5 > 10)
  assert.deepEqual(windowStarts(10, 3, 1.44), [0, 3]);
  // shorter than a window: one window of everything
  assert.deepEqual(windowStarts(4, 3, 1.44), [0]);
  assert.deepEqual(windowStarts(5, 3, 1.44), [0]);
  assert.deepEqual(windowStarts(6, 3, 0.48), [0, 1]);
});

test('windowMeans averages each window’s patch embeddings', () => {
  // 4 patches of 2 dims: (0,10) (2,20) (4,30) (6,40); window of 2 patches (1.44 s), hop 1 patch
  const emb = Float32Array.of(0, 10, 2, 20, 4, 30, 6, 40);
  const w = windowMeans(emb, 4, 1.44, 0.48, 2);
  assert.equal(w.count, 3);
  assert.deepEqual([...w.data], [1, 15, 3, 25, 5, 35]);
  // a recording shorter than the window: the mean of all of it
  const one = windowMeans(emb, 3, 3, 1.44, 2);
  assert.equal(one.count, 1);
  assert.deepEqual([...one.data], [2, 20]);
  assert.deepEqual([...meanRows(Float32Array.of(1, 2, 3, 4), 2)], [2, 3]);
});

test('softmax with temperature', () => {
  // logits (0, ln 3): T = 1 → (1/4, 3/4); T = 2 → (1, √3)/(1 + √3)
  const l = Float32Array.of(0, Math.log(3), 0, Math.log(3));
  const p1 = softmaxWithTemperature(l, 2, 1);
  assert.ok(Math.abs(p1[0]! - 0.25) < 1e-6 && Math.abs(p1[1]! - 0.75) < 1e-6);
  const p2 = softmaxWithTemperature(l, 2, 2);
  assert.ok(Math.abs(p2[1]! - Math.sqrt(3) / (1 + Math.sqrt(3))) < 1e-6);
  assert.ok(Math.abs(p2[2]! - 1 / (1 + Math.sqrt(3))) < 1e-6);
  // huge logits do not overflow
  const big = softmaxWithTemperature(Float32Array.of(1000, 0), 1, 1);
  assert.ok(Math.abs(big[0]! - 1) < 1e-6);
  assert.throws(() => softmaxWithTemperature(l, 2, 0));
});
