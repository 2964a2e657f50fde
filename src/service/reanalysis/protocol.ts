/**
 * Messages between a history re-analysis and its worker threads (reanalysis/worker.ts). The main
 * thread reads, checks and decodes every stored WAV (it holds the at-rest key and the database);
 * a worker only turns samples into an AnalysisResult with its own engine.
 */
import type { AnalysisResult } from '../api.js';

/** Which models produced an analysis: two analyses with equal identities are the same analysis. */
export interface EngineIdentity {
  engineVersion: string;
  yamnetSha256: string;
  headName: string;
  headVersion: string;
  headSha256: string;
  /** The crackle/wheeze detector installed, or null when there is none. */
  sounds: { name: string; version: string } | null;
}

export interface WorkerInit {
  modelsDir?: string;
  /** onnxruntime intra-op threads of this worker's engine. */
  threads: number;
}

export type ToWorker = { type: 'analyze'; job: number; samples: Float32Array; sampleRate: number } | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; identity: EngineIdentity }
  | { type: 'load-failed'; message: string }
  | { type: 'result'; job: number; result: AnalysisResult }
  | { type: 'failed'; job: number; message: string };

export function sameIdentity(a: EngineIdentity, b: EngineIdentity): boolean {
  return (
    a.engineVersion === b.engineVersion &&
    a.yamnetSha256 === b.yamnetSha256 &&
    a.headName === b.headName &&
    a.headVersion === b.headVersion &&
    a.headSha256 === b.headSha256 &&
    (a.sounds?.name ?? null) === (b.sounds?.name ?? null) &&
    (a.sounds?.version ?? null) === (b.sounds?.version ?? null)
  );
}

/** One line naming the models, for progress output and the audit entry. */
export function describeIdentity(i: EngineIdentity): string {
  return (
    `engine ${i.engineVersion}, head ${i.headName} ${i.headVersion} (${i.headSha256.slice(0, 12)}…), ` +
    `YAMNet ${i.yamnetSha256.slice(0, 12)}…, ${i.sounds ? `sounds ${i.sounds.name} ${i.sounds.version}` : 'no sound detector'}`
  );
}
