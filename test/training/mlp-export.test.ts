import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { CLASS_ORDER } from '../../src/inference/analysis-types.js';
import { trainMlp, predictLogits, DEFAULT_MLP } from '../../src/inference/training/mlp.js';
import { headToOnnx } from '../../src/inference/training/export-onnx.js';
import { separableSet, oneHot } from './synthetic.js';

const classes = CLASS_ORDER.length;

test('the training loop learns a separable synthetic set, and ONNX reproduces TensorFlow.js within 1e-5', async () => {
  const train = separableSet(40, classes, 1);
  const heldOut = separableSet(20, classes, 2);
  const weights = await trainMlp(train.x, oneHot(train.labels, classes), new Float32Array(train.n).fill(1), train.n, {
    ...DEFAULT_MLP,
    epochs: 8,
    seed: 7,
    classes,
  });
  const logits = await predictLogits(weights, heldOut.x, heldOut.n);
  let correct = 0;
  for (let i = 0; i < heldOut.n; i++) {
    const row = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    if (row.indexOf(Math.max(...row)) === heldOut.labels[i]) correct++;
  }
  assert.ok(correct / heldOut.n >= 0.97, `held-out accuracy ${correct}/${heldOut.n}`);

  const bytes = headToOnnx(weights, { seed: '7' });
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ embedding: new ort.Tensor('float32', heldOut.x, [heldOut.n, 1024]) });
  const onnxLogits = out['logits']!.data as Float32Array;
  assert.equal(onnxLogits.length, logits.length);
  let maxDiff = 0;
  for (let i = 0; i < logits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(onnxLogits[i]! - logits[i]!));
  assert.ok(maxDiff <= 1e-5, `ONNX vs TensorFlow.js max |diff| ${maxDiff}`);
  // the logits are not trivially small (else the tolerance would prove nothing)
  assert.ok(Math.max(...Array.from(logits).map(Math.abs)) > 1, 'logits carry a real scale');
  await session.release();

  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const meta = Object.fromEntries(model.metadataProps.map((p): [string, string] => [p.key ?? '', p.value ?? '']));
  assert.equal(meta['classes'], CLASS_ORDER.join(','));
});

test('the same seed trains the same weights', async () => {
  const s = separableSet(10, classes, 3);
  const opts = { ...DEFAULT_MLP, epochs: 2, seed: 11, classes };
  const a = await trainMlp(s.x, oneHot(s.labels, classes), new Float32Array(s.n).fill(1), s.n, opts);
  const b = await trainMlp(s.x, oneHot(s.labels, classes), new Float32Array(s.n).fill(1), s.n, opts);
  assert.deepEqual(a.dense[0]!.kernel, b.dense[0]!.kernel);
  assert.deepEqual(a.bn[1]!.shift, b.bn[1]!.shift);
  const c = await trainMlp(s.x, oneHot(s.labels, classes), new Float32Array(s.n).fill(1), s.n, { ...opts, seed: 12 });
  assert.notDeepEqual(a.dense[0]!.kernel, c.dense[0]!.kernel);
});
