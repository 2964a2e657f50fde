/**
 * Turns a TFLite constant tensor into float32 values, whatever its storage: float32, float16,
 * or integer with per-tensor or per-channel scales (value = scale × (q − zero_point), the
 * TFLite quantization spec). Weights that reach an operator through a DEQUANTIZE operator are
 * followed back to their constant.
 */
import { CodedError } from '../../common/coded-error.js';
import type { TfliteModel, TfliteQuantization, TfliteSubgraph, TfliteTensor } from '../tflite/reader.js';
import { TENSOR_TYPE_NAMES, TensorType, BuiltinOperator } from '../tflite/schema.js';

export class ConversionError extends CodedError<'model', 'YAMNET_STRUCTURE'> {
  constructor(message: string) {
    super('model', 'YAMNET_STRUCTURE', message);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Raw little-endian bytes of one tensor type to numbers (no scaling). */
export function decodeRaw(bytes: Uint8Array, type: number, count: number): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size: Record<number, number> = {
    [TensorType.FLOAT32]: 4,
    [TensorType.FLOAT16]: 2,
    [TensorType.INT32]: 4,
    [TensorType.UINT8]: 1,
    [TensorType.INT8]: 1,
    [TensorType.INT16]: 2,
    [TensorType.FLOAT64]: 8,
    [TensorType.INT64]: 8,
  };
  const s = size[type];
  if (s === undefined)
    throw new ConversionError(`weights of type ${TENSOR_TYPE_NAMES[type] ?? type} are not supported`);
  if (bytes.length !== s * count) {
    throw new ConversionError(`a weight buffer holds ${bytes.length} bytes; its shape needs ${s * count}`);
  }
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const o = i * s;
    switch (type) {
      case TensorType.FLOAT32:
        out[i] = view.getFloat32(o, true);
        break;
      case TensorType.FLOAT16:
        out[i] = halfToFloat(view.getUint16(o, true));
        break;
      case TensorType.INT32:
        out[i] = view.getInt32(o, true);
        break;
      case TensorType.UINT8:
        out[i] = view.getUint8(o);
        break;
      case TensorType.INT8:
        out[i] = view.getInt8(o);
        break;
      case TensorType.INT16:
        out[i] = view.getInt16(o, true);
        break;
      case TensorType.FLOAT64:
        out[i] = view.getFloat64(o, true);
        break;
      case TensorType.INT64:
        out[i] = Number(view.getBigInt64(o, true));
        break;
    }
  }
  return out;
}

/**
 * Apply TFLite quantization to raw integer values laid out in `shape` (row-major). One scale =
 * per tensor; several = per channel along `quantizedDimension`. Missing zero points are 0.
 */
export function applyQuantization(raw: ArrayLike<number>, shape: number[], q: TfliteQuantization): Float64Array {
  const n = raw.length;
  const out = new Float64Array(n);
  if (q.scale.length === 1) {
    const s = q.scale[0]!;
    const z = q.zeroPoint[0] ?? 0;
    for (let i = 0; i < n; i++) out[i] = s * (raw[i]! - z);
    return out;
  }
  const dim = q.quantizedDimension;
  if (dim < 0 || dim >= shape.length || shape[dim] !== q.scale.length) {
    throw new ConversionError(
      `per-channel quantization with ${q.scale.length} scales does not match dimension ${dim} of shape [${shape.join(', ')}]`,
    );
  }
  if (q.zeroPoint.length > 1 && q.zeroPoint.length !== q.scale.length) {
    throw new ConversionError(`${q.zeroPoint.length} zero points for ${q.scale.length} scales`);
  }
  // elements between two steps of the quantized dimension
  let inner = 1;
  for (let d = dim + 1; d < shape.length; d++) inner *= shape[d]!;
  const channels = q.scale.length;
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % channels;
    const z = q.zeroPoint.length > 1 ? q.zeroPoint[c]! : (q.zeroPoint[0] ?? 0);
    out[i] = q.scale[c]! * (raw[i]! - z);
  }
  return out;
}

export interface ConstantTensor {
  name: string;
  shape: number[];
  /** Float values in the tensor's own (TFLite) layout. */
  data: Float32Array;
  /** How it was stored, for the conversion report: e.g. "int8 per-channel(64)". */
  storage: string;
}

function storageLabel(t: TfliteTensor): string {
  const type = (TENSOR_TYPE_NAMES[t.type] ?? String(t.type)).toLowerCase();
  if (!t.quantization) return type;
  const n = t.quantization.scale.length;
  return n === 1 ? `${type} per-tensor` : `${type} per-channel(${n})`;
}

/**
 * The float values of a constant input tensor: read from its buffer, or, when a DEQUANTIZE
 * operator produces it, from that operator's constant input.
 */
export function constantTensor(
  model: TfliteModel,
  sg: TfliteSubgraph,
  tensorIndex: number,
  role: string,
): ConstantTensor {
  const t = sg.tensors[tensorIndex];
  if (!t) throw new ConversionError(`${role}: tensor ${tensorIndex} does not exist`);
  const bytes = model.buffers[t.buffer];
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (!bytes || bytes.length === 0) {
    const producer = sg.operators.find((op) => op.outputs.includes(tensorIndex));
    if (producer && producer.opcode === BuiltinOperator.DEQUANTIZE) {
      const src = constantTensor(model, sg, producer.inputs[0]!, role);
      if (src.data.length !== count) throw new ConversionError(`${role}: DEQUANTIZE changes the element count`);
      return { ...src, name: t.name, shape: t.shape, storage: `${src.storage} via DEQUANTIZE` };
    }
    throw new ConversionError(
      `${role} (${t.name || `tensor ${tensorIndex}`}) is not a constant: ` +
        (producer ? `it is computed by ${producer.opName}` : 'it has no data'),
    );
  }
  const raw = decodeRaw(bytes, t.type, count);
  const isFloat = t.type === TensorType.FLOAT32 || t.type === TensorType.FLOAT16 || t.type === TensorType.FLOAT64;
  let values: ArrayLike<number> = raw;
  if (t.quantization && !isFloat) values = applyQuantization(raw, t.shape, t.quantization);
  else if (!isFloat) throw new ConversionError(`${role} (${t.name}) is an integer tensor without quantization scales`);
  return { name: t.name, shape: t.shape, data: Float32Array.from(values), storage: storageLabel(t) };
}
