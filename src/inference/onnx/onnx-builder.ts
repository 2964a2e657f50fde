/**
 * A small, typed way to write ONNX models from TypeScript (the YAMNet converter and the
 * classifier-head exporter both use it). Only what those graphs need: float/int64 initializers,
 * nodes with int/float/ints/string attributes, float tensor inputs/outputs with symbolic dims,
 * and model metadata (the head stores its class order there).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX IR version 8 with opset 13: supported by every onnxruntime release we target. */
const IR_VERSION = 8;
const OPSET = 13;

export type AttributeValue = number | number[] | string | { float: number };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** Integers become INT (or INTS for arrays); `{ float: x }` becomes FLOAT; strings STRING. */
  attributes?: Record<string, AttributeValue>;
}

export interface TensorSpec {
  name: string;
  /** Dimension sizes; a string is a symbolic dimension such as "N". */
  dims: Array<number | string>;
}

export interface GraphSpec {
  name: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  nodes: NodeSpec[];
  floatInitializers: Array<{ name: string; dims: number[]; data: Float32Array }>;
  int64Initializers?: Array<{ name: string; dims: number[]; data: number[] }>;
  metadata?: Record<string, string>;
  producer?: string;
  docString?: string;
}

function attribute(name: string, value: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') {
    return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value) });
  }
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: value });
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use { float } for non-integers`);
    return onnx.AttributeProto.create({ name, type: T.INT, i: value });
  }
  return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.float });
}

function valueInfo(spec: TensorSpec): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name: spec.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: spec.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  });
}

/** Serialise a graph to ONNX bytes, ready for onnxruntime's InferenceSession.create(). */
export function buildOnnxModel(graph: GraphSpec): Uint8Array {
  const initializers = [
    ...graph.floatInitializers.map((t) => {
      const expected = t.dims.reduce((a, b) => a * b, 1);
      if (expected !== t.data.length) {
        throw new Error(
          `initializer ${t.name}: dims ${t.dims.join('x')} need ${expected} values, got ${t.data.length}`,
        );
      }
      return onnx.TensorProto.create({
        name: t.name,
        dims: t.dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        // raw little-endian bytes: compact and exact
        rawData: new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength)),
      });
    }),
    ...(graph.int64Initializers ?? []).map((t) =>
      onnx.TensorProto.create({
        name: t.name,
        dims: t.dims,
        dataType: onnx.TensorProto.DataType.INT64,
        int64Data: t.data,
      }),
    ),
  ];
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: graph.producer ?? 'auscult',
    docString: graph.docString ?? '',
    opsetImport: [{ domain: '', version: OPSET }],
    metadataProps: Object.entries(graph.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: graph.nodes.map((n, i) =>
        onnx.NodeProto.create({
          name: n.name ?? `${n.op}_${i}`,
          opType: n.op,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
        }),
      ),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer: initializers,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
