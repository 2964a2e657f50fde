import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS_HASH, hashAuditEntry, type Store } from '../../src/store/index.js';
import { tempDb } from './helpers.js';

function fill(store: Store, n: number): void {
  store.tx(() => {
    for (let i = 0; i < n; i++) {
      store.audit.append({
        username: `u${i % 3}`,
        action: i % 2 ? 'recording.view' : 'patient.create',
        objectType: 'patient',
        objectId: i,
        transport: 'http',
        details: { i, z: 'last', a: [1, { y: 2, b: 3 }] },
      });
    }
  });
}

/** What an attacker with the file can do: drop the append-only triggers first. */
function dropGuards(store: Store): void {
  store.db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
}

test('an intact chain verifies, and each hash is recomputable from the entry alone', () => {
  const { store } = tempDb();
  fill(store, 20);
  const r = store.audit.verify();
  assert.deepEqual(
    { ok: r.ok, entries: r.entries, firstBadSeq: r.firstBadSeq },
    { ok: true, entries: 20, firstBadSeq: null },
  );
  const all = [...store.audit.iterate()];
  assert.equal(all[0]!.prevHash, GENESIS_HASH);
  for (const e of all) assert.equal(hashAuditEntry(e), e.hash);
  assert.equal(r.head, all.at(-1)!.hash);
  store.close();
});

test('the audit log refuses UPDATE and DELETE (append-only triggers)', () => {
  const { store } = tempDb();
  fill(store, 3);
  assert.throws(() => store.db.prepare("UPDATE audit_log SET action = 'x' WHERE seq = 2").run(), /append-only/);
  assert.throws(() => store.db.prepare('DELETE FROM audit_log WHERE seq = 3').run(), /append-only/);
  assert.equal(store.audit.verify().ok, true);
  store.close();
});

test('appending outside a transaction is refused (an entry commits with its change or not at all)', () => {
  const { store } = tempDb();
  assert.throws(
    () => store.audit.append({ username: null, action: 'x', transport: 'cli' }),
    /inside a write transaction/,
  );
  store.close();
});

test('an edited entry is named as the first broken one', () => {
  const { store } = tempDb();
  fill(store, 10);
  dropGuards(store);
  store.db.prepare("UPDATE audit_log SET username = 'mallory' WHERE seq = 6").run();
  const r = store.audit.verify();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 6);
  assert.match(r.reason!, /altered/);
  assert.equal(r.entries, 5);
  store.close();
});

test('an edit of the details JSON is detected too', () => {
  const { store } = tempDb();
  fill(store, 5);
  dropGuards(store);
  store.db.prepare(`UPDATE audit_log SET details_json = '{"i":99}' WHERE seq = 2`).run();
  assert.equal(store.audit.verify().firstBadSeq, 2);
  store.close();
});

test('a deleted entry is detected at the entry after the gap', () => {
  const { store } = tempDb();
  fill(store, 10);
  dropGuards(store);
  store.db.prepare('DELETE FROM audit_log WHERE seq = 4').run();
  const r = store.audit.verify();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 5);
  assert.match(r.reason!, /missing/);
  store.close();
});

test('a deleted entry with the later seqs renumbered is still detected (broken link)', () => {
  const { store } = tempDb();
  fill(store, 8);
  dropGuards(store);
  store.db.exec('DELETE FROM audit_log WHERE seq = 3; UPDATE audit_log SET seq = seq - 1 WHERE seq > 3;');
  const r = store.audit.verify();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 3);
  store.close();
});

test('two reordered entries are detected at the first of them', () => {
  const { store } = tempDb();
  fill(store, 10);
  dropGuards(store);
  // Swap the contents (with their hashes) of entries 4 and 7, keeping seq in order.
  const cols = 'at, username, action, object_type, object_id, transport, details_json, prev_hash, hash';
  store.db.exec(`
    CREATE TEMP TABLE t AS SELECT seq, ${cols} FROM audit_log WHERE seq IN (4, 7);
    UPDATE audit_log SET (${cols}) = (SELECT ${cols} FROM t WHERE t.seq = 7) WHERE seq = 4;
    UPDATE audit_log SET (${cols}) = (SELECT ${cols} FROM t WHERE t.seq = 4) WHERE seq = 7;
  `);
  const r = store.audit.verify();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 4);
  store.close();
});

test('an entry recomputed by an attacker without the rest of the chain still breaks the next link', () => {
  const { store } = tempDb();
  fill(store, 6);
  dropGuards(store);
  const e = [...store.audit.iterate()][2]!;
  const forged = { ...e, username: 'mallory' };
  store.db
    .prepare('UPDATE audit_log SET username = ?, hash = ? WHERE seq = ?')
    .run('mallory', hashAuditEntry(forged), e.seq);
  const r = store.audit.verify();
  assert.equal(r.firstBadSeq, 4, 'entry 3 is self-consistent now, but entry 4 no longer links to it');
  store.close();
});

test('list filters by user, action family and object, newest first, paginated', () => {
  const { store } = tempDb();
  fill(store, 30);
  const page = store.audit.list({ username: 'u1', action: 'recording' }, 5, 0);
  assert.ok(page.total > 0);
  assert.ok(page.items.every((e) => e.username === 'u1' && e.action.startsWith('recording.')));
  assert.ok(page.items[0]!.seq > page.items[1]!.seq);
  const one = store.audit.list({ objectType: 'patient', objectId: '7' }, 10, 0);
  assert.equal(one.total, 1);
  store.close();
});

test('list date bounds: bare dates cover whole days; timestamps with offsets compare as instants', () => {
  const { store } = tempDb();
  store.tx(() => {
    for (const at of ['2026-03-01T23:30:00.000Z', '2026-03-02T00:30:00.000Z', '2026-03-03T12:00:00.000Z']) {
      store.audit.append({ username: 'u', action: 'x.y', transport: 'cli', at });
    }
  });
  assert.equal(store.audit.list({ from: '2026-03-02', to: '2026-03-02' }, 10, 0).total, 1);
  assert.equal(
    store.audit.list({ from: '2026-03-02T01:00:00+02:00' }, 10, 0).total,
    3,
    '01:00+02:00 is 23:00Z the day before',
  );
  assert.equal(store.audit.list({ to: '2026-03-02T00:00:00Z' }, 10, 0).total, 1);
  store.close();
});
