// The competence gate through the real engine with the shipped head and gate (models/): every
// generated non-chest input is withheld with a plain reason and nothing of the head in it; real
// KAUH recordings are analysed; speech mixed into a real recording is left out patch by patch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AnalysisEngine } from '../../src/inference/engine.js';
import { readAudioFile } from '../../src/inference/front-end.js';
import { patchesPerWindow } from '../../src/inference/scoring.js';
import { KAUH_DIR, MODELS_DIR, kauhMissing, scratchDir } from '../support/paths.js';
import { skipUnlessCi } from '../support/ci.js';
import {
  KAUH_ASTHMA,
  makeNonChestInputs,
  makeSpeechOverChest,
  toolsMissing,
  type NonChestInput,
} from '../support/non-chest.js';
import { yamnetModelsDir, yamnetUnavailable } from './yamnet-fixture.js';

const skip = yamnetUnavailable() || kauhMissing();
let engine: AnalysisEngine;
let dir = '';
let inputs: NonChestInput[] = [];

before(async () => {
  if (skip) return;
  engine = await AnalysisEngine.load({
    modelsDir: await yamnetModelsDir(),
    headCard: join(MODELS_DIR, 'head.card.json'),
  });
  dir = scratchDir();
  if (!toolsMissing()) inputs = makeNonChestInputs(dir);
});
after(async () => {
  await engine?.close();
});

async function analyze(path: string) {
  const a = await readAudioFile(path);
  return engine.analyzeRecording(a.samples, a.sampleRate);
}

test(
  'every generated non-chest input is withheld, with a plain reason and no figure of the head',
  { skip },
  async (t) => {
    const missing = toolsMissing();
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    assert.equal(inputs.length, 10);
    for (const input of inputs) {
      const r = await analyze(input.path);
      const ex = new Map<string, number>();
      for (const p of r.patches) if (p.excluded) ex.set(p.excluded, (ex.get(p.excluded) ?? 0) + 1);
      t.diagnostic(
        `${input.name}: ${r.statusReasons.join(' | ')} (excluded ${[...ex].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'} of ${r.patchCount})`,
      );
      assert.equal(r.status, 'withheld', input.name);
      assert.match(r.statusReasons.join(' | '), input.reason, input.name);
      assert.equal(r.probabilities, null, input.name);
      assert.equal(r.topClass, null, input.name);
      assert.equal(r.screen, null, input.name);
      assert.deepEqual(r.windows, [], input.name);
      assert.equal(r.sounds, null, `${input.name}: the sound detector runs only behind the gate`);
      assert.equal(r.gate.passed, false, input.name);
      assert.ok(r.gate.usableSec < 3, input.name);
      assert.equal(r.patches.length, r.patchCount, input.name);
    }
  },
);

test('real KAUH recordings (bell, diaphragm, extended) are analysed, not withheld', { skip }, async () => {
  for (const f of [
    'BP1_Asthma,I E W,P L L,70,M.wav',
    'DP3_Asthma,I E W,P L L R,50,F.wav',
    'EP22_BRON,Crep,P R U,24,M.wav',
  ]) {
    const r = await analyze(join(KAUH_DIR, 'audio', f));
    assert.notEqual(r.status, 'withheld', `${f}: ${r.statusReasons.join(' | ')}`);
    assert.ok(r.probabilities && r.screen && r.topClass, f);
    assert.equal(r.gate.passed, true, f);
    assert.ok(r.windows.length >= 1, f);
    assert.ok(r.sounds, `${f}: the sound detector runs behind a passed gate`);
    assert.ok(r.gate.novelty !== null && r.gate.novelty < 5, `${f}: novelty ${r.gate.novelty}`);
  }
});

test(
  'speech mixed 16 dB below a real recording: its patches are left out and the result comes from clean windows',
  { skip },
  async (t) => {
    const missing = toolsMissing();
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const mix = makeSpeechOverChest(dir);
    const r = await analyze(mix.path);
    const speech = r.patches.filter((p) => p.excluded === 'speech');
    t.diagnostic(
      `${r.status}; ${speech.length} speech patches of ${r.patchCount}, excluded ${r.gate.excludedSec.toFixed(1)} s, usable ${r.gate.usableSec.toFixed(1)} s; ${r.statusReasons.join(' | ')}`,
    );
    assert.ok(speech.length >= 5, 'the speech is seen');
    assert.ok(
      speech.every((p) => p.startSec < mix.speechEndSec),
      'only where the speech is',
    );
    assert.ok(r.gate.excludedSec >= 3, `excluded ${r.gate.excludedSec} s`);
    if (r.status === 'withheld') {
      assert.equal(r.probabilities, null);
      return;
    }
    // analysed from clean patches only: no scoring window touches an excluded patch
    assert.ok(r.windows.length >= 1);
    const per = patchesPerWindow(engine.card.input.windowSec);
    for (const w of r.windows) {
      const inside = r.patches.filter((p) => p.startSec >= w.startSec - 1e-9 && p.endSec <= w.endSec + 1e-9);
      assert.equal(inside.length, per);
      assert.ok(
        inside.every((p) => p.excluded === null),
        `window ${w.startSec}–${w.endSec} uses an excluded patch`,
      );
    }
    // the untouched recording is analysed too, from more windows
    const clean = await analyze(KAUH_ASTHMA);
    assert.ok(clean.windows.length > r.windows.length);
  },
);

test(
  'live: speech is withheld while it lasts, a real recording gets a provisional result after 3 s',
  { skip },
  async (t) => {
    const missing = toolsMissing();
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const feed = async (path: string) => {
      const a = await readAudioFile(path);
      const { resampleTo16k } = await import('../../src/inference/front-end.js');
      const s16 = await resampleTo16k(a.samples, a.sampleRate);
      const live = engine.createLiveAnalyzer();
      const results = [];
      for (let i = 0; i < s16.length; i += 320) {
        live.push(s16.subarray(i, i + 320)); // 20 ms chunks, as a device delivers them
        if ((i / 320) % 24 === 23) {
          const r = await live.update();
          if (r) results.push({ at: (i + 320) / 16000, r });
        }
      }
      return results;
    };
    const speech = await feed(inputs.find((i) => i.path.endsWith('speech-female-44k.wav'))!.path);
    assert.ok(speech.length > 10);
    for (const { r } of speech) {
      assert.equal(r.status, 'withheld');
      assert.equal(r.probabilities, null);
      assert.equal(r.provisional, true);
    }
    const chest = await feed(KAUH_ASTHMA);
    const before3 = chest.filter((x) => x.at < 2.9);
    const after4 = chest.filter((x) => x.at >= 4);
    assert.ok(
      before3.every((x) => x.r.status === 'withheld' && x.r.probabilities === null),
      'nothing before 3 s',
    );
    assert.ok(
      after4.length > 10 && after4.every((x) => x.r.probabilities !== null),
      'a result once 3 s of clean sound is heard',
    );
    // smoothed: once there is a result, it moves little from one update to the next (no 0–100 % swings)
    let worst = 0;
    for (let i = 1; i < after4.length; i++)
      worst = Math.max(worst, Math.abs(after4[i]!.r.screen!.pAbnormal - after4[i - 1]!.r.screen!.pAbnormal));
    t.diagnostic(`largest step between live updates: ${worst.toFixed(3)}`);
    assert.ok(worst < 0.15, `live pAbnormal jumped by ${worst}`);
    // and the last live figure is close to the final analysis of the same audio
    const final = await analyze(KAUH_ASTHMA);
    const last = after4.at(-1)!.r;
    assert.ok(
      Math.abs(last.screen!.pAbnormal - final.screen!.pAbnormal) < 0.1,
      `${last.screen!.pAbnormal} vs ${final.screen!.pAbnormal}`,
    );
  },
);
