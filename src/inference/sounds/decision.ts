/**
 * From step probabilities to what is shown: events, recording-level presence and probability. Pure
 * functions, used identically by the engine and by train-sounds' evaluation.
 *
 * - A step "fires" when its probability reaches the card's threshold for that type.
 * - An event is a run of consecutive firing steps; it spans the central halves of its steps (each
 *   0.96 s step overlaps its neighbours by 0.48 s, so the central 0.48 s is the part nearest to it;
 *   the first and last steps reach the ends of the recording). Its probability is its highest step's.
 * - Present = at least one event. The recording score is the highest step probability; the shown
 *   probability is that score through the card's Platt map (fitted on out-of-fold SPRSound recordings).
 */
import type { SoundEvent, SoundType } from './types.js';

export const STEP_CENTRE_OFFSET = 0.24;
export const STEP_CENTRE_SEC = 0.48;

export function logit(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}

export function platt(score: number, a: number, b: number): number {
  return 1 / (1 + Math.exp(-(a * logit(score) + b)));
}

export function recordingScore(probs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < probs.length; i++) m = Math.max(m, probs[i]!);
  return m;
}

export function eventsFromSteps(
  type: SoundType,
  probs: ArrayLike<number>,
  startsSec: readonly number[],
  threshold: number,
  durationSec: number,
): SoundEvent[] {
  const events: SoundEvent[] = [];
  const n = probs.length;
  for (let i = 0; i < n;) {
    if (probs[i]! < threshold) {
      i++;
      continue;
    }
    let j = i;
    let best = 0;
    while (j < n && probs[j]! >= threshold) best = Math.max(best, probs[j++]!);
    const startSec = i === 0 ? 0 : startsSec[i]! + STEP_CENTRE_OFFSET;
    const endSec =
      j === n ? durationSec : Math.min(durationSec, startsSec[j - 1]! + STEP_CENTRE_OFFSET + STEP_CENTRE_SEC);
    events.push({ type, startSec, endSec: Math.max(startSec, endSec), probability: best });
    i = j;
  }
  return events;
}
