/** onnxruntime-node session options shared by YAMNet and the head. */
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';

export { ort };

/**
 * Intra-op threads: these workstations have 2 cores and the UI/capture share them, so at most
 * 2 (AUSCULT_ORT_THREADS overrides, e.g. 1 on a busy machine). One inter-op thread: the graphs
 * are chains, nothing runs in parallel between operators.
 */
export function ortThreads(): number {
  const env = Number(process.env['AUSCULT_ORT_THREADS']);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.max(1, Math.min(2, availableParallelism()));
}

export function sessionOptions(threads = ortThreads()): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Idle intra-op threads would otherwise spin between runs: live capture calls YAMNet every
    // 0.48 s, and spinning tripled its CPU use (bench/capture.ts). Same results, no spin.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}
