// `auscult analyze --json` on a real FLAC and the same audio as WAV: per file a `sounds` object
// (crackle/wheeze presence with probability, events, timeline) from the shipped detector, and the two
// files' analyses identical. A real process, the converted YAMNet, the shipped head and detector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toStoredWav } from '../../src/audio/audio-read.js';
import type { AnalysisResult } from '../../src/inference/analysis-types.js';
import { MODELS_DIR, PROJECT_ROOT, SPRSOUND_DIR, scratchDir, sprsoundMissing } from '../support/paths.js';
import { yamnetUnavailable } from '../inference/yamnet-fixture.js';

const skip =
  yamnetUnavailable() ||
  sprsoundMissing() ||
  (existsSync(join(MODELS_DIR, 'sounds.card.json')) ? false : 'no shipped detector (models/sounds.card.json)');

test('analyze --json: sounds per file, and a FLAC analyses exactly like its WAV', { skip }, async () => {
  const flac = join(SPRSOUND_DIR, 'audio', 'test2023', readdirFirst());
  const wav = join(scratchDir(), 'same.wav');
  writeFileSync(wav, (await toStoredWav(readFileSync(flac))).wav);
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'auscult.js'), 'analyze', flac, wav, '--json'], {
    encoding: 'utf8',
    cwd: PROJECT_ROOT,
  });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { files: Array<{ ok: true; result: AnalysisResult }> };
  assert.equal(doc.files.length, 2);
  const [a, b] = doc.files.map((f) => f.result) as [AnalysisResult, AnalysisResult];
  const s = a.sounds;
  assert.ok(s, 'sounds present');
  for (const t of ['crackle', 'wheeze'] as const) {
    assert.equal(typeof s[t].present, 'boolean');
    assert.ok(s[t].probability >= 0 && s[t].probability <= 1);
    assert.equal(
      s[t].present,
      s.events.some((e) => e.type === t),
      'present exactly when an event was detected',
    );
  }
  for (const e of s.events) {
    assert.deepEqual(Object.keys(e).sort(), ['endSec', 'probability', 'startSec', 'type']);
    assert.ok(e.startSec < e.endSec);
  }
  assert.equal(s.timeline.length, a.patchCount);
  assert.deepEqual(Object.keys(s.timeline[0]!).sort(), ['crackle', 'endSec', 'startSec', 'wheeze']);
  assert.deepEqual({ ...a, timingsMs: null }, { ...b, timingsMs: null });
});

function readdirFirst(): string {
  // the first CAS recording of test2023 in the index (a child never in training)
  const index = readFileSync(join(SPRSOUND_DIR, 'sprsound_index.csv'), 'utf8').split('\n');
  const row = index.find((l) => l.startsWith('test2023/') && l.split(',')[6] === 'CAS')!;
  return row.split(',')[0]!.replace('test2023/', '');
}
