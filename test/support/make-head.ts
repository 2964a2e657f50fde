/**
 * Builds a classifier head that follows the contract (input `embedding` [N,1024], output
 * `logits` [N,5], metadata `classes`) with the ARCHITECTURE.md layout — Dense 512 ReLU,
 * BatchNorm, Dense 256 ReLU, BatchNorm, Dense 128 ReLU, Dense 5 (dropout is identity at
 * inference) — and deterministic pseudo-random weights, plus a valid model card. For tests:
 * its probabilities mean nothing clinically.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnnxModel, type NodeSpec } from '../../src/inference/onnx/onnx-builder.js';
import { CLASS_ORDER, type ClassName } from '../../src/inference/analysis-types.js';
import type { ModelCard } from '../../src/inference/model-card.js';
import type { GateModel } from '../../src/inference/gate/model.js';
import { MODELS_DIR } from './paths.js';
import { mulberry32 } from '../../src/common/mulberry32.js';

/** Seeded test weights (mulberry32): the same head every run. */
export const prng = mulberry32;

export interface HeadWeights {
  dense: Array<{ w: Float32Array; b: Float32Array; in: number; out: number }>;
  bn: Array<{ scale: Float32Array; bias: Float32Array; mean: Float32Array; variance: Float32Array }>;
}

export const HEAD_LAYERS = [1024, 512, 256, 128, 5] as const;
export const BN_EPSILON = 1e-3;

export function makeHeadWeights(seed = 1): HeadWeights {
  const rand = prng(seed);
  const uniform = (n: number, a: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * a);
  const dense = HEAD_LAYERS.slice(0, -1).map((inDims, i) => {
    const out = HEAD_LAYERS[i + 1]!;
    // Glorot-uniform range keeps activations in a sane range through the stack
    return { w: uniform(out * inDims, Math.sqrt(6 / (inDims + out))), b: uniform(out, 0.05), in: inDims, out };
  });
  const bn = [512, 256].map((n) => ({
    scale: Float32Array.from({ length: n }, () => 0.8 + 0.4 * rand()),
    bias: uniform(n, 0.1),
    mean: Float32Array.from({ length: n }, () => 0.2 * rand()),
    variance: Float32Array.from({ length: n }, () => 0.5 + rand()),
  }));
  return { dense, bn };
}

/** ONNX bytes of the head; `classes` is the output order written to the metadata. */
export function headOnnx(weights: HeadWeights, classes: readonly ClassName[] = CLASS_ORDER): Uint8Array {
  const nodes: NodeSpec[] = [];
  const floats: Array<{ name: string; dims: number[]; data: Float32Array }> = [];
  let x = 'embedding';
  weights.dense.forEach((d, i) => {
    floats.push({ name: `d${i}_w`, dims: [d.out, d.in], data: d.w }, { name: `d${i}_b`, dims: [d.out], data: d.b });
    const last = i === weights.dense.length - 1;
    nodes.push({
      op: 'Gemm',
      inputs: [x, `d${i}_w`, `d${i}_b`],
      outputs: [last ? 'logits' : `d${i}`],
      attributes: { transB: 1 },
    });
    if (last) return;
    nodes.push({ op: 'Relu', inputs: [`d${i}`], outputs: [`r${i}`] });
    x = `r${i}`;
    const bn = weights.bn[i];
    if (bn) {
      const p = `bn${i}`;
      floats.push(
        { name: `${p}_s`, dims: [d.out], data: bn.scale },
        { name: `${p}_b`, dims: [d.out], data: bn.bias },
        { name: `${p}_m`, dims: [d.out], data: bn.mean },
        { name: `${p}_v`, dims: [d.out], data: bn.variance },
      );
      nodes.push({
        op: 'BatchNormalization',
        inputs: [x, `${p}_s`, `${p}_b`, `${p}_m`, `${p}_v`],
        outputs: [p],
        attributes: { epsilon: { float: BN_EPSILON } },
      });
      x = p;
    }
  });
  return buildOnnxModel({
    name: 'test-head',
    inputs: [{ name: 'embedding', dims: ['N', 1024] }],
    outputs: [{ name: 'logits', dims: ['N', 5] }],
    nodes,
    floatInitializers: floats,
    metadata: { classes: classes.join(',') },
  });
}

/** Float64 evaluation of the same head in plain JS (for tests that check the ONNX run). */
export function headLogitsReference(weights: HeadWeights, embedding: ArrayLike<number>): number[] {
  let x = Array.from(embedding);
  weights.dense.forEach((d, i) => {
    const y = new Array<number>(d.out).fill(0);
    for (let o = 0; o < d.out; o++) {
      let s = d.b[o]!;
      for (let k = 0; k < d.in; k++) s += d.w[o * d.in + k]! * x[k]!;
      y[o] = s;
    }
    if (i === weights.dense.length - 1) {
      x = y;
      return;
    }
    x = y.map((v) => Math.max(0, v));
    const bn = weights.bn[i];
    if (bn)
      x = x.map((v, c) => ((v - bn.mean[c]!) / Math.sqrt(bn.variance[c]! + BN_EPSILON)) * bn.scale[c]! + bn.bias[c]!);
  });
  return x;
}

export interface MadeHead {
  cardPath: string;
  onnxPath: string;
  card: ModelCard;
  weights: HeadWeights;
}

/**
 * A gate that admits everything but silence (no foreign class can reach a score of 1, no novelty
 * reaches 1e30, no tone has a line share of 2): for tests of the head's arithmetic on synthetic signals, which the real gate
 * rightly refuses. Tests of the gate itself use the shipped one (`gate: 'shipped'`).
 */
export const PERMISSIVE_GATE: GateModel = {
  schema: 'auscult.gate/1',
  foreign: [{ kind: 'speech', classes: ['Speech'], threshold: 1 }],
  novelty: {
    dims: 1024,
    mean: new Array<number>(1024).fill(0),
    basis: [],
    variances: [],
    residualVariance: 1,
    threshold: 1e30,
  },
  tonalShare: 2,
  contact: { silentPatchDbfs: -60 },
  quality: { withholdPoorVerdict: true, withholdPPoor: null, fair: 'ok', fairReason: 'test gate' },
  chosenOn: 'nothing (a test gate)',
};

/**
 * Write <dir>/<name>.onnx, <dir>/<name>.card.json and its gate <dir>/<name>.gate.json; `card`
 * overrides merge into the card. `gate`: 'permissive' (default, PERMISSIVE_GATE), 'shipped'
 * (models/gate.json, the real one) or a gate model of the test's own.
 */
export function makeHead(
  dir: string,
  opts: {
    name?: string;
    seed?: number;
    classes?: readonly ClassName[];
    card?: Partial<ModelCard>;
    gate?: 'permissive' | 'shipped' | GateModel;
  } = {},
): MadeHead {
  const name = opts.name ?? 'test-head';
  const classes = opts.classes ?? CLASS_ORDER;
  const weights = makeHeadWeights(opts.seed ?? 1);
  const bytes = headOnnx(weights, classes);
  mkdirSync(dir, { recursive: true });
  const onnxPath = join(dir, `${name}.onnx`);
  writeFileSync(onnxPath, bytes);
  const gateText =
    opts.gate === 'shipped'
      ? readFileSync(join(MODELS_DIR, 'gate.json'))
      : JSON.stringify(opts.gate && opts.gate !== 'permissive' ? opts.gate : PERMISSIVE_GATE);
  writeFileSync(join(dir, `${name}.gate.json`), gateText);
  const gate = { file: `${name}.gate.json`, sha256: createHash('sha256').update(gateText).digest('hex') };
  const zero = { value: 0, lo: 0, hi: 0 };
  const card: ModelCard = {
    schema: 'auscult.head-card/1',
    gate,
    name,
    version: '0.0.1-test',
    createdAt: '2026-01-01T00:00:00Z',
    classes: [...classes],
    architecture:
      'Dense 512 ReLU → BatchNorm → Dense 256 ReLU → BatchNorm → Dense 128 ReLU → Dense 5 (synthetic test weights)',
    onnxFile: `${name}.onnx`,
    onnxSha256: createHash('sha256').update(bytes).digest('hex'),
    input: { embedding: 'yamnet-1024', bandwidthHz: 2000, windowSec: 3, hopSec: 1.44 },
    calibration: { temperature: 1.5, method: 'none (test head)' },
    abstain: { minTopProbability: 0.4, screenMargin: 0.05, poorQualityIsUncertain: true },
    screen: { definition: 'pAbnormal = 1 − p(healthy)', threshold: 0.5 },
    training: {
      data: 'none: pseudo-random weights for tests',
      citation: '',
      licence: 'n/a',
      patients: {},
      windows: 0,
      command: 'test/support/make-head.ts',
      seed: opts.seed ?? 1,
      engineVersion: 'test',
      yamnetSourceSha256: '',
      epochs: 1,
    },
    evaluation: {
      protocol: 'not evaluated (test head)',
      fiveClass: {
        perClass: classes.map((c) => ({ class: c, patients: 0, precision: zero, recall: zero, f1: zero, auroc: null })),
        macroF1: zero,
        balancedAccuracy: zero,
        confusion: classes.map(() => classes.map(() => 0)),
        ece: 0,
        reliability: [],
      },
      screen: { auroc: zero, sensitivity: zero, specificity: zero, patients: { healthy: 0, abnormal: 0 } },
      baselines: [],
      reference: { source: 'n/a', accuracy: 0, f1: {}, note: '' },
    },
    intendedUse: 'automated tests only',
    limitations: ['random weights'],
    ...opts.card,
  };
  const cardPath = join(dir, `${name}.card.json`);
  writeFileSync(cardPath, JSON.stringify(card, null, 2));
  return { cardPath, onnxPath, card, weights };
}
