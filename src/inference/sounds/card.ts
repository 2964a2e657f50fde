/**
 * The sound detector's model card (models/sounds.card.json): the contract between train-sounds and the
 * engine, which refuses a detector whose card does not parse, whose ONNX files do not match their
 * SHA-256, or whose ONNX metadata disagrees with the card on classes and features.
 */
import { z } from 'zod';
import { FEATURE_SETS, HAND_FEATURES } from './features.js';
import { RULE_FEATURES } from './quality-features.js';

/** A figure with its 95 % interval; null where it cannot be computed (e.g. no positives in a small run). */
const Iv = z.object({ value: z.number().nullable(), lo: z.number().nullable(), hi: z.number().nullable() });
const Auroc = Iv.nullable();

export const BinaryFiguresSchema = z.object({
  auroc: Auroc,
  sensitivity: Iv,
  specificity: Iv,
  /** (sensitivity + specificity) / 2 */
  average: Iv,
  positives: z.number().int().nonnegative(),
  negatives: z.number().int().nonnegative(),
  patients: z.number().int().nonnegative(),
});
export type BinaryFigures = z.infer<typeof BinaryFiguresSchema>;

export const TypeFiguresSchema = z.object({
  stepAuroc: z.number().nullable(),
  event: BinaryFiguresSchema,
  recording: BinaryFiguresSchema,
});

export const SetFiguresSchema = z.object({
  crackle: TypeFiguresSchema,
  wheeze: TypeFiguresSchema,
  /** Four classes (normal / crackle / wheeze / both) per annotated event, SPRSound-challenge style. */
  eventFourClass: z.object({ sensitivity: Iv, specificity: Iv, average: Iv, events: z.number().int() }),
  recordings: z.number().int(),
  patients: z.number().int(),
});
export type SetFigures = z.infer<typeof SetFiguresSchema>;

export const ComparisonSchema = z.object({
  name: z.string(),
  note: z.string(),
  crackle: z.object({
    stepAuroc: z.number().nullable(),
    recordingAuroc: z.number().nullable(),
    eventAverage: z.number().nullable(),
  }),
  wheeze: z.object({
    stepAuroc: z.number().nullable(),
    recordingAuroc: z.number().nullable(),
    eventAverage: z.number().nullable(),
  }),
  fourClassAverage: z.number().nullable(),
  kauh: z.object({ crackleAuroc: z.number().nullable(), wheezeAuroc: z.number().nullable() }).nullable(),
});

export const KauhFiguresSchema = z.object({
  protocol: z.string(),
  crackle: BinaryFiguresSchema,
  wheeze: BinaryFiguresSchema,
  perFilter: z.array(
    z.object({ filter: z.string(), crackleAuroc: z.number().nullable(), wheezeAuroc: z.number().nullable() }),
  ),
});

const Count = z.object({ annotated: z.number().int(), missed: z.number().int() });
export const FailuresSchema = z.object({
  recordings: Count.extend({
    children: z.number().int(),
    mostFromOneChild: z.number().int(),
    nearThreshold: z.number().int(),
    underOneSecond: z.number().int(),
  }),
  events: Count,
  groups: z.array(z.object({ by: z.string(), group: z.string(), events: z.number().int(), missed: z.number().int() })),
});

const Detection = z.object({
  /** Step probability at or above which a step is part of an event (chosen on the training folds). */
  threshold: z.number().min(0).max(1),
  /** Recording probability = sigmoid(a · logit(max step probability) + b) (Platt, out-of-fold SPRSound). */
  platt: z.object({ a: z.number(), b: z.number() }),
});

export const SoundsCardSchema = z.object({
  schema: z.literal('auscult.sounds-card/1'),
  name: z.string().min(1),
  version: z.string().min(1),
  classes: z.tuple([z.literal('crackle'), z.literal('wheeze')]),
  architecture: z.string(),
  onnxFile: z.string(),
  onnxSha256: z.string().regex(/^[0-9a-f]{64}$/),
  input: z.object({
    embedding: z.literal('yamnet-1024'),
    bandwidthHz: z.number().positive(),
    features: z.enum(FEATURE_SETS),
    handFeatures: z.array(z.enum(HAND_FEATURES)),
    featureVersion: z.string(),
    stepSec: z.number().positive(),
    stepHopSec: z.number().positive(),
  }),
  detection: z.object({ crackle: Detection, wheeze: Detection, definition: z.string() }),
  quality: z.object({
    onnxFile: z.string(),
    onnxSha256: z.string().regex(/^[0-9a-f]{64}$/),
    classes: z.tuple([z.literal('poor')]),
    windowSec: z.number().positive(),
    ruleFeatures: z.array(z.enum(RULE_FEATURES)),
    /** P(poor) at or above which the recording counts as poor (Youden point, out-of-fold). */
    threshold: z.number().min(0).max(1),
    evaluation: z.object({
      protocol: z.string(),
      auroc: Iv,
      recordings: z.number().int(),
      poor: z.number().int(),
      patients: z.number().int(),
      sensitivity: Iv,
      specificity: Iv,
      comparisons: z.array(z.object({ name: z.string(), auroc: z.number().nullable(), note: z.string() })),
    }),
  }),
  training: z.object({
    data: z.string(),
    citation: z.string(),
    licence: z.string(),
    command: z.string(),
    seed: z.number().int(),
    engineVersion: z.string(),
    yamnetSourceSha256: z.string(),
    recordings: z.number().int(),
    patients: z.number().int(),
    steps: z.number().int(),
  }),
  evaluation: z.object({
    protocol: z.string(),
    crossValidation: SetFiguresSchema,
    heldOut: SetFiguresSchema.extend({ subsets: z.array(z.string()) }),
    kauh: KauhFiguresSchema.nullable(),
    comparisons: z.array(ComparisonSchema),
    choice: z.string(),
    /** Where it fails (out-of-fold misses by group); absent on cards from before it was measured. */
    failures: z
      .object({
        protocol: z.string(),
        crackle: FailuresSchema,
        wheeze: FailuresSchema,
      })
      .optional(),
  }),
  intendedUse: z.string(),
  limitations: z.array(z.string()),
});

export type SoundsCard = z.infer<typeof SoundsCardSchema>;
