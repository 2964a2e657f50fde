// The converter reads whatever quantization a file declares: YAMNet variants made from the real
// file — rewritten by our own flatbuffer writer, with every quantized weight moved behind a
// DEQUANTIZE operator and stored as uint8 with zero point 128 — must give exactly the same ONNX
// weights as the original (scale × ((q + 128) − 128) = scale × q).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { readTflite, type TfliteModel } from '../../src/inference/tflite/reader.js';
import { BuiltinOperator, TensorType } from '../../src/inference/tflite/schema.js';
import { convertYamnetTflite } from '../../src/inference/yamnet-convert.js';
import { YamnetSession } from '../../src/inference/yamnet-session.js';
import { writeTflite } from './tflite-writer.js';
import { SHARED_TFLITE, tfliteMissing } from './yamnet-fixture.js';

function initializers(onnx: Uint8Array): Map<string, Uint8Array> {
  const m = onnxProto.onnx.ModelProto.decode(onnx);
  return new Map((m.graph?.initializer ?? []).filter((t) => t.rawData?.length).map((t) => [t.name!, t.rawData!]));
}

/** Every int8 weight → uint8 (q + 128, zero point 128) produced by a DEQUANTIZE operator. */
function dequantizeVariant(model: TfliteModel): { model: TfliteModel; moved: number } {
  const sg = model.subgraphs[0]!;
  const tensors = sg.tensors.map((t) => ({ ...t }));
  const buffers = [...model.buffers];
  const operators = sg.operators.map((o) => ({ ...o, inputs: [...o.inputs] }));
  const added: typeof operators = [];
  let moved = 0;
  for (const op of operators) {
    if (
      ![BuiltinOperator.CONV_2D, BuiltinOperator.DEPTHWISE_CONV_2D, BuiltinOperator.FULLY_CONNECTED].includes(
        op.opcode as 3 | 4 | 9,
      )
    )
      continue;
    const w = tensors[op.inputs[1]!]!;
    if (w.type !== TensorType.INT8 || !w.quantization) continue;
    const src = buffers[w.buffer]!;
    const u8 = Uint8Array.from(new Int8Array(src.buffer, src.byteOffset, src.length), (q) => q + 128);
    buffers.push(u8);
    const q = w.quantization;
    const quantIndex = tensors.length;
    tensors.push({
      ...w,
      index: quantIndex,
      name: `${w.name}/uint8`,
      type: TensorType.UINT8,
      buffer: buffers.length - 1,
      quantization: { ...q, zeroPoint: q.scale.length > 1 ? Array.from(q.scale, () => 128) : [128] },
    });
    const floatIndex = tensors.length;
    buffers.push(new Uint8Array(0));
    tensors.push({
      index: floatIndex,
      name: `${w.name}/dequantized`,
      shape: w.shape,
      type: TensorType.FLOAT32,
      buffer: buffers.length - 1,
      quantization: null,
    });
    added.push({
      index: 0,
      opcode: BuiltinOperator.DEQUANTIZE,
      opName: 'DEQUANTIZE',
      inputs: [quantIndex],
      outputs: [floatIndex],
    });
    op.inputs[1] = floatIndex;
    moved++;
  }
  const all = [...added, ...operators].map((o, index) => ({ ...o, index }));
  return { model: { ...model, buffers, subgraphs: [{ ...sg, tensors, operators: all }] }, moved };
}

test('a rewritten copy of the file converts to the same ONNX weights', { skip: tfliteMissing() }, () => {
  const bytes = readFileSync(SHARED_TFLITE);
  const original = initializers(convertYamnetTflite(bytes).onnx);
  const copy = writeTflite(readTflite(bytes));
  const again = initializers(convertYamnetTflite(copy).onnx);
  assert.equal(again.size, original.size);
  for (const [name, data] of original) assert.deepEqual(again.get(name), data, name);
});

test(
  'weights behind DEQUANTIZE operators, uint8 with zero points, per tensor and per channel',
  { skip: tfliteMissing() },
  async () => {
    const bytes = readFileSync(SHARED_TFLITE);
    const converted = convertYamnetTflite(bytes);
    const original = initializers(converted.onnx);
    const variant = dequantizeVariant(readTflite(bytes));
    // 13 pointwise + 11 depthwise int8 kernels, the dense layer, and the (unconverted) mel matrix
    assert.equal(variant.moved, 26);
    const result = convertYamnetTflite(writeTflite(variant.model));
    assert.ok(
      result.layers.some((l) => /uint8 per-channel\(\d+\) via DEQUANTIZE/.test(l.weights)),
      result.layers.map((l) => l.weights).join(),
    );
    assert.match(result.dense.weights, /uint8 per-tensor via DEQUANTIZE/);
    const again = initializers(result.onnx);
    for (const [name, data] of original) assert.deepEqual(again.get(name), data, `${name} differs`);
    // and it runs
    const session = await YamnetSession.load(result.onnx);
    const out = await session.runArray(new Float32Array(96 * 64).fill(Math.log(0.001)), 1);
    await session.close();
    assert.equal(out.embeddings.length, 1024);
  },
);
