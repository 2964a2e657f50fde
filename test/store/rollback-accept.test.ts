/**
 * Accepting a restored older copy (Store.acceptRollback, `auscult restore accept`): the signed
 * acceptance in the checkpoint log and the `audit.rollback-accepted` entry make the verifier report
 * the rollback as accepted, not as damage; a further rollback, a forged or replayed acceptance, an
 * acceptance entry written without the key, and a damaged copy are still caught or refused.
 *
 * SQLite: these restore an older copy of the file. A site restored from an older pg_dump:
 * site-rollback-accept.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { auditEntryHash, canonicalJson, Store, StoreError } from '../../src/store/index.js';
import { scratchDir } from '../support/paths.js';

interface Setup {
  dbPath: string;
  signing: string;
  log: string;
}

function append(store: Store, n: number): void {
  for (let i = 0; i < n; i++)
    store.tx(() =>
      store.audit.append({
        username: 'nina',
        action: 'recording.view',
        objectType: 'recording',
        objectId: i,
        transport: 'http',
      }),
    );
}

function replaceDb(s: Setup, copy: string): void {
  for (const f of ['', '-wal', '-shm']) rmSync(s.dbPath + f, { force: true });
  copyFileSync(copy, s.dbPath);
}

/** A signed history of 8 entries copied aside (`copy`), then 4 more; the database is then the copy. */
function rolledBack(): Setup & { copy: string } {
  const dir = scratchDir('auscult-rollback-');
  const dbPath = join(dir, 'data', 'auscult.sqlite');
  const signing = join(dir, 'signing');
  let store = Store.open(dbPath, { signing: { dir: signing } });
  append(store, 8);
  const log = join(signing, `checkpoints-${store.dbId}.jsonl`);
  store.close();
  const copy = join(dir, 'copy.sqlite');
  copyFileSync(dbPath, copy);
  store = Store.open(dbPath, { signing: { dir: signing } });
  append(store, 4);
  store.close();
  const s = { dbPath, signing, log, copy };
  replaceDb(s, copy);
  return s;
}

function verify(s: Setup) {
  const store = Store.open(s.dbPath, { readonly: true, signing: { dir: s.signing } });
  try {
    return store.verifyAudit();
  } finally {
    store.close();
  }
}

function accept(s: Setup) {
  const store = Store.open(s.dbPath, { signing: { dir: s.signing, rolledBack: 'inspect' } });
  try {
    return store.acceptRollback({ username: 'ada', osAccount: 'root' });
  } finally {
    store.close();
  }
}

const rolledBackError = (e: unknown) => e instanceof StoreError && e.code === 'ROLLED_BACK';

test('an accepted rollback states what was given up, verifies, and the history goes on', () => {
  const s = rolledBack();
  assert.throws(
    () => Store.open(s.dbPath, { signing: { dir: s.signing } }),
    (e: unknown) => rolledBackError(e) && /restore accept/.test((e as Error).message),
  );
  const before = verify(s);
  assert.equal(before.ok, false);
  assert.equal(before.behind?.seq, 12);

  const inspect = Store.open(s.dbPath, { signing: { dir: s.signing, rolledBack: 'inspect' } });
  assert.deepEqual(
    { base: inspect.rollbackPending?.base.seq, lost: inspect.rollbackPending?.lost.seq },
    { base: 8, lost: 12 },
  );
  // Nothing can be audited before the acceptance: the copy would fork.
  assert.throws(() => append(inspect, 1), /signing key/);
  const d = inspect.acceptRollback({ username: 'ada', osAccount: 'root' });
  inspect.close();
  assert.deepEqual(d.lost, { fromSeq: 9, toSeq: 12, head: before.behind?.hash, checkpointAt: before.behind?.at });

  const store = Store.open(s.dbPath, { signing: { dir: s.signing } });
  const entry = store.audit.list({ action: 'audit.rollback-accepted' }, 10, 0).items[0]!;
  assert.equal(entry.seq, 9);
  assert.equal(entry.action, 'audit.rollback-accepted');
  assert.equal(entry.username, 'ada');
  assert.equal((entry.details as { lost: { toSeq: number } }).lost.toSeq, 12);
  append(store, 3);
  store.close();

  const after = verify(s);
  assert.equal(after.ok, true, after.reason ?? '');
  assert.equal(after.entries, 12);
  assert.equal(after.checkpoint?.seq, 12);
  assert.deepEqual(
    after.acceptedRollbacks?.map((r) => [r.baseSeq, r.lostSeq, r.acceptedBy]),
    [[8, 12, 'ada']],
  );
  assert.ok(after.notes?.some((n) => /rollback accepted by ada.*entries 9\.\.12 of the old history/.test(n)));
});

test('after an accepted rollback, rolling back again (to the same copy or a later one) is still caught', () => {
  const s = rolledBack();
  accept(s);
  const afterAccept = s.dbPath + '.accepted';
  let store = Store.open(s.dbPath, { signing: { dir: s.signing } });
  store.backup(afterAccept);
  append(store, 2);
  store.close();

  replaceDb(s, s.copy); // the copy accepted before (8 entries, no acceptance entry)
  assert.equal(verify(s).ok, false);
  assert.throws(() => Store.open(s.dbPath, { signing: { dir: s.signing } }), rolledBackError);

  replaceDb(s, afterAccept); // right after the acceptance (9 entries)
  const r = verify(s);
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 10);
  assert.match(r.reason!, /ends at entry 9.*records 11 entries/);
  // Replaying the acceptance at the end of the log does not excuse it: it names the checkpoint it follows.
  const lines = readFileSync(s.log, 'utf8').trim().split('\n');
  const record = lines.find((l) => l.includes('rollback-accepted'))!;
  appendFileSync(s.log, record + '\n');
  const replayed = verify(s);
  assert.equal(replayed.ok, false);
  assert.equal(replayed.firstBadSeq, 10);
  assert.ok(replayed.notes?.some((n) => /does not follow the checkpoint/.test(n)));
  store = Store.open(s.dbPath, { signing: { dir: s.signing, rolledBack: 'inspect' } });
  assert.equal(store.rollbackPending?.lost.seq, 11);
  store.close();
});

test('someone with only the database file cannot accept: a forged record or a key-less entry leaves the rollback reported', () => {
  const s = rolledBack();
  // A record in the log without the key (a made-up signature): ignored, the rollback still named.
  const last = JSON.parse(readFileSync(s.log, 'utf8').trim().split('\n').at(-1)!) as {
    dbId: string;
    seq: number;
    hash: string;
    at: string;
    keyId: string;
  };
  const db0 = new Database(s.dbPath, { readonly: true });
  const base = db0.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as {
    seq: number;
    hash: string;
  };
  db0.close();
  const logBefore = readFileSync(s.log, 'utf8');
  appendFileSync(
    s.log,
    JSON.stringify({
      format: 'auscult.rollback-accepted/1',
      dbId: last.dbId,
      base,
      lost: { seq: last.seq, hash: last.hash, at: last.at },
      at: new Date().toISOString(),
      acceptedBy: 'mallory',
      keyId: last.keyId,
      sig: Buffer.alloc(64, 7).toString('base64'),
    }) + '\n',
  );
  const forged = verify(s);
  assert.equal(forged.ok, false);
  assert.equal(forged.firstBadSeq, 9);
  assert.equal(forged.acceptedRollbacks, undefined);
  assert.ok(forged.notes?.some((n) => /accepts a rollback but its signature is not valid/.test(n)));
  assert.throws(() => Store.open(s.dbPath, { signing: { dir: s.signing } }), rolledBackError);

  // The acceptance entry written into the file with the public hash function, no key.
  const db = new Database(s.dbPath);
  const at = new Date().toISOString();
  const details = canonicalJson({ base, lost: { fromSeq: 9, toSeq: 12, head: last.hash, checkpointAt: last.at } });
  const hash = auditEntryHash(base.hash, {
    seq: 9,
    at,
    username: 'mallory',
    action: 'audit.rollback-accepted',
    objectType: 'audit',
    objectId: null,
    transport: 'cli',
    detailsJson: details,
  });
  db.prepare(
    `INSERT INTO audit_log (seq, at, username, action, object_type, object_id, transport, details_json, prev_hash, hash)
     VALUES (9, ?, 'mallory', 'audit.rollback-accepted', 'audit', NULL, 'cli', ?, ?, ?)`,
  ).run(at, details, base.hash, hash);
  db.close();
  const r = verify(s);
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 9);
  assert.ok(readFileSync(s.log, 'utf8').startsWith(logBefore));
});

test('a damaged older copy is not accepted, and nothing is written', () => {
  const s = rolledBack();
  const db = new Database(s.dbPath);
  db.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET username = 'x' WHERE seq = 3");
  db.close();
  const logBefore = readFileSync(s.log, 'utf8');
  const store = Store.open(s.dbPath, { signing: { dir: s.signing, rolledBack: 'inspect' } });
  try {
    assert.ok(store.rollbackPending);
    assert.throws(
      () => store.acceptRollback({ username: 'ada', osAccount: 'root' }),
      (e: unknown) => rolledBackError(e) && /not an intact older state.*entry 3/.test((e as Error).message),
    );
    assert.equal(store.audit.head().seq, 8);
  } finally {
    store.close();
  }
  assert.equal(readFileSync(s.log, 'utf8'), logBefore);
});

test('an acceptance interrupted after its log record is finished by accepting again', () => {
  const s = rolledBack();
  const copy = s.dbPath + '.pre';
  copyFileSync(s.dbPath, copy);
  accept(s);
  // The crash: the record reached the log, the entry did not reach the database.
  replaceDb(s, copy);
  // (The checkpoint of entry 9 was written too; drop it to leave the record last, as a crash would.)
  const lines = readFileSync(s.log, 'utf8').trim().split('\n');
  writeFileSync(s.log, lines.slice(0, -1).join('\n') + '\n');
  assert.throws(
    () => Store.open(s.dbPath, { signing: { dir: s.signing } }),
    (e: unknown) => rolledBackError(e) && /was not written \(interrupted\)/.test((e as Error).message),
  );
  const unfinished = verify(s);
  assert.equal(unfinished.ok, false);
  assert.match(unfinished.reason!, /not finished.*restore accept/);
  accept(s);
  const r = verify(s);
  assert.equal(r.ok, true, r.reason ?? '');
  assert.equal(r.acceptedRollbacks?.length, 1);
});
