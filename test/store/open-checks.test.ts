/**
 * The database is checked before it is trusted: a 0-byte file, random bytes, a foreign SQLite
 * file and a damaged Auscult database are refused with a sentence and left exactly as they were;
 * `auscult check` reports them (read-only) and `auscult serve` refuses to serve them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, readFileSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Store, StoreError } from '../../src/store/index.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { seedPatient, seedUser } from './helpers.js';

function cli(args: string[]) {
  const compiled = fileURLToPath(import.meta.url).includes(join(PROJECT_ROOT, 'dist'));
  const entry = compiled
    ? [join(PROJECT_ROOT, 'bin', 'auscult.js')]
    : ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];
  return spawnSync(process.execPath, [...entry, ...args], { encoding: 'utf8', cwd: PROJECT_ROOT, timeout: 60_000 });
}

const refuses = (path: string, code: string, why: RegExp, opts = {}): void => {
  const before = readFileSync(path);
  assert.throws(
    () => Store.open(path, opts),
    (e: unknown) => e instanceof StoreError && e.code === code && why.test(e.message),
  );
  assert.deepEqual(readFileSync(path), before, 'the file is unchanged');
  assert.ok(!existsSync(`${path}-wal`), 'no WAL was created');
};

test('0-byte, random, foreign and damaged files are refused and left unchanged; newIfEmpty makes a new one', () => {
  const dir = scratchDir('auscult-open-');
  const empty = join(dir, 'empty.sqlite');
  writeFileSync(empty, '');
  refuses(empty, 'EMPTY', /is empty \(0 bytes\).*auscult restore/);
  const fresh = Store.open(empty, { newIfEmpty: true });
  assert.ok(fresh.schemaVersion >= 2);
  fresh.close();

  const junk = join(dir, 'junk.sqlite');
  writeFileSync(junk, Buffer.alloc(8192, 0x5a));
  refuses(junk, 'CORRUPT', /not a readable SQLite database/);

  const foreign = join(dir, 'foreign.sqlite');
  const f = new Database(foreign);
  f.exec('CREATE TABLE invoices (id INTEGER)');
  f.close();
  refuses(foreign, 'NOT_AUSCULT', /not an Auscult history/);

  // A real history with a damaged page (bytes overwritten inside a b-tree page).
  const damaged = join(dir, 'damaged.sqlite');
  const s = Store.open(damaged);
  const u = seedUser(s);
  for (let i = 0; i < 300; i++) seedPatient(s, `M-${i}`, 'Ann', `Lee${i}`, u);
  s.db.pragma('wal_checkpoint(TRUNCATE)');
  s.close();
  // A leaf page of the patients table (not an empty table's root, where the bytes would land in unused space).
  const probe = new Database(damaged, { readonly: true });
  const page = probe
    .prepare("SELECT pageno FROM dbstat WHERE name = 'patients' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 1")
    .pluck()
    .get() as number;
  probe.close();
  const fd = openSync(damaged, 'r+');
  writeSync(fd, Buffer.alloc(1500, 0xff), 0, 1500, (page - 1) * 4096 + 100);
  closeSync(fd);
  refuses(damaged, 'CORRUPT', /damaged \(SQLite's quick check/, { quickCheck: true });
});

test('auscult check reports a 0-byte database (read-only), and serve refuses a damaged one with a sentence', () => {
  const dir = scratchDir('auscult-open-cli-');
  const empty = join(dir, 'auscult.sqlite');
  writeFileSync(empty, '');
  const c = cli(['check', '--db', empty]);
  assert.equal(c.status, 1);
  assert.match(c.stderr, /PROBLEM: The database file .* is empty \(0 bytes\)/);
  assert.equal(statSync(empty).size, 0, 'check wrote nothing');
  const junk = join(dir, 'junk', 'auscult.sqlite');
  const s = Store.open(junk);
  s.close();
  writeFileSync(junk, Buffer.alloc(8192, 0x5a));
  const r = cli(['serve', '--db', junk, '--data-dir', join(dir, 'junk'), '--no-engine', '--port', '0']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not a readable SQLite database.*auscult restore/);
  assert.doesNotMatch(r.stdout, /Open: http/);
});
