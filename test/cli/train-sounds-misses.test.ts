// `auscult train-sounds --misses` refuses what it cannot do with a sentence and writes nothing: two
// feature sets at once, or no shipped card to take the set from (the folds' own run is
// test/training/train-sounds.test.ts's job; a real misses run takes 23 min).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';

function auscult(args: string[]) {
  const compiled = fileURLToPath(import.meta.url).includes(join(PROJECT_ROOT, 'dist'));
  const cmd = compiled
    ? [join(PROJECT_ROOT, 'bin', 'auscult.js')]
    : ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];
  return spawnSync(process.execPath, [...cmd, 'train-sounds', ...args], { encoding: 'utf8', cwd: PROJECT_ROOT });
}

test('train-sounds --misses: one feature set, or the card in --out; refused plainly otherwise, nothing written', () => {
  const dir = scratchDir('auscult-misses-');
  const list = join(dir, 'misses.jsonl');
  const two = auscult(['--data', dir, '--misses', list, '--features', 'embedding,embedding+hand']);
  assert.equal(two.status, 1, two.stderr);
  assert.match(two.stderr, /--misses cross-validates one feature set; got --features embedding,embedding\+hand/);
  const noCard = auscult(['--data', dir, '--misses', list, '--out', dir]);
  assert.equal(noCard.status, 1, noCard.stderr);
  assert.match(noCard.stderr, /--misses needs .*sounds\.card\.json \(the shipped card\) or one --features set/);
  writeFileSync(join(dir, 'sounds.card.json'), '{ not json');
  const badCard = auscult(['--data', dir, '--misses', list, '--out', dir]);
  assert.equal(badCard.status, 1, badCard.stderr);
  assert.match(badCard.stderr, /is not a sounds card; pass one --features set/);
  assert.equal(existsSync(list), false, 'no list written');
});
