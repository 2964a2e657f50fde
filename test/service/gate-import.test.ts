/**
 * The competence gate through the service API with the real engine, the shipped head and gate:
 * speech, a tone and silence imported with recordings.import are stored withheld (status, reasons,
 * null figures in the stored analysis and its headline columns, the same when read back); a real
 * KAUH recording is stored analysed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalysisEngine } from '../../src/inference/engine.js';
import { MODELS_DIR, kauhMissing, scratchDir } from '../support/paths.js';
import { skipUnlessCi } from '../support/ci.js';
import { KAUH_ASTHMA, makeNonChestInputs, toolsMissing, type NonChestInput } from '../support/non-chest.js';
import { yamnetModelsDir, yamnetUnavailable } from '../inference/yamnet-fixture.js';
import { openFixture, type Fixture } from './helpers.js';

const skip = yamnetUnavailable() || kauhMissing();
let engine: AnalysisEngine;
let fx: Fixture;
let inputs: NonChestInput[] = [];

before(async () => {
  if (skip) return;
  engine = await AnalysisEngine.load({
    modelsDir: await yamnetModelsDir(),
    headCard: join(MODELS_DIR, 'head.card.json'),
  });
  fx = await openFixture({ engine });
  if (!toolsMissing()) inputs = makeNonChestInputs(scratchDir());
});
after(async () => {
  await fx?.ws.close();
  await engine?.close();
});

test(
  'recordings.import: speech, a tone and silence are stored withheld; a KAUH recording analysed',
  { skip },
  async (t) => {
    const missing = toolsMissing();
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const p = await fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'GATE-1', givenName: 'G', familyName: 'Ate' });
    const pick = (suffix: string) => inputs.find((i) => i.path.endsWith(suffix))!;
    for (const input of [pick('speech-female-44k.wav'), pick('tone-1khz-16k.wav'), pick('silence-16k.wav')]) {
      const d = await fx.ws.call(fx.as.nurse, 'recordings.import', {
        patientId: p.id,
        site: 'posterior-left-lower',
        fileName: input.path.split('/').pop()!,
        wavBase64: readFileSync(input.path).toString('base64'),
      });
      const a = d.analysis;
      assert.ok(a, input.name);
      assert.equal(a.status, 'withheld', input.name);
      assert.match(a.statusReasons.join(' | '), input.reason, input.name);
      assert.equal(a.probabilities, null, input.name);
      assert.equal(a.topClass, null, input.name);
      assert.equal(a.screen, null, input.name);
      assert.equal(d.recording.analysisStatus, 'withheld', input.name);
      assert.equal(d.recording.topClass, null, input.name);
      assert.equal(d.recording.pAbnormal, null, input.name);
      const back = await fx.ws.call(fx.as.pulmonologist, 'recordings.get', { id: d.recording.id });
      assert.equal(back.analysis?.status, 'withheld', input.name);
      assert.equal(back.analysis?.probabilities, null, input.name);
      assert.deepEqual(back.analysis?.statusReasons, a.statusReasons, input.name);
    }
    const k = await fx.ws.call(fx.as.nurse, 'recordings.import', {
      patientId: p.id,
      site: 'posterior-left-lower',
      fileName: 'kauh.wav',
      wavBase64: readFileSync(KAUH_ASTHMA).toString('base64'),
    });
    assert.notEqual(k.analysis?.status, 'withheld', k.analysis?.statusReasons.join(' | '));
    assert.ok(k.analysis?.probabilities && k.recording.pAbnormal !== null);
  },
);
