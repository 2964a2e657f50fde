import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS_HASH, hashAuditEntry, type Store } from '../../src/store/index.js';
import { ENGINES, openTestStore, stopTestClusters, tamper, testSiteOf } from './helpers.js';

after(stopTestClusters);

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

for (const engine of ENGINES)
  test(`[${engine}] an intact chain verifies, and each hash is recomputable from the entry alone`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
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

for (const engine of ENGINES)
  test(`[${engine}] the audit log refuses UPDATE and DELETE (append-only triggers; on a site also the role's grants)`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    fill(store, 3);
    // A site's workstation role has no UPDATE/DELETE grant; its owner meets the triggers.
    const refused = engine === 'sqlite' ? /append-only/ : /permission denied for table audit_log/;
    assert.throws(() => store.db.prepare("UPDATE audit_log SET action = 'x' WHERE seq = 2").run(), refused);
    assert.throws(() => store.db.prepare('DELETE FROM audit_log WHERE seq = 3').run(), refused);
    const site = testSiteOf(store);
    if (site)
      for (const sql of ["UPDATE audit_log SET action = 'x' WHERE seq = 2", 'DELETE FROM audit_log WHERE seq = 3']) {
        const r = site.cluster.psql('auscult_owner', site.name, sql);
        assert.notEqual(r.status, 0, sql);
        assert.match(r.stderr, /append-only/);
      }
    assert.equal(store.audit.verify().ok, true);
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] appending outside a transaction is refused (an entry commits with its change or not at all)`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    assert.throws(
      () => store.audit.append({ username: null, action: 'x', transport: 'cli' }),
      /inside a write transaction/,
    );
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] an edited entry is named as the first broken one`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    fill(store, 10);
    tamper(store, "UPDATE audit_log SET username = 'mallory' WHERE seq = 6");
    const r = store.audit.verify();
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, 6);
    assert.match(r.reason!, /altered/);
    assert.equal(r.entries, 5);
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] an edit of the details JSON is detected too`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    fill(store, 5);
    tamper(store, `UPDATE audit_log SET details_json = '{"i":99}' WHERE seq = 2`);
    assert.equal(store.audit.verify().firstBadSeq, 2);
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] a deleted entry is detected at the entry after the gap`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    fill(store, 10);
    tamper(store, 'DELETE FROM audit_log WHERE seq = 4');
    const r = store.audit.verify();
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, 5);
    assert.match(r.reason!, /missing/);
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] a deleted entry with the later seqs renumbered is still detected (broken link)`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    fill(store, 8);
    tamper(store, 'DELETE FROM audit_log WHERE seq = 3; UPDATE audit_log SET seq = seq - 1 WHERE seq > 3;');
    const r = store.audit.verify();
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, 3);
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] two reordered entries are detected at the first of them`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    fill(store, 10);
    // Swap the contents (with their hashes) of entries 4 and 7, keeping seq in order.
    const cols = 'at, username, action, object_type, object_id, transport, details_json, prev_hash, hash';
    tamper(
      store,
      `
    CREATE TEMP TABLE t AS SELECT seq, ${cols} FROM audit_log WHERE seq IN (4, 7);
    UPDATE audit_log SET (${cols}) = (SELECT ${cols} FROM t WHERE t.seq = 7) WHERE seq = 4;
    UPDATE audit_log SET (${cols}) = (SELECT ${cols} FROM t WHERE t.seq = 4) WHERE seq = 7;
  `,
    );
    const r = store.audit.verify();
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, 4);
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] an entry recomputed by an attacker without the rest of the chain still breaks the next link`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    fill(store, 6);
    const e = [...store.audit.iterate()][2]!;
    const forged = { ...e, username: 'mallory' };
    tamper(store, `UPDATE audit_log SET username = 'mallory', hash = '${hashAuditEntry(forged)}' WHERE seq = ${e.seq}`);
    const r = store.audit.verify();
    assert.equal(r.firstBadSeq, 4, 'entry 3 is self-consistent now, but entry 4 no longer links to it');
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] list filters by user, action family and object, newest first, paginated`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    fill(store, 30);
    const page = store.audit.list({ username: 'u1', action: 'recording' }, 5, 0);
    assert.ok(page.total > 0);
    assert.ok(page.items.every((e) => e.username === 'u1' && e.action.startsWith('recording.')));
    assert.ok(page.items[0]!.seq > page.items[1]!.seq);
    const one = store.audit.list({ objectType: 'patient', objectId: '7' }, 10, 0);
    assert.equal(one.total, 1);
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] list date bounds: bare dates cover whole days; timestamps with offsets compare as instants`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
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
