/**
 * The competence gate as the engine holds it: the gate file (checked against the SHA-256 the head's
 * card pins), its foreign-sound groups resolved against YAMNet's class map, the novelty scorer and
 * the check list. `judge` computes the evidence from what the engine's one band-limited YAMNet pass
 * already has (embeddings, AudioSet scores, the band-limited audio) and decides.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { QualityReport } from '../analysis-types.js';
import { ModelError } from '../errors.js';
import type { LearnedQuality } from '../sounds/types.js';
import { patchChecks, type GateEvidence, type PatchCheck } from './checks.js';
import { patchLevelsDbfs } from './contact.js';
import { decide, type GateDecision } from './decide.js';
import { groupScores, resolveGroups, type ResolvedGroup } from './foreign.js';
import { GateModelSchema, type GateModel } from './model.js';
import { NoveltyScorer } from './novelty.js';
import { patchTonality } from './tonal.js';

export interface GatePass {
  /** Band-limited 16 kHz audio (the head's). */
  banded16k: Float32Array;
  embeddings: Float32Array;
  /** AudioSet scores of the same patches (count × 521). */
  scores: Float32Array;
  count: number;
  startsSec: readonly number[];
  durationSec: number;
}

export function readGateModel(path: string, expectedSha256: string | null): GateModel {
  if (!existsSync(path))
    throw new ModelError(
      'GATE_MISSING',
      `the competence gate ${path} is missing: retrain the head with \`npx auscult train-head\``,
    );
  const bytes = readFileSync(path);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (expectedSha256 !== null && sha !== expectedSha256)
    throw new ModelError(
      'GATE_INVALID',
      `${path} does not match the head's card (SHA-256 ${sha.slice(0, 12)}…, card says ${expectedSha256.slice(0, 12)}…): reinstall the head`,
    );
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ModelError('GATE_INVALID', `${path} is not valid JSON: reinstall the head`);
  }
  const parsed = GateModelSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ModelError(
      'GATE_INVALID',
      `${path} is not a gate file (${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'})`,
    );
  }
  const n = parsed.data.novelty;
  if (n.mean.length !== n.dims || n.basis.some((b) => b.length !== n.dims) || n.basis.length !== n.variances.length)
    throw new ModelError('GATE_INVALID', `${path}: the novelty model's sizes do not agree`);
  return parsed.data;
}

export class CompetenceGate {
  private readonly groups: ResolvedGroup[];
  private readonly checks: PatchCheck[];
  private readonly novelty: NoveltyScorer;
  constructor(
    readonly model: GateModel,
    classMap: readonly string[],
    readonly sha256: string | null = null,
  ) {
    this.groups = resolveGroups(model.foreign, classMap);
    this.checks = patchChecks(model, this.groups);
    this.novelty = new NoveltyScorer(model.novelty);
  }

  /** Novelty of each patch embedding (count × 1024) against the training patches. */
  noveltyOf(embeddings: Float32Array, count: number): Float64Array {
    return this.novelty.score(embeddings, count);
  }

  /** The resolved foreign-sound groups (their order is the order of `PatchArrays.foreign`). */
  get foreignGroups(): readonly ResolvedGroup[] {
    return this.groups;
  }

  get checkNames(): string[] {
    return this.checks.map((c) => c.name);
  }

  /** What the patch checks read, per patch, from one band-limited pass. */
  patchEvidence(pass: GatePass, rate = 16000): PatchArrays {
    return this.patchEvidenceWith(
      patchLevelsDbfs(pass.banded16k, pass.startsSec, rate),
      patchTonality(pass.banded16k, pass.startsSec, rate),
      pass,
    );
  }

  /** patchEvidence with the audio's per-patch level and tonality already measured (a stream's). */
  patchEvidenceWith(
    levelDbfs: Float64Array,
    tonality: Float64Array,
    pass: Pick<GatePass, 'scores' | 'embeddings' | 'count'>,
  ): PatchArrays {
    return this.patchEvidenceOf(levelDbfs, tonality, groupScores(pass.scores, pass.count, this.groups), pass);
  }

  /** patchEvidenceWith with the foreign-sound groups' per-patch scores already taken (a stream's, batch by batch with groupScores). */
  patchEvidenceOf(
    levelDbfs: Float64Array,
    tonality: Float64Array,
    foreign: Float32Array[],
    pass: Pick<GatePass, 'embeddings' | 'count'>,
  ): PatchArrays {
    return { levelDbfs, tonality, foreign, novelty: this.novelty.score(pass.embeddings, pass.count) };
  }

  /** The decision from per-patch evidence (a recording's, or a live stream's accumulated so far). */
  decide(
    arrays: PatchArrays,
    where: { count: number; startsSec: readonly number[]; durationSec: number },
    quality: QualityReport,
    learned: LearnedQuality | null,
    scoring: { windowSec: number; hopSec: number },
  ): GateDecision {
    return decide({ ...where, ...arrays, quality, learned }, this.model, this.checks, scoring);
  }

  judge(
    pass: GatePass,
    quality: QualityReport,
    learned: LearnedQuality | null,
    scoring: { windowSec: number; hopSec: number },
    rate = 16000,
  ): GateDecision {
    return this.decide(this.patchEvidence(pass, rate), pass, quality, learned, scoring);
  }
}

export type PatchArrays = Pick<GateEvidence, 'levelDbfs' | 'tonality' | 'foreign' | 'novelty'>;
