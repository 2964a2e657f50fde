// The converter's pieces on small synthetic cases, against hand-computed expectations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  samePadding,
  validOutput,
  convWeightsToOihw,
  depthwiseWeightsToOihw,
  nhwcToNchw,
} from '../../src/inference/convert/layout.js';
import {
  applyQuantization,
  constantTensor,
  decodeRaw,
  ConversionError,
} from '../../src/inference/convert/dequantize.js';
import {
  readTflite,
  TfliteFormatError,
  type TfliteModel,
  type TfliteSubgraph,
} from '../../src/inference/tflite/reader.js';
import { convertYamnetTflite } from '../../src/inference/yamnet-convert.js';
import { BuiltinOperator, TensorType } from '../../src/inference/tflite/schema.js';

test('TF SAME padding: out = ceil(in/stride), the odd extra pad goes at the end', () => {
  // 96 rows, 3×3, stride 2: out 48, total = 47·2 + 3 − 96 = 1 → 0 before, 1 after
  assert.deepEqual(samePadding(96, 3, 2), { out: 48, begin: 0, end: 1 });
  // 5, 3×3, stride 2: out 3, total = 2·2 + 3 − 5 = 2 → 1, 1
  assert.deepEqual(samePadding(5, 3, 2), { out: 3, begin: 1, end: 1 });
  // stride 1, 3×3: always 1, 1
  assert.deepEqual(samePadding(6, 3, 1), { out: 6, begin: 1, end: 1 });
  // 1×1 kernel: none
  assert.deepEqual(samePadding(4, 1, 1), { out: 4, begin: 0, end: 0 });
  // even kernel 4, stride 1: total 3 → 1 before, 2 after
  assert.deepEqual(samePadding(7, 4, 1), { out: 7, begin: 1, end: 2 });
  // 3 rows, 3×3, stride 2 (YAMNet's 6→3): total = 2·2 + 3 − 6 = 1 → 0, 1
  assert.deepEqual(samePadding(6, 3, 2), { out: 3, begin: 0, end: 1 });
  // dilation 2 makes a 3-tap kernel span 5: total 4 → 2, 2
  assert.deepEqual(samePadding(10, 3, 1, 2), { out: 10, begin: 2, end: 2 });
  // input smaller than the needed span never gives negative padding
  assert.deepEqual(samePadding(1, 1, 2), { out: 1, begin: 0, end: 0 });
  assert.equal(validOutput(96, 3, 2), 47);
});

test('conv weights [O,kH,kW,I] become [O,I,kH,kW]', () => {
  // O=1, kH=1, kW=2, I=2: TFLite order (x0c0, x0c1, x1c0, x1c1) = 1,2,3,4 → ONNX (c0x0, c0x1, c1x0, c1x1)
  assert.deepEqual([...convWeightsToOihw(Float32Array.of(1, 2, 3, 4), 1, 1, 2, 2)], [1, 3, 2, 4]);
  // O=2, kH=2, kW=1, I=1: a 1-channel kernel keeps its order per filter
  assert.deepEqual([...convWeightsToOihw(Float32Array.of(1, 2, 3, 4), 2, 2, 1, 1)], [1, 2, 3, 4]);
});

test('depthwise weights [1,kH,kW,C] become [C,1,kH,kW]', () => {
  // kH=1, kW=2, C=3: (x0c0 x0c1 x0c2 x1c0 x1c1 x1c2) = 1..6 → (c0: 1,4) (c1: 2,5) (c2: 3,6)
  assert.deepEqual([...depthwiseWeightsToOihw(Float32Array.of(1, 2, 3, 4, 5, 6), 1, 2, 3)], [1, 4, 2, 5, 3, 6]);
  // NHWC [1,1,2,2] (x0: a0 a1, x1: b0 b1) → NCHW (c0: a0 b0, c1: a1 b1)
  assert.deepEqual([...nhwcToNchw(Float32Array.of(1, 2, 3, 4), 1, 1, 2, 2)], [1, 3, 2, 4]);
});

test('per-tensor quantization: scale × (q − zero_point)', () => {
  const q = { scale: Float32Array.of(0.5), zeroPoint: [3], quantizedDimension: 0 };
  assert.deepEqual([...applyQuantization([-128, 0, 5, 127], [4], q)], [-65.5, -1.5, 1, 62]);
  // no zero point listed = 0
  assert.deepEqual(
    [...applyQuantization([2, -4], [2], { scale: Float32Array.of(0.25), zeroPoint: [], quantizedDimension: 0 })],
    [0.5, -1],
  );
});

test('per-channel quantization along the declared dimension', () => {
  // dimension 0 of [2,3] (one scale per output filter): row 0 × 0.5, row 1 × 2
  const d0 = { scale: Float32Array.of(0.5, 2), zeroPoint: [0, 0], quantizedDimension: 0 };
  assert.deepEqual([...applyQuantization([1, 2, 3, 4, 5, 6], [2, 3], d0)], [0.5, 1, 1.5, 8, 10, 12]);
  // dimension 3 of [1,1,2,3] (depthwise, one scale per channel = innermost): channel = i mod 3
  const d3 = { scale: Float32Array.of(1, 10, 100), zeroPoint: [0, 1, 2], quantizedDimension: 3 };
  assert.deepEqual([...applyQuantization([1, 1, 3, 2, 2, 4], [1, 1, 2, 3], d3)], [1, 0, 100, 2, 10, 200]);
  // a scale count that does not match the dimension is refused
  assert.throws(
    () => applyQuantization([1, 2, 3], [3], { scale: Float32Array.of(1, 2), zeroPoint: [], quantizedDimension: 0 }),
    ConversionError,
  );
});

test('raw decoding: int8, float16, float32', () => {
  assert.deepEqual([...decodeRaw(Uint8Array.of(0xff, 0x80, 0x7f), TensorType.INT8, 3)], [-1, -128, 127]);
  // float16 0x3c00 = 1, 0xc000 = −2, 0x3555 ≈ 1/3
  const h = decodeRaw(Uint8Array.of(0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35), TensorType.FLOAT16, 3);
  assert.equal(h[0], 1);
  assert.equal(h[1], -2);
  assert.ok(Math.abs(h[2]! - 1 / 3) < 1e-3);
  const f = new Float32Array([1.5, -2.25]);
  assert.deepEqual([...decodeRaw(new Uint8Array(f.buffer), TensorType.FLOAT32, 2)], [1.5, -2.25]);
  assert.throws(() => decodeRaw(Uint8Array.of(1, 2, 3), TensorType.FLOAT32, 1), /holds 3 bytes/);
});

test('weights routed through a DEQUANTIZE operator are followed back to their constant', () => {
  // tensor 0: int8 per-tensor constant; tensor 1: float32 output of DEQUANTIZE(0), no data
  const sg: TfliteSubgraph = {
    name: 'g',
    inputs: [],
    outputs: [],
    tensors: [
      {
        index: 0,
        name: 'w_q',
        shape: [2, 2],
        type: TensorType.INT8,
        buffer: 1,
        quantization: { scale: Float32Array.of(0.1), zeroPoint: [-2], quantizedDimension: 0 },
      },
      { index: 1, name: 'w', shape: [2, 2], type: TensorType.FLOAT32, buffer: 0, quantization: null },
      { index: 2, name: 'act', shape: [2, 2], type: TensorType.FLOAT32, buffer: 0, quantization: null },
      { index: 3, name: 'f16', shape: [1], type: TensorType.FLOAT16, buffer: 2, quantization: null },
    ],
    operators: [
      { index: 0, opcode: BuiltinOperator.DEQUANTIZE, opName: 'DEQUANTIZE', inputs: [0], outputs: [1] },
      { index: 1, opcode: BuiltinOperator.MUL, opName: 'MUL', inputs: [1, 1], outputs: [2] },
    ],
  };
  const model: TfliteModel = {
    version: 3,
    subgraphs: [sg],
    buffers: [new Uint8Array(0), new Uint8Array(Int8Array.of(-2, 0, 8, -12).buffer), Uint8Array.of(0x00, 0x3c)],
  };
  const w = constantTensor(model, sg, 1, 'test weights');
  // 0.1 × (q + 2): 0, 0.2, 1.0, −1.0
  const expected = [0, 0.2, 1.0, -1.0];
  w.data.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `${v} vs ${expected[i]}`));
  assert.match(w.storage, /int8 per-tensor via DEQUANTIZE/);
  assert.equal(constantTensor(model, sg, 3, 'half').data[0], 1);
  // an activation is not a constant, and the message says what computes it
  assert.throws(() => constantTensor(model, sg, 2, 'test weights'), /computed by MUL/);
});

test('non-TFLite and truncated files are refused with a clear error', () => {
  assert.throws(
    () => readTflite(new TextEncoder().encode('RIFF....WAVEfmt ')),
    (e: unknown) => e instanceof TfliteFormatError && /TFL3/.test(e.message),
  );
  assert.throws(() => readTflite(new Uint8Array(3)), TfliteFormatError);
  // a valid identifier with garbage tables: corrupt, not a crash
  const bogus = new Uint8Array(64);
  new DataView(bogus.buffer).setUint32(0, 1_000_000, true);
  bogus.set(new TextEncoder().encode('TFL3'), 4);
  assert.throws(() => readTflite(bogus), TfliteFormatError);
  assert.throws(() => convertYamnetTflite(bogus), ConversionError);
});
