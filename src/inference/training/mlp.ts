/**
 * The head's MLP (ARCHITECTURE.md): standardise → Dense 512 ReLU → Dropout 0.4 → BatchNorm →
 * Dense 256 ReLU → Dropout 0.3 → BatchNorm → Dense 128 ReLU → Dropout 0.2 → Dense 5 (logits).
 *
 * Written with TensorFlow.js ops and an explicit training loop rather than tf.layers + fit():
 * fit() shuffles with Math.random and a seeded tf.dropout repeats one mask every step, so
 * neither would give a run that repeats exactly from --seed. Here every random draw (init,
 * shuffles, dropout masks) comes from our seeded Rng.
 *
 * Inference (predictLogits) uses the exact affine form the ONNX export writes: (x − μ)·(1/σ),
 * Gemm, ReLU, x·s + t for each BatchNorm (s = γ/√(var+ε), t = β − mean·s), so the two agree to
 * float rounding.
 */
import { Rng } from './rng.js';
import { tf, tfReady } from './tf.js';

export const INPUT_DIMS = 1024;
export const HIDDEN = [512, 256, 128] as const;
export const DROPOUT = [0.4, 0.3, 0.2] as const;

export interface MlpOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 penalty on the dense kernels. */
  l2: number;
  seed: number;
  /** Output width (5 for the head). */
  classes: number;
}

export const DEFAULT_MLP: Omit<MlpOptions, 'seed' | 'classes'> = {
  epochs: 6,
  batchSize: 32,
  learningRate: 1e-3,
  l2: 1e-4,
};

const BN_EPS = 1e-3;
const BN_MOMENTUM = 0.9;

/** Everything needed to run the trained head (and to write it to ONNX). */
export interface MlpWeights {
  inputMean: Float32Array;
  /** 1/σ of each input feature (σ floored so constant features stay finite). */
  inputInvStd: Float32Array;
  /** Dense layers: kernel [in × out] row-major, bias [out]. */
  dense: Array<{ kernel: Float32Array; bias: Float32Array; inDims: number; outDims: number }>;
  /** Inference-mode BatchNorm after dense 0 and dense 1, as x·scale + shift. */
  bn: Array<{ scale: Float32Array; shift: Float32Array }>;
}

function glorot(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < w.length; i++) w[i] = (rng.next() * 2 - 1) * limit;
  return w;
}

function dropoutMask(rng: Rng, rows: number, cols: number, rate: number): Float32Array {
  const keep = 1 - rate;
  const m = new Float32Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = rng.next() < keep ? 1 / keep : 0;
  return m;
}

function standardizer(x: Float32Array, n: number, dims: number): { mean: Float32Array; invStd: Float32Array } {
  const mean = new Float64Array(dims);
  const sq = new Float64Array(dims);
  for (let r = 0; r < n; r++) for (let d = 0; d < dims; d++) mean[d]! += x[r * dims + d]!;
  for (let d = 0; d < dims; d++) mean[d]! /= n;
  for (let r = 0; r < n; r++) for (let d = 0; d < dims; d++) sq[d]! += (x[r * dims + d]! - mean[d]!) ** 2;
  const invStd = new Float32Array(dims);
  for (let d = 0; d < dims; d++) invStd[d] = 1 / Math.max(Math.sqrt(sq[d]! / n), 1e-3);
  return { mean: Float32Array.from(mean), invStd };
}

/**
 * Train on `n` rows of `x` (n×1024) with soft targets `y` (n×classes, rows sum to 1) and
 * per-row weights `w` (class/patient balancing). Returns the inference weights.
 */
export async function trainMlp(
  x: Float32Array,
  y: Float32Array,
  w: Float32Array,
  n: number,
  opts: MlpOptions,
): Promise<MlpWeights> {
  await tfReady();
  const rng = new Rng(opts.seed);
  const dims = [INPUT_DIMS, ...HIDDEN, opts.classes];
  const { mean, invStd } = standardizer(x, n, INPUT_DIMS);
  const vars = {
    kernels: dims.slice(0, -1).map((d, i) => tf.variable(tf.tensor2d(glorot(rng, d, dims[i + 1]!), [d, dims[i + 1]!]))),
    biases: dims.slice(1).map((d) => tf.variable(tf.zeros([d]))),
    gamma: [tf.variable(tf.ones([HIDDEN[0]])), tf.variable(tf.ones([HIDDEN[1]]))],
    beta: [tf.variable(tf.zeros([HIDDEN[0]])), tf.variable(tf.zeros([HIDDEN[1]]))],
  };
  const moving = [
    { mean: new Float32Array(HIDDEN[0]), variance: new Float32Array(HIDDEN[0]).fill(1) },
    { mean: new Float32Array(HIDDEN[1]), variance: new Float32Array(HIDDEN[1]).fill(1) },
  ];
  const xs = tf.tidy(() =>
    tf
      .tensor2d(x.subarray(0, n * INPUT_DIMS), [n, INPUT_DIMS])
      .sub(tf.tensor1d(mean))
      .mul(tf.tensor1d(invStd)),
  );
  const ys = tf.tensor2d(y.subarray(0, n * opts.classes), [n, opts.classes]);
  const ws = tf.tensor1d(w.subarray(0, n));
  const optimizer = tf.train.adam(opts.learningRate);
  const trainable = [...vars.kernels, ...vars.biases, ...vars.gamma, ...vars.beta];
  const order = [...Array(n).keys()];
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      rng.shuffle(order);
      for (let start = 0; start < n; start += opts.batchSize) {
        const idx = order.slice(start, start + opts.batchSize);
        const b = idx.length;
        if (b < 2) continue; // batch statistics need two rows
        const masks = DROPOUT.map((rate, i) => dropoutMask(rng, b, HIDDEN[i]!, rate));
        const batchMoments: Array<{ mean: Float32Array; variance: Float32Array }> = [];
        optimizer.minimize(
          () => {
            const ib = tf.tensor1d(Int32Array.from(idx), 'int32');
            let h = tf.gather(xs, ib);
            for (let l = 0; l < 3; l++) {
              h = tf.relu(tf.matMul(h, vars.kernels[l]!).add(vars.biases[l]!));
              h = h.mul(tf.tensor2d(masks[l]!, [b, HIDDEN[l]!]));
              if (l < 2) {
                const m = tf.moments(h, 0);
                batchMoments[l] = {
                  mean: m.mean.dataSync() as Float32Array,
                  variance: m.variance.dataSync() as Float32Array,
                };
                h = tf.batchNorm(h, m.mean, m.variance, vars.beta[l], vars.gamma[l], BN_EPS);
              }
            }
            const logits = tf.matMul(h, vars.kernels[3]!).add(vars.biases[3]!);
            const logp = tf.logSoftmax(logits);
            const yb = tf.gather(ys, ib);
            const wb = tf.gather(ws, ib);
            const ce = tf.neg(tf.sum(tf.mul(yb, logp), 1));
            const data = tf.div(tf.sum(tf.mul(ce, wb)), tf.sum(wb));
            const l2 = tf.addN(vars.kernels.map((k) => tf.sum(tf.square(k))));
            return tf.add<tf.Scalar>(data, tf.mul(opts.l2, l2));
          },
          false,
          trainable,
        );
        // moving statistics as Keras keeps them (unbiased batch variance)
        batchMoments.forEach((m, l) => {
          const mv = moving[l]!;
          const unbias = b / (b - 1);
          for (let d = 0; d < mv.mean.length; d++) {
            mv.mean[d] = BN_MOMENTUM * mv.mean[d]! + (1 - BN_MOMENTUM) * m.mean[d]!;
            mv.variance[d] = BN_MOMENTUM * mv.variance[d]! + (1 - BN_MOMENTUM) * m.variance[d]! * unbias;
          }
        });
      }
    }
    const gamma = vars.gamma.map((g) => g.dataSync() as Float32Array);
    const beta = vars.beta.map((g) => g.dataSync() as Float32Array);
    return {
      inputMean: mean,
      inputInvStd: invStd,
      dense: vars.kernels.map((k, i) => ({
        kernel: Float32Array.from(k.dataSync() as Float32Array),
        bias: Float32Array.from(vars.biases[i]!.dataSync() as Float32Array),
        inDims: dims[i]!,
        outDims: dims[i + 1]!,
      })),
      bn: moving.map((mv, l) => {
        const scale = new Float32Array(mv.mean.length);
        const shift = new Float32Array(mv.mean.length);
        for (let d = 0; d < scale.length; d++) {
          scale[d] = gamma[l]![d]! / Math.sqrt(mv.variance[d]! + BN_EPS);
          shift[d] = beta[l]![d]! - mv.mean[d]! * scale[d]!;
        }
        return { scale, shift };
      }),
    };
  } finally {
    tf.dispose([xs, ys, ws, ...trainable]);
    optimizer.dispose();
  }
}

/** The head's logits for `n` rows of 1024, computed with TensorFlow.js (n×classes). */
export async function predictLogits(weights: MlpWeights, x: Float32Array, n: number): Promise<Float32Array> {
  await tfReady();
  const classes = weights.dense[weights.dense.length - 1]!.outDims;
  const out = new Float32Array(n * classes);
  const chunk = 512;
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const logits = tf.tidy(() => {
      let h: tf.Tensor2D = tf.tensor2d(x.subarray(start * INPUT_DIMS, (start + m) * INPUT_DIMS), [m, INPUT_DIMS]);
      h = h.sub(tf.tensor1d(weights.inputMean)).mul(tf.tensor1d(weights.inputInvStd));
      weights.dense.forEach((d, l) => {
        h = tf.matMul(h, tf.tensor2d(d.kernel, [d.inDims, d.outDims])).add(tf.tensor1d(d.bias));
        if (l < weights.dense.length - 1) h = tf.relu(h);
        const bn = weights.bn[l];
        if (bn) h = h.mul(tf.tensor1d(bn.scale)).add(tf.tensor1d(bn.shift));
      });
      return h;
    });
    out.set(logits.dataSync(), start * classes);
    logits.dispose();
  }
  return out;
}
