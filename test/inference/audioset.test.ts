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
import { sine, whiteNoise } from '../../src/inference/self-test.js';
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

/** Pink noise (1/f) by Paul Kellet's refined filter of white noise; deterministic. */
function pinkNoise(n: number, gain: number): Float32Array {
  const w = whiteNoise(n, 1, 777);
  let [b0, b1, b2, b3, b4, b5, b6] = [0, 0, 0, 0, 0, 0, 0];
  return Float32Array.from(w, (x) => {
    b0 = 0.99886 * b0 + x * 0.0555179;
    b1 = 0.99332 * b1 + x * 0.0750759;
    b2 = 0.969 * b2 + x * 0.153852;
    b3 = 0.8665 * b3 + x * 0.3104856;
    b4 = 0.55 * b4 + x * 0.5329522;
    b5 = -0.7616 * b5 - x * 0.016898;
    const y = b0 + b1 + b2 + b3 + b4 + b5 + b6 + x * 0.5362;
    b6 = x * 0.115926;
    return Math.max(-1, Math.min(1, y * gain));
  });
}

// Tolerances. float32 against float64 moves scores by < 1e-5 (yamnet-reference.test.ts), so what
// remains is the input: the README's figures come from signals we can only describe, not copy.
// Fully specified signals (digital silence; a 1 kHz sine at half scale) may differ only in
// length and phase: ±0.02. Random signals (noise) differ in realisation and level: ±0.06.
// Speech differs in the sentence spoken: ±0.10.

test('digital silence → Silence, 1.00', { skip }, async () => {
  const r = await scores(new Float32Array(16000 * 5));
  assert.equal(r.top[0]!.name, 'Silence');
  assert.ok(Math.abs(r.mean('Silence') - 1.0) <= 0.02, `Silence ${r.mean('Silence')}`);
});

test("1 kHz sine at half scale → 'Beep, bleep' 0.88 and 'Sine wave' 0.35 in the top 3", { skip }, async (t) => {
  const r = await scores(sine(16000 * 5, 1000, 0.5));
  t.diagnostic(r.top.map((c) => `${c.name} ${c.score.toFixed(3)}`).join(', '));
  const top3 = r.top.map((c) => c.name);
  assert.ok(top3.includes('Beep, bleep') && top3.includes('Sine wave'), top3.join(', '));
  assert.ok(Math.abs(r.mean('Beep, bleep') - 0.88) <= 0.02, `Beep ${r.mean('Beep, bleep')}`);
  assert.ok(Math.abs(r.mean('Sine wave') - 0.35) <= 0.02, `Sine ${r.mean('Sine wave')}`);
});

test("white noise → 'Static' 0.53 and 'White noise' 0.53 in the top 3", { skip }, async (t) => {
  const r = await scores(whiteNoise(16000 * 5, 0.3));
  t.diagnostic(r.top.map((c) => `${c.name} ${c.score.toFixed(3)}`).join(', '));
  const top3 = r.top.map((c) => c.name);
  assert.ok(top3.includes('Static') && top3.includes('White noise'), top3.join(', '));
  assert.ok(Math.abs(r.mean('Static') - 0.53) <= 0.06, `Static ${r.mean('Static')}`);
  assert.ok(Math.abs(r.mean('White noise') - 0.53) <= 0.06, `White noise ${r.mean('White noise')}`);
});

test("pink noise → 'Pink noise' 0.72, 'Noise' 0.60", { skip }, async (t) => {
  const r = await scores(pinkNoise(16000 * 5, 0.1));
  t.diagnostic(r.top.map((c) => `${c.name} ${c.score.toFixed(3)}`).join(', '));
  assert.equal(r.top[0]!.name, 'Pink noise');
  assert.ok(Math.abs(r.mean('Pink noise') - 0.72) <= 0.06, `Pink noise ${r.mean('Pink noise')}`);
  assert.ok(Math.abs(r.mean('Noise') - 0.6) <= 0.06, `Noise ${r.mean('Noise')}`);
});

const espeak = spawnSync('espeak-ng', ['--version'], { encoding: 'utf8' });
const noEspeak = espeak.status === 0 ? false : 'espeak-ng is not installed (apt-get install espeak-ng)';

test("espeak-ng speech, resampled to 16 kHz → 'Speech' top in most patches, mean 0.84", { skip: skip || noEspeak }, async (t) => {
  const wav = join(scratchDir(), 'speech.wav');
  const res = spawnSync('espeak-ng', ['-w', wav, 'Please take a deep breath in, and breathe out slowly through your mouth. The quick brown fox jumps over the lazy dog.']);
  assert.equal(res.status, 0, String(res.stderr));
  const audio = await readAudioFile(wav);
  assert.notEqual(audio.sampleRate, 16000); // espeak-ng writes 22.05 kHz: the resampler is exercised
  const r = await scores(await resampleTo16k(audio.samples, audio.sampleRate));
  const speech = names.indexOf('Speech');
  let topSpeech = 0;
  for (let i = 0; i < r.out.count; i++) if (topIndex(r.out.scores!, i) === speech) topSpeech++;
  t.diagnostic(`Speech top in ${topSpeech}/${r.out.count} patches; mean ${r.mean('Speech').toFixed(3)}; ${r.top.map((c) => `${c.name} ${c.score.toFixed(3)}`).join(', ')}`);
  assert.ok(topSpeech > r.out.count / 2, `Speech top in ${topSpeech} of ${r.out.count} patches`);
  assert.equal(r.top[0]!.name, 'Speech');
  assert.ok(Math.abs(r.mean('Speech') - 0.84) <= 0.1, `Speech ${r.mean('Speech')}`);
});
