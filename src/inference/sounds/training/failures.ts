/**
 * Where the detector fails, from its out-of-fold scores (each recording scored by a model that never
 * saw its child, at its fold's thresholds): which annotated events and recordings it misses, grouped
 * by what the physicians annotated (wheeze / rhonchi / stridor, fine / coarse crackle), how long the
 * event is, and how prominent its tone or transients are in the audio. The groups go on the card; the
 * per-recording list (file names: data) only to `train-sounds --misses <file>`, never committed.
 */
import { recordingScore } from '../decision.js';
import { HAND_DIMS, HAND_FEATURES, STEP_SEC } from '../features.js';
import type { AnnotatedEvent } from './data.js';
import { eventScore, type Scored, type Thresholds } from './evaluate.js';
import { STEP_CENTRE_OFFSET, STEP_CENTRE_SEC } from '../decision.js';

export interface FailureGroup {
  /** What the events are grouped by ("annotated as", "length", …). */
  by: string;
  group: string;
  events: number;
  missed: number;
}

export interface MissedSummary {
  /** Children the missed recordings come from, and the most from one child. */
  children: number;
  mostFromOneChild: number;
  /** Missed recordings whose best step came within 0.10 of the threshold. */
  nearThreshold: number;
  /** Missed recordings with less than 1 s of annotated events of the type in all. */
  underOneSecond: number;
}

export interface TypeFailures {
  recordings: { annotated: number; missed: number } & MissedSummary;
  events: { annotated: number; missed: number };
  groups: FailureGroup[];
}

export interface MissedRecording {
  type: 'crackle' | 'wheeze';
  file: string;
  patient: string;
  fold: number;
  score: number;
  threshold: number;
  /** The annotated events of the type: raw label, start and end (s), and whether the detector reached them. */
  events: Array<{ label: string; startSec: number; endSec: number; score: number; hit: boolean }>;
}

const TYPES = { crackle: 0, wheeze: 1 } as const;
const LABELS: Record<keyof typeof TYPES, readonly string[]> = {
  crackle: ['Fine Crackle', 'Coarse Crackle', 'Wheeze+Crackle'],
  wheeze: ['Wheeze', 'Rhonchi', 'Stridor', 'Wheeze+Crackle'],
};
/** The descriptor that says how prominent the sound is within its steps (features.ts). */
const PROMINENCE: Record<keyof typeof TYPES, (typeof HAND_FEATURES)[number]> = {
  crackle: 'transient_rate10',
  wheeze: 'peak_mean_db',
};
export const CRACKLE_PROMINENCE = 'transient rate (2 ms blocks 10 dB above the step median, per second)';
const LENGTHS: Array<[string, number]> = [
  ['< 0.5 s', 0.5],
  ['0.5–1 s', 1],
  ['1–2 s', 2],
  ['≥ 2 s', Infinity],
];

const overlap = (a0: number, a1: number, b0: number, b1: number) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));

/** Mean of one hand descriptor over the steps whose central half the event overlaps (else all it overlaps). */
function eventDescriptor(s: Scored, e: AnnotatedEvent, feature: number): number {
  const central: number[] = [];
  const any: number[] = [];
  s.item.startsSec.forEach((t, i) => {
    const v = s.item.hand[i * HAND_DIMS + feature]!;
    if (overlap(t + STEP_CENTRE_OFFSET, t + STEP_CENTRE_OFFSET + STEP_CENTRE_SEC, e.startSec, e.endSec) > 0)
      central.push(v);
    if (overlap(t, t + STEP_SEC, e.startSec, e.endSec) > 0) any.push(v);
  });
  const use = central.length ? central : any;
  return use.length ? use.reduce((a, v) => a + v, 0) / use.length : NaN;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** What the missed recordings have in common (from the list alone, so the list reproduces it). */
export function missedSummary(missed: readonly MissedRecording[]): MissedSummary {
  const perChild = new Map<string, number>();
  for (const m of missed) perChild.set(m.patient, (perChild.get(m.patient) ?? 0) + 1);
  return {
    children: perChild.size,
    mostFromOneChild: Math.max(0, ...perChild.values()),
    nearThreshold: missed.filter((m) => Math.round((m.threshold - m.score) * 100) <= 10).length,
    underOneSecond: missed.filter((m) => m.events.reduce((a, e) => a + e.endSec - e.startSec, 0) < 1).length,
  };
}

/**
 * The failure groups of one type, and the recordings it missed. `thresholdOf` gives each recording's
 * fold thresholds (chosen on the other folds).
 */
export function failuresOf(
  scored: Scored[],
  thresholdOf: (s: Scored) => Thresholds,
  foldOf: (s: Scored) => number,
  type: keyof typeof TYPES,
): { figures: TypeFailures; missed: MissedRecording[] } {
  const k = TYPES[type];
  const labels = LABELS[type];
  const prominence = HAND_FEATURES.indexOf(PROMINENCE[type]);
  const level = HAND_FEATURES.indexOf('level_rel_db');
  type Ev = { label: string; length: number; prominence: number; level: number; hit: boolean };
  const evs: Ev[] = [];
  const missed: MissedRecording[] = [];
  let annotatedRecs = 0;
  for (const s of scored) {
    const truth = type === 'crackle' ? s.item.rec.crackle : s.item.rec.wheeze;
    const thr = thresholdOf(s)[type];
    const mine = s.item.rec.events.filter((e) => labels.includes(e.label));
    const scoredEvents = mine.map((e) => {
      const score = eventScore(s, e, k);
      return { e, score, hit: score >= thr };
    });
    for (const { e, hit } of scoredEvents)
      evs.push({
        label: e.label,
        length: e.endSec - e.startSec,
        prominence: eventDescriptor(s, e, prominence),
        level: eventDescriptor(s, e, level),
        hit,
      });
    if (!truth) continue;
    annotatedRecs++;
    const col = Float32Array.from({ length: s.item.count }, (_, i) => s.steps[2 * i + k]!);
    const score = recordingScore(col);
    if (score < thr)
      missed.push({
        type,
        file: s.item.rec.file,
        patient: s.item.rec.patient,
        fold: foldOf(s),
        score: r2(score),
        threshold: r2(thr),
        events: scoredEvents.map(({ e, score: es, hit }) => ({
          label: e.label,
          startSec: e.startSec,
          endSec: e.endSec,
          score: r2(es),
          hit,
        })),
      });
  }
  const groups: FailureGroup[] = [];
  const add = (by: string, group: string, sel: Ev[]) => {
    if (sel.length) groups.push({ by, group, events: sel.length, missed: sel.filter((x) => !x.hit).length });
  };
  for (const l of labels)
    add(
      'annotated as',
      l,
      evs.filter((x) => x.label === l),
    );
  let lo = 0;
  for (const [name, hi] of LENGTHS) {
    add(
      'length',
      name,
      evs.filter((x) => x.length >= lo && x.length < hi),
    );
    lo = hi;
  }
  // thirds of the annotated events by the descriptor; the cut points are said in the group's name
  const thirds = (by: string, unit: 'dB' | '/s', value: (x: Ev) => number) => {
    const v = evs
      .map(value)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    if (v.length < 3) return;
    const c1 = v[Math.floor(v.length / 3)]!;
    const c2 = v[Math.floor((2 * v.length) / 3)]!;
    const fmt = (x: number) => (unit === 'dB' ? `${x.toFixed(1)} dB` : `${x.toFixed(0)} /s`);
    add(
      by,
      `lowest third (< ${fmt(c1)})`,
      evs.filter((x) => value(x) < c1),
    );
    add(
      by,
      `middle third`,
      evs.filter((x) => value(x) >= c1 && value(x) < c2),
    );
    add(
      by,
      `highest third (≥ ${fmt(c2)})`,
      evs.filter((x) => value(x) >= c2),
    );
  };
  thirds(
    type === 'wheeze' ? 'tone prominence (peak above median bin)' : CRACKLE_PROMINENCE,
    type === 'wheeze' ? 'dB' : '/s',
    (x) => x.prominence,
  );
  thirds('level against the recording median', 'dB', (x) => x.level);
  return {
    figures: {
      recordings: { annotated: annotatedRecs, missed: missed.length, ...missedSummary(missed) },
      events: { annotated: evs.length, missed: evs.filter((x) => !x.hit).length },
      groups,
    },
    missed,
  };
}
