/**
 * The gate's novelty score (gate/novelty.ts) against the formula computed one principal direction at
 * a time, as it was before issue 18's CPU work: the same value bit for bit, with an odd number of
 * directions (the pairwise loop's remainder) and an even one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoveltyScorer } from '../../src/inference/gate/novelty.js';
import type { NoveltyModel } from '../../src/inference/gate/model.js';

const D = 1024;

function model(k: number, seed: number): NoveltyModel {
  let s = seed;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  return {
    dims: 1024,
    mean: Array.from({ length: D }, () => rnd() * 0.1),
    basis: Array.from({ length: k }, () => Array.from({ length: D }, () => rnd() / 32)),
    variances: Array.from({ length: k }, (_, i) => 2 / (i + 1)),
    residualVariance: 0.01,
    threshold: 3,
  };
}

function reference(m: NoveltyModel, embeddings: Float32Array, count: number): number[] {
  const scaled = m.basis.map((row, c) => row.map((x) => x * (1 / Math.sqrt(m.variances[c]!))));
  return Array.from({ length: count }, (_, p) => {
    const c = Array.from({ length: D }, (_, d) => embeddings[p * D + d]! - m.mean[d]!);
    let total = 0;
    for (const v of c) total += v * v;
    let inSpace = 0;
    let maha = 0;
    m.basis.forEach((row, r) => {
      let z = 0;
      let w = 0;
      for (let d = 0; d < D; d++) {
        z += row[d]! * c[d]!;
        w += scaled[r]![d]! * c[d]!;
      }
      inSpace += z * z;
      maha += w * w;
    });
    return (maha + Math.max(0, total - inSpace) / m.residualVariance) / D;
  });
}

test('novelty scores two directions per pass and still equals the one-direction-at-a-time formula bit for bit', () => {
  let s = 5;
  const embeddings = Float32Array.from(
    { length: 7 * D },
    () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296) * 3,
  );
  for (const k of [5, 8]) {
    const m = model(k, k);
    const got = new NoveltyScorer(m).score(embeddings, 7);
    const want = reference(m, embeddings, 7);
    assert.equal(got.length, 7);
    for (let p = 0; p < 7; p++) assert.ok(Object.is(got[p], want[p]), `k ${k}, patch ${p}: ${got[p]} vs ${want[p]}`);
  }
});
