/**
 * Our own YAMNet converter: TFLite flatbuffer in, ONNX model out.
 *
 * It starts at the first CONV_2D that takes a [1, 96, 64, 1] log-mel patch (Auscult computes
 * the front end itself) and follows the activation through the 14 convolution layers (a 3×3
 * conv, then 13 depthwise + pointwise pairs), MEAN (the 1024-D embedding), FULLY_CONNECTED and
 * LOGISTIC (521 AudioSet scores). Weights are dequantized as the file declares; layouts become
 * NCHW; TensorFlow 'SAME' padding becomes explicit (asymmetric) ONNX pads; fused ReLU becomes a
 * Relu node. Anything that does not match this structure is refused with the reason.
 */
import { createHash } from 'node:crypto';
import { AUDIOSET_CLASSES, EMBEDDING_DIMS, MEL_BANDS as PATCH_BANDS, PATCH_FRAMES } from '../features/yamnet-params.js';
import { buildOnnxModel, type NodeSpec } from './onnx/onnx-builder.js';
import { readTflite, type TfliteModel, type TfliteOperator, type TfliteSubgraph } from './tflite/reader.js';
import { Activation, BuiltinOperator, Padding, TensorType } from './tflite/schema.js';
import { ConversionError, constantTensor, decodeRaw } from './convert/dequantize.js';
import { convWeightsToOihw, depthwiseWeightsToOihw, samePadding, validOutput } from './convert/layout.js';
import { CONVERTER_VERSION } from './convert/version.js';

export { ConversionError } from './convert/dequantize.js';

// Bump CONVERTER_VERSION (convert/version.ts) when the produced ONNX graph changes (recorded in models/yamnet.json).
export { CONVERTER_VERSION };

/** One 3×3 conv plus 13 depthwise-separable blocks. */
const CONV_OPS = 27;

export interface ConvertedLayer {
  name: string;
  op: 'conv' | 'depthwise';
  inShape: [number, number, number];
  outShape: [number, number, number];
  stride: [number, number];
  /** ONNX order: [top, left, bottom, right]. */
  pads: [number, number, number, number];
  weights: string;
}

export interface ConversionResult {
  onnx: Uint8Array;
  sourceSha256: string;
  layers: ConvertedLayer[];
  dense: { weights: string; shape: number[] };
}

function shapeOf(sg: TfliteSubgraph, index: number): number[] {
  const t = sg.tensors[index];
  if (!t) throw new ConversionError(`tensor ${index} does not exist`);
  return t.shape;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Layer name from the TF tensor name ("yamnet_frames/layer4/depthwise_conv/…" → "layer4/depthwise_conv"). */
function layerName(sg: TfliteSubgraph, op: TfliteOperator): string {
  const n = sg.tensors[op.inputs[1]!]?.name ?? '';
  const m = /(layer\d+\/[a-z_]+)/.exec(n);
  return m ? m[1]! : `op${op.index}`;
}

function activationNodes(
  act: number,
  input: string,
  output: string,
  where: string,
): { nodes: NodeSpec[]; needsClip: boolean } {
  if (act === Activation.NONE)
    return { nodes: [{ op: 'Identity', inputs: [input], outputs: [output] }], needsClip: false };
  if (act === Activation.RELU) return { nodes: [{ op: 'Relu', inputs: [input], outputs: [output] }], needsClip: false };
  if (act === Activation.RELU6) {
    return { nodes: [{ op: 'Clip', inputs: [input, 'clip_min', 'clip_max'], outputs: [output] }], needsClip: true };
  }
  throw new ConversionError(`${where}: fused activation ${act} is not supported (YAMNet uses ReLU)`);
}

/** Convert a YAMNet TFLite file's bytes to ONNX bytes. Throws ConversionError on any mismatch. */
export function convertYamnetTflite(bytes: Uint8Array): ConversionResult {
  const sourceSha256 = createHash('sha256').update(bytes).digest('hex');
  let model: TfliteModel;
  try {
    model = readTflite(bytes);
  } catch (err) {
    throw new ConversionError(err instanceof Error ? err.message : String(err));
  }
  const sg = model.subgraphs[0];
  if (!sg) throw new ConversionError('the TFLite model has no subgraph');

  const consumers = (tensor: number): TfliteOperator[] => sg.operators.filter((op) => op.inputs.includes(tensor));
  const next = (op: TfliteOperator): TfliteOperator => {
    const out = op.outputs[0]!;
    const users = consumers(out);
    if (users.length !== 1) {
      throw new ConversionError(
        `the output of ${op.opName} (operator ${op.index}) feeds ${users.length} operators; YAMNet is a chain`,
      );
    }
    return users[0]!;
  };

  const first = sg.operators.find(
    (op) =>
      op.opcode === BuiltinOperator.CONV_2D && sameShape(shapeOf(sg, op.inputs[0]!), [1, PATCH_FRAMES, PATCH_BANDS, 1]),
  );
  if (!first) {
    throw new ConversionError(
      'no CONV_2D operator takes a [1, 96, 64, 1] log-mel patch: this is not a YAMNet TFLite model',
    );
  }

  const nodes: NodeSpec[] = [];
  const floats: Array<{ name: string; dims: number[]; data: Float32Array }> = [];
  const layers: ConvertedLayer[] = [];
  let needsClip = false;

  nodes.push({ op: 'Reshape', inputs: ['patches', 'patch_shape'], outputs: ['x0'], name: 'to_nchw' });
  let current = 'x0';
  let [h, w, c] = [PATCH_FRAMES, PATCH_BANDS, 1];
  let op = first;
  for (let k = 0; k < CONV_OPS; k++) {
    const depthwise = op.opcode === BuiltinOperator.DEPTHWISE_CONV_2D;
    // layer 1 is a conv; then depthwise, pointwise alternate
    const expected = k % 2 === 0 ? BuiltinOperator.CONV_2D : BuiltinOperator.DEPTHWISE_CONV_2D;
    if (op.opcode !== expected) {
      throw new ConversionError(
        `operator ${op.index} is ${op.opName}; YAMNet's convolution ${k + 1} of ${CONV_OPS} should be ${expected === BuiltinOperator.CONV_2D ? 'CONV_2D' : 'DEPTHWISE_CONV_2D'}`,
      );
    }
    const name = layerName(sg, op);
    const opt = op.conv!;
    if (opt.strideH < 1 || opt.strideW < 1)
      throw new ConversionError(`${name}: invalid stride ${opt.strideH}×${opt.strideW}`);
    const inShape = shapeOf(sg, op.inputs[0]!);
    if (sg.tensors[op.inputs[0]!]!.type !== TensorType.FLOAT32) {
      // full-integer models compute with int8 activations: a float graph would not reproduce them
      throw new ConversionError(
        `${name}: its activations are not float32 (a fully integer-quantized model); use a float or dynamic-range YAMNet build`,
      );
    }
    if (!sameShape(inShape, [1, h, w, c])) {
      throw new ConversionError(
        `${name}: input shape [${inShape.join(', ')}] where [1, ${h}, ${w}, ${c}] was expected`,
      );
    }
    const wt = constantTensor(model, sg, op.inputs[1]!, `${name} weights`);
    if (wt.shape.length !== 4) throw new ConversionError(`${name}: weights of rank ${wt.shape.length}`);
    const [w0, kh, kw, w3] = wt.shape as [number, number, number, number];
    let outC: number;
    let onnxW: Float32Array;
    let group: number;
    if (depthwise) {
      if (w0 !== 1 || w3 !== c * opt.depthMultiplier) {
        throw new ConversionError(
          `${name}: depthwise weights [${wt.shape.join(', ')}] do not fit ${c} channels × multiplier ${opt.depthMultiplier}`,
        );
      }
      outC = w3;
      onnxW = depthwiseWeightsToOihw(wt.data, kh, kw, w3);
      group = c;
    } else {
      if (w3 !== c)
        throw new ConversionError(
          `${name}: weights [${wt.shape.join(', ')}] expect ${w3} input channels, the activation has ${c}`,
        );
      outC = w0;
      onnxW = convWeightsToOihw(wt.data, w0, kh, kw, w3);
      group = 1;
    }
    const bias =
      op.inputs[2] !== undefined && op.inputs[2] >= 0
        ? constantTensor(model, sg, op.inputs[2], `${name} bias`).data
        : new Float32Array(outC);
    if (bias.length !== outC) throw new ConversionError(`${name}: ${bias.length} biases for ${outC} filters`);

    let pads: [number, number, number, number];
    let oh: number;
    let ow: number;
    if (opt.padding === Padding.SAME) {
      const ph = samePadding(h, kh, opt.strideH, opt.dilationH);
      const pw = samePadding(w, kw, opt.strideW, opt.dilationW);
      pads = [ph.begin, pw.begin, ph.end, pw.end];
      [oh, ow] = [ph.out, pw.out];
    } else if (opt.padding === Padding.VALID) {
      pads = [0, 0, 0, 0];
      [oh, ow] = [validOutput(h, kh, opt.strideH, opt.dilationH), validOutput(w, kw, opt.strideW, opt.dilationW)];
    } else {
      throw new ConversionError(`${name}: unknown padding ${opt.padding}`);
    }
    const declared = shapeOf(sg, op.outputs[0]!);
    if (declared.length > 0 && !sameShape(declared, [1, oh, ow, outC])) {
      throw new ConversionError(
        `${name}: the file says the output is [${declared.join(', ')}], the arithmetic gives [1, ${oh}, ${ow}, ${outC}]`,
      );
    }

    const prefix = `l${k}`;
    floats.push({ name: `${prefix}_w`, dims: [outC, depthwise ? 1 : c, kh, kw], data: onnxW });
    floats.push({ name: `${prefix}_b`, dims: [outC], data: bias });
    nodes.push({
      op: 'Conv',
      name: name.replace(/\//g, '_'),
      inputs: [current, `${prefix}_w`, `${prefix}_b`],
      outputs: [`${prefix}_conv`],
      attributes: {
        kernel_shape: [kh, kw],
        strides: [opt.strideH, opt.strideW],
        dilations: [opt.dilationH, opt.dilationW],
        pads,
        group,
      },
    });
    const act = activationNodes(opt.activation, `${prefix}_conv`, `${prefix}_out`, name);
    needsClip ||= act.needsClip;
    nodes.push(...act.nodes);
    layers.push({
      name,
      op: depthwise ? 'depthwise' : 'conv',
      inShape: [h, w, c],
      outShape: [oh, ow, outC],
      stride: [opt.strideH, opt.strideW],
      pads,
      weights: wt.storage,
    });
    current = `${prefix}_out`;
    [h, w, c] = [oh, ow, outC];
    op = next(op);
  }
  if (c !== EMBEDDING_DIMS)
    throw new ConversionError(`the last convolution has ${c} channels, YAMNet's embedding has ${EMBEDDING_DIMS}`);

  // MEAN over height and width = the embedding
  if (op.opcode !== BuiltinOperator.MEAN)
    throw new ConversionError(`after the convolutions comes ${op.opName}, expected MEAN (global average pool)`);
  const axesT = sg.tensors[op.inputs[1]!];
  const axesBytes = axesT ? model.buffers[axesT.buffer] : undefined;
  if (
    !axesT ||
    !axesBytes ||
    axesBytes.length === 0 ||
    (axesT.type !== TensorType.INT32 && axesT.type !== TensorType.INT64)
  ) {
    throw new ConversionError('MEAN: its axes are not a constant integer tensor');
  }
  const axes = Array.from(
    decodeRaw(
      axesBytes,
      axesT.type,
      axesT.shape.reduce((a, b) => a * b, 1),
    ),
  ).sort();
  if (!sameShape(axes, [1, 2]))
    throw new ConversionError(`MEAN over axes [${axes.join(', ')}], expected [1, 2] (height and width)`);
  nodes.push({ op: 'GlobalAveragePool', inputs: [current], outputs: ['pooled'] });
  nodes.push({ op: 'Flatten', inputs: ['pooled'], outputs: ['embeddings'], attributes: { axis: 1 } });
  op = next(op);
  // shape-only operators between the embedding and the dense layer change nothing in [N, 1024]
  while (op.opcode === BuiltinOperator.RESHAPE || op.opcode === BuiltinOperator.SQUEEZE) op = next(op);

  if (op.opcode !== BuiltinOperator.FULLY_CONNECTED)
    throw new ConversionError(`after the embedding comes ${op.opName}, expected FULLY_CONNECTED`);
  const dense = constantTensor(model, sg, op.inputs[1]!, 'dense weights');
  if (!sameShape(dense.shape, [AUDIOSET_CLASSES, EMBEDDING_DIMS])) {
    throw new ConversionError(
      `dense weights [${dense.shape.join(', ')}], expected [${AUDIOSET_CLASSES}, ${EMBEDDING_DIMS}]`,
    );
  }
  const denseBias =
    op.inputs[2] !== undefined && op.inputs[2] >= 0
      ? constantTensor(model, sg, op.inputs[2], 'dense bias').data
      : new Float32Array(AUDIOSET_CLASSES);
  if (denseBias.length !== AUDIOSET_CLASSES) throw new ConversionError(`dense bias has ${denseBias.length} values`);
  if ((op.fullyConnected?.activation ?? 0) !== Activation.NONE)
    throw new ConversionError('dense layer: a fused activation before LOGISTIC is not YAMNet');
  floats.push({ name: 'dense_w', dims: [AUDIOSET_CLASSES, EMBEDDING_DIMS], data: dense.data });
  floats.push({ name: 'dense_b', dims: [AUDIOSET_CLASSES], data: denseBias });
  nodes.push({
    op: 'Gemm',
    inputs: ['embeddings', 'dense_w', 'dense_b'],
    outputs: ['logits'],
    attributes: { transB: 1 },
  });
  op = next(op);
  if (op.opcode !== BuiltinOperator.LOGISTIC)
    throw new ConversionError(`after the dense layer comes ${op.opName}, expected LOGISTIC`);
  nodes.push({ op: 'Sigmoid', inputs: ['logits'], outputs: ['scores'] });

  if (needsClip) {
    floats.push({ name: 'clip_min', dims: [], data: Float32Array.of(0) });
    floats.push({ name: 'clip_max', dims: [], data: Float32Array.of(6) });
  }
  const onnx = buildOnnxModel({
    name: 'yamnet',
    producer: `auscult-yamnet-convert ${CONVERTER_VERSION}`,
    docString: 'YAMNet (Google, Apache-2.0) from log-mel patches, converted from TFLite by Auscult',
    inputs: [{ name: 'patches', dims: ['N', PATCH_FRAMES, PATCH_BANDS] }],
    outputs: [
      { name: 'embeddings', dims: ['N', EMBEDDING_DIMS] },
      { name: 'scores', dims: ['N', AUDIOSET_CLASSES] },
    ],
    nodes,
    floatInitializers: floats,
    int64Initializers: [{ name: 'patch_shape', dims: [4], data: [-1, 1, PATCH_FRAMES, PATCH_BANDS] }],
    metadata: { converter_version: CONVERTER_VERSION, source_sha256: sourceSha256 },
  });
  return { onnx, sourceSha256, layers, dense: { weights: dense.storage, shape: dense.shape } };
}
