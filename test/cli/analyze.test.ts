// `auscult analyze` and `auscult models` as a user runs them: a real process, real WAV files,
// the converted YAMNet and a contract head.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wavefile from 'wavefile';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { makeHead, type MadeHead } from '../support/make-head.js';
import { yamnetModelsDir, yamnetUnavailable } from '../inference/yamnet-fixture.js';
import { OVERLAP_MAX_SEC, useOverlap } from '../../src/cli/commands/analyze.js';

/** The compiled CLI when running from dist/, else the TypeScript entry through tsx. */
function auscult(args: string[], env: Record<string, string | undefined> = {}) {
  const compiled = fileURLToPath(import.meta.url).includes(join(PROJECT_ROOT, 'dist'));
  const cmd = compiled
    ? [join(PROJECT_ROOT, 'bin', 'auscult.js')]
    : ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];
  const fullEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) fullEnv[k] = v;
  return spawnSync(process.execPath, [...cmd, ...args], { encoding: 'utf8', env: fullEnv, cwd: PROJECT_ROOT });
}

function writeWav(path: string, samples: Float32Array, rate: number, bits: '16' | '32f' = '16') {
  const wav = new wavefile.WaveFile();
  if (bits === '16')
    wav.fromScratch(
      1,
      rate,
      '16',
      Int16Array.from(samples, (v) => Math.round(v * 32767)),
    );
  else wav.fromScratch(1, rate, '32f', samples);
  writeFileSync(path, wav.toBuffer());
}

const skip = yamnetUnavailable();
let modelsDir = '';
let head: MadeHead;
let dir = '';

before(async () => {
  if (skip) return;
  modelsDir = await yamnetModelsDir();
  dir = scratchDir();
  head = makeHead(join(dir, 'head'), { name: 'cli-head' });
  let s = 9;
  const noise = (n: number, g: number) =>
    Float32Array.from({ length: n }, () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return g * ((s / 4294967296) * 2 - 1);
    });
  writeWav(join(dir, 'a.wav'), noise(44100 * 3, 0.2), 44100);
  writeWav(join(dir, 'b.wav'), noise(4000 * 5, 0.3), 4000, '32f');
  writeFileSync(join(dir, 'not-a-wav.wav'), 'this is text, not audio');
});

test('analyze: every file analysed, the bad ones reported on one line each, exit code 1', { skip }, () => {
  const r = auscult(
    [
      'analyze',
      join(dir, 'a.wav'),
      join(dir, 'missing.wav'),
      join(dir, 'not-a-wav.wav'),
      join(dir, 'b.wav'),
      '--head',
      head.cardPath,
    ],
    {
      AUSCULT_MODELS_DIR: modelsDir,
    },
  );
  assert.equal(r.status, 1, r.stderr);
  // the two good files, each with all the parts
  for (const f of ['a.wav', 'b.wav']) assert.ok(r.stdout.includes(join(dir, f)), `${f} missing from output`);
  assert.match(r.stdout, /duration 3\.00 s, 44100 Hz, 5 patches/);
  assert.match(r.stdout, /duration 5\.00 s, 4000 Hz, 9 patches/);
  assert.equal((r.stdout.match(/quality: (good|fair|poor)/g) ?? []).length, 2);
  assert.equal((r.stdout.match(/head: cli-head 0\.0\.1-test/g) ?? []).length, 2);
  assert.equal(
    (r.stdout.match(/screen: (abnormal|healthy|uncertain) \(p\(abnormal\) \d\.\d\d, threshold \d\.\d\d\)/g) ?? [])
      .length,
    2,
  );
  assert.equal(
    (r.stdout.match(/YAMNet \(AudioSet\): [^,\n]+ \d\.\d\d, [^,\n]+ \d\.\d\d, [^,\n]+ \d\.\d\d/g) ?? []).length,
    2,
  );
  for (const label of ['Asthma', 'COPD', 'Pneumonia', 'Healthy', 'Bronchial disease'])
    assert.ok(r.stdout.includes(label));
  // the evidence: per file, its scoring windows (the test head's windows; at least one each)
  assert.equal((r.stdout.match(/scoring windows \(the result is their mean\)/g) ?? []).length, 2);
  assert.ok((r.stdout.match(/^\s+\d+\.\d\d\s+\d+\.\d\d\s+\d\.\d\d$/gm) ?? []).length >= 2);
  const errors = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('auscult analyze:'));
  assert.equal(errors.length, 2, r.stderr);
  assert.ok(errors[0]!.includes('missing.wav'));
  assert.ok(errors[1]!.includes('not-a-wav.wav'));
});

test('analyze --json: one document with a result or an error per file', { skip }, () => {
  const r = auscult(['analyze', '--json', join(dir, 'a.wav'), join(dir, 'missing.wav'), '--head', head.cardPath], {
    AUSCULT_MODELS_DIR: modelsDir,
  });
  assert.equal(r.status, 1);
  const doc = JSON.parse(r.stdout) as {
    head: { name: string };
    files: Array<{
      file: string;
      ok: boolean;
      result?: { patchCount: number; patches: unknown[]; probabilities: Record<string, number> };
      error?: { code: string; message: string };
    }>;
  };
  assert.equal(doc.head.name, 'cli-head');
  assert.equal(doc.files.length, 2);
  assert.equal(doc.files[0]!.ok, true);
  assert.equal(doc.files[0]!.result!.patchCount, 5);
  assert.equal(doc.files[0]!.result!.patches.length, 5);
  assert.deepEqual(Object.keys(doc.files[0]!.result!.probabilities).sort(), [
    'asthma',
    'bronchial',
    'copd',
    'healthy',
    'pneumonia',
  ]);
  assert.equal(doc.files[1]!.ok, false);
  assert.ok(doc.files[1]!.error!.message.length > 0);
});

test('analyze without a usable head or YAMNet: one clear line, non-zero exit', { skip }, () => {
  // a models folder with YAMNet but no head.card.json
  const yamnetOnly = scratchDir();
  for (const f of ['yamnet.onnx', 'yamnet.json', 'yamnet_class_map.csv'])
    copyFileSync(join(modelsDir, f), join(yamnetOnly, f));
  const noHead = auscult(['analyze', join(dir, 'a.wav')], {
    AUSCULT_MODELS_DIR: yamnetOnly,
    AUSCULT_MODEL_SOURCE: undefined,
    AUSCULT_MODEL_URL: undefined,
  });
  assert.equal(noHead.status, 1);
  assert.match(noHead.stderr, /auscult analyze: no classifier head at .*head\.card\.json/);
  const empty = scratchDir();
  const noYamnet = auscult(['analyze', join(dir, 'a.wav'), '--head', head.cardPath], {
    AUSCULT_MODELS_DIR: empty,
    AUSCULT_MODEL_SOURCE: undefined,
    AUSCULT_MODEL_URL: undefined,
  });
  assert.equal(noYamnet.status, 1);
  assert.match(noYamnet.stderr, /npx auscult models --source/);
  assert.equal(noYamnet.stderr.trim().split('\n').length, 1);
});

test('models: without a source, --if-missing says how to provide one and exits 0; plain exits 1', () => {
  const empty = scratchDir();
  const env = { AUSCULT_MODELS_DIR: empty, AUSCULT_MODEL_SOURCE: undefined, AUSCULT_MODEL_URL: undefined };
  const soft = auscult(['models', '--if-missing'], env);
  assert.equal(soft.status, 0, soft.stderr);
  assert.match(soft.stdout, /YAMNet is not prepared: provide YAMNet with `npx auscult models --source/);
  const hard = auscult(['models'], env);
  assert.equal(hard.status, 1);
  assert.match(hard.stdout + hard.stderr, /npx auscult models --source/);
  const bad = auscult(['models', '--source', join(empty, 'nowhere')], env);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /does not exist/);
});

test(
  'models --source: converts, self-tests, writes the files with their SHA-256; --if-missing then does nothing',
  { skip: yamnetUnavailable() },
  async () => {
    const { SHARED_MODELS } = await import('../support/paths.js');
    const { tfliteMissing } = await import('../inference/yamnet-fixture.js');
    if (tfliteMissing()) return;
    const out = scratchDir();
    const r = auscult(['models', '--source', SHARED_MODELS], { AUSCULT_MODELS_DIR: out });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /source yamnet\.tflite 3959752 bytes, SHA-256 687f226c147a2caab4706fbbab5e9cecb14b9a368264bf61108078b1fddf68f5/,
    );
    assert.match(r.stdout, /self-test ok\s+digital silence: Silence/);
    assert.match(r.stdout, /wrote .*yamnet\.onnx SHA-256 [0-9a-f]{64}/);
    assert.match(
      r.stdout,
      /wrote .*yamnet_class_map\.csv SHA-256 cdf24d193e196d9e95912a2667051ae203e92a2ba09449218ccb40ef787c6df2/,
    );
    const again = auscult(['models', '--if-missing'], { AUSCULT_MODELS_DIR: out, AUSCULT_MODEL_SOURCE: undefined });
    assert.equal(again.status, 0);
    assert.match(again.stdout, /YAMNet ready/);
    assert.doesNotMatch(again.stdout, /converted/);
  },
);

test('analyze runs YAMNet on its worker thread only with a core to spare and inputs up to 5 minutes', () => {
  assert.equal(OVERLAP_MAX_SEC, 300);
  assert.equal(useOverlap({ cores: 2, load1: 0.3, longestSec: 30 }), true);
  assert.equal(useOverlap({ cores: 2, load1: 0.3, longestSec: 300 }), true);
  assert.equal(useOverlap({ cores: 2, load1: 0.3, longestSec: 301 }), false, 'a long input: memory');
  assert.equal(useOverlap({ cores: 2, load1: 0.3, longestSec: Infinity }), false, 'a length no header says');
  assert.equal(useOverlap({ cores: 2, load1: 1.5, longestSec: 30 }), false, 'no core free');
  assert.equal(useOverlap({ cores: 1, load1: 0, longestSec: 30 }), false, 'one core');
  assert.equal(useOverlap({ cores: 8, load1: 5, longestSec: 30 }), true);
});
