/** The signal-quality report's shape (computed in quality.ts; shown by every client). */
export type QualityVerdict = 'good' | 'fair' | 'poor';

export interface QualityReport {
  verdict: QualityVerdict;
  /** Plain-language reasons a nurse can act on, e.g. "clipping: move the chest piece". Empty when good. */
  reasons: string[];
  /** Fraction of samples at or within 0.1 % of full scale. */
  clippingRatio: number;
  rmsDbfs: number;
  peakDbfs: number;
  /** Fraction of 50 ms blocks below the silence threshold (no contact / lost contact). */
  silenceRatio: number;
  /** 10th percentile of 50 ms block levels, dBFS. */
  noiseFloorDbfs: number;
}
