// The analysis engine end to end with real ONNX sessions: the converted YAMNet and a contract
// head. Its numbers are checked against an independent recomputation that shares none of the
// engine's code path: the audio room's resampler and band-limit, the features room's patches, a
// YAMNet session of its own, the one window definition, a float64 evaluation of the head's
// weights and the calibrated softmax.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalysisEngine, ENGINE_VERSION, analyzeRecording } from '../../src/inference/engine.js';
import { ModelError } from '../../src/inference/errors.js';
import { CLASS_ORDER } from '../../src/inference/analysis-types.js';
import { windowMeans } from '../../src/inference/scoring.js';
import { YamnetSession, patchSourceFromArray } from '../../src/inference/yamnet-session.js';
import { resample } from '../../src/audio/resample.js';
import { bandLimit } from '../../src/audio/band-limit.js';
import { patchesFromWaveform } from '../../src/features/patches.js';
import { makeHead, headLogitsReference, type MadeHead } from '../support/make-head.js';
import { scratchDir } from '../support/paths.js';
import { yamnetModelsDir, yamnetUnavailable } from './yamnet-fixture.js';

const skip = yamnetUnavailable();
let modelsDir = '';
let head: MadeHead;
let engine: AnalysisEngine;

/** A breath-like signal at 44.1 kHz: noise under a 0.25 Hz envelope (deterministic). */
function breath(seconds: number, rate = 44100, gain = 0.3): Float32Array {
  let s = 42;
  let lp = 0;
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    lp += 0.2 * ((s / 4294967296) * 2 - 1 - lp);
    return gain * (0.5 + 0.5 * Math.sin((2 * Math.PI * 0.25 * i) / rate)) * lp;
  });
}

function softmax(logits: number[], t: number): number[] {
  const m = Math.max(...logits.map((v) => v / t));
  const e = logits.map((v) => Math.exp(v / t - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

before(async () => {
  if (skip) return;
  modelsDir = await yamnetModelsDir();
  head = makeHead(scratchDir(), { seed: 5 });
  engine = await AnalysisEngine.load({ modelsDir, headCard: head.cardPath });
});
after(async () => {
  await engine?.close();
});

test('analyzeRecording fills the result and agrees with an independent recomputation', { skip }, async () => {
  const rate = 44100;
  const samples = breath(8, rate);
  const r = await analyzeRecording(engine, samples, rate);
  assert.equal(r.sampleRate, rate);
  assert.ok(Math.abs(r.durationSec - 8) < 1e-9);
  // 8 s at 16 kHz = 128000 samples → 798 frames → 1 + floor((798 − 96) / 48) = 15 patches
  assert.equal(r.patchCount, 15);
  assert.equal(r.patches.length, 15);
  r.patches.forEach((e, i) => {
    assert.ok(Math.abs(e.startSec - 0.48 * i) < 1e-9);
    assert.ok(Math.abs(e.endSec - e.startSec - 0.96) < 1e-9);
  });
  assert.equal(r.embedding.dims, 1024);
  assert.ok(r.embedding.meanL2Norm > 0);
  const P = r.probabilities;
  const S = r.screen;
  assert.ok(P && S, 'an 8 s breath-like recording is analysed');
  const sum = CLASS_ORDER.reduce((a, c) => a + P[c], 0);
  assert.ok(Math.abs(sum - 1) < 1e-5);
  assert.equal(
    r.topClass,
    CLASS_ORDER.reduce((b, c) => (P[c] > P[b] ? c : b)),
  );
  assert.ok(Math.abs(S.pAbnormal - (1 - P.healthy)) < 1e-9);
  assert.equal(r.yamnetTop.length, 3);
  assert.ok(r.yamnetTop[0]!.score >= r.yamnetTop[1]!.score);
  assert.equal(r.models.engineVersion, ENGINE_VERSION);
  assert.deepEqual(r.models.head, { name: 'test-head', version: '0.0.1-test', sha256: head.card.onnxSha256 });
  assert.match(r.models.yamnet.sha256, /^[0-9a-f]{64}$/);
  for (const v of Object.values(r.timingsMs)) assert.ok(v >= 0);

  // independent: resample → band-limit → patches → own YAMNet session → windows → float64 head
  const s16 = await resample(samples, rate, 16000);
  const banded = await bandLimit(s16, 16000, head.card.input.bandwidthHz);
  const patches = patchesFromWaveform(banded);
  const yamnet = await YamnetSession.load(join(modelsDir, 'yamnet.onnx'));
  const out = await yamnet.run(patchSourceFromArray(patches.data, patches.count), false);
  await yamnet.close();
  const emb = { embeddings: out.embeddings, count: out.count };
  assert.equal(emb.count, 15);
  const w = windowMeans(emb.embeddings, emb.count, head.card.input.windowSec, head.card.input.hopSec);
  const T = head.card.calibration.temperature;
  const mean = new Array<number>(5).fill(0);
  for (let i = 0; i < w.count; i++) {
    softmax(headLogitsReference(head.weights, w.data.subarray(i * 1024, (i + 1) * 1024)), T).forEach(
      (p, j) => (mean[j]! += p / w.count),
    );
  }
  CLASS_ORDER.forEach((c, j) => assert.ok(Math.abs(P[c] - mean[j]!) < 1e-4, `${c}: ${P[c]} vs ${mean[j]}`));
  // the evidence: each scoring window is the head on that window's mean embedding
  assert.equal(r.windows.length, w.count);
  const w1 = softmax(headLogitsReference(head.weights, w.data.subarray(1 * 1024, 2 * 1024)), T);
  CLASS_ORDER.forEach((c, j) => assert.ok(Math.abs(r.windows[1]!.probabilities[c] - w1[j]!) < 1e-4));
});

test(
  'the head sees band-limited audio: content above its bandwidth does not change its embeddings',
  { skip },
  async () => {
    const rate = 16000;
    const base = breath(3, rate, 0.2);
    const withTone = Float32Array.from(base, (v, i) => v + 0.2 * Math.sin((2 * Math.PI * 5000 * i) / rate));
    const a = await engine.embedRecording(base, rate, 2000);
    const b = await engine.embedRecording(withTone, rate, 2000);
    const full = await engine.embedRecording(withTone, rate, 7900);
    let dBand = 0;
    let dFull = 0;
    for (let i = 0; i < a.embeddings.length; i++) {
      dBand = Math.max(dBand, Math.abs(a.embeddings[i]! - b.embeddings[i]!));
      dFull = Math.max(dFull, Math.abs(a.embeddings[i]! - full.embeddings[i]!));
    }
    // a 5 kHz tone at −17 dBFS is removed by the 2 kHz band limit (≥ 60 dB stopband), not by 7.9 kHz
    assert.ok(dBand < 0.05 * dFull, `band-limited change ${dBand} vs full-band change ${dFull}`);
  },
);

test(
  "uncertain inside the card's screen band; silence is withheld with nothing of the head in it",
  { skip },
  async () => {
    const dir = scratchDir();
    const strict = makeHead(dir, {
      name: 'strict',
      card: { abstain: { minTopProbability: 0.99, screenMargin: 1, poorQualityIsUncertain: true } },
    });
    const e = await AnalysisEngine.load({ modelsDir, headCard: strict.cardPath });
    try {
      const r = await e.analyzeRecording(breath(4), 44100);
      assert.equal(r.status, 'uncertain');
      assert.deepEqual(
        r.statusReasons.map((s) => s.replace(/\d+ %/g, 'N %')),
        ["too close to call: N % abnormal is within 100 points of the screen's threshold N %"],
        'the band is the reason; the five-class confidence floor does not set the status',
      );
      assert.equal(r.screen?.label, 'uncertain');
      // digital silence: no contact in every patch → withheld, whatever the head would say
      const silent = await engine.analyzeRecording(new Float32Array(44100 * 3), 44100);
      assert.equal(silent.quality.verdict, 'poor');
      assert.equal(silent.status, 'withheld');
      assert.deepEqual(silent.statusReasons, [
        'no contact: place the stethoscope on the skin',
        'the sound quality is too poor to analyse: no signal: the recording is silent; check the stethoscope is connected and switched on, then place the chest piece on the skin',
      ]);
      assert.equal(silent.probabilities, null);
      assert.equal(silent.topClass, null);
      assert.equal(silent.screen, null);
      assert.deepEqual(silent.windows, []);
      assert.equal(silent.sounds, null);
      assert.equal(silent.gate.passed, false);
      assert.ok(silent.patches.every((p) => p.excluded === 'no-contact'));
    } finally {
      await e.close();
    }
  },
);

test(
  'a recording shorter than one patch is one patch, withheld as too short; empty audio is refused',
  { skip },
  async () => {
    const r = await engine.analyzeRecording(breath(0.5, 8000), 8000);
    assert.equal(r.patchCount, 1);
    assert.equal(r.patches.length, 1);
    assert.equal(r.status, 'withheld');
    assert.deepEqual(r.statusReasons, ['only 0.5 s of usable sound; record at least 3 s']);
    await assert.rejects(engine.analyzeRecording(new Float32Array(0), 16000), /no samples/);
  },
);

test(
  'live: withheld until 3 s of audio, then the mean of its 3 s windows every 0.48 s (independent recomputation)',
  { skip },
  async () => {
    const audio = breath(4, 16000);
    const live = engine.createLiveAnalyzer();
    live.push(audio.subarray(0, 24000)); // 1.5 s: two patches, no window yet
    const early = await live.update();
    assert.ok(early);
    assert.equal(early.provisional, true);
    assert.equal(early.status, 'withheld');
    assert.equal(early.probabilities, null);
    assert.equal(early.screen, null);
    assert.match(early.statusReasons.join(' '), /only 1\.4 s of usable sound; record at least 3 s/);
    assert.equal(await live.update(), null, 'no new patch, nothing new to say');

    const fresh = engine.createLiveAnalyzer();
    fresh.push(audio); // 4 s in one go: 7 patches, windows of 5 starting at patches 0, 1, 2
    const r = await fresh.update();
    const LP = r?.probabilities;
    assert.ok(r && LP && r.screen);
    assert.notEqual(r.status, 'withheld');
    const banded = await bandLimit(audio, 16000, head.card.input.bandwidthHz);
    const patches = patchesFromWaveform(banded);
    assert.equal(patches.count, 7);
    const yamnet = await YamnetSession.load(join(modelsDir, 'yamnet.onnx'));
    const out = await yamnet.run(patchSourceFromArray(patches.data, patches.count), false);
    await yamnet.close();
    const expected = new Array<number>(5).fill(0);
    for (const s of [0, 1, 2]) {
      const mean = new Float32Array(1024);
      for (let i = s; i < s + 5; i++) for (let d = 0; d < 1024; d++) mean[d]! += out.embeddings[i * 1024 + d]! / 5;
      softmax(headLogitsReference(head.weights, mean), head.card.calibration.temperature).forEach(
        (v, j) => (expected[j]! += v / 3),
      );
    }
    CLASS_ORDER.forEach((c, j) => assert.ok(Math.abs(LP[c] - expected[j]!) < 1e-4, `${c}: ${LP[c]} vs ${expected[j]}`));
    assert.ok(Math.abs(r.screen.pAbnormal - (1 - LP.healthy)) < 1e-9);
    // 7 patches cover 0–3.84 s (the last 0.16 s is in no patch yet)
    assert.ok(Math.abs(r.usableSec - 3.84) < 1e-9, `usable ${r.usableSec}`);
  },
);

test('missing or corrupt models give a ModelError that says what to run', { skip }, async () => {
  const saved = { src: process.env['AUSCULT_MODEL_SOURCE'], url: process.env['AUSCULT_MODEL_URL'] };
  delete process.env['AUSCULT_MODEL_SOURCE'];
  delete process.env['AUSCULT_MODEL_URL'];
  try {
    const empty = scratchDir();
    await assert.rejects(
      AnalysisEngine.load({ modelsDir: empty, headCard: head.cardPath }),
      (e: unknown) =>
        e instanceof ModelError && e.code === 'MODEL_MISSING' && /npx auscult models --source/.test(e.message),
    );
    // a head trained on another YAMNet build is refused
    const other = makeHead(scratchDir(), {
      name: 'other',
      card: { training: { ...head.card.training, yamnetSourceSha256: 'f'.repeat(64) } },
    });
    await assert.rejects(
      AnalysisEngine.load({ modelsDir, headCard: other.cardPath }),
      (e: unknown) =>
        e instanceof ModelError && e.code === 'HEAD_INVALID' && /trained on YAMNet source ffffffffffff/.test(e.message),
    );
    // a valid YAMNet but no head
    await assert.rejects(
      AnalysisEngine.load({ modelsDir, headCard: join(empty, 'head.card.json') }),
      (e: unknown) => e instanceof ModelError && e.code === 'HEAD_MISSING',
    );
    // a truncated yamnet.onnx is caught by its manifest before loading: by the recorded size (or, for a
    // manifest written before sizes were recorded, by its SHA-256)
    const damaged = scratchDir();
    for (const f of ['yamnet.onnx', 'yamnet.json', 'yamnet_class_map.csv'])
      copyFileSync(join(modelsDir, f), join(damaged, f));
    const bytes = readFileSync(join(damaged, 'yamnet.onnx'));
    writeFileSync(join(damaged, 'yamnet.onnx'), bytes.subarray(0, bytes.length >> 1));
    await assert.rejects(
      AnalysisEngine.load({ modelsDir: damaged, headCard: head.cardPath }),
      (e: unknown) =>
        e instanceof ModelError &&
        /not the size its manifest records|SHA-256/.test(e.message) &&
        /npx auscult models/.test(e.message),
    );
    // and loading the damaged file directly says it cannot be loaded
    await assert.rejects(
      YamnetSession.load(join(damaged, 'yamnet.onnx')),
      (e: unknown) => e instanceof ModelError && e.code === 'MODEL_CORRUPT' && /npx auscult models/.test(e.message),
    );
  } finally {
    if (saved.src !== undefined) process.env['AUSCULT_MODEL_SOURCE'] = saved.src;
    if (saved.url !== undefined) process.env['AUSCULT_MODEL_URL'] = saved.url;
  }
});
