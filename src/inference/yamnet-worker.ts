/**
 * YAMNet on a worker thread (issue 18). onnxruntime-node's `run()` blocks the thread that calls it
 * (1.30: a synchronous native call behind a setImmediate), so with the session on the main thread
 * nothing of the front end can run while the network does. Here the session lives on its own
 * thread: the main thread computes batch k+1's log-mel frames (and the audio's own measures) while
 * the worker runs batch k. Same file, same session options, same batches (0–31, 32–63, …) as
 * YamnetSession, so the same outputs (test/inference/yamnet-worker.test.ts).
 *
 * The worker's code is a string run with `eval`, not a file: it has nothing to resolve but
 * onnxruntime-node (by the absolute path resolved here), so it works unbundled, bundled
 * (scripts/bundle-cli.mjs) and inside the re-analysis workers alike.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ModelError, HOW_TO_PROVIDE_YAMNET } from './errors.js';
import { sessionOptions } from './ort.js';
import {
  checkYamnetNames,
  DEFAULT_BATCH,
  PATCH_SIZE,
  readYamnetModel,
  type PatchSource,
  type YamnetOutputs,
  type YamnetRunner,
} from './yamnet-session.js';
import { AUDIOSET_CLASSES, EMBEDDING_DIMS, MEL_BANDS, PATCH_FRAMES } from '../features/yamnet-params.js';

type ToWorker = { type: 'run'; id: number; patches: Float32Array; n: number; withScores: boolean } | { type: 'close' };
type FromWorker =
  | { type: 'ready'; names: string }
  | { type: 'load-failed'; message: string }
  | { type: 'result'; id: number; embeddings: Float32Array; scores: Float32Array | null }
  | { type: 'failed'; id: number; message: string };

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
(async () => {
  let session;
  try {
    session = await ort.InferenceSession.create(workerData.model, workerData.options);
  } catch (err) {
    parentPort.postMessage({ type: 'load-failed', message: String((err && err.message) || err).split('\\n')[0] });
    return;
  }
  parentPort.postMessage({ type: 'ready', names: [...session.inputNames, ...session.outputNames].join(',') });
  parentPort.on('message', async (m) => {
    if (m.type === 'close') {
      await session.release();
      parentPort.close();
      return;
    }
    try {
      const out = await session.run({ patches: new ort.Tensor('float32', m.patches, [m.n, ${PATCH_FRAMES}, ${MEL_BANDS}]) });
      // copies: onnxruntime's output buffers cannot be handed to another thread
      const embeddings = Float32Array.from(out.embeddings.data);
      const scores = m.withScores ? Float32Array.from(out.scores.data) : null;
      for (const t of Object.values(out)) t.dispose();
      const transfer = scores ? [embeddings.buffer, scores.buffer] : [embeddings.buffer];
      parentPort.postMessage({ type: 'result', id: m.id, embeddings, scores }, transfer);
    } catch (err) {
      parentPort.postMessage({ type: 'failed', id: m.id, message: String((err && err.message) || err).split('\\n')[0] });
    }
  });
})();
`;

/** Batches handed to the worker and not yet back: the one it runs and the next, already filled. */
const IN_FLIGHT = 2;

interface Pending {
  resolve: (out: { embeddings: Float32Array; scores: Float32Array | null }) => void;
  reject: (err: Error) => void;
}

export class YamnetWorker implements YamnetRunner {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dead: Error | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly batchSize: number,
  ) {
    worker.on('message', (m: FromWorker) => {
      if (m.type !== 'result' && m.type !== 'failed') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.type === 'result') p.resolve(m);
      else p.reject(new ModelError('MODEL_CORRUPT', `YAMNet failed on a batch of patches: ${m.message}`));
    });
    const fail = (err: Error): void => {
      this.dead ??= err;
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new ModelError('MODEL_CORRUPT', `the YAMNet worker failed: ${err.message}`)));
    worker.on('exit', () => fail(new Error('the YAMNet worker has stopped')));
  }

  /** Starts the worker and loads the model there; the same refusals as YamnetSession.load. */
  static async load(
    model: string | Uint8Array,
    opts: { threads?: number; batchSize?: number } = {},
  ): Promise<YamnetWorker> {
    // a file is read by the worker itself (15 MB not held here too; its absence is still refused here, in
    // the session's words); bytes are copied for it, so the caller's array (or a Buffer's shared memory) stays usable
    let forWorker: string | Uint8Array = model;
    const transferList: ArrayBuffer[] = [];
    if (typeof model === 'string') {
      if (!existsSync(model) || !statSync(model).isFile()) readYamnetModel(model);
    } else {
      const copy = new Uint8Array(model);
      transferList.push(copy.buffer);
      forWorker = copy;
    }
    const worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: {
        ortPath: createRequire(import.meta.url).resolve('onnxruntime-node'),
        model: forWorker,
        options: sessionOptions(opts.threads),
      },
      transferList,
      // the worker's JavaScript holds one batch at a time: a small young generation keeps its heap small
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    let onMessage: (m: FromWorker) => void = () => undefined;
    let onError: (err: Error) => void = () => undefined;
    let onExit: (code: number) => void = () => undefined;
    const first = await new Promise<FromWorker | Error>((resolve) => {
      onMessage = resolve;
      onError = resolve;
      onExit = (code) => resolve(new Error(`the YAMNet worker stopped (exit code ${code})`));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
    // only these: removeAllListeners would also remove Node's own, which start the worker's port
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    const where = typeof model === 'string' ? model : 'the converted model';
    const refuse = async (why: string): Promise<never> => {
      await worker.terminate();
      throw new ModelError(
        'MODEL_CORRUPT',
        `YAMNet model at ${where} cannot be loaded (${why}): rebuild it with \`npx auscult models\` (${HOW_TO_PROVIDE_YAMNET})`,
      );
    };
    if (first instanceof Error) return refuse(first.message);
    if (first.type === 'load-failed') return refuse(first.message);
    if (first.type !== 'ready') return refuse('the worker did not start');
    const wrong = checkYamnetNames(first.names);
    if (wrong) {
      await worker.terminate();
      throw new ModelError('MODEL_CORRUPT', wrong);
    }
    worker.unref(); // kept alive only while a batch is out (see post)
    return new YamnetWorker(worker, opts.batchSize ?? DEFAULT_BATCH);
  }

  private post(
    patches: Float32Array,
    n: number,
    withScores: boolean,
  ): Promise<{ embeddings: Float32Array; scores: Float32Array | null }> {
    if (this.closing) return Promise.reject(new Error('YamnetWorker: run() after close()'));
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const done = new Promise<{ embeddings: Float32Array; scores: Float32Array | null }>((resolve, reject) =>
      this.pending.set(id, { resolve, reject }),
    );
    this.worker.ref();
    const msg: ToWorker = { type: 'run', id, patches, n, withScores };
    this.worker.postMessage(msg, [patches.buffer as ArrayBuffer]);
    return done;
  }

  /**
   * All patches of a source through the network in batches, at most IN_FLIGHT out at once (the
   * memory of a long recording stays flat): batch k+1 is read from the source while the worker runs k.
   */
  async run(source: PatchSource, withScores = true): Promise<YamnetOutputs> {
    const { count } = source;
    const embeddings = new Float32Array(count * EMBEDDING_DIMS);
    const scores = withScores ? new Float32Array(count * AUDIOSET_CLASSES) : null;
    const out: Array<{ start: number; done: Promise<{ embeddings: Float32Array; scores: Float32Array | null }> }> = [];
    const settle = async (): Promise<void> => {
      const b = out.shift()!;
      const r = await b.done;
      embeddings.set(r.embeddings, b.start * EMBEDDING_DIMS);
      if (scores && r.scores) scores.set(r.scores, b.start * AUDIOSET_CLASSES);
    };
    try {
      for (let start = 0; start < count; start += this.batchSize) {
        const n = Math.min(this.batchSize, count - start);
        const patches = new Float32Array(n * PATCH_SIZE);
        for (let i = 0; i < n; i++) source.copyPatch(start + i, patches.subarray(i * PATCH_SIZE, (i + 1) * PATCH_SIZE));
        out.push({ start, done: this.post(patches, n, withScores) });
        if (out.length >= IN_FLIGHT) await settle();
      }
      while (out.length > 0) await settle();
    } catch (err) {
      // the batches still out no longer matter; their rejections must not go unhandled
      for (const b of out) b.done.catch(() => undefined);
      throw err;
    }
    return { embeddings, scores, count };
  }

  runArray(patches: Float32Array, count: number, withScores = true): Promise<YamnetOutputs> {
    if (patches.length < count * PATCH_SIZE)
      return Promise.reject(new Error(`patch data holds ${patches.length / PATCH_SIZE} patches, not ${count}`));
    return this.run(
      { count, copyPatch: (i, dest) => dest.set(patches.subarray(i * PATCH_SIZE, (i + 1) * PATCH_SIZE)) },
      withScores,
    );
  }

  /** Releases the session and ends the thread (batches still out are refused). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.dead) return;
      const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
      this.worker.ref();
      const msg: ToWorker = { type: 'close' };
      this.worker.postMessage(msg);
      await exited;
    })();
    return this.closing;
  }
}
