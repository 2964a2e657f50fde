/**
 * Where the detector fails (src/inference/sounds/training/failures.ts) on hand-made out-of-fold
 * scores: an annotated event is missed when the steps it is judged by stay below its fold's
 * threshold, a recording when no step reaches it; the groups count every annotated event once
 * per grouping, and the missed list carries what the summary is made of.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HAND_DIMS } from '../../src/inference/sounds/features.js';
import type { AnnotatedEvent, SoundRecording } from '../../src/inference/sounds/training/data.js';
import type { Scored } from '../../src/inference/sounds/training/evaluate.js';
import type { Extracted } from '../../src/inference/sounds/training/extract.js';
import { failuresOf, missedSummary } from '../../src/inference/sounds/training/failures.js';

/** A recording of `count` steps (0.48 s apart) with the given events and wheeze step scores. */
function scored(file: string, patient: string, events: AnnotatedEvent[], wheeze: number[]): Scored {
  const count = wheeze.length;
  const rec: SoundRecording = {
    path: file,
    file,
    subset: 'train2022',
    patient,
    sha256: file,
    poor: false,
    crackle: false,
    wheeze: events.some((e) => e.cls === 'wheeze'),
    events,
    filter: null,
    soundType: null,
  };
  const item: Extracted = {
    rec,
    durationSec: 0.48 * (count - 1) + 0.96,
    count,
    startsSec: Array.from({ length: count }, (_, i) => i * 0.48),
    embeddings: new Float32Array(count * 1024),
    hand: new Float32Array(count * HAND_DIMS),
    quality: { count: 0, startsSec: [], endsSec: [], rules: new Float32Array(0), patches: [] },
  };
  const steps = new Float32Array(count * 2);
  wheeze.forEach((p, i) => (steps[2 * i + 1] = p));
  return { item, steps };
}

const ev = (label: string, startSec: number, endSec: number): AnnotatedEvent => ({
  cls: label === 'Wheeze' || label === 'Rhonchi' ? 'wheeze' : 'normal',
  label,
  startSec,
  endSec,
});

test('wheeze failures: a missed recording, a hit one and a normal one, grouped by label and length', () => {
  const s = [
    // the wheeze at 1.0-1.3 s sits in step 1's and step 2's central halves: both score 0.4 < 0.5
    scored('a.flac', 'p1', [ev('Wheeze', 1.0, 1.3)], [0.1, 0.4, 0.4, 0.1]),
    // a long rhonchus reached by step 2 (0.9 ≥ 0.5)
    scored('b.flac', 'p2', [ev('Rhonchi', 0.6, 2.0), ev('Normal', 0, 0.5)], [0.1, 0.2, 0.9, 0.2]),
    scored('c.flac', 'p3', [ev('Normal', 0, 2)], [0.1, 0.1, 0.1, 0.1]),
  ];
  const { figures, missed } = failuresOf(
    s,
    () => ({ crackle: 0.5, wheeze: 0.5 }),
    () => 0,
    'wheeze',
  );
  assert.deepEqual(figures.events, { annotated: 2, missed: 1 });
  assert.equal(figures.recordings.annotated, 2);
  assert.equal(figures.recordings.missed, 1);
  assert.deepEqual(
    figures.groups.filter((g) => g.by === 'annotated as'),
    [
      { by: 'annotated as', group: 'Wheeze', events: 1, missed: 1 },
      { by: 'annotated as', group: 'Rhonchi', events: 1, missed: 0 },
    ],
  );
  assert.deepEqual(
    figures.groups.filter((g) => g.by === 'length').map((g) => [g.group, g.events, g.missed]),
    [
      ['< 0.5 s', 1, 1],
      ['1–2 s', 1, 0],
    ],
  );
  assert.equal(missed.length, 1);
  assert.equal(missed[0]!.file, 'a.flac');
  assert.equal(missed[0]!.score, 0.4);
  assert.deepEqual(missedSummary(missed), { children: 1, mostFromOneChild: 1, nearThreshold: 1, underOneSecond: 1 });
  const { recordings } = figures;
  assert.deepEqual(
    [recordings.children, recordings.nearThreshold, recordings.underOneSecond],
    [1, 1, 1],
    'the card summary is the list summary',
  );
});
