/**
 * Logistic weights as ONNX (the contract of src/inference/sounds/detector.ts): input `features` [N, D]
 * → output `logits` [N, K]; Sub/Mul (standardise) then Gemm, the affine map logisticLogits computes.
 */
import { buildOnnxModel } from '../../onnx/onnx-builder.js';
import type { LogisticWeights } from './logistic.js';

export function logisticToOnnx(w: LogisticWeights, metadata: Record<string, string>): Uint8Array {
  return buildOnnxModel({
    name: 'auscult_sounds',
    inputs: [{ name: 'features', dims: ['N', w.dims] }],
    outputs: [{ name: 'logits', dims: ['N', w.outputs] }],
    nodes: [
      { op: 'Sub', inputs: ['features', 'mean'], outputs: ['centred'] },
      { op: 'Mul', inputs: ['centred', 'inv_std'], outputs: ['standardised'] },
      { op: 'Gemm', inputs: ['standardised', 'kernel', 'bias'], outputs: ['logits'] },
    ],
    floatInitializers: [
      { name: 'mean', dims: [w.dims], data: w.mean },
      { name: 'inv_std', dims: [w.dims], data: w.invStd },
      { name: 'kernel', dims: [w.dims, w.outputs], data: w.kernel },
      { name: 'bias', dims: [w.outputs], data: w.bias },
    ],
    metadata,
    producer: 'auscult train-sounds',
    docString: `Auscult ${metadata['classes'] ?? ''} detector: per-row features -> logits (sigmoid gives the probability).`,
  });
}
