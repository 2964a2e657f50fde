/**
 * The shipped sound detector (models/sounds.card.json + sounds.onnx + quality.onnx) through the real
 * engine (converted YAMNet, shipped head) on real SPRSound recordings the detector never trained on;
 * its ONNX contract against a float64 evaluation; and every way a detector can be unusable.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { AnalysisEngine } from '../../src/inference/engine.js';
import { ModelError } from '../../src/inference/errors.js';
import { readAudioFile } from '../../src/inference/front-end.js';
import { onnxMetadata } from '../../src/inference/head-session.js';
import { ort, sessionOptions } from '../../src/inference/ort.js';
import { eventsFromSteps, platt } from '../../src/inference/sounds/decision.js';
import { SoundsModel } from '../../src/inference/sounds/detector.js';
import { logisticToOnnx } from '../../src/inference/sounds/training/export-onnx.js';
import { logisticLogits, type LogisticWeights } from '../../src/inference/sounds/training/logistic.js';
import type { AnalysisResult } from '../../src/inference/analysis-types.js';
import { makeHead } from '../support/make-head.js';
import { MODELS_DIR, SPRSOUND_DIR, scratchDir, sprsoundMissing } from '../support/paths.js';
import { yamnetModelsDir, yamnetUnavailable } from './yamnet-fixture.js';

const CARD = join(MODELS_DIR, 'sounds.card.json');
const noDetector = existsSync(CARD) ? false : `no shipped detector at ${CARD} (run \`npx auscult train-sounds\`)`;
const skip = yamnetUnavailable() || sprsoundMissing() || noDetector;

const isModelError = (code: string, re?: RegExp) => (e: unknown) =>
  e instanceof ModelError && e.code === code && (re ? re.test(e.message) : true);

let engine: AnalysisEngine;
before(async () => {
  if (skip) return;
  engine = await AnalysisEngine.load({ modelsDir: await yamnetModelsDir() });
});
after(async () => {
  await engine?.close();
});

interface Annotation {
  record_annotation: string;
  event_annotation: Array<{ start: string; end: string; type: string }>;
}

async function analyse(file: string): Promise<{ r: AnalysisResult; ann: Annotation }> {
  const path = join(SPRSOUND_DIR, 'audio', file);
  const a = await readAudioFile(path);
  const ann = JSON.parse(readFileSync(path.replace(/\.flac$/, '.json'), 'utf8')) as Annotation;
  return { r: await engine.analyzeRecording(a.samples, a.sampleRate), ann };
}

// Both recordings are from test2023 (children never in training). WHEEZY: the wheeze recording of the
// held-out set with the longest annotated wheeze time; NORMAL: the first Normal one (by name) of the same set.
const WHEEZY = 'test2023/66236931_2.0_1_p2_5262.flac';
const NORMAL = 'test2023/66229783_12.9_0_p3_4277.flac';

test('a held-out SPRSound recording with annotated wheezes gets wheeze events overlapping them', { skip }, async () => {
  const { r, ann } = await analyse(WHEEZY);
  assert.ok(r.sounds, 'the detector ran');
  const wheezes = ann.event_annotation
    .filter((e) => ['Wheeze', 'Rhonchi', 'Stridor', 'Wheeze+Crackle'].includes(e.type))
    .map((e) => [Number(e.start) / 1000, Number(e.end) / 1000] as const);
  assert.ok(wheezes.length > 0);
  const found = r.sounds.events.filter((e) => e.type === 'wheeze');
  assert.ok(found.length > 0, 'wheeze events detected');
  assert.equal(r.sounds.wheeze.present, true);
  for (const e of found) {
    assert.ok(e.startSec >= 0 && e.endSec <= r.durationSec + 1e-9 && e.endSec > e.startSec);
    assert.ok(e.probability >= engine.soundsCard!.detection.wheeze.threshold);
  }
  const overlapping = found.filter((e) => wheezes.some(([s, t]) => e.startSec < t && s < e.endSec));
  assert.ok(overlapping.length > 0, `no detected wheeze overlaps the annotations ${JSON.stringify(wheezes)}`);
  // the timeline covers the recording step by step, with both probabilities
  assert.equal(r.sounds.timeline.length, r.patchCount);
  assert.ok(r.sounds.timeline.every((t) => t.crackle >= 0 && t.crackle <= 1 && t.wheeze >= 0 && t.wheeze <= 1));
});

test('a held-out SPRSound recording annotated normal gets no events', { skip }, async () => {
  const { r, ann } = await analyse(NORMAL);
  assert.equal(ann.record_annotation, 'Normal');
  assert.ok(r.sounds);
  assert.deepEqual(r.sounds.events, []);
  assert.equal(r.sounds.crackle.present, false);
  assert.equal(r.sounds.wheeze.present, false);
  assert.ok(r.learnedQuality && r.learnedQuality.pPoor >= 0 && r.learnedQuality.pPoor <= 1);
});

test('a FLAC and the same audio as WAV give identical analyses', { skip }, async () => {
  const flac = join(SPRSOUND_DIR, 'audio', WHEEZY);
  const wavPath = join(scratchDir(), 'same.wav');
  const { toStoredWav } = await import('../../src/audio/audio-read.js');
  writeFileSync(wavPath, (await toStoredWav(readFileSync(flac))).wav);
  const a = await readAudioFile(flac);
  const b = await readAudioFile(wavPath);
  const ra = await engine.analyzeRecording(a.samples, a.sampleRate);
  const rb = await engine.analyzeRecording(b.samples, b.sampleRate);
  const strip = (r: AnalysisResult) => ({ ...r, timingsMs: null });
  assert.deepEqual(strip(ra), strip(rb));
});

test('the detector ONNX computes the logistic map it was exported from', async () => {
  let s = 3;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  const dims = 40;
  const w: LogisticWeights = {
    dims,
    outputs: 2,
    mean: Float32Array.from({ length: dims }, rnd),
    invStd: Float32Array.from({ length: dims }, () => 0.5 + Math.abs(rnd())),
    kernel: Float32Array.from({ length: dims * 2 }, rnd),
    bias: Float32Array.from({ length: 2 }, rnd),
  };
  const bytes = logisticToOnnx(w, { classes: 'crackle,wheeze', features: 'embedding' });
  assert.deepEqual(onnxMetadata(bytes), { classes: 'crackle,wheeze', features: 'embedding' });
  const session = await ort.InferenceSession.create(bytes, sessionOptions(1));
  const x = Float32Array.from({ length: 5 * dims }, rnd);
  const out = await session.run({ features: new ort.Tensor('float32', x, [5, dims]) });
  const got = out['logits']!.data as Float32Array;
  const ref = logisticLogits(w, x, 5);
  ref.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 1e-4, `${i}: ${got[i]} vs ${v}`));
  await session.release();
});

test('events are runs of firing steps over their central halves; presence and Platt follow', () => {
  const starts = [0, 0.48, 0.96, 1.44, 1.92, 2.4];
  const ev = eventsFromSteps('wheeze', [0.1, 0.6, 0.7, 0.2, 0.9, 0.95], starts, 0.5, 3.3);
  assert.deepEqual(ev, [
    { type: 'wheeze', startSec: 0.72, endSec: 1.68, probability: 0.7 },
    { type: 'wheeze', startSec: 2.16, endSec: 3.3, probability: 0.95 },
  ]);
  assert.deepEqual(eventsFromSteps('crackle', [0.9], [0], 0.5, 0.8), [
    { type: 'crackle', startSec: 0, endSec: 0.8, probability: 0.9 },
  ]);
  assert.equal(eventsFromSteps('crackle', [0.1, 0.2], [0, 0.48], 0.5, 2).length, 0);
  assert.ok(Math.abs(platt(0.5, 1, 0) - 0.5) < 1e-12);
  assert.ok(platt(0.9, 2, -1) > platt(0.8, 2, -1), 'monotone');
});

test('unusable detectors are refused with a ModelError that says why', { skip: noDetector }, async () => {
  const dir = scratchDir();
  const copy = () => {
    for (const f of ['sounds.card.json', 'sounds.onnx', 'quality.onnx'])
      copyFileSync(join(MODELS_DIR, f), join(dir, f));
  };
  copy();
  const card = join(dir, 'sounds.card.json');
  const ok = await SoundsModel.load(card);
  await ok.close();
  // a changed byte in the model
  const onnx = readFileSync(join(dir, 'sounds.onnx'));
  onnx[onnx.length - 10] = onnx[onnx.length - 10]! ^ 1;
  writeFileSync(join(dir, 'sounds.onnx'), onnx);
  await assert.rejects(SoundsModel.load(card), isModelError('SOUNDS_INVALID', /does not match its model card/));
  copy();
  // a model whose class order is not the card's, with a card that pins its bytes
  const json = JSON.parse(readFileSync(card, 'utf8')) as { onnxSha256: string; input: { features: string } };
  const w: LogisticWeights = {
    dims: 1,
    outputs: 2,
    mean: new Float32Array(1),
    invStd: new Float32Array(1),
    kernel: new Float32Array(2),
    bias: new Float32Array(2),
  };
  const swapped = logisticToOnnx(w, { classes: 'wheeze,crackle', features: json.input.features });
  writeFileSync(join(dir, 'sounds.onnx'), swapped);
  const { createHash } = await import('node:crypto');
  json.onnxSha256 = createHash('sha256').update(swapped).digest('hex');
  writeFileSync(card, JSON.stringify(json));
  await assert.rejects(SoundsModel.load(card), isModelError('SOUNDS_INVALID', /declares classes "wheeze,crackle"/));
  copy();
  unlinkSync(join(dir, 'quality.onnx'));
  await assert.rejects(SoundsModel.load(card), isModelError('SOUNDS_MISSING', /quality\.onnx, which is missing/));
  writeFileSync(card, '{"schema": "auscult.sounds-card/1"}');
  await assert.rejects(SoundsModel.load(card), isModelError('SOUNDS_INVALID', /does not follow the card schema/));
  writeFileSync(card, 'not json');
  await assert.rejects(SoundsModel.load(card), isModelError('SOUNDS_INVALID', /not valid JSON/));
  await assert.rejects(SoundsModel.load(join(dir, 'none.json')), isModelError('SOUNDS_MISSING'));
});

test('the engine refuses a detector trained on another band than its head', { skip }, async () => {
  const dir = scratchDir();
  const head = makeHead(dir, {
    card: { input: { embedding: 'yamnet-1024', bandwidthHz: 1000, windowSec: 3, hopSec: 3 } },
  });
  await assert.rejects(
    AnalysisEngine.load({ modelsDir: await yamnetModelsDir(), headCard: head.cardPath }),
    isModelError('SOUNDS_INVALID', /2000 Hz band, the head on 1000 Hz/),
  );
  // without a detector the engine still analyses, and says so with nulls
  const e = await AnalysisEngine.load({
    modelsDir: await yamnetModelsDir(),
    headCard: head.cardPath,
    soundsCard: null,
  });
  const r = await e.analyzeRecording(
    new Float32Array(16000).map((_, i) => 0.1 * Math.sin(i / 7)),
    16000,
  );
  assert.equal(r.sounds, null);
  assert.equal(r.learnedQuality, null);
  await e.close();
});
