/** Synthetic, separable "embeddings" for the training-loop tests (no YAMNet needed). */
import { Rng } from '../../src/inference/training/rng.js';

export function separableSet(
  perClass: number,
  classes: number,
  seed: number,
  noise = 0.6,
): { x: Float32Array; labels: number[]; n: number } {
  const rng = new Rng(seed);
  const dims = 1024;
  // each class lifts its own block of 32 features, like a class-specific sound signature
  const n = perClass * classes;
  const x = new Float32Array(n * dims);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels.push(c);
    for (let d = 0; d < dims; d++) {
      const signal = d >= c * 32 && d < (c + 1) * 32 ? 1 : 0;
      x[i * dims + d] = Math.max(0, 0.3 + signal + noise * (rng.next() * 2 - 1));
    }
  }
  return { x, labels, n };
}

export function oneHot(labels: number[], classes: number): Float32Array {
  const y = new Float32Array(labels.length * classes);
  labels.forEach((c, i) => (y[i * classes + c] = 1));
  return y;
}
