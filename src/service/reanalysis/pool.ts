/**
 * Worker threads, each with its own analysis engine, behind one `analyze` call. Every worker must
 * report the same models (a pool never mixes two heads); a job goes to the worker with the fewest
 * outstanding jobs. A worker that dies fails its jobs with a sentence, and the pool refuses more.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AnalysisResult } from '../api.js';
import { ApiError } from '../errors.js';
import {
  describeIdentity,
  sameIdentity,
  type EngineIdentity,
  type FromWorker,
  type ToWorker,
  type WorkerInit,
} from './protocol.js';

interface Pending {
  resolve: (r: AnalysisResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  dead: string | null;
}

/** The worker's file: compiled JavaScript beside this module, or the TypeScript source under tsx. */
function workerFile(): { url: URL; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return { url: new URL('./worker.ts', import.meta.url), execArgv: ['--import', 'tsx'] };
  const url = new URL('./worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(url)))
    throw new ApiError('MODEL', `the re-analysis worker ${fileURLToPath(url)} is missing: rebuild (npm run build).`);
  return { url, execArgv: [] };
}

export class EnginePool {
  private nextJob = 1;
  private constructor(
    private readonly slots: Slot[],
    readonly identity: EngineIdentity,
  ) {}

  get size(): number {
    return this.slots.length;
  }

  /** Starts `workers` threads and waits until every engine is loaded (or one fails: all are stopped). */
  static async start(workers: number, init: WorkerInit): Promise<EnginePool> {
    const { url, execArgv } = workerFile();
    const slots: Slot[] = [];
    const ready: Promise<EngineIdentity>[] = [];
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(url, { workerData: init, execArgv });
      const slot: Slot = { worker, pending: new Map(), dead: null };
      slots.push(slot);
      ready.push(
        new Promise<EngineIdentity>((resolve, reject) => {
          worker.on('message', (m: FromWorker) => {
            if (m.type === 'ready') resolve(m.identity);
            else if (m.type === 'load-failed') reject(new ApiError('MODEL', m.message));
            else {
              const p = slot.pending.get(m.job);
              if (!p) return;
              slot.pending.delete(m.job);
              if (m.type === 'result') p.resolve(m.result);
              else p.reject(new Error(m.message));
            }
          });
          const die = (why: string): void => {
            slot.dead ??= why;
            reject(new ApiError('MODEL', `a re-analysis worker stopped while loading its engine: ${why}`));
            for (const p of slot.pending.values()) p.reject(new Error(`the analysis worker stopped (${why})`));
            slot.pending.clear();
          };
          worker.on('error', (err) => {
            die(err.message);
          });
          worker.on('exit', (code) => {
            die(`exit code ${code}`);
          });
        }),
      );
    }
    let identities: EngineIdentity[];
    try {
      identities = await Promise.all(ready);
    } catch (err) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw err;
    }
    const first = identities[0]!;
    const odd = identities.find((i) => !sameIdentity(i, first));
    if (odd) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      // the models changed on disk while the workers loaded: results would mix two engines
      throw new ApiError(
        'MODEL',
        `the workers loaded different models (${describeIdentity(first)} / ${describeIdentity(odd)}); nothing was analysed — run again once the models are in place.`,
      );
    }
    return new EnginePool(slots, first);
  }

  /** Analyses samples on the least busy worker. The samples' buffer is transferred (do not reuse it). */
  analyze(samples: Float32Array, sampleRate: number): Promise<AnalysisResult> {
    const live = this.slots.filter((s) => !s.dead);
    if (live.length === 0) return Promise.reject(new Error('every analysis worker has stopped'));
    const slot = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const job = this.nextJob++;
    // transfer only a buffer the samples own alone (a view into a shared or pooled buffer is copied)
    const own =
      samples.byteOffset === 0 &&
      samples.byteLength === samples.buffer.byteLength &&
      samples.buffer instanceof ArrayBuffer
        ? samples
        : samples.slice();
    return new Promise<AnalysisResult>((resolve, reject) => {
      slot.pending.set(job, { resolve, reject });
      const msg: ToWorker = { type: 'analyze', job, samples: own, sampleRate };
      slot.worker.postMessage(msg, [own.buffer as ArrayBuffer]);
    });
  }

  /** Lets every worker finish its jobs, close its engine and exit. */
  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.dead) {
              resolve();
              return;
            }
            s.worker.once('exit', () => {
              resolve();
            });
            const msg: ToWorker = { type: 'close' };
            s.worker.postMessage(msg);
          }),
      ),
    );
  }
}
