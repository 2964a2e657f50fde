/** The shell's rotating log file, on a real folder. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createFileLog } from '../../src/main/file-log.js';
import { scratchDir } from '../support/paths.js';

test('lines are appended with time, level and fields; newlines cannot forge entries', () => {
  const dir = scratchDir('auscult-log-');
  const log = createFileLog({ dir, now: () => new Date('2026-01-02T03:04:05.000Z') });
  log.info('window loaded', { url: 'app://auscult/index.html' });
  log.warn('blocked a request\nERROR fake entry');
  const lines = readFileSync(log.path, 'utf8').trimEnd().split('\n');
  assert.deepEqual(lines, [
    '2026-01-02T03:04:05.000Z INFO  window loaded {"url":"app://auscult/index.html"}',
    '2026-01-02T03:04:05.000Z WARN  blocked a request | ERROR fake entry',
  ]);
  assert.equal(log.path, join(dir, 'main.log'));
});

test('rotation keeps the newest lines and a bounded number of small files', () => {
  const dir = scratchDir('auscult-log-');
  const log = createFileLog({ dir, maxBytes: 2000, keep: 3 });
  for (let i = 0; i < 500; i++) log.info(`entry ${String(i).padStart(4, '0')}`, { i });
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ['main.1.log', 'main.2.log', 'main.3.log', 'main.log']);
  for (const f of files) assert.ok(statSync(join(dir, f)).size <= 2000, `${f} within the size limit`);
  const current = readFileSync(join(dir, 'main.log'), 'utf8');
  assert.match(current, /entry 0499/);
  const all = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
  assert.doesNotMatch(all, /entry 0000/, 'the oldest entries were dropped');
  // Consecutive: main.1.log ends right before main.log begins.
  const last1 = readFileSync(join(dir, 'main.1.log'), 'utf8').trimEnd().split('\n').pop() ?? '';
  const first0 = current.split('\n')[0] ?? '';
  assert.equal(Number(/entry (\d+)/.exec(first0)?.[1]), Number(/entry (\d+)/.exec(last1)?.[1]) + 1);
});

test('a reopened log continues the same file and its size accounting', () => {
  const dir = scratchDir('auscult-log-');
  createFileLog({ dir, maxBytes: 300 }).info('x'.repeat(200));
  const again = createFileLog({ dir, maxBytes: 300 });
  again.info('y'.repeat(200));
  assert.match(readFileSync(join(dir, 'main.1.log'), 'utf8'), /x{200}/);
  assert.match(readFileSync(join(dir, 'main.log'), 'utf8'), /y{200}/);
});
