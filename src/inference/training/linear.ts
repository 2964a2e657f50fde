/**
 * The logistic-regression baseline on the same standardised embeddings and sample weights as
 * the MLP (multinomial, L2-regularised, full-batch Adam), written as an MlpWeights with no
 * hidden layers so it scores through the same code.
 */
import { INPUT_DIMS, type MlpWeights } from './mlp.js';
import { tf, tfReady } from './tf.js';

export interface LinearOptions {
  steps: number;
  learningRate: number;
  l2: number;
  classes: number;
}

export const DEFAULT_LINEAR: Omit<LinearOptions, 'classes'> = { steps: 150, learningRate: 0.01, l2: 1e-2 };

export async function trainLinear(
  x: Float32Array,
  y: Float32Array,
  w: Float32Array,
  n: number,
  opts: LinearOptions,
): Promise<MlpWeights> {
  await tfReady();
  const mean = new Float32Array(INPUT_DIMS);
  const invStd = new Float32Array(INPUT_DIMS);
  for (let d = 0; d < INPUT_DIMS; d++) {
    let s = 0;
    for (let r = 0; r < n; r++) s += x[r * INPUT_DIMS + d]!;
    const m = s / n;
    let v = 0;
    for (let r = 0; r < n; r++) v += (x[r * INPUT_DIMS + d]! - m) ** 2;
    mean[d] = m;
    invStd[d] = 1 / Math.max(Math.sqrt(v / n), 1e-3);
  }
  const kernel = tf.variable(tf.zeros([INPUT_DIMS, opts.classes]));
  const bias = tf.variable(tf.zeros([opts.classes]));
  const xs = tf.tidy(() =>
    tf
      .tensor2d(x.subarray(0, n * INPUT_DIMS), [n, INPUT_DIMS])
      .sub(tf.tensor1d(mean))
      .mul(tf.tensor1d(invStd)),
  );
  const ys = tf.tensor2d(y.subarray(0, n * opts.classes), [n, opts.classes]);
  const ws = tf.tensor1d(w.subarray(0, n));
  const optimizer = tf.train.adam(opts.learningRate);
  try {
    for (let s = 0; s < opts.steps; s++) {
      optimizer.minimize(
        () => {
          const logp = tf.logSoftmax(tf.matMul(xs, kernel).add(bias));
          const ce = tf.neg(tf.sum(tf.mul(ys, logp), 1));
          const data = tf.div(tf.sum(tf.mul(ce, ws)), tf.sum(ws));
          return tf.add<tf.Scalar>(data, tf.mul(opts.l2, tf.sum(tf.square(kernel))));
        },
        false,
        [kernel, bias],
      );
    }
    return {
      inputMean: mean,
      inputInvStd: invStd,
      dense: [
        {
          kernel: Float32Array.from(kernel.dataSync() as Float32Array),
          bias: Float32Array.from(bias.dataSync() as Float32Array),
          inDims: INPUT_DIMS,
          outDims: opts.classes,
        },
      ],
      bn: [],
    };
  } finally {
    tf.dispose([kernel, bias, xs, ys, ws]);
    optimizer.dispose();
  }
}
