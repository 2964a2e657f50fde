/**
 * Write the trained head as ONNX (contract in src/inference/head-session.ts): input `embedding`
 * [N,1024] → output `logits` [N,5], class order in metadata `classes`. The graph is the
 * inference form predictLogits() computes, op for op: Sub/Mul (standardise), Gemm + Relu, and
 * Mul/Add for each BatchNorm (moving statistics, Dropout is identity at inference).
 */
import { CLASS_ORDER } from '../analysis-types.js';
import { buildOnnxModel, type GraphSpec, type NodeSpec } from '../onnx/onnx-builder.js';
import type { MlpWeights } from './mlp.js';

export function headToOnnx(weights: MlpWeights, metadata: Record<string, string> = {}): Uint8Array {
  const nodes: NodeSpec[] = [];
  const inits: GraphSpec['floatInitializers'] = [
    { name: 'input_mean', dims: [weights.inputMean.length], data: weights.inputMean },
    { name: 'input_inv_std', dims: [weights.inputInvStd.length], data: weights.inputInvStd },
  ];
  nodes.push({ op: 'Sub', inputs: ['embedding', 'input_mean'], outputs: ['centred'] });
  nodes.push({ op: 'Mul', inputs: ['centred', 'input_inv_std'], outputs: ['h0'] });
  let h = 'h0';
  const last = weights.dense.length - 1;
  weights.dense.forEach((d, l) => {
    inits.push({ name: `dense${l}_kernel`, dims: [d.inDims, d.outDims], data: d.kernel });
    inits.push({ name: `dense${l}_bias`, dims: [d.outDims], data: d.bias });
    const out = l === last ? 'logits' : `dense${l}`;
    nodes.push({ op: 'Gemm', inputs: [h, `dense${l}_kernel`, `dense${l}_bias`], outputs: [out] });
    h = out;
    if (l === last) return;
    nodes.push({ op: 'Relu', inputs: [h], outputs: [`relu${l}`] });
    h = `relu${l}`;
    const bn = weights.bn[l];
    if (bn) {
      inits.push({ name: `bn${l}_scale`, dims: [bn.scale.length], data: bn.scale });
      inits.push({ name: `bn${l}_shift`, dims: [bn.shift.length], data: bn.shift });
      nodes.push({ op: 'Mul', inputs: [h, `bn${l}_scale`], outputs: [`bn${l}_scaled`] });
      nodes.push({ op: 'Add', inputs: [`bn${l}_scaled`, `bn${l}_shift`], outputs: [`bn${l}`] });
      h = `bn${l}`;
    }
  });
  return buildOnnxModel({
    name: 'auscult_head',
    inputs: [{ name: 'embedding', dims: ['N', weights.inputMean.length] }],
    outputs: [{ name: 'logits', dims: ['N', weights.dense[last]!.outDims] }],
    nodes,
    floatInitializers: inits,
    metadata: { ...metadata, classes: CLASS_ORDER.join(',') },
    producer: 'auscult train-head',
    docString:
      'Auscult classifier head: YAMNet 1024-D window embedding -> pre-softmax logits (asthma, copd, pneumonia, healthy, bronchial).',
  });
}
