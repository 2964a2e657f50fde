/**
 * Fits the competence gate's file from the training patches: the novelty model (PCA of the patch
 * embeddings, threshold at a quantile of the training patches' own novelty) and the fixed rules
 * (which AudioSet classes are foreign and from what score, the contact level, the quality rules).
 * Deterministic: the same rows give the same numbers, written with a fixed key order.
 */
import { QUALITY_THRESHOLDS } from '../../audio/quality.js';
import { NoveltyScorer } from '../gate/novelty.js';
import { GATE_SCHEMA, type ForeignGroup, type GateModel } from '../gate/model.js';
import { fitPca } from './pca.js';

/**
 * The AudioSet classes the gate watches (display names in yamnet_class_map.csv) and from what score
 * a patch counts as that sound. Measured on KAUH's 11,677 patches (2 kHz band): the speech classes'
 * highest patch reaches 0.98 and its 99.9th percentile 0.59 (a few KAUH takes have talking in
 * them: excluding those patches is right), Music 0.99 / 0.87, the tone classes 0.37 / 0.11. Not
 * watched, because real chest sound scores high on them: Hum (KAUH up to 0.64), Noise (0.59),
 * Silence (1.0 on quiet bell-mode takes). Hum is caught by the tonal check, noise by novelty.
 */
export const FOREIGN_GROUPS: readonly ForeignGroup[] = [
  {
    kind: 'speech',
    classes: [
      'Speech',
      'Child speech, kid speaking',
      'Conversation',
      'Narration, monologue',
      'Babbling',
      'Speech synthesizer',
      'Hubbub, speech noise, speech babble',
    ],
    threshold: 0.5,
  },
  { kind: 'music', classes: ['Music', 'Musical instrument', 'Singing'], threshold: 0.5 },
  {
    kind: 'noise',
    classes: [
      'Sine wave',
      'Mains hum',
      'Buzz',
      'Beep, bleep',
      'Dial tone',
      'Chirp tone',
      'Whistling',
      'Whistle',
      'Buzzer',
      'Ringtone',
      'White noise',
      'Pink noise',
      'Static',
    ],
    threshold: 0.5,
  },
];

export const GATE_DEFAULTS = {
  /** Principal directions kept (32: speech patches score novel far more often than with 8 or 16, KAUH patches as rarely). */
  components: 32,
  /** The novelty threshold: this quantile of the training patches' own novelty. */
  noveltyQuantile: 0.99,
  iterations: 40,
};

export interface GateFitOptions {
  components?: number;
  noveltyQuantile?: number;
  iterations?: number;
  quality: GateModel['quality'];
  chosenOn: string;
}

/** Round to float32 precision: the file stays small and its bytes do not depend on float64 noise. */
const f32 = (v: number): number => Math.fround(v);

export function fitGate(rows: Float32Array, count: number, opts: GateFitOptions): GateModel {
  const components = opts.components ?? GATE_DEFAULTS.components;
  const pca = fitPca(rows, count, components, opts.iterations ?? GATE_DEFAULTS.iterations);
  const novelty = {
    dims: 1024 as const,
    mean: Array.from(pca.mean, f32),
    basis: pca.basis.map((b) => Array.from(b, f32)),
    variances: pca.variances.map(f32),
    residualVariance: f32(pca.residualVariance),
    threshold: 1,
  };
  const own = [...new NoveltyScorer(novelty).score(rows, count)].sort((a, b) => a - b);
  const q = opts.noveltyQuantile ?? GATE_DEFAULTS.noveltyQuantile;
  novelty.threshold = f32(own[Math.min(own.length - 1, Math.floor(q * own.length))]!);
  return {
    schema: GATE_SCHEMA,
    foreign: FOREIGN_GROUPS.map((g) => ({ kind: g.kind, classes: [...g.classes], threshold: g.threshold })),
    novelty,
    contact: { silentPatchDbfs: QUALITY_THRESHOLDS.silentBlockDbfs },
    quality: opts.quality,
    chosenOn: opts.chosenOn,
  };
}

/** The gate file's bytes (fixed key order, as the schema lists them). */
export function gateFileText(model: GateModel): string {
  return JSON.stringify(model) + '\n';
}
