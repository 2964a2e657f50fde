/**
 * Reads a TensorFlow Lite model (a flatbuffer, file identifier `TFL3`) into plain objects:
 * tensors with their quantization, operators with the options the converter needs, and the
 * raw bytes of every buffer. Hand-written accessors over the `flatbuffers` ByteBuffer, for the
 * handful of tables in ./schema.ts (no generated code, no TensorFlow).
 */
import { CodedError } from '../../common/coded-error.js';
import { ByteBuffer } from 'flatbuffers';
import { BUILTIN_OPERATOR_NAMES, BuiltinOperator, F } from './schema.js';

export class TfliteFormatError extends CodedError<'model', 'TFLITE_FORMAT'> {
  constructor(message: string) {
    super('model', 'TFLITE_FORMAT', message);
  }
}

export interface TfliteQuantization {
  scale: Float32Array;
  /** int64 in the schema; zero points are small, so numbers are exact. */
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  type: number;
  buffer: number;
  quantization: TfliteQuantization | null;
}

export interface ConvOptions {
  padding: number;
  strideW: number;
  strideH: number;
  dilationW: number;
  dilationH: number;
  activation: number;
  /** Depthwise only (1 for a plain convolution). */
  depthMultiplier: number;
}

export interface TfliteOperator {
  index: number;
  /** Builtin operator code (max of the deprecated byte and the int32 field). */
  opcode: number;
  opName: string;
  /** Tensor indices; -1 marks an omitted optional input (e.g. no bias). */
  inputs: number[];
  outputs: number[];
  conv?: ConvOptions;
  fullyConnected?: { activation: number; keepNumDims: boolean };
  reducer?: { keepDims: boolean };
}

export interface TfliteSubgraph {
  name: string;
  tensors: TfliteTensor[];
  operators: TfliteOperator[];
  inputs: number[];
  outputs: number[];
}

export interface TfliteModel {
  version: number;
  subgraphs: TfliteSubgraph[];
  /** Raw bytes per buffer index; empty for buffers without data (activations). */
  buffers: Uint8Array[];
}

function inBounds(bb: ByteBuffer, pos: number, size: number): void {
  if (!Number.isInteger(pos) || pos < 0 || size < 0 || pos + size > bb.capacity()) {
    throw new TfliteFormatError('the TensorFlow Lite file is truncated or corrupt (an offset points outside the file)');
  }
}

/** Table accessor: position of a table in the buffer plus field lookups by schema id. */
class Table {
  constructor(
    readonly bb: ByteBuffer,
    readonly pos: number,
  ) {
    // ByteBuffer does not check bounds: a corrupt offset must not read garbage silently
    inBounds(bb, pos, 4);
    inBounds(bb, pos - bb.readInt32(pos), 4);
  }

  private off(id: number): number {
    return this.bb.__offset(this.pos, 4 + 2 * id);
  }
  has(id: number): boolean {
    return this.off(id) !== 0;
  }
  int8(id: number, dflt = 0): number {
    const o = this.off(id);
    return o ? this.bb.readInt8(this.pos + o) : dflt;
  }
  uint8(id: number, dflt = 0): number {
    const o = this.off(id);
    return o ? this.bb.readUint8(this.pos + o) : dflt;
  }
  int32(id: number, dflt = 0): number {
    const o = this.off(id);
    return o ? this.bb.readInt32(this.pos + o) : dflt;
  }
  uint32(id: number, dflt = 0): number {
    const o = this.off(id);
    return o ? this.bb.readUint32(this.pos + o) : dflt;
  }
  uint64(id: number): bigint {
    const o = this.off(id);
    return o ? this.bb.readUint64(this.pos + o) : 0n;
  }
  bool(id: number): boolean {
    return this.uint8(id) !== 0;
  }
  string(id: number): string {
    const o = this.off(id);
    return o ? String(this.bb.__string(this.pos + o)) : '';
  }
  table(id: number): Table | null {
    const o = this.off(id);
    return o ? new Table(this.bb, this.bb.__indirect(this.pos + o)) : null;
  }
  /** A vector field: its first element's position and length (0 when absent). */
  vector(id: number, elementSize = 1): { start: number; length: number } {
    const o = this.off(id);
    if (!o) return { start: 0, length: 0 };
    inBounds(this.bb, this.pos + o, 4);
    inBounds(this.bb, this.bb.__indirect(this.pos + o), 4);
    const v = { start: this.bb.__vector(this.pos + o), length: this.bb.__vector_len(this.pos + o) };
    inBounds(this.bb, v.start, v.length * elementSize);
    return v;
  }
  tables(id: number): Table[] {
    const { start, length } = this.vector(id, 4);
    const out: Table[] = [];
    for (let i = 0; i < length; i++) out.push(new Table(this.bb, this.bb.__indirect(start + 4 * i)));
    return out;
  }
  int32s(id: number): number[] {
    const { start, length } = this.vector(id, 4);
    const out: number[] = [];
    for (let i = 0; i < length; i++) out.push(this.bb.readInt32(start + 4 * i));
    return out;
  }
  int64s(id: number): number[] {
    const { start, length } = this.vector(id, 8);
    const out: number[] = [];
    for (let i = 0; i < length; i++) out.push(Number(this.bb.readInt64(start + 8 * i)));
    return out;
  }
  float32s(id: number): Float32Array {
    const { start, length } = this.vector(id, 4);
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.bb.readFloat32(start + 4 * i);
    return out;
  }
  bytes(id: number): Uint8Array {
    const { start, length } = this.vector(id);
    return this.bb.bytes().subarray(start, start + length);
  }
}

function readConvOptions(t: Table | null, depthwise: boolean): ConvOptions {
  // Absent options table = all defaults (SAME padding, stride 0 would be invalid; checked by the converter).
  if (!t) return { padding: 0, strideW: 0, strideH: 0, dilationW: 1, dilationH: 1, activation: 0, depthMultiplier: 1 };
  if (depthwise) {
    const f = F.DepthwiseConv2DOptions;
    return {
      padding: t.int8(f.padding),
      strideW: t.int32(f.stride_w),
      strideH: t.int32(f.stride_h),
      depthMultiplier: t.int32(f.depth_multiplier, 1),
      activation: t.int8(f.fused_activation_function),
      dilationW: t.int32(f.dilation_w_factor, 1),
      dilationH: t.int32(f.dilation_h_factor, 1),
    };
  }
  const f = F.Conv2DOptions;
  return {
    padding: t.int8(f.padding),
    strideW: t.int32(f.stride_w),
    strideH: t.int32(f.stride_h),
    depthMultiplier: 1,
    activation: t.int8(f.fused_activation_function),
    dilationW: t.int32(f.dilation_w_factor, 1),
    dilationH: t.int32(f.dilation_h_factor, 1),
  };
}

/** Parse a .tflite file's bytes. Throws TfliteFormatError when it is not a TFLite model. */
export function readTflite(bytes: Uint8Array): TfliteModel {
  if (bytes.length < 8) throw new TfliteFormatError('the file is too small to be a TensorFlow Lite model');
  const bb = new ByteBuffer(bytes);
  if (!bb.__has_identifier('TFL3')) {
    throw new TfliteFormatError('not a TensorFlow Lite model (the flatbuffer identifier is not "TFL3")');
  }
  try {
    const root = new Table(bb, bb.readInt32(0));
    const codes = root
      .tables(F.Model.operator_codes)
      .map((oc) => Math.max(oc.int8(F.OperatorCode.deprecated_builtin_code), oc.int32(F.OperatorCode.builtin_code)));
    const buffers = root.tables(F.Model.buffers).map((b) => {
      const offset = b.uint64(F.Buffer.offset);
      if (offset > 1n) {
        // data stored after the flatbuffer (large models): offset is from the file's start
        const start = Number(offset);
        const end = start + Number(b.uint64(F.Buffer.size));
        if (end > bytes.length) throw new TfliteFormatError('a weight buffer points past the end of the file');
        return bytes.subarray(start, end);
      }
      return b.bytes(F.Buffer.data);
    });
    const subgraphs = root.tables(F.Model.subgraphs).map((sg): TfliteSubgraph => {
      const tensors = sg.tables(F.SubGraph.tensors).map((t, index): TfliteTensor => {
        const q = t.table(F.Tensor.quantization);
        let quantization: TfliteQuantization | null = null;
        if (q) {
          const scale = q.float32s(F.QuantizationParameters.scale);
          if (scale.length > 0) {
            quantization = {
              scale,
              zeroPoint: q.int64s(F.QuantizationParameters.zero_point),
              quantizedDimension: q.int32(F.QuantizationParameters.quantized_dimension),
            };
          }
        }
        return {
          index,
          name: t.string(F.Tensor.name),
          shape: t.int32s(F.Tensor.shape),
          type: t.int8(F.Tensor.type),
          buffer: t.uint32(F.Tensor.buffer),
          quantization,
        };
      });
      const operators = sg.tables(F.SubGraph.operators).map((op, index): TfliteOperator => {
        const codeIndex = op.uint32(F.Operator.opcode_index);
        const opcode = codes[codeIndex];
        if (opcode === undefined)
          throw new TfliteFormatError(`operator ${index} names operator code ${codeIndex}, which does not exist`);
        const out: TfliteOperator = {
          index,
          opcode,
          opName: BUILTIN_OPERATOR_NAMES[opcode] ?? `BUILTIN_${opcode}`,
          inputs: op.int32s(F.Operator.inputs),
          outputs: op.int32s(F.Operator.outputs),
        };
        const options = op.table(F.Operator.builtin_options);
        if (opcode === BuiltinOperator.CONV_2D) out.conv = readConvOptions(options, false);
        else if (opcode === BuiltinOperator.DEPTHWISE_CONV_2D) out.conv = readConvOptions(options, true);
        else if (opcode === BuiltinOperator.FULLY_CONNECTED) {
          out.fullyConnected = {
            activation: options?.int8(F.FullyConnectedOptions.fused_activation_function) ?? 0,
            keepNumDims: options?.bool(F.FullyConnectedOptions.keep_num_dims) ?? false,
          };
        } else if (opcode === BuiltinOperator.MEAN) {
          out.reducer = { keepDims: options?.bool(F.ReducerOptions.keep_dims) ?? false };
        }
        return out;
      });
      return {
        name: sg.string(F.SubGraph.name),
        tensors,
        operators,
        inputs: sg.int32s(F.SubGraph.inputs),
        outputs: sg.int32s(F.SubGraph.outputs),
      };
    });
    return { version: root.uint32(F.Model.version), subgraphs, buffers };
  } catch (err) {
    if (err instanceof TfliteFormatError) throw err;
    // ByteBuffer reads past the end throw RangeError: a truncated or corrupt file
    throw new TfliteFormatError(
      `the TensorFlow Lite file is truncated or corrupt (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}
