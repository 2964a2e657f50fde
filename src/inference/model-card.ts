/**
 * The classifier head's model card: the contract between `train-head`, the engine and the UI.
 * `models/<head>.card.json` must parse with `ModelCardSchema`; the engine refuses a head whose
 * card does not, and scores recordings exactly as `input` says (one definition for CLI, capture
 * and UI).
 */
import { z } from 'zod';
import { CLASS_ORDER } from './analysis-types.js';

const ClassNameSchema = z.enum(CLASS_ORDER);

/** A point estimate with its 95 % interval (bootstrap over patients). */
export const IntervalSchema = z.object({ value: z.number(), lo: z.number(), hi: z.number() });
export type Interval = z.infer<typeof IntervalSchema>;

export const PerClassMetricsSchema = z.object({
  class: ClassNameSchema,
  patients: z.number().int().nonnegative(),
  precision: IntervalSchema,
  recall: IntervalSchema,
  f1: IntervalSchema,
  /** One-vs-rest AUROC. */
  auroc: z.number().nullable(),
  /** False when the out-of-fold recall is 0: the product must not present this class as a possible finding. */
  recognised: z.boolean().optional(),
});

const ScreenFiguresSchema = z.object({
  recordings: z.number().int().nonnegative(),
  patients: z.number().int().nonnegative(),
  auroc: IntervalSchema,
  sensitivity: IntervalSchema,
  specificity: IntervalSchema,
});

/** A withheld rate with its exact 95 % interval. */
export const RateSchema = z.object({
  withheld: z.number().int().nonnegative(),
  of: z.number().int().nonnegative(),
  rate: z.number(),
  lo: z.number(),
  hi: z.number(),
});

/** What one analysis of one recording achieves on the screen (schema 2 leads with this). */
export const RecordingScreenSchema = z.object({
  protocol: z.string(),
  threshold: z.number(),
  all: ScreenFiguresSchema,
  perFilter: z.array(ScreenFiguresSchema.extend({ filter: z.string() })),
  band: z.object({
    margin: z.number(),
    uncertainShare: z.number(),
    accuracyInside: z.number().nullable(),
    accuracyOutside: z.number(),
    rule: z.string(),
  }),
});

/** The competence gate's measured rates (schema 2). */
export const GateRatesSchema = z.object({
  checks: z.array(z.string()),
  trainingOutOfFold: z.object({
    protocol: z.string(),
    recordings: RateSchema,
    patchesExcluded: z.record(z.string(), z.number()),
  }),
  otherPopulation: z
    .object({ name: z.string(), recordings: RateSchema, reasons: z.record(z.string(), z.number()), note: z.string() })
    .nullable(),
  generated: z
    .object({
      withheld: z.number().int(),
      of: z.number().int(),
      inputs: z.array(z.object({ name: z.string(), withheld: z.boolean(), reasons: z.array(z.string()) })),
    })
    .nullable(),
  fairQuality: z.string(),
});

export const ReliabilityBinSchema = z.object({
  lo: z.number(),
  hi: z.number(),
  count: z.number().int().nonnegative(),
  meanConfidence: z.number(),
  accuracy: z.number(),
});

export const ModelCardSchema = z.object({
  schema: z.enum(['auscult.head-card/1', 'auscult.head-card/2']),
  /** The competence gate's file beside the card (src/inference/gate/model.ts), pinned by its SHA-256. */
  gate: z.object({ file: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
  name: z.string().min(1),
  version: z.string().min(1),
  createdAt: z.string(),
  /** Output order of the ONNX head (also stored in its metadata as `classes`). */
  classes: z.array(ClassNameSchema).length(CLASS_ORDER.length),
  architecture: z.string(),
  /** ONNX file beside the card, and its SHA-256. */
  onnxFile: z.string(),
  onnxSha256: z.string().regex(/^[0-9a-f]{64}$/),
  input: z.object({
    embedding: z.literal('yamnet-1024'),
    /** Audio is low-passed to this bandwidth (Hz) before the head's embeddings are computed. */
    bandwidthHz: z.number().positive(),
    /** Scoring: the recording is cut into windows of `windowSec` every `hopSec` (a shorter
     *  recording is one window); each window's mean patch embedding goes through the head;
     *  the recording's probabilities are the mean of its windows' probabilities. */
    windowSec: z.number().positive(),
    hopSec: z.number().positive(),
  }),
  /** Softmax temperature applied to the head's logits (1 = none). */
  calibration: z.object({ temperature: z.number().positive(), method: z.string() }),
  /** When the product says "uncertain" instead of showing a class as a finding. */
  abstain: z.object({
    minTopProbability: z.number().min(0).max(1),
    /** Screen result is "uncertain" when |pAbnormal − threshold| is below this margin. */
    screenMargin: z.number().min(0).max(1),
    /** Recordings with this quality verdict are always uncertain. */
    poorQualityIsUncertain: z.boolean(),
  }),
  screen: z.object({
    definition: z.string(),
    threshold: z.number().min(0).max(1),
  }),
  training: z.object({
    data: z.string(),
    citation: z.string(),
    licence: z.string(),
    patients: z.record(z.string(), z.number().int().nonnegative()),
    windows: z.number().int().nonnegative(),
    command: z.string(),
    seed: z.number().int(),
    engineVersion: z.string(),
    yamnetSourceSha256: z.string(),
    epochs: z.number().int().positive(),
    /** SHA-256 over the sorted SHA-256s of the training files (what `createdAt` stands for in schema 2). */
    dataSha256: z.string().optional(),
  }),
  evaluation: z.object({
    protocol: z.string(),
    fiveClass: z.object({
      perClass: z.array(PerClassMetricsSchema),
      macroF1: IntervalSchema,
      balancedAccuracy: IntervalSchema,
      /** rows = true class, columns = predicted class, in `classes` order; counted per patient. */
      confusion: z.array(z.array(z.number().int().nonnegative())),
      ece: z.number(),
      reliability: z.array(ReliabilityBinSchema),
    }),
    screen: z.object({
      auroc: IntervalSchema,
      sensitivity: IntervalSchema,
      specificity: IntervalSchema,
      patients: z.object({ healthy: z.number().int(), abnormal: z.number().int() }),
    }),
    /** Schema 2: one analysis of one recording, leading the card. */
    recordingScreen: RecordingScreenSchema.optional(),
    /** Schema 2: the competence gate's rates. */
    gate: GateRatesSchema.optional(),
    baselines: z.array(
      z.object({
        name: z.string(),
        macroF1: z.number(),
        balancedAccuracy: z.number(),
        screenAuroc: z.number().nullable(),
        note: z.string(),
      }),
    ),
    /** The reference design's published figures, shown beside ours (split protocol unknown). */
    reference: z.object({
      source: z.string(),
      accuracy: z.number(),
      f1: z.record(z.string(), z.number()),
      note: z.string(),
    }),
  }),
  intendedUse: z.string(),
  limitations: z.array(z.string()),
  /** Plain words for clinicians, one click from every result (schema 2). */
  clinicianSummary: z.string().optional(),
});

export type ModelCard = z.infer<typeof ModelCardSchema>;
