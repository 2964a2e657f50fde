/**
 * The gate's checks as a registry-style list, each with one job. Patch checks run in order and the
 * first that objects names the patch's exclusion; recording checks see the patches' outcome and the
 * quality verdicts and decide whether the head may speak at all.
 */
import type { PatchExclusion, QualityReport } from '../analysis-types.js';
import type { LearnedQuality } from '../sounds/types.js';
import { foreignKind, type ResolvedGroup } from './foreign.js';
import type { GateModel } from './model.js';

/** Everything the checks read about one recording (or live stretch), patch by patch. */
export interface GateEvidence {
  count: number;
  startsSec: readonly number[];
  durationSec: number;
  /** Per patch: level with the mean removed, dBFS. */
  levelDbfs: ArrayLike<number>;
  /** Per patch: share of power in steady narrow lines (tonal.ts). */
  tonality: ArrayLike<number>;
  /** Per group (as the gate's foreign list), per patch: the group's highest AudioSet score. */
  foreign: readonly Float32Array[];
  /** Per patch: novelty against the training patches. */
  novelty: ArrayLike<number>;
  quality: QualityReport;
  learned: LearnedQuality | null;
}

export interface PatchCheck {
  name: string;
  judge(e: GateEvidence, patch: number): PatchExclusion | null;
}

/** Share of a patch's power in steady lines from which it is a tone or hum (KAUH's highest: 0). */
export const TONAL_SHARE = 0.5;

export function patchChecks(model: GateModel, groups: readonly ResolvedGroup[]): PatchCheck[] {
  return [
    {
      name: 'contact',
      judge: (e, p) => (e.levelDbfs[p]! < model.contact.silentPatchDbfs ? 'no-contact' : null),
    },
    { name: 'foreign sound (AudioSet)', judge: (e, p) => foreignKind(e.foreign, groups, p) },
    {
      name: 'steady tone or hum',
      judge: (e, p) => (e.tonality[p]! >= (model.tonalShare ?? TONAL_SHARE) ? 'noise' : null),
    },
    {
      name: 'novelty',
      judge: (e, p) => (e.novelty[p]! >= model.novelty.threshold ? 'unfamiliar' : null),
    },
  ];
}

/** Plain sentences a nurse can act on, one per exclusion kind. */
export const EXCLUSION_SENTENCES: Readonly<Record<PatchExclusion, string>> = {
  speech: 'this sounds like speech, not a chest recording',
  music: 'this sounds like music, not a chest recording',
  noise: 'this sounds like a tone, hum or noise, not a chest recording',
  'no-contact': 'no contact: place the stethoscope on the skin',
  unfamiliar: 'this does not sound like the chest recordings the model was trained on',
  'poor-quality': 'the sound quality is too poor to analyse',
};

export function lengthSentence(usableSec: number, windowSec: number): string {
  return `only ${usableSec.toFixed(1)} s of usable sound; record at least ${windowSec} s`;
}

/** Recording-level verdicts on quality: reasons to withhold, and reasons to call a result uncertain. */
export function qualityVerdict(
  model: GateModel,
  quality: QualityReport,
  learned: LearnedQuality | null,
): { withhold: string[]; uncertain: string[] } {
  const withhold: string[] = [];
  const uncertain: string[] = [];
  if (model.quality.withholdPoorVerdict && quality.verdict === 'poor')
    withhold.push(
      `${EXCLUSION_SENTENCES['poor-quality']}${quality.reasons.length ? `: ${quality.reasons.join('; ')}` : ''}`,
    );
  else if (model.quality.withholdPPoor !== null && learned && learned.pPoor >= model.quality.withholdPPoor)
    withhold.push(
      `${EXCLUSION_SENTENCES['poor-quality']} (the quality check rates it unusable, ${Math.round(learned.pPoor * 100)} %); record again`,
    );
  if (withhold.length === 0 && model.quality.fair === 'uncertain' && quality.verdict === 'fair')
    uncertain.push(
      `the sound quality is only fair${quality.reasons.length ? ` (${quality.reasons.join('; ')})` : ''}: this result is less reliable`,
    );
  return { withhold, uncertain };
}
