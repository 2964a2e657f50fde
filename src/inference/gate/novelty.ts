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
  private readonly basis: Float64Array[];
  private readonly variances: readonly number[];
  constructor(readonly model: NoveltyModel) {
    this.mean = Float64Array.from(model.mean);
    this.basis = model.basis.map((row) => Float64Array.from(row));
    this.variances = model.variances;
  }

  get threshold(): number {
    return this.model.threshold;
  }

  /** Novelty of each of `count` embeddings (count × 1024). */
  score(embeddings: Float32Array, count: number): Float64Array {
    const D = EMBEDDING_DIMS;
    const out = new Float64Array(count);
    const c = new Float64Array(D);
    for (let p = 0; p < count; p++) {
      let total = 0;
      for (let d = 0; d < D; d++) {
        c[d] = embeddings[p * D + d]! - this.mean[d]!;
        total += c[d]! * c[d]!;
      }
      let inSpace = 0;
      let maha = 0;
      this.basis.forEach((b, k) => {
        let z = 0;
        for (let d = 0; d < D; d++) z += b[d]! * c[d]!;
        inSpace += z * z;
        maha += (z * z) / this.variances[k]!;
      });
      const residual = Math.max(0, total - inSpace);
      out[p] = (maha + residual / this.model.residualVariance) / D;
    }
    return out;
  }
}
