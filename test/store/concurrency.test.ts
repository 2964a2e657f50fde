import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { extname } from 'node:path';
import { Store } from '../../src/store/index.js';
import { seedPatient, seedRecording, seedUser, tempDb } from './helpers.js';

const here = fileURLToPath(import.meta.url);
const childScript = here.replace(/concurrency\.test\.(ts|js)$/, `writer-child${extname(here)}`);

test('a reader on a second connection is not blocked by an open write transaction and sees only committed data', () => {
  const { store, path } = tempDb();
  const u = seedUser(store);
  const p = seedPatient(store, 'P', 'Ann', 'Lee', u);
  seedRecording(store, p, u);
  const reader = Store.open(path, { busyTimeoutMs: 0 });
  store.db.exec('BEGIN IMMEDIATE');
  for (let i = 0; i < 5; i++) seedRecording(store, p, u);
  const t0 = performance.now();
  assert.equal(reader.recordings.list({}, 100, 0).total, 1, 'uncommitted rows invisible');
  assert.ok(performance.now() - t0 < 1000, 'the read did not wait for the writer');
  store.db.exec('COMMIT');
  assert.equal(reader.recordings.list({}, 100, 0).total, 6);
  reader.close();
  store.close();
});

test("readers during another process's batch writes always see whole transactions", async () => {
  const { store, path } = tempDb();
  const u = seedUser(store);
  seedPatient(store, 'P', 'Ann', 'Lee', u);
  const child = spawn(process.execPath, [...process.execArgv, childScript, path, '25'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let reads = 0;
  let done = false;
  void exited.then(() => (done = true));
  const seen = new Set<number>();
  while (!done) {
    const row = store.db
      .prepare('SELECT (SELECT count(*) FROM recordings) AS r, (SELECT count(*) FROM analyses) AS a')
      .get() as { r: number; a: number };
    assert.equal(row.r, row.a, 'every visible recording has its analysis (no half transaction)');
    assert.equal(row.r % 200, 0, 'batches are all-or-nothing');
    seen.add(row.r);
    reads++;
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.equal(await exited, 0, stderr);
  assert.ok(reads > 5);
  assert.ok(seen.size > 2, `reads interleaved with writes (saw ${[...seen].join(', ')})`);
  assert.equal((store.db.prepare('SELECT count(*) AS n FROM recordings').get() as { n: number }).n, 25 * 200);
  store.close();
});
