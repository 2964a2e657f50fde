// The streaming front half against the engine's whole-array path, on the real YAMNet: the same
// embeddings and AudioSet scores bit for bit (two passes at 44.1 kHz, one at 4 kHz, 16 kHz as is,
// a recording shorter than one patch), whatever the chunking, and the same quality report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { StreamingEmbedder } from '../../src/inference/streaming-embeddings.js';
import { YamnetSession } from '../../src/inference/yamnet-session.js';
import { assessSignalQuality, bandLimitTo, patchSource16k, resampleTo16k } from '../../src/inference/front-end.js';
import { YAMNET_ONNX } from '../../src/inference/paths.js';
import { yamnetModelsDir, yamnetUnavailable } from './yamnet-fixture.js';

const skip = yamnetUnavailable();

function breath(seconds: number, rate: number, seed = 12345): Float32Array {
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  let s = seed;
  let lp = 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    lp += 0.2 * (((s >>> 0) / 4294967296) * 2 - 1 - lp);
    out[i] =
      0.3 * (0.5 + 0.5 * Math.sin((2 * Math.PI * 0.25 * i) / rate)) * lp +
      0.05 * Math.sin((2 * Math.PI * 3000 * i) / rate);
  }
  return out;
}

/** What analyzeRecording computes from the whole array before the head (engine.ts, default options). */
async function batchPath(yamnet: YamnetSession, x: Float32Array, rate: number, bw: number) {
  const s16 = await resampleTo16k(x, rate);
  const matters = rate / 2 > bw && 8000 > bw;
  const banded = matters ? await bandLimitTo(s16, 16000, bw) : s16;
  const head = patchSource16k(banded);
  const full = matters ? patchSource16k(s16) : null;
  const headOut = await yamnet.run(head.source, full === null);
  const scoresOut = full ? await yamnet.run(full.source, true) : headOut;
  return { embeddings: headOut.embeddings, scores: scoresOut.scores!, count: headOut.count, startsSec: head.startsSec };
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

test('streaming front half = the whole-array path, bit for bit, on the real YAMNet', { skip }, async () => {
  const yamnet = await YamnetSession.load(join(await yamnetModelsDir(), YAMNET_ONNX), { threads: 1 });
  try {
    for (const [seconds, rate, chunk] of [
      [21, 44100, 4410],
      [17.3, 4000, 999],
      [16, 16000, 16000],
      [0.5, 44100, 1000],
      [40, 48000, 1 << 15],
    ] as const) {
      const x = breath(seconds, rate);
      const want = await batchPath(yamnet, x, rate, 2000);
      const s = await StreamingEmbedder.create(yamnet, rate, { bandwidthHz: 2000 });
      for (let i = 0; i < x.length; i += chunk) await s.push(x.subarray(i, i + chunk));
      const got = await s.finish();
      const what = `${seconds} s at ${rate} Hz in chunks of ${chunk}`;
      assert.equal(got.count, want.count, what);
      assert.deepEqual(got.startsSec, want.startsSec, what);
      assert.ok(same(got.embeddings, want.embeddings), `${what}: embeddings`);
      assert.ok(same(got.scores!, want.scores), `${what}: scores`);
      assert.equal(got.durationSec, x.length / rate);
      const q = assessSignalQuality(x, rate);
      assert.equal(got.quality.verdict, q.verdict, what);
      assert.ok(Math.abs(got.quality.rmsDbfs - q.rmsDbfs) < 1e-9, what);
      assert.equal(got.quality.clippingRatio, q.clippingRatio, what);
    }
  } finally {
    await yamnet.close();
  }
});

test(
  "streaming front half: one pass with audioSetBand head; no samples is the engine's AUDIO_EMPTY",
  { skip },
  async () => {
    const yamnet = await YamnetSession.load(join(await yamnetModelsDir(), YAMNET_ONNX), { threads: 1 });
    try {
      const x = breath(10, 44100, 99);
      const s = await StreamingEmbedder.create(yamnet, 44100, { bandwidthHz: 2000, audioSetBand: 'head' });
      await s.push(x);
      const got = await s.finish();
      const banded = await bandLimitTo(await resampleTo16k(x, 44100), 16000, 2000);
      const one = await yamnet.run(patchSource16k(banded).source, true);
      assert.ok(same(got.scores!, one.scores!), 'scores from the band-limited pass');
      const empty = await StreamingEmbedder.create(yamnet, 44100, { bandwidthHz: 2000 });
      await assert.rejects(empty.finish(), (e: unknown) => (e as { code?: string }).code === 'AUDIO_EMPTY');
    } finally {
      await yamnet.close();
    }
  },
);
