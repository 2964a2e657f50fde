/**
 * The one decision of the competence gate, for a recording and for a live stretch alike: which
 * patches are usable, which scoring windows the result may be computed from (only windows whose
 * patches are all usable: the head was trained on whole windows of chest sound), and whether the
 * head may speak at all, with the reasons in plain words.
 */
import type { GateReport, PatchEvidence, PatchExclusion } from '../analysis-types.js';
import { PATCH_SEC } from '../../features/yamnet-params.js';
import { patchesPerWindow, windowStarts } from '../scoring.js';
import { EXCLUSION_SENTENCES, lengthSentence, qualityVerdict, type GateEvidence, type PatchCheck } from './checks.js';
import type { GateModel } from './model.js';

export interface GateDecision {
  patches: PatchEvidence[];
  /** First patch of each scoring window (each window is `patchesPerWindow(windowSec)` usable patches). */
  windowStarts: number[];
  passed: boolean;
  /** Why the head may not speak (non-empty ⇔ !passed). */
  withheldReasons: string[];
  /** Inside the gate, but the result is less reliable (fair quality where the gate file says so). */
  uncertainReasons: string[];
  report: Omit<GateReport, 'pPoor'>;
}

/** Seconds covered by the union of [start, start + PATCH_SEC) of the given patches, within the duration. */
function coveredSec(startsSec: readonly number[], which: readonly number[], durationSec: number): number {
  let total = 0;
  let end = -Infinity;
  for (const i of which) {
    const a = Math.max(startsSec[i]!, end);
    const b = Math.min(startsSec[i]! + PATCH_SEC, durationSec);
    if (b > a) total += b - a;
    end = Math.max(end, b);
  }
  return total;
}

export function decide(
  e: GateEvidence,
  model: GateModel,
  checks: readonly PatchCheck[],
  scoring: { windowSec: number; hopSec: number },
): GateDecision {
  const excluded: Array<PatchExclusion | null> = Array.from({ length: e.count }, (_, p) => {
    for (const c of checks) {
      const why = c.judge(e, p);
      if (why) return why;
    }
    return null;
  });
  const patches: PatchEvidence[] = e.startsSec.map((startSec, p) => ({
    startSec,
    endSec: Math.min(startSec + PATCH_SEC, Math.max(e.durationSec, startSec + PATCH_SEC)),
    excluded: excluded[p]!,
  }));
  // windows only inside runs of consecutive usable patches
  const per = patchesPerWindow(scoring.windowSec);
  const starts: number[] = [];
  for (let p = 0; p < e.count;) {
    if (excluded[p]) {
      p++;
      continue;
    }
    let q = p;
    while (q < e.count && !excluded[q]) q++;
    if (q - p >= per) for (const s of windowStarts(q - p, scoring.windowSec, scoring.hopSec)) starts.push(p + s);
    p = q;
  }
  const usable = [...excluded.keys()].filter((p) => !excluded[p]);
  const bad = [...excluded.keys()].filter((p) => excluded[p]);
  const usableSec = coveredSec(e.startsSec, usable, e.durationSec);
  const excludedSec = Math.max(0, coveredSec(e.startsSec, [...excluded.keys()], e.durationSec) - usableSec);

  const q = qualityVerdict(model, e.quality, e.learned);
  const withheld: string[] = [];
  if (starts.length === 0) {
    // the kinds that took at least a third of the excluded patches (at least the commonest)
    const counts = new Map<PatchExclusion, number>();
    for (const p of bad) counts.set(excluded[p]!, (counts.get(excluded[p]!) ?? 0) + 1);
    const kinds = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    kinds.forEach(([k, n], i) => {
      if (i === 0 || n >= bad.length / 3) withheld.push(EXCLUSION_SENTENCES[k]);
    });
    if (usable.length > 0 || bad.length === 0) withheld.push(lengthSentence(usableSec, scoring.windowSec));
  }
  for (const r of q.withhold)
    if (!(r.includes('no contact') && withheld.includes(EXCLUSION_SENTENCES['no-contact']))) withheld.push(r);

  let foreignScore = 0;
  for (const g of e.foreign) {
    let sum = 0;
    for (let p = 0; p < e.count; p++) sum += g[p]!;
    foreignScore = Math.max(foreignScore, sum / Math.max(1, e.count));
  }
  const novelty = usable.length ? usable.reduce((a, p) => a + e.novelty[p]!, 0) / usable.length : null;
  const passed = withheld.length === 0;
  return {
    patches,
    windowStarts: passed ? starts : [],
    passed,
    withheldReasons: withheld,
    uncertainReasons: passed ? q.uncertain : [],
    report: { passed, usableSec, excludedSec, foreignScore, novelty },
  };
}
