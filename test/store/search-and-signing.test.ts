import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError } from '../../src/store/index.js';
import {
  ENGINES,
  openTestStore,
  sampleAnalysis,
  seedPatient,
  seedRecording,
  seedUser,
  stopTestClusters,
  tempDb,
} from './helpers.js';

after(stopTestClusters);

for (const engine of ENGINES)
  test(`[${engine}] patient search: any part of identifier, family or given names, case- and accent-insensitive, any word order`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    seedPatient(store, 'MRN-001', 'José', 'Álvarez');
    seedPatient(store, 'MRN-002', 'Anna', 'Alvarsson');
    seedPatient(store, 'X-9', 'Bob', 'Smith');
    seedPatient(store, 'KH-120021', 'Omar Abdulrahman', 'Schmidt-Müller');
    const names = (q: string) =>
      store.patients
        .search(q, 50, 0)
        .items.map((p) => p.mrn)
        .sort();
    assert.deepEqual(names('alvar'), ['MRN-001', 'MRN-002']);
    assert.deepEqual(names('ÁLVAREZ'), ['MRN-001']);
    assert.deepEqual(names('jose alv'), ['MRN-001']);
    assert.deepEqual(names('alvarez, jose'), ['MRN-001']);
    assert.deepEqual(names('mrn-00'), ['MRN-001', 'MRN-002']);
    assert.deepEqual(names('smith bob'), ['X-9']);
    // later parts of names and a partial identifier (what the prefix search missed)
    assert.deepEqual(names('Müller'), ['KH-120021']);
    assert.deepEqual(names('muller'), ['KH-120021']);
    assert.deepEqual(names('abdulrahman'), ['KH-120021']);
    assert.deepEqual(names('2002'), ['KH-120021']);
    assert.deepEqual(names('rahman schmidt'), ['KH-120021']);
    assert.deepEqual(names('varez'), ['MRN-001']);
    assert.deepEqual(names('muller smith'), [], 'every word must match');
    assert.equal(store.recordings.list({ query: 'muller' }, 50, 0).total, 0);
    assert.deepEqual(names(''), ['KH-120021', 'MRN-001', 'MRN-002', 'X-9']);
    const page = store.patients.search('', 2, 2);
    assert.equal(page.total, 4);
    assert.equal(page.items.length, 2);
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] SQL injection attempts in search are plain text: no error, no match, nothing changed`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    const u = seedUser(store);
    const p = seedPatient(store, 'MRN-1', 'Ann', 'Lee', u);
    seedRecording(store, p, u);
    const attempts = [
      "' OR 1=1 --",
      "x'; DROP TABLE patients; --",
      '%',
      '_',
      '" OR ""="',
      "lee' UNION SELECT * FROM users --",
      '\\',
      "'; DELETE FROM audit_log; --",
      "Robert'); DROP TABLE recordings;--",
      '*',
      '\u0000',
    ];
    for (const q of attempts) {
      assert.equal(store.patients.search(q, 50, 0).total, 0, q);
      assert.equal(store.recordings.list({ query: q }, 50, 0).total, 0, q);
    }
    assert.equal(store.patients.search('lee', 50, 0).total, 1, 'the tables are all still there');
    assert.equal(store.recordings.list({}, 50, 0).total, 1);
    assert.equal(store.integrityCheck().ok, true);
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] recording lists: by patient newest first, date range, site, signed, top class, owner`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    const nina = seedUser(store, 'nina', 'nurse');
    const olga = seedUser(store, 'olga', 'nurse');
    const p1 = seedPatient(store, 'A', 'Ann', 'Lee', nina);
    const p2 = seedPatient(store, 'B', 'Bo', 'Li', olga);
    const r1 = seedRecording(store, p1, nina, '2026-01-01T09:00:00.000Z');
    const r2 = seedRecording(store, p1, nina, '2026-02-01T09:00:00.000Z');
    const r3 = seedRecording(store, p2, olga, '2026-03-01T09:00:00.000Z');
    store.tx(() => store.recordings.addAnalysis(r2, sampleAnalysis('asthma')));
    const ids = (f: Parameters<typeof store.recordings.list>[0]) =>
      store.recordings.list(f, 50, 0).items.map((r) => r.id);
    assert.deepEqual(ids({ patientId: p1 }), [r2, r1]);
    assert.deepEqual(
      ids({ from: '2026-01-15', to: '2026-03-01' }),
      [r3, r2],
      'a bare "to" date includes that whole day',
    );
    assert.deepEqual(ids({ topClass: 'asthma' }), [r2]);
    assert.deepEqual(ids({ ownedBy: nina }), [r2, r1]);
    assert.deepEqual(ids({ query: 'li' }), [r3]);
    store.tx(() => store.recordings.sign({ recordingId: r1, userId: nina, label: 'healthy', statement: 'ok' }));
    assert.deepEqual(ids({ signed: true }), [r1]);
    assert.deepEqual(
      store.recordings.reviewQueue(50, 0).items.map((r) => r.id),
      [r2, r3],
      'unsigned, oldest first',
    );
    store.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] a signed recording refuses changes at the database level; findings become amendments`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    const u = seedUser(store, 'paula', 'pulmonologist');
    const p = seedPatient(store, 'A', 'Ann', 'Lee', u);
    const r = seedRecording(store, p, u);
    store.tx(() =>
      store.recordings.addFinding({
        recordingId: r,
        authorId: u,
        authorRole: 'pulmonologist',
        text: 'wheeze',
        label: 'asthma',
      }),
    );
    store.tx(() => store.recordings.sign({ recordingId: r, userId: u, label: 'asthma', statement: 'signed' }));
    assert.throws(
      () => store.tx(() => store.recordings.sign({ recordingId: r, userId: u, label: 'copd', statement: 'again' })),
      (e: unknown) => e instanceof StoreError && e.code === 'SIGNED',
    );
    assert.throws(
      () => store.tx(() => store.recordings.addAnalysis(r, sampleAnalysis())),
      (e: unknown) => e instanceof StoreError && e.code === 'SIGNED',
    );
    assert.throws(
      () => store.db.prepare("UPDATE recordings SET site = 'anterior-left-upper' WHERE id = ?").run(r),
      /signed/,
    );
    assert.throws(() => store.db.prepare('DELETE FROM recordings WHERE id = ?').run(r), /signed/);
    // a site database refuses it twice over: no UPDATE grant for the workstations' role, and the trigger
    assert.throws(
      () => store.db.prepare("UPDATE signoffs SET label = 'copd'").run(),
      engine === 'sqlite' ? /cannot be changed/ : /permission denied for table signoffs/,
    );
    assert.throws(() => store.db.prepare("UPDATE findings SET text = 'x'").run(), /cannot be changed/);
    assert.throws(
      () =>
        store.db
          .prepare(
            "INSERT INTO findings (recording_id, author_id, author_role, text, created_at, is_amendment) VALUES (?, ?, 'x', 'y', 't', 0)",
          )
          .run(r, u),
      /amendments/,
    );
    const f = store.tx(() =>
      store.recordings.addFinding({
        recordingId: r,
        authorId: u,
        authorRole: 'pulmonologist',
        text: 'addendum',
        label: null,
      }),
    );
    assert.equal(f.isAmendment, true);
    assert.deepEqual(
      store.recordings.findings(r).map((x) => x.isAmendment),
      [false, true],
    );
    assert.equal(store.recordings.get(r)!.site, 'trachea');
    store.close();
  });

test('online backup is a consistent single-file copy that passes the integrity check', async () => {
  const { store, dir } = tempDb();
  const u = seedUser(store);
  seedPatient(store, 'A', 'Ann', 'Lee', u);
  const dest = `${dir}/backup.sqlite`;
  store.backup(dest);
  const { Store } = await import('../../src/store/index.js');
  const copy = Store.open(dest, { readonly: true });
  assert.equal(copy.integrityCheck().ok, true);
  assert.equal(copy.patients.byMrn('A')!.familyName, 'Lee');
  assert.equal(copy.db.pragma('journal_mode', { simple: true }), 'delete');
  copy.close();
  store.close();
});

test('the review-queue length kept by triggers equals a count, through insert, sign and delete', () => {
  const { store } = tempDb();
  const u = seedUser(store);
  const p = seedPatient(store, 'A', 'Ann', 'Lee', u);
  const ids = Array.from({ length: 5 }, () => seedRecording(store, p, u));
  const count = () =>
    (store.db.prepare('SELECT count(*) AS n FROM recordings WHERE signed_at IS NULL').get() as { n: number }).n;
  assert.equal(store.recordings.reviewQueue(1, 0).total, 5);
  store.tx(() => store.recordings.sign({ recordingId: ids[0]!, userId: u, label: 'healthy', statement: 's' }));
  store.db.prepare('DELETE FROM recordings WHERE id = ?').run(ids[1]!);
  store.db.prepare("UPDATE recordings SET site = 'anterior-left-upper' WHERE id = ?").run(ids[2]!);
  assert.equal(store.recordings.reviewQueue(1, 0).total, count());
  assert.equal(count(), 3);
});
