/**
 * The YAMNet ONNX session: log-mel patches [N, 96, 64] in, embeddings [N, 1024] and AudioSet
 * scores [N, 521] out. Patches go through in fixed-size batches so a long recording never needs
 * one huge input tensor.
 */
import { readFileSync } from 'node:fs';
import { ModelError, HOW_TO_PROVIDE_YAMNET } from './errors.js';
import { ort, sessionOptions } from './ort.js';

import { AUDIOSET_CLASSES, EMBEDDING_DIMS, MEL_BANDS, PATCH_FRAMES } from '../features/yamnet-params.js';

export { EMBEDDING_DIMS };
export const PATCH_SIZE = PATCH_FRAMES * MEL_BANDS;
/** Patches per run: large enough to amortise the call, small enough to keep memory flat. */
export const DEFAULT_BATCH = 32;

export interface YamnetOutputs {
  embeddings: Float32Array;
  /** Null when the caller asked for embeddings only. */
  scores: Float32Array | null;
  count: number;
}

/** A source of patches: `count` patches, each read into `dest` (96×64 floats) on demand. */
export interface PatchSource {
  count: number;
  copyPatch(index: number, dest: Float32Array): void;
}

export function patchSourceFromArray(data: Float32Array, count: number): PatchSource {
  if (data.length < count * PATCH_SIZE)
    throw new Error(`patch data holds ${data.length / PATCH_SIZE} patches, not ${count}`);
  return { count, copyPatch: (i, dest) => dest.set(data.subarray(i * PATCH_SIZE, (i + 1) * PATCH_SIZE)) };
}

/** What the engine runs YAMNet through: this session on the calling thread, or YamnetWorker (yamnet-worker.ts). */
export interface YamnetRunner {
  readonly batchSize: number;
  run(source: PatchSource, withScores?: boolean): Promise<YamnetOutputs>;
  runArray(patches: Float32Array, count: number, withScores?: boolean): Promise<YamnetOutputs>;
  close(): Promise<void>;
}

/** The tensor names a YAMNet model must have (inputs, then outputs), or a sentence saying what is wrong. */
export function checkYamnetNames(names: string): string | null {
  return names === 'patches,embeddings,scores'
    ? null
    : `the YAMNet model has tensors ${names}, expected patches,embeddings,scores: rebuild it with \`npx auscult models\``;
}

/** The model's bytes, or the ModelError that says how to provide it. */
export function readYamnetModel(model: string | Uint8Array): Uint8Array {
  if (typeof model !== 'string') return model;
  try {
    return readFileSync(model);
  } catch {
    throw new ModelError('MODEL_MISSING', `YAMNet model not found at ${model}: ${HOW_TO_PROVIDE_YAMNET}`);
  }
}

export class YamnetSession implements YamnetRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly batchSize: number,
  ) {}

  /** Load from a file path or ONNX bytes. A missing or unreadable model is a ModelError. */
  static async load(
    model: string | Uint8Array,
    opts: { threads?: number; batchSize?: number } = {},
  ): Promise<YamnetSession> {
    const bytes = readYamnetModel(model);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, sessionOptions(opts.threads));
    } catch (err) {
      const where = typeof model === 'string' ? model : 'the converted model';
      throw new ModelError(
        'MODEL_CORRUPT',
        `YAMNet model at ${where} cannot be loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)}): ` +
          `rebuild it with \`npx auscult models\` (${HOW_TO_PROVIDE_YAMNET})`,
      );
    }
    const wrong = checkYamnetNames([...session.inputNames, ...session.outputNames].join(','));
    if (wrong) {
      await session.release();
      throw new ModelError('MODEL_CORRUPT', wrong);
    }
    return new YamnetSession(session, opts.batchSize ?? DEFAULT_BATCH);
  }

  /**
   * Run all patches of a source through the network in batches.
   * `withScores: false` skips copying the AudioSet scores (the head only needs embeddings).
   */
  async run(source: PatchSource, withScores = true): Promise<YamnetOutputs> {
    const { count } = source;
    const embeddings = new Float32Array(count * EMBEDDING_DIMS);
    const scores = withScores ? new Float32Array(count * AUDIOSET_CLASSES) : null;
    const batch = new Float32Array(Math.min(this.batchSize, Math.max(count, 1)) * PATCH_SIZE);
    for (let start = 0; start < count; start += this.batchSize) {
      const n = Math.min(this.batchSize, count - start);
      for (let i = 0; i < n; i++) source.copyPatch(start + i, batch.subarray(i * PATCH_SIZE, (i + 1) * PATCH_SIZE));
      const input = new ort.Tensor(
        'float32',
        n * PATCH_SIZE === batch.length ? batch : batch.subarray(0, n * PATCH_SIZE),
        [n, 96, 64],
      );
      const out = await this.session.run({ patches: input });
      embeddings.set(out['embeddings']!.data as Float32Array, start * EMBEDDING_DIMS);
      if (scores) scores.set(out['scores']!.data as Float32Array, start * AUDIOSET_CLASSES);
      for (const t of Object.values(out)) t.dispose();
    }
    return { embeddings, scores, count };
  }

  /** Convenience for contiguous patch arrays (count×96×64). */
  runArray(patches: Float32Array, count: number, withScores = true): Promise<YamnetOutputs> {
    return this.run(patchSourceFromArray(patches, count), withScores);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
