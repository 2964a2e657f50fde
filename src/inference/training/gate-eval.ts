/**
 * The competence gate's rates, measured as the card states them: on the training data out of fold
 * (the gate fitted on the other folds' patients, each held-out recording judged by the same
 * decide() the engine uses), on another population (SPRSound: children, another stethoscope) and on
 * the generated non-chest inputs, with the final gate fitted on all training patients.
 */
import type { QualityReport } from '../analysis-types.js';
import { patchLevelsDbfs } from '../gate/contact.js';
import type { GateDecision } from '../gate/decide.js';
import { groupScores, resolveGroups } from '../gate/foreign.js';
import { CompetenceGate } from '../gate/gate.js';
import type { GateModel } from '../gate/model.js';
import { patchTonality } from '../gate/tonal.js';
import { fitGate, type GateFitOptions } from './gate-fit.js';
import type { Fold } from './splits.js';

/** What the gate reads of one recording, without its audio (the audio-derived parts computed once). */
export interface GateSample {
  id: string;
  patient: string;
  count: number;
  startsSec: number[];
  durationSec: number;
  levelDbfs: Float64Array;
  tonality: Float64Array;
  foreign: Float32Array[];
  embeddings: Float32Array;
  quality: QualityReport;
}

export function gateSample(
  meta: { id: string; patient: string },
  pass: { banded16k: Float32Array; embeddings: Float32Array; scores: Float32Array; count: number; startsSec: number[] },
  durationSec: number,
  quality: QualityReport,
  classMap: readonly string[],
  groups: readonly GateModel['foreign'][number][],
): GateSample {
  return {
    ...meta,
    count: pass.count,
    startsSec: pass.startsSec,
    durationSec,
    levelDbfs: patchLevelsDbfs(pass.banded16k, pass.startsSec, 16000),
    tonality: patchTonality(pass.banded16k, pass.startsSec, 16000),
    foreign: groupScores(pass.scores, pass.count, resolveGroups(groups, classMap)),
    embeddings: pass.embeddings,
    quality,
  };
}

export function decideSample(
  gate: CompetenceGate,
  s: GateSample,
  scoring: { windowSec: number; hopSec: number },
): GateDecision {
  return gate.decide(
    {
      levelDbfs: s.levelDbfs,
      tonality: s.tonality,
      foreign: s.foreign,
      novelty: gate.noveltyOf(s.embeddings, s.count),
    },
    s,
    s.quality,
    null,
    scoring,
  );
}

/** A withheld rate with its exact (Clopper–Pearson) 95 % interval. */
export interface Rate {
  withheld: number;
  of: number;
  rate: number;
  lo: number;
  hi: number;
}

function binomCdf(k: number, n: number, p: number): number {
  // P(X ≤ k), summed in log space (n is at most a few thousand)
  let logC = 0;
  let total = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log((n - i + 1) / i);
    const lp = logC + (i > 0 ? i * Math.log(p) : 0) + (n - i > 0 ? (n - i) * Math.log(1 - p) : 0);
    total += Math.exp(lp);
  }
  return Math.min(1, total);
}

function solve(f: (p: number) => number, target: number, increasing: boolean): number {
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > target === increasing) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

export function rate(withheld: number, of: number): Rate {
  const r = of ? withheld / of : 0;
  const hi = withheld >= of ? 1 : solve((p) => binomCdf(withheld, of, p), 0.025, false);
  const lo = withheld === 0 ? 0 : solve((p) => 1 - binomCdf(withheld - 1, of, p), 0.025, true);
  const r4 = (x: number) => Math.round(x * 10000) / 10000;
  return { withheld, of, rate: r4(r), lo: r4(lo), hi: r4(hi) };
}

export interface OofGate {
  recordings: Rate;
  /** Share of held-out patches each check excluded. */
  patchesExcluded: Record<string, number>;
  patches: number;
  /** Withheld recordings by their first reason. */
  reasons: Record<string, number>;
  /** Per held-out recording: withheld or not (by sample index). */
  withheldIds: string[];
}

/** The gate fitted on each fold's training patients, every held-out recording judged. */
export function gateOutOfFold(
  samples: GateSample[],
  folds: Fold[],
  fit: GateFitOptions,
  classMap: readonly string[],
  scoring: { windowSec: number; hopSec: number },
  log: (line: string) => void,
): OofGate {
  let withheld = 0;
  let judged = 0;
  let patches = 0;
  const excluded: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  const withheldIds: string[] = [];
  for (const [i, fold] of folds.entries()) {
    const train = samples.filter((s) => fold.train.has(s.patient));
    const n = train.reduce((a, s) => a + s.count, 0);
    const rows = new Float32Array(n * 1024);
    let o = 0;
    for (const s of train) {
      rows.set(s.embeddings, o);
      o += s.embeddings.length;
    }
    const gate = new CompetenceGate(fitGate(rows, n, fit), classMap);
    for (const s of samples.filter((x) => fold.test.has(x.patient))) {
      const d = decideSample(gate, s, scoring);
      judged++;
      patches += s.count;
      for (const p of d.patches) if (p.excluded) excluded[p.excluded] = (excluded[p.excluded] ?? 0) + 1;
      if (!d.passed) {
        withheld++;
        withheldIds.push(s.id);
        const r = d.withheldReasons[0] ?? '';
        reasons[r] = (reasons[r] ?? 0) + 1;
      }
    }
    log(`train-head: gate fold ${i + 1}/${folds.length}: ${withheld} of ${judged} held-out recordings withheld so far`);
  }
  const share = Object.fromEntries(
    Object.entries(excluded)
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([k, v]) => [k, Math.round((v / Math.max(1, patches)) * 10000) / 10000]),
  );
  return { recordings: rate(withheld, judged), patchesExcluded: share, patches, reasons, withheldIds };
}
