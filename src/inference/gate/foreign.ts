/**
 * Foreign sounds per patch from YAMNet's own AudioSet scores: for each group (speech, music,
 * tones/hum/noise) the highest score among its classes; a patch reaching the group's threshold is
 * excluded as that kind. Classes are named in the gate file and looked up in the class map by
 * display name, so a renamed or missing class is an error at load, not a silent zero.
 */
import { AUDIOSET_CLASSES } from '../../features/yamnet-params.js';
import { ModelError } from '../errors.js';
import type { ForeignGroup, ForeignKind } from './model.js';

export interface ResolvedGroup {
  kind: ForeignKind;
  indices: number[];
  threshold: number;
}

export function resolveGroups(groups: readonly ForeignGroup[], classMap: readonly string[]): ResolvedGroup[] {
  return groups.map((g) => ({
    kind: g.kind,
    threshold: g.threshold,
    indices: g.classes.map((name) => {
      const i = classMap.indexOf(name);
      if (i < 0)
        throw new ModelError(
          'GATE_INVALID',
          `the gate watches the AudioSet class "${name}", which YAMNet's class map does not have: retrain the head`,
        );
      return i;
    }),
  }));
}

/** Per patch: each group's highest score (groups × count, group-major). */
export function groupScores(scores: Float32Array, count: number, groups: readonly ResolvedGroup[]): Float32Array[] {
  return groups.map((g) => {
    const out = new Float32Array(count);
    for (let p = 0; p < count; p++) {
      let m = 0;
      for (const i of g.indices) m = Math.max(m, scores[p * AUDIOSET_CLASSES + i]!);
      out[p] = m;
    }
    return out;
  });
}

/** The kind a patch is excluded as (the group whose score is furthest over its threshold), or null. */
export function foreignKind(
  perGroup: readonly Float32Array[],
  groups: readonly ResolvedGroup[],
  patch: number,
): ForeignKind | null {
  let best: ForeignKind | null = null;
  let bestRatio = 1;
  groups.forEach((g, k) => {
    const r = perGroup[k]![patch]! / g.threshold;
    if (r >= bestRatio) {
      bestRatio = r;
      best = g.kind;
    }
  });
  return best;
}
