/**
 * PostgreSQL schema 3 and the streaming iterate(): the patient search's recording figures come
 * from a trigger-kept row per patient and agree with the recordings themselves on both engines
 * (inserts, a deletion, a database migrated from schema 2 with data in it); iterate() reads
 * through a server-side cursor in batches, closes it when the loop ends or breaks, and survives a
 * commit made inside the loop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
import { ITERATE_BATCH } from '../../src/store/pg/pg-database.js';
import { scratchDir } from '../support/paths.js';
import { approveSiteKeys } from '../support/site-serve.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import {
  ENGINES,
  openTestStore,
  sampleAnalysis,
  seedPatient,
  seedRecording,
  seedUser,
  stopTestClusters,
} from './helpers.js';

/** What the recordings say, counted the slow way (the figures the stats row must equal). */
function truth(store: Store): Map<number, { n: number; last: string | null }> {
  const rows = store.db
    .prepare('SELECT patient_id AS p, count(*) AS n, max(recorded_at) AS last FROM recordings GROUP BY patient_id')
    .all() as { p: number; n: number; last: string }[];
  return new Map(rows.map((r) => [r.p, { n: r.n, last: r.last }]));
}

/** The review queue's order as it was computed before the column (per unsigned recording). */
function oldPriorities(store: Store): Map<number, number> {
  const rows = store.db
    .prepare(
      `SELECT r.id AS id, CASE WHEN r.analysis_status = 'ok' AND (SELECT json_extract(a.result_json, '$.screen.label')
         FROM analyses a WHERE a.recording_id = r.id ORDER BY a.id DESC LIMIT 1) = 'abnormal' THEN 0
         WHEN r.analysis_status = 'uncertain' THEN 1 ELSE 2 END AS p FROM recordings r WHERE r.signed_at IS NULL`,
    )
    .all() as { id: number; p: number }[];
  return new Map(rows.map((r) => [r.id, r.p]));
}
function priorities(store: Store): Map<number, number> {
  const rows = store.db.prepare('SELECT id, review_priority AS p FROM recordings WHERE signed_at IS NULL').all() as {
    id: number;
    p: number;
  }[];
  return new Map(rows.map((r) => [r.id, r.p]));
}
/** Analyses that give each priority: abnormal ok (0), uncertain (1), healthy ok and withheld (2); later ones replace. */
function analyse(store: Store, id: number, kind: 'abnormal' | 'healthy' | 'uncertain' | 'withheld'): void {
  const a = sampleAnalysis();
  store.tx(() =>
    store.recordings.addAnalysis(
      id,
      kind === 'withheld'
        ? { ...a, status: 'withheld', probabilities: null, pAbnormal: null, topClass: null, resultJson: '{}' }
        : {
            ...a,
            status: kind === 'uncertain' ? 'uncertain' : 'ok',
            resultJson: JSON.stringify({ screen: { label: kind === 'uncertain' ? 'healthy' : kind } }),
          },
    ),
  );
}

function searched(store: Store, query: string): Map<number, { n: number; last: string | null }> {
  const page = store.patients.search(query, 50, 0);
  return new Map(page.items.map((p) => [p.id, { n: p.recordingCount, last: p.lastRecordedAt }]));
}

describe('patient search figures on both engines', () => {
  for (const engine of ENGINES)
    it(`${engine}: counts and latest times equal the recordings after inserts and a deletion`, async (t) => {
      const store = await openTestStore(engine, t);
      if (!store) return;
      try {
        const u = seedUser(store);
        const a = seedPatient(store, 'KH-1', 'Anna', 'Müller', u);
        const b = seedPatient(store, 'KH-2', 'Bert', 'Schmidt-Müller', u);
        const c = seedPatient(store, 'KH-3', 'Carl', 'Muller', u); // no recordings
        seedRecording(store, a, u, '2024-03-01T10:00:00.000Z');
        const late = seedRecording(store, a, u, '2024-05-01T10:00:00.000Z');
        seedRecording(store, a, u, '2024-04-01T10:00:00.000Z');
        seedRecording(store, b, u, '2024-02-01T10:00:00.000Z');
        let got = searched(store, 'muller');
        assert.deepEqual(got.get(a), { n: 3, last: '2024-05-01T10:00:00.000Z' });
        assert.deepEqual(got.get(b), { n: 1, last: '2024-02-01T10:00:00.000Z' });
        assert.deepEqual(got.get(c), { n: 0, last: null });
        assert.equal(store.patients.search('muller', 50, 0).total, 3);
        // a deletion (an unsigned recording) moves the latest time back
        store.tx(() => store.db.prepare('DELETE FROM recordings WHERE id = ?').run(late));
        got = searched(store, 'muller');
        assert.deepEqual(got.get(a), { n: 2, last: '2024-04-01T10:00:00.000Z' });
        for (const [id, v] of truth(store)) assert.deepEqual(got.get(id), v, `patient ${id}`);
        // a page past the end still reports how many matched
        const past = store.patients.search('muller', 2, 10);
        assert.deepEqual([past.items.length, past.total], [0, 3]);
        assert.equal(store.patients.search('nobody-matches', 10, 0).total, 0);
      } finally {
        store.close();
      }
    });
});

describe('review-queue priority column on both engines', () => {
  // (one test cluster per file: openTestStore's; stopped after the last describe that uses it)
  after(() => stopTestClusters());
  for (const engine of ENGINES)
    it(`${engine}: the trigger-kept priority equals the queue's old CASE, and the queue follows it`, async (t) => {
      const store = await openTestStore(engine, t);
      if (!store) return;
      try {
        const u = seedUser(store);
        const p = seedPatient(store, 'Q-1', 'Ann', 'Queue', u);
        const ids = [0, 1, 2, 3, 4, 5].map((i) => seedRecording(store, p, u, `2024-01-0${i + 1}T00:00:00.000Z`));
        analyse(store, ids[0]!, 'healthy');
        analyse(store, ids[1]!, 'abnormal');
        analyse(store, ids[2]!, 'uncertain');
        analyse(store, ids[3]!, 'withheld');
        analyse(store, ids[4]!, 'abnormal');
        analyse(store, ids[4]!, 'healthy'); // re-analysed: the newest counts
        // ids[5]: never analysed
        assert.deepEqual(priorities(store), oldPriorities(store));
        assert.deepEqual(
          store.recordings.reviewQueue(10, 0).items.map((r) => r.id),
          [ids[1], ids[2], ids[0], ids[3], ids[4], ids[5]],
        );
        assert.deepEqual(
          store.recordings.reviewQueue(10, 0, 'abnormal').items.map((r) => r.id),
          [ids[1]],
        );
      } finally {
        store.close();
      }
    });
});

let cluster: PgCluster | null = null;
let skipped: string | null = null;

describe('site database: schema 3 and streaming reads', () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    cluster?.createSite('site_s', ['ws1']);
  });
  after(() => cluster?.stop());

  it('migrating a schema-2 database with recordings fills the figures, and the workstations cannot write them', (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const owner = () => Store.openSite(c.url('auscult_owner', 'site_s'), { signing: { dir: scratchDir('sign-o-') } });
    let store = owner();
    const u = seedUser(store);
    const ids = [1, 2, 3].map((i) => seedPatient(store, `M${i}`, 'Ann', `Rossi${i}`, u));
    const recs = [0, 1, 2, 3, 4, 5, 6].map((i) =>
      seedRecording(store, ids[i % 3]!, u, `2024-01-0${i + 1}T00:00:00.000Z`),
    );
    analyse(store, recs[0]!, 'abnormal');
    analyse(store, recs[1]!, 'uncertain');
    analyse(store, recs[2]!, 'healthy');
    const keysBefore = store.workstationKeys().map((k) => k.keyId);
    store.close();
    // back to schema 2, data kept: what a site upgraded from the previous release looks like
    const down = c.psql(
      'auscult_owner',
      'site_s',
      `DROP TRIGGER patient_recording_stats_keep ON recordings; DROP FUNCTION patient_recording_stats_keep();
       DROP FUNCTION patient_recording_stats_recount(integer); DROP TABLE patient_recording_stats;
       DROP TRIGGER analyses_review_priority ON analyses; DROP FUNCTION analyses_review_priority();
       DROP INDEX recordings_review; ALTER TABLE recordings DROP COLUMN review_priority;
       DROP TRIGGER workstation_keys_unapproved ON workstation_keys;
       ALTER TABLE workstation_keys DROP CONSTRAINT workstation_keys_approval_whole,
         DROP COLUMN approved_at, DROP COLUMN approved_by;
       DELETE FROM schema_version WHERE version IN (3, 4);`,
    );
    assert.equal(down.status, 0, down.stderr);
    store = owner();
    try {
      assert.equal(c.psql('auscult_owner', 'site_s', 'SELECT max(version) FROM schema_version').stdout.trim(), '4');
      const got = searched(store, 'rossi');
      assert.deepEqual(got, truth(store));
      assert.deepEqual(
        [...got.values()].map((v) => v.n),
        [3, 2, 2],
      );
      // the queue's priority filled in from the analyses already there
      assert.deepEqual(priorities(store), oldPriorities(store));
      assert.deepEqual(
        [recs[0], recs[1], recs[2]].map((r) => priorities(store).get(r!)),
        [0, 1, 2],
      );
      // schema 4: a key registered before it is not trusted by the upgrade; it awaits the owner's approval
      assert.ok(keysBefore.length > 0, 'the site had a signing key before the upgrade');
      const keysAfter = new Map(store.workstationKeys().map((k) => [k.keyId, k]));
      for (const id of keysBefore) assert.equal(keysAfter.get(id)?.approvedAt, null, `key ${id} awaits approval`);
      const attack = c.psql('ws1', 'site_s', 'UPDATE patient_recording_stats SET recording_count = 99');
      assert.notEqual(attack.status, 0);
      assert.match(attack.stderr, /permission denied/);
    } finally {
      store.close();
    }
  });

  it('iterate() reads in batches through a cursor it closes, across a commit inside the loop', (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const store = Store.openSite(cluster.url('auscult_owner', 'site_s'), { signing: { dir: scratchDir('sign-i-') } });
    try {
      const n = ITERATE_BATCH * 2 + 17;
      store.tx(() => {
        for (let i = 0; i < n; i++)
          store.audit.append({
            username: null,
            action: 'user.create',
            transport: 'cli',
            objectType: 'user',
            objectId: i,
          });
      });
      // (the query asking is itself an unnamed portal there: count only the named ones)
      const cursors = store.db.prepare("SELECT count(*) AS n FROM pg_cursors WHERE name <> ''").pluck();
      const all = store.db.prepare('SELECT seq FROM audit_log ORDER BY seq').pluck();
      const expected = all.all() as number[];
      assert.ok(expected.length >= n);

      const seen: number[] = [];
      let openDuring = -1;
      let committed = 0;
      for (const seq of all.iterate() as IterableIterator<number>) {
        seen.push(seq);
        if (seen.length === 1) openDuring = cursors.get() as number;
        if (seen.length === ITERATE_BATCH + 3) {
          // a write transaction commits in the middle of the loop: the held cursor goes on
          store.tx(() =>
            store.audit.append({ username: null, action: 'user.create', transport: 'cli', objectType: 'user' }),
          );
          committed++;
        }
      }
      assert.equal(openDuring, 1, 'one cursor open while the loop runs');
      assert.equal(committed, 1);
      assert.deepEqual(seen, expected, 'every row once, in order, from the snapshot the loop began with');
      assert.equal(cursors.get(), 0, 'closed at the end');

      let k = 0;
      for (const _ of all.iterate()) if (++k === 3) break;
      assert.equal(cursors.get(), 0, 'closed by a break');

      // parameters, named and positional, and a nested iterate on the same connection
      const range = store.db.prepare('SELECT seq FROM audit_log WHERE seq BETWEEN ? AND ? ORDER BY seq').pluck();
      const outer = [...(range.iterate(1, 3) as IterableIterator<number>)].map((s) => [
        s,
        [...(range.iterate(s, s + 1) as IterableIterator<number>)],
      ]);
      assert.deepEqual(outer, [
        [1, [1, 2]],
        [2, [2, 3]],
        [3, [3, 4]],
      ]);
      // the audit log's own streaming reader (exports, verification) over the whole chain, once the
      // owner approved the keys that signed it
      approveSiteKeys(cluster, 'site_s');
      const check = store.verifyAudit();
      assert.equal(check.ok, true, check.reason ?? '');
    } finally {
      store.close();
    }
  });
});
