/**
 * Independent logistic regressions (one sigmoid output per target) on standardised features, with
 * per-row, per-output weights: L2-regularised, full-batch Adam on TensorFlow.js's WebAssembly backend
 * (the same optimiser and backend as the head's linear model, so a run repeats exactly). Inference is
 * the affine form the ONNX export writes: ((x − μ) · 1/σ) · W + b.
 */
import { tf, tfReady } from '../../training/tf.js';

export interface LogisticOptions {
  steps: number;
  learningRate: number;
  l2: number;
}

export const DEFAULT_LOGISTIC: LogisticOptions = { steps: 150, learningRate: 0.01, l2: 1e-3 };

export interface LogisticWeights {
  dims: number;
  outputs: number;
  mean: Float32Array;
  invStd: Float32Array;
  /** dims × outputs, row-major. */
  kernel: Float32Array;
  bias: Float32Array;
}

/** x: n × dims; y, w: n × outputs (targets 0/1, weights ≥ 0). */
export async function trainLogistic(
  x: Float32Array,
  y: Float32Array,
  w: Float32Array,
  n: number,
  dims: number,
  outputs: number,
  opts: LogisticOptions = DEFAULT_LOGISTIC,
): Promise<LogisticWeights> {
  await tfReady();
  const mean = new Float32Array(dims);
  const invStd = new Float32Array(dims);
  const sum = new Float64Array(dims);
  const sq = new Float64Array(dims);
  for (let r = 0; r < n; r++) {
    const o = r * dims;
    for (let d = 0; d < dims; d++) {
      const v = x[o + d]!;
      sum[d]! += v;
      sq[d]! += v * v;
    }
  }
  for (let d = 0; d < dims; d++) {
    const m = sum[d]! / n;
    mean[d] = m;
    invStd[d] = 1 / Math.max(Math.sqrt(Math.max(0, sq[d]! / n - m * m)), 1e-3);
  }
  const kernel = tf.variable(tf.zeros([dims, outputs]));
  const bias = tf.variable(tf.zeros([outputs]));
  const xs = tf.tidy(() =>
    tf
      .tensor2d(x.subarray(0, n * dims), [n, dims])
      .sub(tf.tensor1d(mean))
      .mul(tf.tensor1d(invStd)),
  );
  const ys = tf.tensor2d(y.subarray(0, n * outputs), [n, outputs]);
  const ws = tf.tensor2d(w.subarray(0, n * outputs), [n, outputs]);
  const wsum = tf.sum(ws, 0);
  const optimizer = tf.train.adam(opts.learningRate);
  try {
    for (let s = 0; s < opts.steps; s++) {
      optimizer.minimize(
        () => {
          const z = tf.add(tf.matMul(xs, kernel), bias);
          // numerically stable binary cross-entropy with logits: max(z,0) − z·y + log(1 + e^−|z|)
          const bce = tf.add(tf.sub(tf.relu(z), tf.mul(z, ys)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
          const data = tf.sum(tf.div(tf.sum(tf.mul(bce, ws), 0), wsum));
          return tf.add<tf.Scalar>(data, tf.mul(opts.l2, tf.sum(tf.square(kernel))));
        },
        false,
        [kernel, bias],
      );
    }
    return {
      dims,
      outputs,
      mean,
      invStd,
      kernel: Float32Array.from(kernel.dataSync() as Float32Array),
      bias: Float32Array.from(bias.dataSync() as Float32Array),
    };
  } finally {
    tf.dispose([kernel, bias, xs, ys, ws, wsum]);
    optimizer.dispose();
  }
}

/** Logits (n × outputs), float64 accumulation of the same affine map the ONNX graph computes. */
export function logisticLogits(wt: LogisticWeights, x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * wt.outputs);
  const z = new Float64Array(wt.outputs);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < wt.outputs; k++) z[k] = wt.bias[k]!;
    const o = r * wt.dims;
    for (let d = 0; d < wt.dims; d++) {
      const v = (x[o + d]! - wt.mean[d]!) * wt.invStd[d]!;
      if (v === 0) continue;
      for (let k = 0; k < wt.outputs; k++) z[k]! += v * wt.kernel[d * wt.outputs + k]!;
    }
    for (let k = 0; k < wt.outputs; k++) out[r * wt.outputs + k] = z[k]!;
  }
  return out;
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
