/**
 * The live analyzer's crackles and wheezes and its learned quality check, through the real capture
 * path (LivePipeline with the shipped head, gate and detector), fed a real KAUH recording of
 * expiratory wheeze (asthma) at its own 4 kHz in 20 ms chunks, paced so every update runs: nothing
 * while the gate withholds; once it passes, a wheeze probability at or above the card's threshold and
 * provisional wheeze events, from the same patches as the provisional screen.
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
import { yamnetModelsDir, yamnetUnavailable } from './yamnet-fixture.js';

const skip = yamnetUnavailable() || kauhMissing();
let engine: AnalysisEngine;
before(async () => {
  if (skip) return;
  engine = await AnalysisEngine.load({
    modelsDir: await yamnetModelsDir(),
    headCard: join(MODELS_DIR, 'head.card.json'),
    soundsCard: join(MODELS_DIR, 'sounds.card.json'),
  });
});
after(async () => {
  await engine?.close();
});

async function liveEvents(samples: Float32Array, sampleRate: number): Promise<LiveEvent[]> {
  const pcm = Int16Array.from(samples, (v) => Math.round(v * 32767));
  const p = await LivePipeline.create({
    sampleRate,
    wavPath: join(scratchDir(), 'live-sounds.wav'),
    parts: realPipelineParts,
    analyzer: engine.createLiveAnalyzer(),
  });
  const events: LiveEvent[] = [];
  p.on('live', (e) => events.push(e));
  const chunk = sampleRate / 50;
  for (let i = 0; i < pcm.length; i += chunk) {
    p.push(pcm.subarray(i, i + chunk));
    for (let k = 0; k < 20 && p.stats.liveRuns > events.length; k++) await tick();
    await new Promise((r) => setTimeout(r, 0));
  }
  await p.finish();
  return events;
}

test(
  'live sounds: none while withheld; wheeze audio reaches the wheeze threshold, provisionally',
  { skip },
  async () => {
    const kauh = decodeWav(readFileSync(KAUH_ASTHMA));
    const events = await liveEvents(kauh.samples.subarray(0, 10 * kauh.sampleRate), kauh.sampleRate);
    const card = engine.soundsCard!;
    assert.ok(events.length >= 10, `${events.length} live events`);
    const withheld = events.filter((e) => e.status === 'withheld');
    assert.ok(withheld.length > 0, 'the first updates (under 3 s) are withheld');
    assert.ok(
      withheld.every((e) => e.sounds === null),
      'no sound, probability or event while the gate withholds',
    );
    const passed = events.filter((e) => e.status !== 'withheld');
    assert.ok(passed.length > 0 && passed.every((e) => e.sounds !== null), 'sounds whenever the gate passes');
    const last = passed[passed.length - 1]!.sounds!;
    // one timeline step per patch heard (0.48 s apart from 0), each a probability
    assert.ok(last.timeline.length >= 18, `${last.timeline.length} steps from 10 s`);
    last.timeline.forEach((t, i) => assert.ok(Math.abs(t.startSec - i * 0.48) < 1e-9));
    assert.ok(last.timeline.every((t) => t.wheeze >= 0 && t.wheeze <= 1 && t.crackle >= 0 && t.crackle <= 1));
    const maxWheeze = Math.max(...last.timeline.map((t) => t.wheeze));
    assert.ok(
      maxWheeze >= card.detection.wheeze.threshold,
      `wheeze step ${maxWheeze.toFixed(2)} ≥ threshold ${card.detection.wheeze.threshold}`,
    );
    assert.equal(last.wheeze.present, true);
    const wheezes = last.events.filter((e) => e.type === 'wheeze');
    assert.ok(wheezes.length > 0, 'provisional wheeze events');
    for (const e of wheezes) {
      assert.ok(e.startSec >= 0 && e.endSec <= 10 + 1e-9 && e.endSec > e.startSec);
      assert.ok(e.probability >= card.detection.wheeze.threshold);
    }
  },
);

test(
  'live learned quality: every update scores the newest 3 s as the file analysis scores that window',
  { skip },
  async () => {
    const kauh = decodeWav(readFileSync(KAUH_ASTHMA));
    // 3.2 s = five patches = exactly one quality window as a file; live too, once the capture path's
    // resampler delay (well under the 0.32 s past the fifth patch) has passed
    const take = kauh.samples.subarray(0, Math.round(3.2 * kauh.sampleRate));
    const events = await liveEvents(take, kauh.sampleRate);
    assert.ok(events.length > 0);
    for (const e of events) {
      assert.ok(e.learnedQuality !== null, 'a learned quality verdict on every update');
      assert.ok(e.learnedQuality.pPoor >= 0 && e.learnedQuality.pPoor <= 1);
      assert.equal(e.learnedQuality.threshold, engine.soundsCard!.quality.threshold);
      assert.equal(e.learnedQuality.poor, e.learnedQuality.pPoor >= e.learnedQuality.threshold);
    }
    const file = await engine.analyzeRecording(take, kauh.sampleRate);
    assert.equal(file.learnedQuality!.windows.length, 1);
    const live = events[events.length - 1]!.learnedQuality!;
    // the live window is band-limited in pieces (0.48 s settling before each new patch): close, not identical
    assert.ok(
      Math.abs(live.pPoor - file.learnedQuality!.pPoor) < 0.05,
      `live P(poor) ${live.pPoor.toFixed(3)} vs file ${file.learnedQuality!.pPoor.toFixed(3)}`,
    );
    assert.equal(live.poor, file.learnedQuality!.poor);
  },
);
