// `auscult analyze --json` as a user runs it, with the shipped head and gate: every generated
// non-chest input comes out withheld with a plain reason and null figures; a real KAUH recording
// is analysed. One process for all files (the suite shares 2 cores).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODELS_DIR, PROJECT_ROOT, kauhMissing, scratchDir } from '../support/paths.js';
import { skipUnlessCi } from '../support/ci.js';
import { KAUH_ASTHMA, makeNonChestInputs, toolsMissing, type NonChestInput } from '../support/non-chest.js';
import { yamnetModelsDir, yamnetUnavailable } from '../inference/yamnet-fixture.js';

function auscult(args: string[], env: Record<string, string>) {
  const compiled = fileURLToPath(import.meta.url).includes(join(PROJECT_ROOT, 'dist'));
  const cmd = compiled
    ? [join(PROJECT_ROOT, 'bin', 'auscult.js')]
    : ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];
  return spawnSync(process.execPath, [...cmd, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd: PROJECT_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
}

const skip = yamnetUnavailable() || kauhMissing();
let modelsDir = '';
let inputs: NonChestInput[] = [];

before(async () => {
  if (skip) return;
  modelsDir = await yamnetModelsDir();
  if (!toolsMissing()) inputs = makeNonChestInputs(scratchDir());
});

interface FileResult {
  file: string;
  ok: boolean;
  result?: {
    status: string;
    statusReasons: string[];
    probabilities: unknown;
    topClass: unknown;
    screen: unknown;
    sounds: unknown;
    windows: unknown[];
    patches: Array<{ excluded: string | null }>;
  };
}

test('analyze --json: non-chest inputs withheld with null figures, a real recording analysed', { skip }, (t) => {
  const missing = toolsMissing();
  if (missing) {
    skipUnlessCi(t, missing);
    return;
  }
  const r = auscult(
    ['analyze', '--json', ...inputs.map((i) => i.path), KAUH_ASTHMA, '--head', join(MODELS_DIR, 'head.card.json')],
    { AUSCULT_MODELS_DIR: modelsDir },
  );
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { files: FileResult[] };
  assert.equal(doc.files.length, inputs.length + 1);
  inputs.forEach((input, i) => {
    const f = doc.files[i]!;
    assert.ok(f.ok && f.result, input.name);
    const a = f.result;
    assert.equal(a.status, 'withheld', input.name);
    assert.match(a.statusReasons.join(' | '), input.reason, input.name);
    // null in the JSON itself, not missing
    for (const k of ['probabilities', 'topClass', 'screen', 'sounds'] as const) {
      assert.ok(k in a, `${input.name}: ${k} is in the JSON`);
      assert.equal(a[k], null, `${input.name}: ${k}`);
    }
    assert.deepEqual(a.windows, []);
  });
  const kauh = doc.files.at(-1)!.result!;
  assert.notEqual(kauh.status, 'withheld', kauh.statusReasons.join(' | '));
  assert.ok(kauh.probabilities && kauh.screen && kauh.topClass);

  // the text output says the same in words
  const text = auscult(['analyze', inputs[0]!.path, '--head', join(MODELS_DIR, 'head.card.json')], {
    AUSCULT_MODELS_DIR: modelsDir,
  });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /status: withheld — this sounds like speech, not a chest recording/);
  assert.match(text.stdout, /screen and probabilities: withheld/);
  assert.doesNotMatch(text.stdout, /← top/);
});
