/**
 * The competence gate's model file (models/gate.json, written by train-head beside the head and
 * pinned by SHA-256 in the head's card): which AudioSet classes count as foreign and at what
 * score, the novelty model (a PCA of the training patches' embeddings), the contact level and the
 * quality rules, each threshold with the data it was chosen on.
 */
import { z } from 'zod';

export const GATE_SCHEMA = 'auscult.gate/1';

/** Why a patch can be excluded by a foreign-sound group (the PatchExclusion values they produce). */
export const FOREIGN_KINDS = ['speech', 'music', 'noise'] as const;
export type ForeignKind = (typeof FOREIGN_KINDS)[number];

export const ForeignGroupSchema = z.object({
  kind: z.enum(FOREIGN_KINDS),
  /** AudioSet display names (yamnet_class_map.csv), resolved to indices when the gate loads. */
  classes: z.array(z.string().min(1)).min(1),
  /** A patch whose highest score among `classes` reaches this is excluded. */
  threshold: z.number().min(0).max(1),
});
export type ForeignGroup = z.infer<typeof ForeignGroupSchema>;

export const NoveltySchema = z.object({
  dims: z.literal(1024),
  /** Training patches' mean embedding (dims). */
  mean: z.array(z.number()),
  /** Principal directions, components × dims, unit length, largest variance first. */
  basis: z.array(z.array(z.number())),
  /** Variance along each direction. */
  variances: z.array(z.number().positive()),
  /** Mean variance of what the principal directions leave (per remaining dimension). */
  residualVariance: z.number().positive(),
  /** A patch whose novelty (see novelty.ts) reaches this is 'unfamiliar'. */
  threshold: z.number().positive(),
});
export type NoveltyModel = z.infer<typeof NoveltySchema>;

export const GateModelSchema = z.object({
  schema: z.literal(GATE_SCHEMA),
  foreign: z.array(ForeignGroupSchema),
  novelty: NoveltySchema,
  /**
   * A patch whose share of power in steady narrow lines (tonal.ts) reaches this is a tone or hum;
   * absent: TONAL_SHARE (0.5; KAUH's highest share is 0). A test gate sets it above 1 to turn the
   * check off.
   */
  tonalShare: z.number().positive().optional(),
  contact: z.object({
    /** A patch whose level (mean removed, dBFS) is below this has no contact. */
    silentPatchDbfs: z.number(),
  }),
  quality: z.object({
    /** The rule-based verdict 'poor' withholds. */
    withholdPoorVerdict: z.boolean(),
    /** The learned model's P(poor) at or above this withholds (null: the learned model does not withhold). */
    withholdPPoor: z.number().min(0).max(1).nullable(),
    /** What a 'fair' rule verdict does to a result inside the gate. */
    fair: z.enum(['ok', 'uncertain']),
    /** Why (from data): shown on the card. */
    fairReason: z.string(),
  }),
  /** What the thresholds were chosen on, in words (the card repeats it). */
  chosenOn: z.string(),
});
export type GateModel = z.infer<typeof GateModelSchema>;
