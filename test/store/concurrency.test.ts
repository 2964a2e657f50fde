/**
 * Many writers on one history, on both engines: a reader never waits for a writer and never sees
 * half a transaction; four writer processes importing at once lose nothing and leave one valid
 * chain (SQLite: four processes on one file, one workstation's signing folder; PostgreSQL: four
 * workstations, each with its own key, and entries from all of them interleaved in the chain).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store, StoreError } from '../../src/store/index.js';
import { scratchDir } from '../support/paths.js';
import {
  ENGINES,
  openTestStore,
  reopenTestStore,
  seedPatient,
  seedRecording,
  seedUser,
  stopTestClusters,
  tempDb,
  testSiteOf,
  approveSiteKeys,
} from './helpers.js';

after(stopTestClusters);

const here = fileURLToPath(import.meta.url);
const child = (name: string) => here.replace(/concurrency\.test\.(ts|js)$/, `${name}${extname(here)}`);
const PER_WRITER = 200;

/** Where a child process opens the same database: the file, or the site as the workstations' role. */
function dbArg(store: Store): string {
  return testSiteOf(store)?.url ?? store.path;
}

/** A child process; `ready` resolves when it printed "ready", `go()` tells it to start. */
function runChild(script: string, args: string[]): { ready: Promise<void>; go: () => void; exited: Promise<string> } {
  const p = spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) ready();
  });
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<string>((resolve, reject) =>
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code}: ${err}`)))),
  );
  // a child that dies before "ready" must fail the test, not hang it
  exited.catch(() => ready());
  return { ready: isReady, go: () => p.stdin.end('go\n'), exited };
}

const count = (store: Store, table: string) =>
  Number(store.db.prepare(`SELECT count(*) AS n FROM ${table}`).pluck().get());

for (const engine of ENGINES)
  test(`[${engine}] a reader on a second connection is not blocked by an open write transaction and sees only committed data`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    const u = seedUser(store);
    const p = seedPatient(store, 'P', 'Ann', 'Lee', u);
    seedRecording(store, p, u);
    const reader = reopenTestStore(store);
    store.db.exec(engine === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN');
    for (let i = 0; i < 5; i++) seedRecording(store, p, u);
    const t0 = performance.now();
    assert.equal(reader.recordings.list({}, 100, 0).total, 1, 'uncommitted rows invisible');
    assert.ok(performance.now() - t0 < 1000, 'the read did not wait for the writer');
    store.db.exec('COMMIT');
    assert.equal(reader.recordings.list({}, 100, 0).total, 6);
    reader.close();
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] readers during another process's batch writes always see whole transactions`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    const u = seedUser(store);
    seedPatient(store, 'P', 'Ann', 'Lee', u);
    const { exited } = runChild(child('writer-child'), [dbArg(store), '25', scratchDir('auscult-writer-sign-')]);
    let done = false;
    const outcome: { failure: Error | null } = { failure: null };
    void exited.then(
      () => (done = true),
      (err: unknown) => ((outcome.failure = err instanceof Error ? err : new Error(String(err))), (done = true)),
    );
    let reads = 0;
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
    if (outcome.failure) throw outcome.failure;
    assert.ok(reads > 5);
    assert.ok(seen.size > 2, `reads interleaved with writes (saw ${[...seen].join(', ')})`);
    assert.equal(count(store, 'recordings'), 25 * 200);
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] 4 processes importing ${PER_WRITER} recordings each lose nothing; one chain verifies with all their entries`, async (t) => {
    const signing = scratchDir('auscult-conc-sign-');
    const store = await openTestStore(engine, t, { signing });
    if (!store) return;
    store.tx(() => {
      const u = store.users.create({ username: 'nina', displayName: 'Nina', role: 'nurse', passwordHash: 'x' });
      store.patients.create({ mrn: 'P', givenName: 'A', familyName: 'B', createdBy: u.id });
      store.audit.append({
        username: null,
        action: 'user.create',
        transport: 'cli',
        objectType: 'user',
        objectId: u.id,
      });
    });
    const names = ['ws1', 'ws2', 'ws3', 'ws4'];
    // One SQLite file is one workstation (its signing folder shared); on a site each has its own key.
    const writers = names.map((n) =>
      runChild(child('import-child'), [
        dbArg(store),
        engine === 'sqlite' ? signing : scratchDir(`sign-${n}-`),
        String(PER_WRITER),
        n,
      ]),
    );
    // All four open first, then start together: otherwise, on a loaded machine, one child's start-up
    // can outlast another's whole run and nothing would be concurrent.
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.go();
    const outs = await Promise.all(writers.map((w) => w.exited));
    assert.deepEqual(outs, Array(4).fill(`ready\ndone ${PER_WRITER}\n`));
    assert.equal(store.recordings.list({}, 1, 0).total, 4 * PER_WRITER);
    assert.equal(store.recordings.reviewQueue(1, 0).total, 4 * PER_WRITER, 'the queue counter saw every insert');
    const site = testSiteOf(store);
    if (site) {
      // the four new workstations' keys await the owner's approval: their entries do not verify yet
      assert.equal(store.verifyAudit().awaitingApproval?.seq, 2);
      assert.equal(approveSiteKeys(site.cluster, site.name), 4);
    }
    const check = store.verifyAudit();
    assert.equal(check.ok, true, check.reason ?? '');
    assert.equal(check.entries, 1 + 4 * PER_WRITER);
    const interleaved = Number(
      store.db
        .prepare(
          `SELECT count(*) FROM (SELECT object_id, lag(object_id) OVER (ORDER BY seq) AS prev, details_json,
                  lag(details_json) OVER (ORDER BY seq) AS prev_details FROM audit_log WHERE seq > 1) x
            WHERE json_extract(details_json, '$.workstation') <> json_extract(prev_details, '$.workstation')`,
        )
        .pluck()
        .get(),
    );
    assert.ok(interleaved > 100, `the writers' entries interleave in one chain (${interleaved} switches)`);
    if (engine === 'postgresql') {
      assert.equal(check.signaturesChecked, check.entries, 'every entry carries its own signature');
      const keys = Number(store.db.prepare('SELECT count(DISTINCT key_id) FROM audit_log').pluck().get());
      assert.equal(keys, 5, 'signed by the four workstations and this one');
    }
    store.close();
  });

/** Another process holding SQLite's write lock for `ms`: resolves once it holds it, `released` when it let go. */
async function holdWriteLock(path: string, ms: number): Promise<{ released: Promise<void> }> {
  const code = `const Database = (await import('better-sqlite3')).default;
    const db = new Database(${JSON.stringify(path)});
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});
    db.exec('COMMIT');
    db.close();`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => p.stdout.once('data', () => resolve()));
  return { released: new Promise((resolve) => p.on('exit', () => resolve())) };
}

// SQLite only: PostgreSQL's row lock on the chain head queues writers fairly, with no busy timeout.
test('[sqlite] a write that waits longer than busy_timeout for another process commits; past lockWaitMs a sentence, nothing written', async () => {
  const { path } = tempDb();
  const store = Store.open(path, { busyTimeoutMs: 100, lockWaitMs: 5_000 });
  const u = seedUser(store);
  const p = seedPatient(store, 'P', 'Ann', 'Lee', u);
  const held = await holdWriteLock(path, 800);
  const t0 = performance.now();
  seedRecording(store, p, u);
  assert.ok(performance.now() - t0 >= 500, 'it waited for the other writer');
  assert.equal(store.recordings.list({}, 10, 0).total, 1);
  await held.released;

  const impatient = Store.open(path, { busyTimeoutMs: 50, lockWaitMs: 300 });
  const again = await holdWriteLock(path, 1500);
  assert.throws(
    () => seedRecording(impatient, p, u),
    (err: unknown) =>
      err instanceof StoreError &&
      /stayed locked by another writer for 0 s .*Close that program or try again\. Nothing was changed\./.test(
        err.message,
      ),
  );
  await again.released;
  assert.equal(impatient.recordings.list({}, 10, 0).total, 1, 'nothing was written');
  impatient.close();
  store.close();
});
