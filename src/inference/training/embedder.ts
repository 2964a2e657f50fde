/**
 * Band-limited YAMNet embeddings for training, without a head. AnalysisEngine.load() needs a
 * head (there is none before the first training), so this loads the engine's own YamnetSession
 * and calls the engine's own embedBandLimited(), the function AnalysisEngine.embedRecording()
 * uses: no second front end.
 */
import { join } from 'node:path';
import { ENGINE_VERSION, embedBandLimited } from '../engine.js';
import { ensureYamnet, type YamnetManifest } from '../models.js';
import { YAMNET_ONNX, defaultModelsDir } from '../paths.js';
import { YamnetSession } from '../yamnet-session.js';

export interface Embedder {
  engineVersion: string;
  yamnet: YamnetManifest;
  embed(
    samples: Float32Array,
    sampleRate: number,
    bandwidthHz: number,
  ): Promise<{ embeddings: Float32Array; scores: Float32Array; count: number; banded16k: Float32Array }>;
  close(): Promise<void>;
}

export interface EmbedderVersions {
  engineVersion: string;
  yamnet: YamnetManifest;
}

/** What the embedding cache key needs, without loading a session. */
export async function embedderVersions(
  modelsDir = defaultModelsDir(),
  log?: (line: string) => void,
): Promise<EmbedderVersions> {
  const yamnet = await ensureYamnet({ modelsDir, log });
  return { engineVersion: ENGINE_VERSION, yamnet };
}

export async function loadEmbedder(modelsDir = defaultModelsDir(), log?: (line: string) => void): Promise<Embedder> {
  const { yamnet } = await embedderVersions(modelsDir, log);
  // one intra-op thread: the machine is shared and the batch of patches is small
  const session = await YamnetSession.load(join(modelsDir, YAMNET_ONNX), { threads: 1 });
  return {
    engineVersion: ENGINE_VERSION,
    yamnet,
    async embed(samples, sampleRate, bandwidthHz) {
      const { embeddings, scores, count, banded16k } = await embedBandLimited(
        session,
        samples,
        sampleRate,
        bandwidthHz,
      );
      return { embeddings, scores, count, banded16k };
    },
    close: () => session.close(),
  };
}
