/**
 * A re-analysis worker thread: loads its own engine (onnxruntime sessions are per thread), reports
 * which models it runs, then analyses what the main thread sends, one recording at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AnalysisEngine } from '../../inference/engine.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('reanalysis/worker.ts runs only as a worker thread');
const init = workerData as WorkerInit;
const post = (m: FromWorker): void => {
  port.postMessage(m);
};

let engine: AnalysisEngine | null = null;
try {
  engine = await AnalysisEngine.load({
    ...(init.modelsDir ? { modelsDir: init.modelsDir } : {}),
    threads: init.threads,
  });
} catch (err) {
  post({ type: 'load-failed', message: err instanceof Error ? err.message : String(err) });
}

if (engine) {
  const e = engine;
  const v = e.versions;
  const sounds = e.soundsCard;
  post({
    type: 'ready',
    identity: {
      engineVersion: v.engineVersion,
      yamnetSha256: v.yamnet.sha256,
      headName: v.head.name,
      headVersion: v.head.version,
      headSha256: v.head.sha256,
      sounds: sounds ? { name: sounds.name, version: sounds.version } : null,
    },
  });
  // one job at a time, in arrival order: the main thread keeps at most two queued per worker
  let chain = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    if (m.type === 'close') {
      chain = chain.then(async () => {
        await e.close();
        port.close();
      });
      return;
    }
    chain = chain.then(async () => {
      try {
        post({ type: 'result', job: m.job, result: await e.analyzeRecording(m.samples, m.sampleRate) });
      } catch (err) {
        post({ type: 'failed', job: m.job, message: err instanceof Error ? err.message : String(err) });
      }
    });
  });
} else port.close();
