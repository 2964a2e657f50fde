/**
 * The sound detector and the learned quality check run in bounded chunks of rows (issue 18's flat
 * memory): on real SPRSound recordings joined into one longer than several chunks, through the
 * converted YAMNet, the shipped head, gate and detector, the JSON is the same byte for byte whether
 * the models see 7 rows or 1 row per run or the whole recording in one run — by the whole-array path
 * and by the streamed file path (whose hand features are computed step batch by step batch).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { AnalysisEngine } from '../../src/inference/engine.js';
import { readAudioFile } from '../../src/inference/front-end.js';
import { chunkSpans } from '../../src/inference/sounds/detector.js';
import type { AnalysisResult } from '../../src/inference/analysis-types.js';
import { MODELS_DIR, SPRSOUND_DIR, scratchDir, sprsoundMissing } from '../support/paths.js';
import { yamnetModelsDir, yamnetUnavailable } from './yamnet-fixture.js';

const CARD = join(MODELS_DIR, 'sounds.card.json');
const noDetector = existsSync(CARD) ? false : `no shipped detector at ${CARD} (run \`npx auscult train-sounds\`)`;
const skip = yamnetUnavailable() || sprsoundMissing() || noDetector;

// held-out (test2023) recordings: one with wheezes, one normal, one more
const FILES = [
  'test2023/66236931_2.0_1_p2_5262.flac',
  'test2023/66229783_12.9_0_p3_4277.flac',
  'test2023/66236931_2.0_1_p2_5262.flac',
];

const engines: Record<'whole' | 'seven' | 'one', AnalysisEngine | undefined> = {
  whole: undefined,
  seven: undefined,
  one: undefined,
};
before(async () => {
  if (skip) return;
  const modelsDir = await yamnetModelsDir();
  engines.whole = await AnalysisEngine.load({ modelsDir, detectorChunkRows: Infinity });
  engines.seven = await AnalysisEngine.load({ modelsDir, detectorChunkRows: 7 });
  engines.one = await AnalysisEngine.load({ modelsDir, detectorChunkRows: 1 });
});
after(async () => {
  for (const e of Object.values(engines)) await e?.close();
});

const json = (r: AnalysisResult) => JSON.stringify({ ...r, timingsMs: null });

/** The recordings end to end (all SPRSound files share one rate). */
async function joined(): Promise<{ samples: Float32Array; rate: number }> {
  const parts = await Promise.all(FILES.map((f) => readAudioFile(join(SPRSOUND_DIR, 'audio', f))));
  const rate = parts[0]!.sampleRate;
  assert.ok(parts.every((p) => p.sampleRate === rate));
  const samples = new Float32Array(parts.reduce((n, p) => n + p.samples.length, 0));
  let at = 0;
  for (const p of parts) {
    samples.set(p.samples, at);
    at += p.samples.length;
  }
  return { samples, rate };
}

test('chunkSpans covers every row once, in order, in spans of at most the size', () => {
  assert.deepEqual(chunkSpans(0, 4), []);
  assert.deepEqual(chunkSpans(9, 4), [
    [0, 4],
    [4, 8],
    [8, 9],
  ]);
  assert.deepEqual(chunkSpans(3, Infinity), [[0, 3]]);
});

test(
  'a real recording longer than many chunks gives the same JSON chunked (7 rows, 1 row) as in one run',
  { skip },
  async () => {
    const { samples, rate } = await joined();
    const whole = await engines.whole!.analyzeRecording(samples, rate);
    // the detector and quality check both ran over more rows than a chunk holds
    assert.notEqual(whole.status, 'withheld', whole.statusReasons.join('; '));
    assert.ok(whole.sounds && whole.sounds.timeline.length > 7 * 5, `${whole.sounds?.timeline.length} steps`);
    assert.ok(whole.learnedQuality && whole.learnedQuality.windows.length > 7, 'quality windows');
    const seven = await engines.seven!.analyzeRecording(samples, rate);
    const one = await engines.one!.analyzeRecording(samples, rate);
    assert.equal(json(seven), json(whole));
    assert.equal(json(one), json(whole));

    // the streamed file path: hand features per step batch, detector in chunks
    const wavPath = join(scratchDir(), 'joined.wav');
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, rate, '32f', samples);
    writeFileSync(wavPath, wav.toBuffer());
    const fromFile = await readAudioFile(wavPath);
    const reference = await engines.whole!.analyzeRecording(fromFile.samples, fromFile.sampleRate);
    assert.notEqual(reference.status, 'withheld');
    const { result: streamed } = await engines.seven!.analyzeFile(wavPath);
    assert.equal(json(streamed), json(reference));
  },
);

test('a chunk size that is not a whole number of rows is refused at load', { skip }, async () => {
  await assert.rejects(
    AnalysisEngine.load({ modelsDir: await yamnetModelsDir(), detectorChunkRows: 0 }),
    /chunkRows must be a whole number/,
  );
});
