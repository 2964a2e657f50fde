/**
 * train-head costs: one MLP training epoch on TF.js's WebAssembly backend vs its pure-JS CPU
 * backend (why tf.ts picks wasm), and the exported head's ONNX latency. The full train-head run
 * time (from scratch and with a warm embedding cache) is printed by `auscult train-head` itself.
 */
import ort from 'onnxruntime-node';
import { tf, tfReady } from '../src/inference/training/tf.js';
import { DEFAULT_MLP, trainMlp } from '../src/inference/training/mlp.js';
import { headToOnnx } from '../src/inference/training/export-onnx.js';
import { Rng } from '../src/inference/training/rng.js';

export const title = 'train-head: TF.js backend per training epoch, head ONNX latency';

function data(n: number): { x: Float32Array; y: Float32Array; w: Float32Array } {
  const rng = new Rng(1);
  const x = Float32Array.from({ length: n * 1024 }, () => rng.next());
  const y = new Float32Array(n * 5);
  for (let i = 0; i < n; i++) y[i * 5 + (i % 5)] = 1;
  return { x, y, w: new Float32Array(n).fill(1) };
}

export async function run(): Promise<void> {
  await tfReady();
  const n = 256;
  const { x, y, w } = data(n);
  let weights = null;
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    await trainMlp(x, y, w, 16, { ...DEFAULT_MLP, epochs: 1, seed: 1, classes: 5 }); // warm-up (kernel setup)
    const t = performance.now();
    weights = await trainMlp(x, y, w, n, { ...DEFAULT_MLP, epochs: 1, seed: 1, classes: 5 });
    const ms = performance.now() - t;
    console.log(
      `  ${backend.padEnd(5)} one epoch of ${n} windows: ${ms.toFixed(0)} ms (${(ms / n).toFixed(2)} ms/window)`,
    );
  }
  await tf.setBackend('wasm');
  if (!weights) throw new Error('no backend trained the head');
  const session = await ort.InferenceSession.create(headToOnnx(weights), { intraOpNumThreads: 1 });
  const one = new ort.Tensor('float32', x.subarray(0, 1024), [1, 1024]);
  for (let i = 0; i < 10; i++) await session.run({ embedding: one });
  const t = performance.now();
  for (let i = 0; i < 200; i++) await session.run({ embedding: one });
  console.log(`  head ONNX, one window: ${((performance.now() - t) / 200).toFixed(3)} ms`);
  await session.release();
}
