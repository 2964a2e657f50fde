/**
 * The figures shown beside every result, read from the shipped cards (real files): threshold and
 * band, sensitivity/specificity with what they count, which classes the model recognises, the
 * plain summary, the sound detector's figures; a schema-2 card's one-recording figures, its own
 * `recognised` and its `clinicianSummary` take precedence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelCardSchema } from '../../src/inference/model-card.js';
import { SoundsCardSchema } from '../../src/inference/sounds/card.js';
import { modelFacts } from '../../src/service/model-facts.js';
import { MODELS_DIR } from '../support/paths.js';

const head = ModelCardSchema.parse(JSON.parse(readFileSync(join(MODELS_DIR, 'head.card.json'), 'utf8')));
const sounds = SoundsCardSchema.parse(JSON.parse(readFileSync(join(MODELS_DIR, 'sounds.card.json'), 'utf8')));

test('the shipped cards: threshold, band, figures with their basis, unrecognised classes, sounds', () => {
  const f = modelFacts(head, sounds)!;
  assert.equal(f.screen.threshold, head.screen.threshold);
  assert.equal(f.screen.margin, head.abstain.screenMargin);
  const one = head.evaluation.recordingScreen?.all;
  assert.deepEqual(f.screen.sensitivity, (one ?? head.evaluation.screen).sensitivity);
  assert.match(f.screen.basis, one ? /one analysis of one recording/ : /per patient/);
  for (const c of head.evaluation.fiveClass.perClass) {
    const mine = f.classes.find((x) => x.class === c.class)!;
    assert.equal(mine.recognised, c.recognised ?? c.recall.value > 0, c.class);
    if (c.recall.value === 0) assert.equal(mine.recognised, false, `${c.class}: recall 0 is never a possible finding`);
  }
  assert.ok(f.summary.length >= 1 && f.summary.every((s) => s.length > 20));
  assert.equal(f.sounds?.types.length, 2);
  assert.equal(
    f.sounds?.types[1]?.children.sensitivity,
    sounds.evaluation.crossValidation.wheeze.recording.sensitivity.value,
  );
  assert.equal(modelFacts(null, sounds), null);
});

test('a schema-2 card: one-recording figures lead, its recognised flags and clinician summary are used', () => {
  const iv = (v: number) => ({ value: v, lo: v - 0.1, hi: v + 0.05 });
  const figs = { recordings: 333, patients: 112, auroc: iv(0.81), sensitivity: iv(0.72), specificity: iv(0.82) };
  const v2 = {
    ...head,
    clinicianSummary: 'First paragraph for clinicians.\n\nSecond paragraph.',
    evaluation: {
      ...head.evaluation,
      fiveClass: {
        ...head.evaluation.fiveClass,
        perClass: head.evaluation.fiveClass.perClass.map((c) => ({ ...c, recognised: c.class === 'asthma' })),
      },
      recordingScreen: {
        protocol: 'one analysis of one recording',
        threshold: head.screen.threshold,
        all: figs,
        perFilter: [],
        band: { margin: 0.05, uncertainShare: 0.2, accuracyInside: 0.5, accuracyOutside: 0.8, rule: 'r' },
      },
    },
  };
  const f = modelFacts(v2, null)!;
  assert.deepEqual(f.screen.sensitivity, figs.sensitivity);
  assert.match(f.screen.basis, /one analysis of one recording \(333 recordings of 112 patients/);
  assert.deepEqual(
    f.classes.filter((c) => c.recognised).map((c) => c.class),
    ['asthma'],
  );
  assert.deepEqual(f.summary, ['First paragraph for clinicians.', 'Second paragraph.']);
  assert.equal(f.sounds, null);
});
