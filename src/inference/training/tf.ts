/**
 * TensorFlow.js on its WebAssembly backend: the pure-JS CPU backend measured ~5x slower on the
 * head's training step and ~15x slower on a 1024×1024·1024×512 matMul (bench/train-head.ts).
 * One place sets the backend so every training module runs on the same one.
 *
 * One thread: with several, the WASM backend splits reductions (matMul, sum) across threads in an
 * order that varies from run to run, and the same data and seed gave a different head (issue 11).
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

let ready: Promise<string> | null = null;

/** Resolve once the backend is up; returns its name ('wasm', or 'cpu' if wasm cannot start). */
export function tfReady(): Promise<string> {
  ready ??= (async () => {
    setThreadsCount(1);
    const ok = await tf.setBackend('wasm').catch(() => false);
    if (!ok) await tf.setBackend('cpu');
    await tf.ready();
    return tf.getBackend();
  })();
  return ready;
}

export { tf };
