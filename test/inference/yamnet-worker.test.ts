/**
 * YAMNet on a worker thread (yamnet-worker.ts) against the session on the calling thread: the same
 * outputs value for value over several batches; the engine with it (overlap: true) against the
 * engine without (the default: stage after stage) on a real KAUH recording at 44.1 kHz through the
 * shipped head, gate and sound detector, whole-array and streamed; and the worker's refusals.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalysisEngine } from '../../src/inference/engine.js';
import { ModelError } from '../../src/inference/errors.js';
import { readAudioFile } from '../../src/inference/front-end.js';
import { patchSource16k } from '../../src/inference/front-end.js';
import { YamnetSession } from '../../src/inference/yamnet-session.js';
import { YamnetWorker } from '../../src/inference/yamnet-worker.js';
import { resample } from '../../src/audio/resample.js';
import { encodeWav16 } from '../../src/audio/wav-write.js';
import type { AnalysisResult } from '../../src/inference/analysis-types.js';
import { KAUH_DIR, kauhMissing, scratchDir } from '../support/paths.js';
import { yamnetModelsDir, yamnetUnavailable } from './yamnet-fixture.js';

const skip = yamnetUnavailable();
const skipReal = skip || kauhMissing();
let modelsDir = '';

before(async () => {
  if (!skip) modelsDir = await yamnetModelsDir();
});

/** Breath-like noise at 16 kHz (deterministic). */
function noise16k(seconds: number): Float32Array {
  let s = 7;
  let lp = 0;
  return Float32Array.from({ length: seconds * 16000 }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    lp += 0.2 * ((s / 4294967296) * 2 - 1 - lp);
    return 0.3 * lp;
  });
}

test(
  'YAMNet on the worker thread gives the session’s embeddings and scores value for value, over three batches',
  { skip },
  async () => {
    // 36 s: 73 patches = batches of 32, 32 and 9
    const source = () => patchSource16k(noise16k(36)).source;
    const session = await YamnetSession.load(join(modelsDir, 'yamnet.onnx'));
    const worker = await YamnetWorker.load(join(modelsDir, 'yamnet.onnx'));
    try {
      const a = await session.run(source(), true);
      const b = await worker.run(source(), true);
      assert.equal(a.count, 73);
      assert.equal(b.count, 73);
      assert.deepEqual(b.embeddings, a.embeddings);
      assert.deepEqual(b.scores, a.scores);
      const c = await worker.run(source(), false);
      assert.equal(c.scores, null);
      assert.deepEqual(c.embeddings, a.embeddings);
    } finally {
      await session.close();
      await worker.close();
    }
  },
);

test(
  'the worker refuses a missing or broken model with the session’s sentences, and runs nothing after close',
  { skip },
  async () => {
    const dir = scratchDir();
    await assert.rejects(YamnetWorker.load(join(dir, 'absent.onnx')), (e: unknown) => {
      assert.ok(e instanceof ModelError && e.code === 'MODEL_MISSING', String(e));
      assert.match(e.message, /YAMNet model not found at .*absent\.onnx/);
      return true;
    });
    const broken = join(dir, 'broken.onnx');
    writeFileSync(broken, 'not a model');
    await assert.rejects(YamnetWorker.load(broken), (e: unknown) => {
      assert.ok(e instanceof ModelError && e.code === 'MODEL_CORRUPT', String(e));
      assert.match(e.message, /cannot be loaded .*rebuild it with `npx auscult models`/);
      return true;
    });
    const worker = await YamnetWorker.load(join(modelsDir, 'yamnet.onnx'));
    await worker.close();
    await worker.close(); // twice is harmless
    await assert.rejects(worker.runArray(new Float32Array(96 * 64), 1), /after close/);
  },
);

const json = (r: AnalysisResult) => JSON.stringify({ ...r, timingsMs: null });

test(
  'the overlapped engine (overlap: YAMNet on its worker, the audio measured meanwhile) gives the same result as the default stage after stage, whole-array and streamed, on a real recording at 44.1 kHz',
  { skip: skipReal },
  async () => {
    const kauh = join(KAUH_DIR, 'audio', 'BP2_Asthma,E W,P L L R,52,F.wav');
    assert.ok(existsSync(kauh), kauh);
    const a = await readAudioFile(kauh);
    const x = await resample(a.samples, a.sampleRate, 44100);
    const wav = join(scratchDir(), 'bp2-44k.wav');
    writeFileSync(wav, encodeWav16(x, 44100));
    const quantised = (await readAudioFile(wav)).samples; // the file's 16-bit samples, as analyzeFile reads them
    const overlapped = await AnalysisEngine.load({ modelsDir, overlap: true });
    const inTurn = await AnalysisEngine.load({ modelsDir });
    try {
      const r1 = await overlapped.analyzeRecording(quantised, 44100);
      const r2 = await inTurn.analyzeRecording(quantised, 44100);
      assert.notEqual(r1.status, 'withheld', 'the recording passes the gate, so the head and detector run');
      assert.ok(r1.sounds && r1.learnedQuality, 'the sound detector and learned quality ran');
      assert.equal(json(r1), json(r2));
      const f1 = await overlapped.analyzeFile(wav);
      const f2 = await inTurn.analyzeFile(wav);
      assert.equal(json(f1.result), json(f2.result));
      assert.equal(json(f1.result), json(r1));
    } finally {
      await overlapped.close();
      await inTurn.close();
    }
  },
);
