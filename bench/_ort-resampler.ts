/**
 * A bench candidate (issue 18): the same polyphase filter as src/audio's resampler (one stage, no 2:1
 * stage), run as an onnxruntime convolution. The padded input, cut into blocks of M samples, is an
 * M-channel signal; each block of L outputs is one Conv output column (weights [L, M, K]: row r's taps
 * placed at the block and channel each multiplies), so onnxruntime's MLAS does the sums (with K·M/T
 * times the products the polyphase sum needs, the zeros included).
 */
import { buildOnnxModel } from '../src/inference/onnx/onnx-builder.js';
import { ort, sessionOptions } from '../src/inference/ort.js';
import { conversionSpec, polyphaseTable } from '../src/audio/polyphase-design.js';

export interface OrtResampler {
  run(x: Float32Array): Promise<Float32Array>;
  /** Products per output sample, zeros included. */
  macsPerOutput: number;
  close(): Promise<void>;
}

export async function ortResampler(fromRate: number, toRate: number, threads?: number): Promise<OrtResampler> {
  const t = polyphaseTable(fromRate, toRate, conversionSpec(fromRate, toRate));
  const { up: L, down: M, tapsPerRow: T, reach: D } = t;
  // Row r's window starts f_r = ⌊rM/L⌋ samples into block b; tap i lands in block j, channel c: j·M + c = f_r + i.
  const first = (r: number): number => Math.floor((r * M) / L);
  const K = Math.floor((first(L - 1) + T - 1) / M) + 1;
  const w = new Float32Array(L * M * K);
  for (let r = 0; r < L; r++)
    for (let i = 0; i < T; i++) {
      const p = first(r) + i;
      w[(r * M + (p % M)) * K + Math.floor(p / M)] = t.taps[r * T + i]!;
    }
  const model = buildOnnxModel({
    name: 'polyphase-conv',
    inputs: [{ name: 'x', dims: [1, 'B', M] }],
    outputs: [{ name: 'y', dims: [1, 'C', L] }],
    nodes: [
      { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attributes: { perm: [0, 2, 1] } },
      { op: 'Conv', inputs: ['xt', 'w'], outputs: ['yt'], attributes: { kernel_shape: [K] } },
      { op: 'Transpose', inputs: ['yt'], outputs: ['y'], attributes: { perm: [0, 2, 1] } },
    ],
    floatInitializers: [{ name: 'w', dims: [L, M, K], data: w }],
  });
  const session = await ort.InferenceSession.create(model, sessionOptions(threads));
  return {
    macsPerOutput: M * K,
    async run(x: Float32Array): Promise<Float32Array> {
      const total = Math.floor((x.length * L) / M);
      const blocksOut = Math.ceil(total / L);
      const blocks = blocksOut + K - 1;
      const s = new Float32Array(blocks * M);
      s.set(x.subarray(0, Math.min(x.length, s.length - D)), D); // D leading zeros, zeros after the end
      const out = await session.run({ x: new ort.Tensor('float32', s, [1, blocks, M]) });
      const y = out['y']!.data as Float32Array;
      return y.subarray(0, total);
    },
    close: () => session.release(),
  };
}
