import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, Store, StoreError } from '../../src/store/index.js';
import { normalizeForSearch } from '../../src/store/search-normalize.js';
import { scratchDir } from '../support/paths.js';
import { sampleAnalysis, seedPatient, seedRecording, seedUser } from './helpers.js';

test('a fresh database is at the latest schema, in WAL mode with foreign keys on, synchronous FULL, mode 0600', () => {
  const path = join(scratchDir(), 'a.sqlite');
  const store = Store.open(path);
  assert.equal(store.schemaVersion, LATEST_SCHEMA_VERSION);
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
  // FULL: an acknowledged commit is fsynced (power-loss rule, src/store/README.md).
  assert.equal(store.db.pragma('synchronous', { simple: true }), 2);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.ok(MIGRATIONS.length >= 2);
  store.close();
});

// Build a database at every earlier version, fill it, and open it with the current code.
for (const from of MIGRATIONS.map((m) => m.version).filter((v) => v < LATEST_SCHEMA_VERSION)) {
  test(`migrating from schema ${from} keeps every row and makes it searchable`, () => {
    const path = join(scratchDir(), `v${from}.sqlite`);
    const old = Store.open(path, { migrateTo: from });
    assert.equal(old.schemaVersion, from);
    // Rows written with version-1 SQL only (the repositories target the latest schema).
    const db = old.db;
    db.prepare(
      "INSERT INTO users (username, display_name, role, password_hash, created_at, updated_at) VALUES ('nina','Nina','nurse','x','t','t')",
    ).run();
    db.prepare(
      `INSERT INTO patients (mrn, given_name, family_name, sex, notes, created_by, created_at, updated_at)
                VALUES ('MRN-7', 'Zoë', 'Ødegård', 'female', 'n', 1, 't', 't')`,
    ).run();
    db.prepare(
      `INSERT INTO recordings (patient_id, site, device_name, sample_rate, duration_sec, file_name, wav_sha256, status, recorded_by, recorded_at, created_at)
                VALUES (1, 'trachea', 'dev', 4000, 3, 'x.wav', ?, 'recorded', 1, '2026-01-02T10:00:00.000Z', 't')`,
    ).run('b'.repeat(64));
    // from schema 2 on, the code of that version writes the search keys with every patient
    if (from >= 2)
      db.prepare('UPDATE patients SET mrn_norm = ?, family_norm = ?, given_norm = ?').run(
        normalizeForSearch('MRN-7'),
        normalizeForSearch('Ødegård'),
        normalizeForSearch('Zoë'),
      );
    old.tx(() =>
      old.audit.append({
        username: 'nina',
        action: 'patient.create',
        objectType: 'patient',
        objectId: 1,
        transport: 'cli',
      }),
    );
    old.close();

    const store = Store.open(path);
    assert.equal(store.schemaVersion, LATEST_SCHEMA_VERSION);
    const p = store.patients.byMrn('MRN-7')!;
    assert.equal(p.givenName, 'Zoë');
    assert.equal(store.patients.search('odeg', 10, 0).total, 1, 'search keys backfilled (accent-folded)');
    assert.equal(store.patients.search('zoe ødegård', 10, 0).total, 1);
    const recs = store.recordings.list({ patientId: p.id }, 10, 0);
    assert.equal(recs.total, 1);
    assert.equal(recs.items[0]!.recordedAt, '2026-01-02T10:00:00.000Z');
    assert.equal(
      store.recordings.reviewQueue(10, 0).total,
      1,
      'the review-queue counter starts from the existing rows',
    );
    assert.equal(store.audit.verify().ok, true);
    assert.equal(store.integrityCheck().ok, true);
    store.close();
  });
}

test('a database from a newer version is refused with a clear message and left unchanged', () => {
  const path = join(scratchDir(), 'new.sqlite');
  const s = Store.open(path);
  s.db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
  s.close();
  const before = readFileSync(path);
  assert.throws(
    () => Store.open(path),
    (err: unknown) =>
      err instanceof StoreError && err.code === 'SCHEMA_TOO_NEW' && /newer version of Auscult/.test(err.message),
  );
  assert.deepEqual(readFileSync(path), before);
  const raw = new Database(path, { readonly: true });
  assert.equal(raw.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION + 5);
  raw.close();
});

test('a failing migration rolls back whole, leaving the old version', () => {
  const path = join(scratchDir(), 'fail.sqlite');
  const s = Store.open(path, { migrateTo: 1 });
  // Sabotage: an object migration 2 will try to create already exists.
  s.db.exec('CREATE INDEX patients_created_by ON patients(created_by)');
  s.close();
  assert.throws(
    () => Store.open(path),
    (err: unknown) => err instanceof StoreError && err.code === 'MIGRATION_FAILED',
  );
  const raw = new Database(path, { readonly: true });
  assert.equal(raw.pragma('user_version', { simple: true }), 1);
  const cols = (raw.prepare('PRAGMA table_info(patients)').all() as { name: string }[]).map((c) => c.name);
  assert.ok(!cols.includes('family_norm'), 'the half-applied ALTERs were rolled back');
  raw.close();
});

test('repositories round-trip a recording with analyses; the newest analysis is the current one', () => {
  const path = join(scratchDir(), 'r.sqlite');
  const store = Store.open(path);
  const u = seedUser(store, 'paula', 'pulmonologist');
  const p = seedPatient(store, 'M1', 'Ann', 'Lee', u);
  const r = seedRecording(store, p, u);
  store.tx(() => store.recordings.addAnalysis(r, sampleAnalysis('copd')));
  const got = store.recordings.get(r)!;
  assert.equal(got.topClass, 'copd');
  assert.equal(got.pAbnormal, 0.9);
  // A re-analysis becomes the current one; the earlier stays stored.
  const second = store.tx(() => store.recordings.addAnalysis(r, sampleAnalysis('asthma')));
  const now = store.recordings.get(r)!;
  assert.equal(now.topClass, 'asthma');
  assert.equal(now.analysisId, second);
  assert.equal((JSON.parse(store.recordings.analysisJson(now.analysisId)!) as { topClass: string }).topClass, 'asthma');
  // Inserted together with its first analysis (no UPDATE needed).
  const r2 = store.tx(() =>
    store.recordings.insert(
      {
        patientId: p,
        site: 'trachea',
        deviceName: 'd',
        sampleRate: 4000,
        durationSec: 3,
        fileName: 'x2.wav',
        wavSha256: 'e'.repeat(64),
        status: 'recorded',
        recordedBy: u,
        recordedAt: new Date().toISOString(),
      },
      sampleAnalysis('pneumonia'),
    ),
  );
  assert.equal(store.recordings.get(r2)!.topClass, 'pneumonia');
  assert.ok(store.recordings.get(r2)!.analysisId);
  store.close();
});

test('schema 3: a schema-2 analysis keeps its figures; a withheld analysis stores no figure, and the two cannot be mixed', () => {
  const path = join(scratchDir(), 'v2-withheld.sqlite');
  const old = Store.open(path, { migrateTo: 2 });
  const u = seedUser(old, 'paula', 'pulmonologist');
  const p = seedPatient(old, 'M3', 'Ann', 'Lee', u);
  const r = seedRecording(old, p, u);
  old.tx(() => old.recordings.addAnalysis(r, sampleAnalysis('copd')));
  old.tx(() =>
    old.recordings.sign({ recordingId: r, userId: u, label: 'copd', statement: 'signed before the upgrade' }),
  );
  old.close();

  const store = Store.open(path);
  assert.equal(store.schemaVersion, LATEST_SCHEMA_VERSION);
  const kept = store.recordings.get(r)!;
  assert.equal(kept.topClass, 'copd');
  assert.equal(kept.pAbnormal, 0.9);
  assert.ok(kept.signedAt, 'the sign-off survives the table rebuild');
  // the rebuilt tables keep their triggers: the signed recording is still frozen
  assert.throws(() => store.recordings.addAnalysis(r, sampleAnalysis('asthma')), /signed/);
  assert.equal(store.recordings.reviewQueue(10, 0).total, 0, 'the review-queue counter trigger survives');

  const r2 = seedRecording(store, p, u);
  assert.equal(store.recordings.reviewQueue(10, 0).total, 1);
  const withheld = {
    ...sampleAnalysis(),
    probabilities: null,
    pAbnormal: null,
    topClass: null,
    status: 'withheld' as const,
  };
  store.tx(() => store.recordings.addAnalysis(r2, withheld));
  const row = store.db
    .prepare('SELECT p_asthma, p_abnormal, top_class, status FROM analyses WHERE recording_id = ?')
    .get(r2) as Record<string, unknown>;
  assert.deepEqual(row, { p_asthma: null, p_abnormal: null, top_class: null, status: 'withheld' });
  assert.equal(store.recordings.get(r2)!.analysisStatus, 'withheld');
  assert.equal(store.recordings.get(r2)!.pAbnormal, null);
  // a withheld row with a figure, or an ok row without one, is refused by the schema itself
  assert.throws(() => store.recordings.addAnalysis(r2, { ...withheld, pAbnormal: 0.5 }), /CHECK/);
  assert.throws(() => store.recordings.addAnalysis(r2, { ...sampleAnalysis(), topClass: null }), /CHECK/);
  assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are enforced again');
  assert.deepEqual(store.db.pragma('foreign_key_check'), []);
  assert.equal(store.integrityCheck().ok, true);
  store.close();
});
