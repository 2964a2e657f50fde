// `auscult export` and `auscult audit verify <export-folder>` as a user runs them: real processes,
// a real database, a real export folder, then a tampered copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';

function auscult(args: string[]) {
  const compiled = fileURLToPath(import.meta.url).includes(join(PROJECT_ROOT, 'dist'));
  const cmd = compiled
    ? [join(PROJECT_ROOT, 'bin', 'auscult.js')]
    : ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, AUSCULT_PASSWORD: 'cli-test-password-1' }))
    if (v !== undefined) env[k] = v;
  return spawnSync(process.execPath, [...cmd, ...args], { encoding: 'utf8', env, cwd: PROJECT_ROOT });
}

test('auscult export audit-history, then audit verify names the first bad line', () => {
  const dir = scratchDir('auscult-cli-export-');
  const db = join(dir, 'a.sqlite');
  const out = join(dir, 'out');
  mkdirSync(out);
  for (const [role, name] of [
    ['admin', 'root'],
    ['auditor', 'aud'],
  ] as const)
    assert.equal(auscult(['users', 'add', '--db', db, '--role', role, name]).status, 0);

  const refused = auscult(['export', 'fhir', '--db', db, '--out', out, '--user', 'aud']);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /may not export fhir/);

  const ex = auscult(['export', 'audit-history', '--db', db, '--out', out, '--user', 'aud', '--bom']);
  assert.equal(ex.status, 0, ex.stderr);
  const folder = join(out, readdirSync(out)[0]!);
  assert.match(ex.stdout, /Exported \d+ entries/);

  const ok = auscult(['audit', 'verify', folder, '--db', db]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /Audit export OK/);
  assert.match(ok.stdout, /against the database/);

  const jsonl = join(folder, 'audit-history.jsonl');
  const lines = readFileSync(jsonl, 'utf8').split('\n');
  lines[1] = lines[1]!
    .replace('"username":"root"', '"username":"mallory"')
    .replace('"username":"aud"', '"username":"mallory"');
  writeFileSync(jsonl, lines.join('\n'));
  const bad = auscult(['audit', 'verify', folder]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /audit-history\.jsonl line 2 \(entry 2\).*altered/);
});
