/**
 * The attacks of issue 14 on a real database file, by someone who can read and write the file but
 * does not hold the signing key: each is done with plain SQL (triggers dropped first) and the
 * project's own public hash function, and `verifyAudit` (what `auscult check` and `auscult audit
 * verify` run) must fail naming the first bad entry; an untouched database passes.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { auditEntryHash, GENESIS_HASH, Store, StoreError } from '../../src/store/index.js';
import { scratchDir } from '../support/paths.js';
import { openTestStore, reopenTestStore, stopTestClusters, tamper } from './helpers.js';

after(stopTestClusters);

interface Setup {
  dbPath: string;
  signing: string;
}

/** A signed history of `n` entries, one commit each (so each has its own checkpoint). */
function signedHistory(n = 12): Setup {
  const dir = scratchDir('auscult-attack-');
  const dbPath = join(dir, 'data', 'auscult.sqlite');
  const signing = join(dir, 'signing');
  const store = Store.open(dbPath, { signing: { dir: signing } });
  for (let i = 1; i <= n; i++)
    store.tx(() =>
      store.audit.append({
        username: i % 2 ? 'nina' : 'nora',
        action: i % 3 ? 'recording.view' : 'recording.audio',
        objectType: 'recording',
        objectId: i,
        transport: 'http',
        details: { patientId: 7, peer: '127.0.0.1' },
        at: new Date(Date.UTC(2026, 0, 1, 9, i)).toISOString(),
      }),
    );
  store.close();
  return { dbPath, signing };
}

function verify(s: Setup) {
  const store = Store.open(s.dbPath, { readonly: true, signing: { dir: s.signing } });
  try {
    return store.verifyAudit();
  } finally {
    store.close();
  }
}

/** The attacker's handle on the file: plain SQLite, append-only triggers dropped. */
function attacker(s: Setup): Database.Database {
  const db = new Database(s.dbPath);
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  return db;
}

interface Row {
  seq: number;
  at: string;
  username: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  transport: string;
  details_json: string;
  prev_hash: string;
  hash: string;
}

/** Recompute every hash from the first entry on with the public hash function (keeping the old signatures). */
function rehash(db: Database.Database): void {
  const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as Row[];
  const upd = db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?');
  let prev = GENESIS_HASH;
  for (const r of rows) {
    const hash = auditEntryHash(prev, {
      seq: r.seq,
      at: r.at,
      username: r.username,
      action: r.action,
      objectType: r.object_type,
      objectId: r.object_id,
      transport: r.transport,
      detailsJson: r.details_json,
    });
    upd.run(prev, hash, r.seq);
    prev = hash;
  }
}

test('an untouched signed history verifies: chain, every signature, the latest checkpoint', () => {
  const s = signedHistory();
  const r = verify(s);
  assert.equal(r.ok, true, r.reason ?? '');
  assert.equal(r.entries, 12);
  assert.equal(r.signed, 12);
  assert.equal(r.signaturesChecked, 12);
  assert.deepEqual(r.checkpoint && r.checkpoint.seq, 12);
  // The key lives outside the data folder, private; the database holds no private key.
  assert.ok(existsSync(join(s.signing, 'audit-signing.key')));
  const raw = readFileSync(s.dbPath).toString('latin1');
  assert.ok(!raw.includes('PRIVATE KEY'));
});

test('drop triggers, delete entries, renumber and rehash with the public function: the first rewritten entry is named', () => {
  const s = signedHistory();
  const db = attacker(s);
  // Delete nurse nora's entries 4 and 6, renumber the rest, recompute every hash.
  db.exec('DELETE FROM audit_log WHERE seq IN (4, 6)');
  const seqs = (db.prepare('SELECT seq FROM audit_log ORDER BY seq').pluck().all() as number[]).entries();
  const ren = db.prepare('UPDATE audit_log SET seq = ? WHERE seq = ?');
  for (const [i, seq] of seqs) ren.run(-(i + 1), seq);
  db.exec('UPDATE audit_log SET seq = -seq');
  rehash(db);
  db.close();
  const r = verify(s);
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 4);
  assert.match(r.reason!, /valid signature/);
});

test("an entry's user edited (no rehash) is named as altered", () => {
  const s = signedHistory();
  const db = attacker(s);
  db.prepare("UPDATE audit_log SET username = 'mallory' WHERE seq = 5").run();
  db.close();
  const r = verify(s);
  assert.equal(r.firstBadSeq, 5);
  assert.match(r.reason!, /altered/);
});

test("an entry's user edited and everything rehashed is named by its signature", () => {
  const s = signedHistory();
  const db = attacker(s);
  db.prepare("UPDATE audit_log SET username = 'mallory' WHERE seq = 5").run();
  rehash(db);
  db.close();
  const r = verify(s);
  assert.equal(r.firstBadSeq, 5);
  assert.match(r.reason!, /valid signature/);
});

test('a back-dated logout inserted (renumbered, rehashed, unsigned) is named', () => {
  const s = signedHistory();
  const db = attacker(s);
  db.exec(
    'UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 3; UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000',
  );
  db.prepare(
    `INSERT INTO audit_log (seq, at, username, action, object_type, object_id, transport, details_json, prev_hash, hash)
     VALUES (3, '2026-01-01T09:02:30.000Z', 'nina', 'auth.logout', 'user', '1', 'http', '{}', '', '')`,
  ).run();
  rehash(db);
  db.close();
  const r = verify(s);
  assert.equal(r.firstBadSeq, 3);
  assert.match(r.reason!, /no signature/);
});

test('the newest entries deleted (no rehash needed): the database is behind its signed checkpoint', () => {
  const s = signedHistory();
  const db = attacker(s);
  db.exec('DELETE FROM audit_log WHERE seq > 9');
  db.close();
  const r = verify(s);
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 10);
  assert.match(r.reason!, /ends at entry 9.*records 12 entries.*deleted, or the database was rolled back/);
  // And the workstation will not write on it (that would fork the history).
  assert.throws(
    () => Store.open(s.dbPath, { signing: { dir: s.signing } }),
    (e: unknown) => e instanceof StoreError && e.code === 'ROLLED_BACK',
  );
});

test('a rollback to an older copy of the file is detected, also once written on by another key-less process', () => {
  const s = signedHistory(5);
  const copy = s.dbPath + '.copy';
  copyFileSync(s.dbPath, copy);
  const store = Store.open(s.dbPath, { signing: { dir: s.signing } });
  for (let i = 0; i < 3; i++)
    store.tx(() => store.audit.append({ username: 'nina', action: 'recording.view', transport: 'http' }));
  store.close();
  for (const f of ['', '-wal', '-shm']) rmSync(s.dbPath + f, { force: true });
  copyFileSync(copy, s.dbPath);
  const r = verify(s);
  assert.equal(r.firstBadSeq, 6);
  assert.match(r.reason!, /rolled back/);
  // Without the key nobody can append a signed entry; an unsigned one is refused by the store itself.
  const keyless = Store.open(s.dbPath);
  assert.throws(
    () => keyless.tx(() => keyless.audit.append({ username: 'x', action: 'recording.view', transport: 'http' })),
    /no signing key/,
  );
  keyless.close();
});

test('entries signed by a key the attacker made are refused as untrusted', () => {
  const s = signedHistory(4);
  const mine = join(scratchDir('auscult-mallory-'), 'signing');
  // Strip the registered key and re-sign everything with the attacker's own folder.
  const db = attacker(s);
  db.exec('DROP TRIGGER audit_keys_no_delete; DELETE FROM audit_keys; UPDATE audit_log SET sig = NULL, key_id = NULL');
  db.close();
  const forged = Store.open(s.dbPath, { signing: { dir: mine } });
  forged.tx(() => forged.audit.append({ username: 'mallory', action: 'recording.view', transport: 'http' }));
  forged.close();
  const r = verify(s);
  assert.equal(r.ok, false);
  assert.match(r.reason!, /not a trusted key|not the entry the workstation's signed checkpoint/);
});

test('a batch commit is signed once, by its last entry; a rewrite inside it names the whole commit', () => {
  const s = signedHistory(3);
  const store = Store.open(s.dbPath, { signing: { dir: s.signing } });
  store.tx(() => {
    for (let i = 0; i < 5; i++) store.audit.append({ username: 'batch', action: 'recording.view', transport: 'cli' });
  });
  const sigs = store.db
    .prepare('SELECT seq, sig IS NOT NULL AS signed FROM audit_log WHERE seq > 3 ORDER BY seq')
    .all();
  store.close();
  assert.deepEqual(
    sigs.map((r) => (r as { signed: number }).signed),
    [0, 0, 0, 0, 1],
    'only the commit’s last entry carries the signature',
  );
  assert.equal(verify(s).ok, true);
  const db = attacker(s);
  db.prepare("UPDATE audit_log SET username = 'mallory' WHERE seq = 6").run();
  rehash(db);
  db.close();
  const r = verify(s);
  assert.equal(r.firstBadSeq, 4);
  assert.match(r.reason!, /entries 4\.\.8 \(one commit, signed by entry 8\)/);
});

/*
 * The same attacks on a site database, by someone past the workstations' role (which cannot UPDATE
 * or DELETE audit rows at all: pg-site.test.ts): the server's superuser, triggers off. File-level
 * attacks (copying an older file back) are SQLite's; a site is restored with pg_restore.
 */
async function signedSite(t: TestContext) {
  const signing = scratchDir('auscult-attack-pg-sign-');
  const store = await openTestStore('postgresql', t, { signing });
  if (!store) return null;
  for (let i = 1; i <= 12; i++)
    store.tx(() =>
      store.audit.append({
        username: i % 2 ? 'nina' : 'nora',
        action: 'recording.view',
        objectType: 'recording',
        objectId: i,
        transport: 'http',
        at: new Date(Date.UTC(2026, 0, 1, 9, i)).toISOString(),
      }),
    );
  const verifySite = () => {
    const r = reopenTestStore(store, { readonly: true, signing });
    try {
      return r.verifyAudit();
    } finally {
      r.close();
    }
  };
  return { store, signing, verifySite };
}

/** The UPDATEs that recompute every hash with the public function (old signatures kept). */
function rehashSql(store: Store): string {
  const rows = store.db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as Row[];
  let prev = GENESIS_HASH;
  return rows
    .map((r) => {
      const hash = auditEntryHash(prev, {
        seq: r.seq,
        at: r.at,
        username: r.username,
        action: r.action,
        objectType: r.object_type,
        objectId: r.object_id,
        transport: r.transport,
        detailsJson: r.details_json,
      });
      const sql = `UPDATE audit_log SET prev_hash = '${prev}', hash = '${hash}' WHERE seq = ${r.seq};`;
      prev = hash;
      return sql;
    })
    .join('\n');
}

test('[postgresql] an untouched site history verifies: chain, every signature, the latest checkpoint', async (t) => {
  const s = await signedSite(t);
  if (!s) return;
  const r = s.verifySite();
  assert.equal(r.ok, true, r.reason ?? '');
  assert.equal(r.entries, 12);
  assert.equal(r.signaturesChecked, 12);
  assert.equal(r.checkpoint?.seq, 12);
  s.store.close();
});

test("[postgresql] the superuser edits an entry's user and rehashes everything: named by its signature", async (t) => {
  const s = await signedSite(t);
  if (!s) return;
  tamper(s.store, "UPDATE audit_log SET username = 'mallory' WHERE seq = 5");
  tamper(s.store, rehashSql(s.store));
  const r = s.verifySite();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 5);
  assert.match(r.reason!, /valid signature/);
  s.store.close();
});

test('[postgresql] the superuser deletes the newest entries and moves the chain head back: behind the signed checkpoint', async (t) => {
  const s = await signedSite(t);
  if (!s) return;
  const nine = s.store.db.prepare('SELECT hash FROM audit_log WHERE seq = 9').pluck().get() as string;
  tamper(
    s.store,
    `DELETE FROM audit_log WHERE seq > 9; UPDATE audit_chain_head SET seq = 9, hash = '${nine}' WHERE id = 1;`,
  );
  s.store.close();
  const r = s.verifySite();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 10);
  assert.match(r.reason!, /ends at entry 9.*records 12 entries/);
  // And this workstation will not write on it (that would fork the history).
  assert.throws(
    () => reopenTestStore(s.store, { signing: s.signing }),
    (e: unknown) => e instanceof StoreError && e.code === 'ROLLED_BACK',
  );
});
