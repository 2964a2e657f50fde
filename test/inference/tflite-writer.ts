/**
 * Test helper: writes a TfliteModel (the reader's plain objects) back to a TFL3 flatbuffer
 * with the `flatbuffers` Builder, so tests can make YAMNet variants the converter must
 * handle (weights behind DEQUANTIZE operators, uint8 with zero points) from the real file.
 * Only the fields the reader knows are written.
 */
import { Builder } from 'flatbuffers';
import type { TfliteModel, TfliteOperator, TfliteTensor } from '../../src/inference/tflite/reader.js';
import { BuiltinOperator, F } from '../../src/inference/tflite/schema.js';

function int32Vector(b: Builder, values: number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]!);
  return b.endVector();
}
function int64Vector(b: Builder, values: number[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]!));
  return b.endVector();
}
function float32Vector(b: Builder, values: Float32Array): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]!);
  return b.endVector();
}
function offsetVector(b: Builder, offsets: number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
}

function writeTensor(b: Builder, t: TfliteTensor): number {
  const name = b.createString(t.name);
  const shape = int32Vector(b, t.shape);
  let quant = 0;
  if (t.quantization) {
    const scale = float32Vector(b, t.quantization.scale);
    const zp = int64Vector(b, t.quantization.zeroPoint);
    b.startObject(7);
    b.addFieldOffset(F.QuantizationParameters.scale, scale, 0);
    b.addFieldOffset(F.QuantizationParameters.zero_point, zp, 0);
    b.addFieldInt32(F.QuantizationParameters.quantized_dimension, t.quantization.quantizedDimension, 0);
    quant = b.endObject();
  }
  b.startObject(5);
  b.addFieldOffset(F.Tensor.shape, shape, 0);
  b.addFieldInt8(F.Tensor.type, t.type, 0);
  b.addFieldInt32(F.Tensor.buffer, t.buffer, 0);
  b.addFieldOffset(F.Tensor.name, name, 0);
  if (quant) b.addFieldOffset(F.Tensor.quantization, quant, 0);
  return b.endObject();
}

/** Returns [union type, table offset] of the operator's options, or [0, 0]. */
function writeOptions(b: Builder, op: TfliteOperator): [number, number] {
  if (op.conv && op.opcode === BuiltinOperator.CONV_2D) {
    const f = F.Conv2DOptions;
    b.startObject(6);
    b.addFieldInt8(f.padding, op.conv.padding, 0);
    b.addFieldInt32(f.stride_w, op.conv.strideW, 0);
    b.addFieldInt32(f.stride_h, op.conv.strideH, 0);
    b.addFieldInt8(f.fused_activation_function, op.conv.activation, 0);
    b.addFieldInt32(f.dilation_w_factor, op.conv.dilationW, 1);
    b.addFieldInt32(f.dilation_h_factor, op.conv.dilationH, 1);
    return [1, b.endObject()]; // BuiltinOptions.Conv2DOptions
  }
  if (op.conv && op.opcode === BuiltinOperator.DEPTHWISE_CONV_2D) {
    const f = F.DepthwiseConv2DOptions;
    b.startObject(7);
    b.addFieldInt8(f.padding, op.conv.padding, 0);
    b.addFieldInt32(f.stride_w, op.conv.strideW, 0);
    b.addFieldInt32(f.stride_h, op.conv.strideH, 0);
    b.addFieldInt32(f.depth_multiplier, op.conv.depthMultiplier, 0);
    b.addFieldInt8(f.fused_activation_function, op.conv.activation, 0);
    b.addFieldInt32(f.dilation_w_factor, op.conv.dilationW, 1);
    b.addFieldInt32(f.dilation_h_factor, op.conv.dilationH, 1);
    return [2, b.endObject()]; // BuiltinOptions.DepthwiseConv2DOptions
  }
  if (op.fullyConnected) {
    b.startObject(3);
    b.addFieldInt8(F.FullyConnectedOptions.fused_activation_function, op.fullyConnected.activation, 0);
    b.addFieldInt8(F.FullyConnectedOptions.keep_num_dims, op.fullyConnected.keepNumDims ? 1 : 0, 0);
    return [8, b.endObject()]; // BuiltinOptions.FullyConnectedOptions
  }
  if (op.reducer) {
    b.startObject(1);
    b.addFieldInt8(F.ReducerOptions.keep_dims, op.reducer.keepDims ? 1 : 0, 0);
    return [27, b.endObject()]; // BuiltinOptions.ReducerOptions
  }
  return [0, 0];
}

export function writeTflite(model: TfliteModel): Uint8Array {
  const b = new Builder(1 << 22);
  const codes = [...new Set(model.subgraphs.flatMap((sg) => sg.operators.map((o) => o.opcode)))];
  const buffers = model.buffers.map((data) => {
    let vec = 0;
    if (data.length > 0) {
      b.startVector(1, data.length, 16); // TFLite aligns weight data to 16 bytes
      for (let i = data.length - 1; i >= 0; i--) b.addInt8(data[i]!);
      vec = b.endVector();
    }
    b.startObject(3);
    if (vec) b.addFieldOffset(F.Buffer.data, vec, 0);
    return b.endObject();
  });
  const subgraphs = model.subgraphs.map((sg) => {
    const tensors = sg.tensors.map((t) => writeTensor(b, t));
    const operators = sg.operators.map((op) => {
      const inputs = int32Vector(b, op.inputs);
      const outputs = int32Vector(b, op.outputs);
      const [optType, opt] = writeOptions(b, op);
      b.startObject(5);
      b.addFieldInt32(F.Operator.opcode_index, codes.indexOf(op.opcode), 0);
      b.addFieldOffset(F.Operator.inputs, inputs, 0);
      b.addFieldOffset(F.Operator.outputs, outputs, 0);
      if (opt) {
        b.addFieldInt8(F.Operator.builtin_options_type, optType, 0);
        b.addFieldOffset(F.Operator.builtin_options, opt, 0);
      }
      return b.endObject();
    });
    const tv = offsetVector(b, tensors);
    const ov = offsetVector(b, operators);
    const iv = int32Vector(b, sg.inputs);
    const outv = int32Vector(b, sg.outputs);
    const name = b.createString(sg.name);
    b.startObject(5);
    b.addFieldOffset(F.SubGraph.tensors, tv, 0);
    b.addFieldOffset(F.SubGraph.inputs, iv, 0);
    b.addFieldOffset(F.SubGraph.outputs, outv, 0);
    b.addFieldOffset(F.SubGraph.operators, ov, 0);
    b.addFieldOffset(F.SubGraph.name, name, 0);
    return b.endObject();
  });
  const opcodes = codes.map((c) => {
    b.startObject(4);
    b.addFieldInt8(F.OperatorCode.deprecated_builtin_code, Math.min(c, 127), 0);
    b.addFieldInt32(F.OperatorCode.version, 1, 1);
    b.addFieldInt32(F.OperatorCode.builtin_code, c, 0);
    return b.endObject();
  });
  const ocv = offsetVector(b, opcodes);
  const sgv = offsetVector(b, subgraphs);
  const bv = offsetVector(b, buffers);
  b.startObject(5);
  b.addFieldInt32(F.Model.version, model.version, 0);
  b.addFieldOffset(F.Model.operator_codes, ocv, 0);
  b.addFieldOffset(F.Model.subgraphs, sgv, 0);
  b.addFieldOffset(F.Model.buffers, bv, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array();
}
