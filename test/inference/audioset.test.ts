// Proof the conversion is right: the converted YAMNet, fed by our own front end, recognises
// speech, a tone, noise and silence as AudioSet says — and its mean scores match the figures an
// independent float64 implementation got on the same kinds of input (../shared/models/README.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { YamnetSession } from '../../src/inference/yamnet-session.js';
import { readClassMap, topClasses, topIndex } from '../../src/inference/class-map.js';
import { patchSource16k, readAudioFile, resampleTo16k } from '../../src/inference/front-end.js';
import { pinkNoise, sine, whiteNoise } from '../../src/inference/self-test.js';
import { scratchDir } from '../support/paths.js';
import { yamnetModelsDir, yamnetUnavailable } from './yamnet-fixture.js';

const skip = yamnetUnavailable();
let yamnet: YamnetSession;
let names: string[];

before(async () => {
  if (skip) return;
  const dir = await yamnetModelsDir();
  yamnet = await YamnetSession.load(join(dir, 'yamnet.onnx'));
  names = readClassMap(join(dir, 'yamnet_class_map.csv'));
});
after(async () => {
  await yamnet?.close();
});

async function scores(samples16k: Float32Array) {
  const { source } = patchSource16k(samples16k);
  const out = await yamnet.run(source, true);
  const mean = (name: string) => {
    const j = names.indexOf(name);
    assert.ok(j >= 0, `class ${name} not in the class map`);
    let s = 0;
    for (let i = 0; i < out.count; i++) s += out.scores![i * 521 + j]!;
    return s / out.count;
  };
  return { out, top: topClasses(out.scores!, out.count, names, 3), mean };
}

// Tolerances. float32 against float64 moves scores by < 1e-5 (yamnet-reference.test.ts), and our
// front end matches the TFLite file's own (its Hann window and int8 mel matrix) to the int8 step,
// so what remains is the input: the README's figures come from signals it describes but does not
// give. Digital silence is exact: ±0.01. Noise depends on level (a few dB move scores by ~0.02-0.05;
// louder noise drifts to 'Water'/'Waterfall') and realisation; at −23 dBFS (white) and −26 dBFS
// (pink) ours land within 0.05 of the README: ±0.06. Speech depends on the sentence: ±0.12.
// The 1 kHz sine is the exception: it is fully specified, every patch is identical, and we get
// Beep 0.927 / Sine wave 0.152 against the README's 0.88 / 0.35 — also when the patch comes from
// the TFLite graph's own front end (0.928 / 0.149), at any level from 0.05 to 1.0 and with
// YAMNet's tail padding. So the top-3 membership is asserted, Beep within ±0.06, and the
// Sine-wave gap is reported (diagnostic), not hidden in a wide tolerance.

test('digital silence → Silence, 1.00', { skip }, async () => {
  const r = await scores(new Float32Array(16000 * 5));
  assert.equal(r.top[0]!.name, 'Silence');
  assert.ok(Math.abs(r.mean('Silence') - 1.0) <= 0.01, `Silence ${r.mean('Silence')}`);
});

test("1 kHz sine at half scale → 'Beep, bleep' 0.88 and 'Sine wave' 0.35 in the top 3", { skip }, async (t) => {
  const r = await scores(sine(16000 * 5, 1000, 0.5));
  t.diagnostic(r.top.map((c) => `${c.name} ${c.score.toFixed(3)}`).join(', '));
  const top3 = r.top.map((c) => c.name);
  assert.ok(top3.includes('Beep, bleep') && top3.includes('Sine wave'), top3.join(', '));
  assert.ok(Math.abs(r.mean('Beep, bleep') - 0.88) <= 0.06, `Beep ${r.mean('Beep, bleep')}`);
  t.diagnostic(`Sine wave ${r.mean('Sine wave').toFixed(3)} vs README 0.35 (see the note on tolerances)`);
});

test("white noise (−23 dBFS) → 'Static' 0.53 and 'White noise' 0.53 in the top 3, Noise 0.34", { skip }, async (t) => {
  const r = await scores(whiteNoise(16000 * 5, 0.07));
  t.diagnostic(r.top.map((c) => `${c.name} ${c.score.toFixed(3)}`).join(', '));
  const top3 = r.top.map((c) => c.name);
  assert.ok(top3.includes('Static') && top3.includes('White noise'), top3.join(', '));
  assert.ok(Math.abs(r.mean('Static') - 0.53) <= 0.06, `Static ${r.mean('Static')}`);
  assert.ok(Math.abs(r.mean('White noise') - 0.53) <= 0.06, `White noise ${r.mean('White noise')}`);
  assert.ok(Math.abs(r.mean('Noise') - 0.34) <= 0.06, `Noise ${r.mean('Noise')}`);
});

test("pink noise (−26 dBFS) → 'Pink noise' 0.72, 'Noise' 0.60", { skip }, async (t) => {
  const r = await scores(pinkNoise(16000 * 5, 0.05));
  t.diagnostic(r.top.map((c) => `${c.name} ${c.score.toFixed(3)}`).join(', '));
  assert.equal(r.top[0]!.name, 'Pink noise');
  assert.ok(Math.abs(r.mean('Pink noise') - 0.72) <= 0.06, `Pink noise ${r.mean('Pink noise')}`);
  assert.ok(Math.abs(r.mean('Noise') - 0.6) <= 0.06, `Noise ${r.mean('Noise')}`);
});

const espeak = spawnSync('espeak-ng', ['--version'], { encoding: 'utf8' });
const noEspeak = espeak.status === 0 ? false : 'espeak-ng is not installed (apt-get install espeak-ng)';

test(
  "espeak-ng speech, resampled to 16 kHz → 'Speech' top in most patches, mean 0.84",
  { skip: skip || noEspeak },
  async (t) => {
    const wav = join(scratchDir(), 'speech.wav');
    const res = spawnSync('espeak-ng', [
      '-w',
      wav,
      'Please take a deep breath in, and breathe out slowly through your mouth. The quick brown fox jumps over the lazy dog.',
    ]);
    assert.equal(res.status, 0, String(res.stderr));
    const audio = await readAudioFile(wav);
    assert.notEqual(audio.sampleRate, 16000); // espeak-ng writes 22.05 kHz: the resampler is exercised
    const r = await scores(await resampleTo16k(audio.samples, audio.sampleRate));
    const speech = names.indexOf('Speech');
    let topSpeech = 0;
    for (let i = 0; i < r.out.count; i++) if (topIndex(r.out.scores!, i) === speech) topSpeech++;
    t.diagnostic(
      `Speech top in ${topSpeech}/${r.out.count} patches; mean ${r.mean('Speech').toFixed(3)}; ${r.top.map((c) => `${c.name} ${c.score.toFixed(3)}`).join(', ')}`,
    );
    assert.ok(topSpeech > r.out.count / 2, `Speech top in ${topSpeech} of ${r.out.count} patches`);
    assert.equal(r.top[0]!.name, 'Speech');
    assert.ok(Math.abs(r.mean('Speech') - 0.84) <= 0.12, `Speech ${r.mean('Speech')}`);
  },
);
