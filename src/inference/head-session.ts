/**
 * The classifier head: an ONNX model with input `embedding` [N, 1024] and output `logits`
 * [N, 5], its class order in the ONNX metadata `classes`, and a model card beside it
 * (models/<name>.card.json, ModelCardSchema). Any head that follows this contract works.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CLASS_ORDER, type ClassName } from './analysis-types.js';
import { ModelCardSchema, type ModelCard } from './model-card.js';
import { ModelError } from './errors.js';
import { ort, sessionOptions } from './ort.js';
import { readOnnxMetadata } from './onnx-metadata.js';

export const HEAD_INPUT = 'embedding';
export const HEAD_OUTPUT = 'logits';

/** Read the `metadata_props` of ONNX bytes (onnxruntime-node does not expose them). */
export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  return readOnnxMetadata(bytes);
}

const HEAD_HINT =
  'the trained head ships as models/head.onnx + models/head.card.json (see `auscult train-head`); pass another with --head <card.json>';

export function readHeadCard(cardPath: string): ModelCard {
  if (!existsSync(cardPath)) throw new ModelError('HEAD_MISSING', `no classifier head at ${cardPath}: ${HEAD_HINT}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(cardPath, 'utf8'));
  } catch (err) {
    throw new ModelError(
      'HEAD_INVALID',
      `the head's model card ${cardPath} is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const parsed = ModelCardSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ModelError(
      'HEAD_INVALID',
      `the head's model card ${cardPath} does not follow the card schema (${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'})`,
    );
  }
  return parsed.data;
}

export class HeadSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly card: ModelCard,
    readonly cardPath: string,
    readonly onnxPath: string,
    readonly sha256: string,
  ) {}

  /** Output index of each class in CLASS_ORDER (the card may order its outputs differently). */
  get outputIndex(): Record<ClassName, number> {
    return Object.fromEntries(CLASS_ORDER.map((c) => [c, this.card.classes.indexOf(c)])) as Record<ClassName, number>;
  }

  static async load(cardPath: string, threads?: number): Promise<HeadSession> {
    const card = readHeadCard(cardPath);
    if (new Set(card.classes).size !== CLASS_ORDER.length) {
      throw new ModelError(
        'HEAD_INVALID',
        `the head's card ${cardPath} lists a class twice: ${card.classes.join(', ')}`,
      );
    }
    const onnxPath = resolve(dirname(cardPath), card.onnxFile);
    if (!existsSync(onnxPath))
      throw new ModelError('HEAD_MISSING', `the head's card names ${onnxPath}, which is missing: ${HEAD_HINT}`);
    const bytes = readFileSync(onnxPath);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== card.onnxSha256) {
      throw new ModelError(
        'HEAD_INVALID',
        `${onnxPath} does not match its model card (SHA-256 ${sha256.slice(0, 12)}…, card says ${card.onnxSha256.slice(0, 12)}…): reinstall the head`,
      );
    }
    let meta: Record<string, string>;
    try {
      meta = onnxMetadata(bytes);
    } catch {
      throw new ModelError('HEAD_INVALID', `${onnxPath} is not an ONNX model`);
    }
    if (meta['classes'] !== card.classes.join(',')) {
      throw new ModelError(
        'HEAD_INVALID',
        `${onnxPath} declares classes "${meta['classes'] ?? ''}", its card says "${card.classes.join(',')}"`,
      );
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, sessionOptions(threads ?? 1));
    } catch (err) {
      throw new ModelError(
        'HEAD_INVALID',
        `${onnxPath} cannot be loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
      );
    }
    if (session.inputNames.join() !== HEAD_INPUT || !session.outputNames.includes(HEAD_OUTPUT)) {
      await session.release();
      throw new ModelError(
        'HEAD_INVALID',
        `${onnxPath} has inputs ${session.inputNames.join()} and outputs ${session.outputNames.join()}; a head takes "embedding" and returns "logits"`,
      );
    }
    return new HeadSession(session, card, cardPath, onnxPath, sha256);
  }

  /** Logits for `count` embeddings (count×1024) → count×5 in the card's class order. */
  async logits(embeddings: Float32Array, count: number): Promise<Float32Array> {
    const input = new ort.Tensor('float32', embeddings.subarray(0, count * 1024), [count, 1024]);
    const out = await this.session.run({ [HEAD_INPUT]: input });
    const t = out[HEAD_OUTPUT]!;
    const data = (t.data as Float32Array).slice();
    for (const v of Object.values(out)) v.dispose();
    if (data.length !== count * this.card.classes.length) {
      throw new ModelError('HEAD_INVALID', `the head returned ${data.length} logits for ${count} embeddings`);
    }
    return data;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
