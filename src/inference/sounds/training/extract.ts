/**
 * Per-recording inputs of train-sounds, computed once and cached under --cache: the band-limited
 * YAMNet patch embeddings (train-head's EmbeddingCache, same key scheme, so KAUH entries are shared
 * with train-head), the hand-crafted step features and the quality windows' rule measures. The audio
 * goes the engine's way: read (WAV or FLAC) → 16 kHz → band-limit → YAMNet patches.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE_VERSION } from '../../engine.js';
import { bandLimitTo, patchSource16k, readAudioFile, resampleTo16k, TARGET_RATE } from '../../front-end.js';
import { ensureYamnet } from '../../models.js';
import { YAMNET_ONNX, defaultModelsDir } from '../../paths.js';
import { EmbeddingCache } from '../../training/embedding-cache.js';
import { TrainingError } from '../../training/errors.js';
import { YamnetSession } from '../../yamnet-session.js';
import { HAND_DIMS, handFeatures } from '../features.js';
import { RULE_DIMS, qualityWindows, type QualityWindows } from '../quality-features.js';
import type { SoundRecording } from './data.js';

/** Bump when handFeatures or qualityWindows change. */
export const FEATURE_VERSION = 'hand-2';

export interface Extracted {
  rec: SoundRecording;
  durationSec: number;
  count: number;
  startsSec: number[];
  embeddings: Float32Array;
  hand: Float32Array;
  quality: QualityWindows;
}

/** The engine's front end for one recording: 16 kHz, band-limited when the source has content above. */
export async function bandLimited16k(samples: Float32Array, rate: number, bandwidthHz: number): Promise<Float32Array> {
  const s16 = await resampleTo16k(samples, rate);
  return rate / 2 > bandwidthHz && TARGET_RATE / 2 > bandwidthHz ? bandLimitTo(s16, TARGET_RATE, bandwidthHz) : s16;
}

export interface ExtractOptions {
  cacheDir: string;
  modelsDir?: string;
  bandwidthHz: number;
  log: (line: string) => void;
}

export async function extractAll(
  recs: SoundRecording[],
  opts: ExtractOptions,
): Promise<{ items: Extracted[]; yamnetSha256: string; yamnetSourceSha256: string; hits: number; misses: number }> {
  const modelsDir = opts.modelsDir ?? defaultModelsDir();
  const yamnet = await ensureYamnet({ modelsDir, log: opts.log });
  const embCache = new EmbeddingCache(join(opts.cacheDir, 'embeddings'), {
    engineVersion: ENGINE_VERSION,
    yamnetSha256: yamnet.sha256,
  });
  const featDir = join(opts.cacheDir, 'sound-features');
  mkdirSync(featDir, { recursive: true });
  let session: YamnetSession | null = null;
  const items: Extracted[] = [];
  let hits = 0;
  let misses = 0;
  try {
    for (const [i, rec] of recs.entries()) {
      const key = createHash('sha256')
        .update(
          `auscult-sound-features/1|${rec.sha256}|${FEATURE_VERSION}|engine ${ENGINE_VERSION}|bw ${opts.bandwidthHz}`,
        )
        .digest('hex');
      const featPath = join(featDir, `${key}.json`);
      let emb = embCache.get(rec.sha256, opts.bandwidthHz);
      type CachedFeatures = { durationSec: number; hand: number[]; rules: number[]; q: Omit<QualityWindows, 'rules'> };
      // our own cache file, written below from this exact shape
      let feat: CachedFeatures | null = existsSync(featPath)
        ? (JSON.parse(readFileSync(featPath, 'utf8')) as CachedFeatures)
        : null;
      if (!emb || !feat) {
        misses++;
        const a = await readAudioFile(rec.path).catch((err: unknown) => {
          throw new TrainingError(
            'DATA_INVALID',
            `cannot read ${rec.path} (${err instanceof Error ? err.message : String(err)}); fix or remove the file`,
          );
        });
        const banded = await bandLimited16k(a.samples, a.sampleRate, opts.bandwidthHz);
        const patches = patchSource16k(banded);
        if (!emb) {
          session ??= await YamnetSession.load(join(modelsDir, YAMNET_ONNX), { threads: 1 });
          const out = await session.run(patches.source, false);
          emb = { embeddings: out.embeddings, count: out.count };
          embCache.put(rec.sha256, opts.bandwidthHz, out.embeddings);
        }
        const hand = handFeatures(banded, patches.startsSec);
        const q = qualityWindows(banded, patches.source.count);
        const { rules, ...rest } = q;
        feat = {
          durationSec: a.samples.length / a.sampleRate,
          hand: Array.from(hand),
          rules: Array.from(rules),
          q: rest,
        };
        const tmp = `${featPath}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(feat));
        renameSync(tmp, featPath);
      } else hits++;
      const count = emb.count;
      if (feat.hand.length !== count * HAND_DIMS || feat.rules.length !== feat.q.count * RULE_DIMS)
        throw new TrainingError(
          'DATA_INVALID',
          `cached features of ${rec.file} do not match its embeddings; clear ${featDir}`,
        );
      items.push({
        rec,
        durationSec: feat.durationSec,
        count,
        startsSec: Array.from({ length: count }, (_, p) => (p * 48 * 160) / 16000), // as patchSource16k
        embeddings: emb.embeddings,
        hand: Float32Array.from(feat.hand),
        quality: { ...feat.q, rules: Float32Array.from(feat.rules) },
      });
      if ((i + 1) % 250 === 0)
        opts.log(`train-sounds: features of ${i + 1}/${recs.length} recordings (${hits} cached)`);
    }
  } finally {
    await session?.close();
  }
  return { items, yamnetSha256: yamnet.sha256, yamnetSourceSha256: yamnet.sourceSha256, hits, misses };
}
