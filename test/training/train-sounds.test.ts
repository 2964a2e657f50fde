/**
 * train-sounds on a small real subset of SPRSound and KAUH (needs ../shared/data and a prepared
 * YAMNet): the same data and seed give byte-identical ONNX models and JSON card, the card loads in
 * the engine's detector, and the shipped card in models/ says what the task asks it to say.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SoundsCardSchema } from '../../src/inference/sounds/card.js';
import { SoundsModel } from '../../src/inference/sounds/detector.js';
import { trainSounds } from '../../src/inference/sounds/training/pipeline.js';
import { yamnetStatus } from '../../src/inference/models.js';
import {
  KAUH_DIR,
  MODELS_DIR,
  PROJECT_ROOT,
  SPRSOUND_DIR,
  kauhMissing,
  scratchDir,
  sprsoundMissing,
} from '../support/paths.js';

const yamnet = yamnetStatus(MODELS_DIR);
const skip =
  sprsoundMissing() ||
  kauhMissing() ||
  (yamnet.ok ? false : `YAMNet not prepared (${yamnet.reason}): run \`npx auscult models --source ../shared/models\``);

test('train-sounds twice with the same data and seed writes the same bytes', { skip, timeout: 600_000 }, async () => {
  const run = (out: string) =>
    trainSounds({
      data: SPRSOUND_DIR,
      kauh: KAUH_DIR,
      out,
      // the project cache (shared with train-head's embeddings): warm after one run, so this stays cheap
      cacheDir: join(PROJECT_ROOT, '.cache'),
      seed: 11,
      folds: 2,
      bootstrapRounds: 20,
      patientsPerSubset: 2,
      featureSets: ['embedding+hand'],
      steps: 40,
      command: 'test',
      log: () => undefined,
    });
  const a = await run(scratchDir());
  const b = await run(scratchDir());
  for (const [x, y] of [
    [a.onnxPath, b.onnxPath],
    [a.qualityOnnxPath, b.qualityOnnxPath],
    [a.cardPath, b.cardPath],
  ] as const)
    assert.ok(readFileSync(x).equals(readFileSync(y)), `${x} and ${y} differ`);
  assert.match(readFileSync(a.markdownPath, 'utf8'), /Trained by `test` \(seed 11\) in \*\*[\d.]+ min\*\*/);
  // what it wrote is a detector the engine accepts
  // a full run puts its own "where it fails" groups on the card, from the chosen set's folds
  assert.ok(a.card.evaluation.failures, 'where-it-fails groups on a fresh card');
  const m = await SoundsModel.load(a.cardPath);
  assert.equal(m.card.input.features, 'embedding+hand');
  await m.close();
});

test('the shipped sound card: figures with intervals for CV, held-out and KAUH, baselines, time', () => {
  const cardPath = join(MODELS_DIR, 'sounds.card.json');
  assert.ok(existsSync(cardPath), 'models/sounds.card.json is committed');
  const card = SoundsCardSchema.parse(JSON.parse(readFileSync(cardPath, 'utf8')));
  const e = card.evaluation;
  for (const set of [e.crossValidation, e.heldOut])
    for (const t of [set.crackle, set.wheeze]) {
      for (const level of [t.event, t.recording]) {
        assert.ok(level.auroc && level.auroc.lo !== null && level.auroc.hi !== null, 'AUROC with an interval');
        assert.ok(level.auroc.lo <= level.auroc.value! && level.auroc.value! <= level.auroc.hi);
        assert.ok(level.sensitivity.value !== null && level.specificity.value !== null);
        assert.ok(level.patients > 20);
      }
    }
  assert.deepEqual(e.heldOut.subsets, ['test2022_inter', 'test2023']);
  assert.ok(e.kauh && e.kauh.crackle.auroc && e.kauh.wheeze.auroc, 'KAUH cross-dataset figures');
  assert.ok(e.kauh.crackle.patients >= 100, 'patient level, all three filter versions together');
  const names = e.comparisons.map((c) => c.name);
  for (const want of [/^prevalence$/, /^hand-crafted detector$/, /^logistic on embedding( \(shipped\))?$/])
    assert.ok(
      names.some((n) => want.test(n)),
      `baseline ${want} in the same run`,
    );
  assert.ok(card.quality.evaluation.auroc.value !== null && card.quality.evaluation.poor > 100);
  const md = readFileSync(join(MODELS_DIR, 'sounds.card.md'), 'utf8');
  assert.match(md, /in \*\*[\d.]+ min\*\*/, 'the run time is on the card');
  assert.match(md, /KAUH adults/);
  // where it fails: the folds' misses by what the physicians annotated, length and prominence
  const f = e.failures;
  assert.ok(f, 'the card says where it fails');
  for (const t of [f.crackle, f.wheeze]) {
    assert.ok(t.recordings.missed > 0 && t.recordings.missed < t.recordings.annotated);
    assert.ok(t.recordings.children <= t.recordings.missed && t.recordings.mostFromOneChild >= 1);
    for (const by of ['annotated as', 'length', 'level against the recording median'])
      assert.equal(
        t.groups.filter((g) => g.by === by).reduce((a, g) => a + g.events, 0),
        t.events.annotated,
        `${by}: the groups cover every annotated event`,
      );
  }
  assert.ok(
    f.wheeze.groups.some((g) => g.group === 'Rhonchi'),
    'rhonchi apart from wheeze',
  );
  assert.match(md, /## Where it fails \(SPRSound folds\)[^]*missed \d+ of \d+ recordings with wheezes/);
});
