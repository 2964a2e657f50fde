import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  auroc,
  balancedAccuracy,
  bootstrapInterval,
  calibration,
  confusionMatrix,
  macroF1,
  perClassScores,
  youdenThreshold,
} from '../../src/inference/training/metrics.js';
import { fitTemperature } from '../../src/inference/training/calibration.js';
import { Rng } from '../../src/inference/training/rng.js';

test('confusion, per-class scores, macro-F1 and balanced accuracy on a worked example', () => {
  // 3 classes: truth 0,0,0,1,1,2 ; predictions 0,0,1,1,1,0
  const m = confusionMatrix([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 1, 0], 3);
  assert.deepEqual(m, [
    [2, 1, 0],
    [0, 2, 0],
    [1, 0, 0],
  ]);
  const s = perClassScores(m);
  assert.equal(s[0]!.precision, 2 / 3);
  assert.equal(s[0]!.recall, 2 / 3);
  assert.equal(s[1]!.precision, 2 / 3);
  assert.equal(s[1]!.recall, 1);
  assert.equal(s[2]!.f1, 0);
  assert.ok(Math.abs(balancedAccuracy(m) - (2 / 3 + 1 + 0) / 3) < 1e-12);
  assert.ok(Math.abs(macroF1(m) - (2 / 3 + 0.8 + 0) / 3) < 1e-12);
});

test('AUROC counts ties as half and is null with one side empty', () => {
  assert.equal(auroc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), 1);
  assert.equal(auroc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]), 0);
  assert.equal(auroc([0.5, 0.5], [false, true]), 0.5);
  assert.equal(auroc([0.3, 0.4], [true, true]), null);
  assert.equal(youdenThreshold([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), 0.8);
});

test('ECE is the gap between confidence and accuracy (small when right, large when overconfident)', () => {
  const conf = [0.95, 0.95, 0.95, 0.95];
  assert.ok(Math.abs(calibration(conf, [true, true, true, true]).ece - 0.05) < 1e-12);
  assert.ok(Math.abs(calibration(conf, [false, false, false, false]).ece - 0.95) < 1e-12);
});

test('bootstrap intervals bracket the estimate and repeat with the seed', () => {
  const rng = new Rng(3);
  const values = Array.from({ length: 60 }, () => rng.next());
  const mean = (idx: number[]) => idx.reduce((a, i) => a + values[i]!, 0) / idx.length;
  const strata = values.map((_, i) => i % 2);
  const a = bootstrapInterval(strata, mean, 500, 9);
  assert.ok(a.lo < a.value && a.value < a.hi, JSON.stringify(a));
  assert.ok(a.hi - a.lo < 0.3);
  assert.deepEqual(bootstrapInterval(strata, mean, 500, 9), a);
});

test('temperature scaling cools overconfident logits (T > 1) and sharpens timid ones (T < 1)', () => {
  const rng = new Rng(5);
  const make = (scale: number) =>
    Array.from({ length: 200 }, () => {
      const label = rng.int(5);
      // right 60 % of the time, with logits of a fixed confidence
      const shown = rng.next() < 0.6 ? label : (label + 1 + rng.int(4)) % 5;
      const logits = new Float32Array(5);
      logits[shown] = scale;
      return { logits, windows: 1, label };
    });
  assert.ok(fitTemperature(make(12)) > 2);
  assert.ok(fitTemperature(make(0.3)) < 1);
});
