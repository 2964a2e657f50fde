/**
 * Novelty of a patch embedding against the training patches: a probabilistic-PCA Mahalanobis
 * distance, d² = Σ zᵢ²/λᵢ over the principal directions plus ‖residual‖²/ρ for what they leave,
 * divided by the dimension count so that a training-like patch scores about 1. Cheap (k·1024
 * multiply-adds per patch) and defined for any embedding; the threshold is the gate file's.
 */
import { EMBEDDING_DIMS } from '../../features/yamnet-params.js';
import type { NoveltyModel } from './model.js';

export class NoveltyScorer {
  private readonly mean: Float64Array;
  /** components × dims, row-major, with each row divided by √variance (so z²/λ is one dot product squared). */
  private readonly scaled: Float64Array;
  private readonly unit: Float64Array;
  private readonly k: number;
  constructor(readonly model: NoveltyModel) {
    const D = EMBEDDING_DIMS;
    this.k = model.basis.length;
    this.mean = Float64Array.from(model.mean);
    this.unit = new Float64Array(this.k * D);
    this.scaled = new Float64Array(this.k * D);
    model.basis.forEach((row, c) => {
      const inv = 1 / Math.sqrt(model.variances[c]!);
      for (let d = 0; d < D; d++) {
        this.unit[c * D + d] = row[d]!;
        this.scaled[c * D + d] = row[d]! * inv;
      }
    });
  }

  get threshold(): number {
    return this.model.threshold;
  }

  /** Novelty of each of `count` embeddings (count × 1024). */
  score(embeddings: Float32Array, count: number): Float64Array {
    const D = EMBEDDING_DIMS;
    const { k, unit, scaled, mean } = this;
    const out = new Float64Array(count);
    const c = new Float64Array(D);
    for (let p = 0; p < count; p++) {
      let total = 0;
      const base = p * D;
      for (let d = 0; d < D; d++) {
        const v = embeddings[base + d]! - mean[d]!;
        c[d] = v;
        total += v * v;
      }
      let inSpace = 0;
      let maha = 0;
      let r = 0;
      // two components per pass over the patch: each dot product summed in the same order as one at a
      // time (so the same values), with four independent sums in flight instead of two
      for (; r + 1 < k; r += 2) {
        let z0 = 0,
          w0 = 0,
          z1 = 0,
          w1 = 0;
        const o0 = r * D,
          o1 = o0 + D;
        for (let d = 0; d < D; d++) {
          const v = c[d]!;
          z0 += unit[o0 + d]! * v;
          w0 += scaled[o0 + d]! * v;
          z1 += unit[o1 + d]! * v;
          w1 += scaled[o1 + d]! * v;
        }
        inSpace += z0 * z0;
        maha += w0 * w0;
        inSpace += z1 * z1;
        maha += w1 * w1;
      }
      for (; r < k; r++) {
        let z = 0;
        let w = 0;
        const o = r * D;
        for (let d = 0; d < D; d++) {
          const v = c[d]!;
          z += unit[o + d]! * v;
          w += scaled[o + d]! * v;
        }
        inSpace += z * z;
        maha += w * w;
      }
      const residual = Math.max(0, total - inSpace);
      out[p] = (maha + residual / this.model.residualVariance) / D;
    }
    return out;
  }
}
