// The converted ONNX model against a direct float64 evaluation of the TFLite network, written
// here from the TFLite weights in their own layout (NHWC activations, [O,kH,kW,I] and
// [1,kH,kW,C] kernels, TF 'SAME' padding): no code shared with the converter's transposes,
// padding or graph building. Also checks the converter refuses what is not YAMNet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  readTflite,
  type TfliteModel,
  type TfliteOperator,
  type TfliteSubgraph,
} from '../../src/inference/tflite/reader.js';
import { constantTensor } from '../../src/inference/convert/dequantize.js';
import { BuiltinOperator } from '../../src/inference/tflite/schema.js';
import { convertYamnetTflite, ConversionError } from '../../src/inference/yamnet-convert.js';
import { YamnetSession } from '../../src/inference/yamnet-session.js';
import { SHARED_TFLITE, tfliteMissing } from './yamnet-fixture.js';
import { prng } from '../support/make-head.js';

interface Act {
  h: number;
  w: number;
  c: number;
  d: Float64Array; // NHWC, batch 1
}

function pad(size: number, k: number, s: number): number {
  // TF SAME: pad_before = floor(total / 2), total = max((ceil(size/s) − 1)·s + k − size, 0)
  const total = Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
  return Math.floor(total / 2);
}

function conv(x: Act, w: Float32Array, shape: number[], bias: Float32Array, stride: number, depthwise: boolean): Act {
  const [, kh, kw] = shape as [number, number, number, number];
  const oc = depthwise ? shape[3]! : shape[0]!;
  const ic = x.c;
  const oh = Math.ceil(x.h / stride);
  const ow = Math.ceil(x.w / stride);
  const pt = pad(x.h, kh, stride);
  const pl = pad(x.w, kw, stride);
  const out = new Float64Array(oh * ow * oc);
  for (let y = 0; y < oh; y++)
    for (let xx = 0; xx < ow; xx++)
      for (let o = 0; o < oc; o++) {
        let s = bias[o]!;
        for (let dy = 0; dy < kh; dy++) {
          const iy = y * stride + dy - pt;
          if (iy < 0 || iy >= x.h) continue;
          for (let dx = 0; dx < kw; dx++) {
            const ix = xx * stride + dx - pl;
            if (ix < 0 || ix >= x.w) continue;
            const base = (iy * x.w + ix) * ic;
            if (depthwise) s += x.d[base + o]! * w[(dy * kw + dx) * oc + o]!;
            else for (let c = 0; c < ic; c++) s += x.d[base + c]! * w[((o * kh + dy) * kw + dx) * ic + c]!;
          }
        }
        out[(y * ow + xx) * oc + o] = Math.max(0, s); // every YAMNet conv has a fused ReLU
      }
  return { h: oh, w: ow, c: oc, d: out };
}

/** Float64 YAMNet on one patch (96×64, frame-major): embedding and scores. */
function referenceYamnet(model: TfliteModel, patch: Float32Array): { embedding: Float64Array; scores: Float64Array } {
  const sg: TfliteSubgraph = model.subgraphs[0]!;
  const ops = sg.operators;
  const first = ops.findIndex((o) => o.opcode === BuiltinOperator.CONV_2D);
  let x: Act = { h: 96, w: 64, c: 1, d: Float64Array.from(patch) };
  let op: TfliteOperator = ops[first]!;
  let i = first;
  for (; op.opcode === BuiltinOperator.CONV_2D || op.opcode === BuiltinOperator.DEPTHWISE_CONV_2D; op = ops[++i]!) {
    const w = constantTensor(model, sg, op.inputs[1]!, 'w');
    const b = constantTensor(model, sg, op.inputs[2]!, 'b');
    assert.equal(op.conv!.strideH, op.conv!.strideW);
    x = conv(x, w.data, w.shape, b.data, op.conv!.strideH, op.opcode === BuiltinOperator.DEPTHWISE_CONV_2D);
  }
  assert.equal(op.opcode, BuiltinOperator.MEAN);
  const embedding = new Float64Array(x.c);
  for (let p = 0; p < x.h * x.w; p++) for (let c = 0; c < x.c; c++) embedding[c]! += x.d[p * x.c + c]! / (x.h * x.w);
  const fc = ops[i + 1]!;
  const w = constantTensor(model, sg, fc.inputs[1]!, 'dense');
  const b = constantTensor(model, sg, fc.inputs[2]!, 'dense bias');
  const scores = new Float64Array(521);
  for (let o = 0; o < 521; o++) {
    let s = b.data[o]!;
    for (let c = 0; c < 1024; c++) s += w.data[o * 1024 + c]! * embedding[c]!;
    scores[o] = 1 / (1 + Math.exp(-s));
  }
  return { embedding, scores };
}

/** A log-mel-like patch: log(mel + 0.001) spans about −6.9 … 3; smooth bands plus noise. */
function syntheticPatch(seed: number): Float32Array {
  const r = prng(seed);
  return Float32Array.from({ length: 96 * 64 }, (_, i) => {
    const t = Math.floor(i / 64);
    const m = i % 64;
    return -4 + 2.5 * Math.sin(m / 7 + seed) * Math.cos(t / 11) + 1.5 * (r() - 0.5);
  });
}

test(
  'converted YAMNet matches a direct float64 evaluation of the TFLite weights',
  { skip: tfliteMissing() },
  async (t) => {
    const bytes = readFileSync(SHARED_TFLITE);
    const model = readTflite(bytes);
    const { onnx } = convertYamnetTflite(bytes);
    const session = await YamnetSession.load(onnx);
    try {
      const patches = [syntheticPatch(1), new Float32Array(96 * 64).fill(Math.log(0.001))];
      const batch = new Float32Array(patches.length * 96 * 64);
      patches.forEach((p, i) => batch.set(p, i * 96 * 64));
      const out = await session.runArray(batch, patches.length);
      patches.forEach((p, n) => {
        const ref = referenceYamnet(model, p);
        let maxEmb = 0;
        let maxRef = 0;
        for (let c = 0; c < 1024; c++) {
          maxEmb = Math.max(maxEmb, Math.abs(out.embeddings[n * 1024 + c]! - ref.embedding[c]!));
          maxRef = Math.max(maxRef, Math.abs(ref.embedding[c]!));
        }
        let maxScore = 0;
        for (let o = 0; o < 521; o++)
          maxScore = Math.max(maxScore, Math.abs(out.scores![n * 521 + o]! - ref.scores[o]!));
        // float32 accumulation over ≤ 9·1024 products per output, 28 layers: relative error ~1e-6;
        // 1e-5 of the embedding's scale leaves room and still catches any layout or padding slip
        // (a one-pixel padding shift changes embeddings by > 1e-2).
        t.diagnostic(
          `patch ${n}: embedding max |diff| ${maxEmb.toExponential(2)} (max |ref| ${maxRef.toFixed(2)}), score max |diff| ${maxScore.toExponential(2)}`,
        );
        assert.ok(
          maxEmb <= 1e-5 * Math.max(1, maxRef),
          `patch ${n}: embedding max |diff| ${maxEmb} (max |ref| ${maxRef})`,
        );
        assert.ok(maxScore <= 1e-5, `patch ${n}: score max |diff| ${maxScore}`);
      });
    } finally {
      await session.close();
    }
  },
);

test('the converter refuses a TFLite file that is not YAMNet or is truncated', { skip: tfliteMissing() }, () => {
  const bytes = readFileSync(SHARED_TFLITE);
  assert.throws(() => convertYamnetTflite(bytes.subarray(0, bytes.length >> 1)), ConversionError);
  // the same file with the patch-shaped input renamed away: no [1,96,64,1] conv input any more
  const model = readTflite(bytes);
  const sg = model.subgraphs[0]!;
  const firstConv = sg.operators.find((o) => o.opcode === BuiltinOperator.CONV_2D)!;
  const inputShape = sg.tensors[firstConv.inputs[0]!]!.shape;
  assert.deepEqual(inputShape, [1, 96, 64, 1]);
  // corrupt one byte of the shape vector in place: find the int32 run 1,96,64,1 in the file
  const copy = Uint8Array.from(bytes);
  const view = new DataView(copy.buffer);
  let patched = 0;
  for (let o = 0; o + 16 <= copy.length; o += 4) {
    if (
      view.getInt32(o, true) === 1 &&
      view.getInt32(o + 4, true) === 96 &&
      view.getInt32(o + 8, true) === 64 &&
      view.getInt32(o + 12, true) === 1
    ) {
      view.setInt32(o + 8, 63, true);
      patched++;
    }
  }
  assert.ok(patched >= 1);
  assert.throws(
    () => convertYamnetTflite(copy),
    (e: unknown) => e instanceof ConversionError && /\[1, 96, 64, 1\]/.test(e.message),
  );
});
