/**
 * How train-sounds scores a detector: step labels from the physicians' event annotations, step
 * probabilities per recording, and the figures at three levels (step, annotated event, recording),
 * with thresholds always chosen on data the scored recordings were not part of.
 */
import { eventsFromSteps, recordingScore, STEP_CENTRE_OFFSET, STEP_CENTRE_SEC } from '../decision.js';
import { STEP_SEC } from '../features.js';
import type { AnnotatedEvent } from './data.js';
import type { Extracted } from './extract.js';
import { binaryFigures, fourClassFigures, youden, type Binary, type FourClassUnit, type Unit } from './metrics.js';
import { auroc } from '../../training/metrics.js';

/** A step is labelled with a type when an event of that type covers ≥ 0.12 s of its central 0.48 s. */
export const LABEL_MIN_OVERLAP_SEC = 0.12;

function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

const isCrackle = (e: AnnotatedEvent) => e.cls === 'crackle' || e.cls === 'both';
const isWheeze = (e: AnnotatedEvent) => e.cls === 'wheeze' || e.cls === 'both';

/** count × 2 step targets (crackle, wheeze) of an annotated recording. */
export function stepTargets(item: Extracted): Uint8Array {
  const y = new Uint8Array(item.count * 2);
  item.startsSec.forEach((s, i) => {
    const c0 = s + STEP_CENTRE_OFFSET;
    const c1 = c0 + STEP_CENTRE_SEC;
    let c = 0;
    let w = 0;
    for (const e of item.rec.events) {
      const o = overlap(c0, c1, e.startSec, e.endSec);
      if (isCrackle(e)) c += o;
      if (isWheeze(e)) w += o;
    }
    y[2 * i] = c >= LABEL_MIN_OVERLAP_SEC ? 1 : 0;
    y[2 * i + 1] = w >= LABEL_MIN_OVERLAP_SEC ? 1 : 0;
  });
  return y;
}

/** Scores of one recording: count × 2 (crackle, wheeze), probabilities or any monotone score. */
export interface Scored {
  item: Extracted;
  steps: Float32Array;
}

const column = (s: Scored, k: number): Float32Array =>
  Float32Array.from({ length: s.item.count }, (_, i) => s.steps[2 * i + k]!);

/** The steps an annotated event is judged by: those whose central half it overlaps, else the most overlapped. */
export function eventScore(s: Scored, e: AnnotatedEvent, k: number): number {
  let best = -Infinity;
  let fallback = -Infinity;
  let most = -1;
  s.item.startsSec.forEach((t, i) => {
    const v = s.steps[2 * i + k]!;
    if (overlap(t + STEP_CENTRE_OFFSET, t + STEP_CENTRE_OFFSET + STEP_CENTRE_SEC, e.startSec, e.endSec) > 0)
      best = Math.max(best, v);
    const o = overlap(t, t + STEP_SEC, e.startSec, e.endSec);
    if (o > most) {
      most = o;
      fallback = v;
    }
  });
  return Number.isFinite(best) ? best : fallback;
}

export interface Thresholds {
  crackle: number;
  wheeze: number;
}

/** Youden thresholds on recording scores (max over steps). */
export function chooseThresholds(scored: Scored[]): Thresholds {
  const units = (k: number) =>
    scored.map((s) => ({
      score: recordingScore(column(s, k)),
      truth: k === 0 ? s.item.rec.crackle : s.item.rec.wheeze,
    }));
  return { crackle: youden(units(0)), wheeze: youden(units(1)) };
}

export interface LevelFigures {
  stepAuroc: number | null;
  event: Binary;
  recording: Binary;
}

export interface SetFigures {
  crackle: LevelFigures;
  wheeze: LevelFigures;
  eventFourClass: ReturnType<typeof fourClassFigures>;
  recordings: number;
  patients: number;
}

/**
 * Figures of scored recordings; `thresholdOf` gives the thresholds that apply to each recording
 * (out-of-fold: chosen on the other folds; held-out: the shipped ones).
 */
export function setFigures(
  scored: Scored[],
  thresholdOf: (s: Scored) => Thresholds,
  rounds: number,
  seed: number,
): SetFigures {
  const level = (k: 0 | 1): LevelFigures => {
    const name = k === 0 ? 'crackle' : 'wheeze';
    const stepScores: number[] = [];
    const stepTruth: boolean[] = [];
    const events: Unit[] = [];
    const recs: Unit[] = [];
    const eventThr: number[] = [];
    for (const s of scored) {
      const y = stepTargets(s.item);
      for (let i = 0; i < s.item.count; i++) {
        stepScores.push(s.steps[2 * i + k]!);
        stepTruth.push(y[2 * i + k] === 1);
      }
      const t = thresholdOf(s)[name];
      for (const e of s.item.rec.events) {
        // events are scored against their recording's threshold: shift scores so one threshold (0) applies
        events.push({
          patient: s.item.rec.patient,
          score: eventScore(s, e, k) - t,
          truth: k === 0 ? isCrackle(e) : isWheeze(e),
        });
        eventThr.push(t);
      }
      recs.push({
        patient: s.item.rec.patient,
        score: recordingScore(column(s, k)) - t,
        truth: k === 0 ? s.item.rec.crackle : s.item.rec.wheeze,
      });
    }
    // AUROC on shifted scores would mix folds' thresholds into the ranking: use the raw ones for it
    const rawEvents = events.map((u, i) => ({ ...u, score: u.score + eventThr[i]! }));
    const rawRecs = recs.map((u, i) => ({ ...u, score: u.score + thresholdOf(scored[i]!)[name] }));
    const ev = binaryFigures(events, 0, rounds, seed + k);
    const re = binaryFigures(recs, 0, rounds, seed + 10 + k);
    const evA = binaryFigures(rawEvents, 0.5, rounds, seed + k);
    const reA = binaryFigures(rawRecs, 0.5, rounds, seed + 10 + k);
    return {
      stepAuroc: auroc(stepScores, stepTruth),
      event: { ...ev, auroc: evA.auroc },
      recording: { ...re, auroc: reA.auroc },
    };
  };
  const four: FourClassUnit[] = [];
  const cls = { normal: 0, crackle: 1, wheeze: 2, both: 3 } as const;
  for (const s of scored) {
    const t = thresholdOf(s);
    for (const e of s.item.rec.events) {
      const c = eventScore(s, e, 0) >= t.crackle;
      const w = eventScore(s, e, 1) >= t.wheeze;
      four.push({ patient: s.item.rec.patient, truth: cls[e.cls], pred: c && w ? 3 : c ? 1 : w ? 2 : 0 });
    }
  }
  return {
    crackle: level(0),
    wheeze: level(1),
    eventFourClass: fourClassFigures(four, rounds, seed + 20),
    recordings: scored.length,
    patients: new Set(scored.map((s) => s.item.rec.patient)).size,
  };
}

/** Patient-level KAUH figures: a patient's score is the mean of their recordings' (the filter versions). */
export function kauhFigures(
  scored: Scored[],
  thresholds: Thresholds,
  rounds: number,
  seed: number,
): {
  crackle: Binary;
  wheeze: Binary;
  perFilter: Array<{ filter: string; crackleAuroc: number | null; wheezeAuroc: number | null }>;
} {
  const patientUnits = (k: 0 | 1): Unit[] => {
    const m = new Map<string, { sum: number; n: number; truth: boolean }>();
    for (const s of scored) {
      const v = m.get(s.item.rec.patient) ?? { sum: 0, n: 0, truth: k === 0 ? s.item.rec.crackle : s.item.rec.wheeze };
      v.sum += recordingScore(column(s, k));
      v.n++;
      m.set(s.item.rec.patient, v);
    }
    return [...m.entries()].map(([patient, v]) => ({ patient, score: v.sum / v.n, truth: v.truth }));
  };
  const filters = [...new Set(scored.map((s) => s.item.rec.filter ?? 'unknown'))].sort();
  return {
    crackle: binaryFigures(patientUnits(0), thresholds.crackle, rounds, seed),
    wheeze: binaryFigures(patientUnits(1), thresholds.wheeze, rounds, seed + 1),
    perFilter: filters.map((f) => {
      const sub = scored.filter((s) => (s.item.rec.filter ?? 'unknown') === f);
      const a = (k: 0 | 1) =>
        auroc(
          sub.map((s) => recordingScore(column(s, k))),
          sub.map((s) => (k === 0 ? s.item.rec.crackle : s.item.rec.wheeze)),
        );
      return { filter: f, crackleAuroc: a(0), wheezeAuroc: a(1) };
    }),
  };
}

/** Events the detector would show for a scored recording (for the card's examples and tests). */
export function detectedEvents(s: Scored, t: Thresholds) {
  return [
    ...eventsFromSteps('crackle', column(s, 0), s.item.startsSec, t.crackle, s.item.durationSec),
    ...eventsFromSteps('wheeze', column(s, 1), s.item.startsSec, t.wheeze, s.item.durationSec),
  ];
}
