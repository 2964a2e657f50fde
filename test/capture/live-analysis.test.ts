/**
 * The live pipeline with the real engine's live analyzer (shipped head and gate), fed a real KAUH
 * recording at its own 4 kHz in 20 ms chunks, paced so every update runs: the 'live' events carry
 * the LiveAnalysis contract, nothing before 3 s of clean audio, provisional figures after, every
 * figure from the gated 3 s windows (no single-patch results).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { LivePipeline, type LiveEvent } from '../../src/capture/live-pipeline.js';
import { realPipelineParts } from '../../src/capture/pipeline-parts.js';
import { AnalysisEngine } from '../../src/inference/engine.js';
import { decodeWav } from '../../src/audio/wav-read.js';
import { MODELS_DIR, kauhMissing, scratchDir } from '../support/paths.js';
import { KAUH_ASTHMA } from '../support/non-chest.js';
import { yamnetModelsDir, yamnetUnavailable } from '../inference/yamnet-fixture.js';

const skip = yamnetUnavailable() || kauhMissing();
let engine: AnalysisEngine;
before(async () => {
  if (skip) return;
  engine = await AnalysisEngine.load({
    modelsDir: await yamnetModelsDir(),
    headCard: join(MODELS_DIR, 'head.card.json'),
  });
});
after(async () => {
  await engine?.close();
});

test('live events: withheld until 3 s of clean sound, then provisional gated figures', { skip }, async () => {
  const kauh = decodeWav(readFileSync(KAUH_ASTHMA));
  const seconds = 8;
  const pcm = Int16Array.from(kauh.samples.subarray(0, seconds * kauh.sampleRate), (v) => Math.round(v * 32767));
  const p = await LivePipeline.create({
    sampleRate: kauh.sampleRate,
    wavPath: join(scratchDir(), 'live.wav'),
    parts: realPipelineParts,
    analyzer: engine.createLiveAnalyzer(),
  });
  const events: LiveEvent[] = [];
  p.on('live', (e) => events.push(e));
  const chunk = kauh.sampleRate / 50;
  for (let i = 0; i < pcm.length; i += chunk) {
    p.push(pcm.subarray(i, i + chunk));
    // let a due update finish before more audio arrives (a real device is slower still)
    for (let k = 0; k < 20 && p.stats.liveRuns > events.length; k++) await tick();
    await new Promise((r) => setTimeout(r, 0));
  }
  await p.finish();
  assert.ok(events.length >= 10, `${events.length} live events`);
  for (const e of events) {
    assert.equal(e.provisional, true);
    assert.ok(['ok', 'uncertain', 'withheld'].includes(e.status));
    assert.equal(e.probabilities === null, e.status === 'withheld');
    assert.equal(e.screen === null, e.status === 'withheld');
  }
  const early = events.filter((e) => e.patchStartSec + 0.96 < 2.88);
  assert.ok(early.length > 0 && early.every((e) => e.status === 'withheld'), 'nothing from less than one window');
  assert.ok(early.every((e) => /record at least 3 s/.test(e.statusReasons.join(' '))));
  const late = events.filter((e) => e.patchStartSec >= 4);
  assert.ok(late.length > 0 && late.every((e) => e.probabilities !== null), 'figures once 3 s of clean sound is heard');
  assert.ok(late.every((e) => e.usableSec >= 3));
});
