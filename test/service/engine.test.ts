/**
 * The service with the real analysis engine (converted YAMNet + a contract head): an imported
 * real lung recording is analysed, the analysis is stored whole and its headline columns agree
 * with it; model.info shows the card; re-analysis adds a new current analysis.
 * Skips with the reason when YAMNet or the recordings are not available on this machine.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalysisEngine, ENGINE_VERSION } from '../../src/inference/engine.js';
import { isGatedEngine } from '../../src/common/result-state.js';
import { CLASS_ORDER } from '../../src/inference/analysis-types.js';
import { decodeWav } from '../../src/audio/wav-read.js';
import { encodeWav16 } from '../../src/audio/wav-write.js';
import { makeHead } from '../support/make-head.js';
import { KAUH_DIR, kauhMissing, scratchDir } from '../support/paths.js';
import { yamnetModelsDir, yamnetUnavailable } from '../inference/yamnet-fixture.js';
import { openFixture, type Fixture } from './helpers.js';

const skip = yamnetUnavailable() || kauhMissing();
let engine: AnalysisEngine;
let fx: Fixture;

before(async () => {
  if (skip) return;
  const head = makeHead(scratchDir(), { seed: 7 });
  engine = await AnalysisEngine.load({ modelsDir: await yamnetModelsDir(), headCard: head.cardPath });
  fx = await openFixture({ engine });
});
after(async () => {
  await fx?.ws.close();
  await engine?.close();
});

test('an imported KAUH recording is analysed and stored with its analysis', { skip }, async () => {
  // The first 6 s of a real 4 kHz stethoscope recording (kept short: the suite shares 2 cores).
  const full = decodeWav(readFileSync(join(KAUH_DIR, 'audio', 'BP1_Asthma,I E W,P L L,70,M.wav')));
  const wav = Buffer.from(encodeWav16(full.samples.subarray(0, 6 * full.sampleRate), full.sampleRate));
  const p = await fx.ws.call(fx.as.nurse, 'patients.create', {
    mrn: 'KAUH-1',
    givenName: 'K',
    familyName: 'One',
  });
  const d = await fx.ws.call(fx.as.nurse, 'recordings.import', {
    patientId: p.id,
    site: 'posterior-left-lower',
    fileName: 'bp1.wav',
    wavBase64: wav.toString('base64'),
  });
  if (!isGatedEngine(ENGINE_VERSION)) {
    // An engine before the competence gate: its analysis is stored whole, never handed out as current.
    assert.equal(d.recording.result, 'earlier-engine');
    assert.equal(d.analysis, null);
    assert.equal(d.recording.pAbnormal, null);
    const stored = fx.ws.internals.store.db
      .prepare('SELECT p_healthy, engine_version FROM analyses WHERE recording_id = ?')
      .get(d.recording.id) as { p_healthy: number | null; engine_version: string };
    assert.equal(stored.engine_version, ENGINE_VERSION);
    assert.equal(typeof stored.p_healthy, 'number');
    return;
  }
  const a = d.analysis;
  assert.ok(a, 'analysed');
  assert.match(d.recording.result, /^(ok|uncertain)$/);
  const P = a.probabilities;
  assert.ok(P && a.screen && a.topClass, 'a KAUH recording is not withheld');
  assert.equal(a.sampleRate, 4000);
  assert.ok(Math.abs(a.durationSec - 6) < 0.01);
  const sum = CLASS_ORDER.reduce((s, c) => s + P[c], 0);
  assert.ok(Math.abs(sum - 1) < 1e-5);
  assert.equal(d.recording.topClass, a.topClass);
  assert.equal(d.recording.pAbnormal, a.screen.pAbnormal);
  assert.equal(d.recording.analysisStatus, a.status);
  assert.equal(d.recording.quality, a.quality.verdict);
  assert.equal(a.patches.length, 11, 'every patch is kept with the gate verdict (6 s: 11 patches)');
  assert.equal(a.models.head.name, 'test-head');
  // The stored columns answer filters without reading the JSON.
  const byClass = await fx.ws.call(fx.as.pulmonologist, 'recordings.list', {
    topClass: a.topClass,
  });
  assert.deepEqual(
    byClass.items.map((r) => r.id),
    [d.recording.id],
  );
  const row = fx.ws.internals.store.db
    .prepare('SELECT p_asthma, p_copd, p_healthy FROM analyses WHERE recording_id = ?')
    .get(d.recording.id) as Record<string, number>;
  assert.equal(row['p_asthma'], P.asthma);
  assert.equal(row['p_healthy'], P.healthy);

  const info = await fx.ws.call(fx.as.nurse, 'model.info', {});
  assert.equal(info.error, null);
  assert.equal(info.card?.name, 'test-head');
  assert.equal(info.yamnet?.sha256.length, 64);

  const again = await fx.ws.call(fx.as.pulmonologist, 'recordings.reanalyze', {
    id: d.recording.id,
  });
  assert.deepEqual(again.analysis?.probabilities, a.probabilities, 'same models and audio: the same result');
  assert.equal(
    (
      fx.ws.internals.store.db
        .prepare('SELECT count(*) AS n FROM analyses WHERE recording_id = ?')
        .get(d.recording.id) as { n: number }
    ).n,
    2,
  );
  assert.equal(fx.ws.internals.store.audit.list({ action: 'recording.reanalyze' }, 5, 0).total, 1);
});
