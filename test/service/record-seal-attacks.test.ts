/**
 * Signed records under attack, on the real database file the workstation wrote: the freeze
 * triggers refuse UPDATE/DELETE of a signed recording's analysis, findings and sign-off; with the
 * triggers dropped, `auscult check` names each signed recording that was changed; a WAV swapped
 * together with its stored hash on an UNSIGNED recording is caught against the signed audit entry
 * of its import. An untouched history passes.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/index.js';
import { signingDir } from '../../src/service/paths.js';
import { PROJECT_ROOT } from '../support/paths.js';
import {
  ENGINES,
  openEngineFixture,
  openFixture,
  PASSWORD,
  rejectsWith,
  stopTestClusters,
  wavBytes,
  type Engine,
} from './helpers.js';

after(stopTestClusters);

const compiled = extname(fileURLToPath(import.meta.url)) === '.js';
const MAIN = join(PROJECT_ROOT, compiled ? 'dist/src/cli/main.js' : 'src/cli/main.ts');

/** `auscult check --files` (a site: this workstation's data folder holds its signing key's checkpoints). */
function check(dbPath: string, dataDir?: string) {
  const r = spawnSync(
    process.execPath,
    [
      ...process.execArgv.filter((a) => !a.startsWith('--test')),
      MAIN,
      'check',
      '--db',
      dbPath,
      '--files',
      ...(dataDir ? ['--data-dir', dataDir] : []),
    ],
    { encoding: 'utf8', env: { ...process.env, AUSCULT_SIGNING_DIR: '' }, timeout: 120_000 },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

async function signedAndUnsigned(engine: Engine = 'sqlite', t?: TestContext) {
  const fx = t ? await openEngineFixture(engine, t) : await openFixture();
  if (!fx) return null;
  const p = await fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'M-7', givenName: 'Omar', familyName: 'Haddad' });
  const rec = async () =>
    (
      await fx.ws.call(fx.as.nurse, 'recordings.import', {
        patientId: p.id,
        site: 'trachea',
        fileName: 'a.wav',
        wavBase64: wavBytes({ rate: 4000, seconds: 1 }).toString('base64'),
      })
    ).recording;
  const signed = await rec();
  const unsigned = await rec();
  // An analysis as the engine would store it (this fixture has no engine).
  const store = fx.ws.internals.store;
  store.tx(() =>
    store.recordings.addAnalysis(signed.id, {
      engineVersion: '2.0.0',
      headName: 'head',
      headVersion: '1',
      probabilities: { asthma: 0.1, copd: 0.6, pneumonia: 0.1, healthy: 0.1, bronchial: 0.1 },
      pAbnormal: 0.9,
      topClass: 'copd',
      status: 'ok',
      quality: 'good',
      resultJson: '{}',
    }),
  );
  await fx.ws.call(fx.as.pulmonologist, 'findings.add', {
    recordingId: signed.id,
    text: 'Coarse crackles',
    label: 'copd',
  });
  // Signing needs the signer's own password again.
  await rejectsWith(
    fx.ws.call(fx.as.pulmonologist, 'recordings.sign', {
      recordingId: signed.id,
      label: 'copd',
      statement: 'Consistent with COPD.',
      meaning: 'reviewed-agree',
      password: 'not my password',
    }),
    'FORBIDDEN',
  );
  const s = await fx.ws.call(fx.as.pulmonologist, 'recordings.sign', {
    recordingId: signed.id,
    label: 'copd',
    statement: 'Consistent with COPD.',
    meaning: 'reviewed-agree',
    password: PASSWORD,
  });
  assert.equal(s.signerName, 'Test pulmonologist');
  assert.equal(s.meaning, 'reviewed-agree');
  const got = await fx.ws.call(fx.as.pulmonologist, 'recordings.get', { id: signed.id });
  assert.deepEqual(got.signoff?.seal, { valid: true, problem: null });
  await fx.ws.close();
  return { fx, signed, unsigned };
}

for (const engine of ENGINES)
  test(`[${engine}] a signed recording refuses UPDATE and DELETE of its analysis, findings and sign-off (triggers in place)`, async (t) => {
    const made = await signedAndUnsigned(engine, t);
    if (!made) return;
    const { fx, signed } = made;
    // SQLite: anyone with the file; a site: its owner (the workstations' role lacks most of these grants).
    const db = fx.site ? null : new Database(fx.dbPath);
    const run = (sql: string) => {
      if (db) return db.exec(sql);
      const r = fx.site!.cluster.psql('auscult_owner', fx.site!.name, sql);
      if (r.status !== 0) throw new Error(r.stderr);
    };
    for (const sql of [
      `UPDATE analyses SET p_abnormal = 0.1 WHERE recording_id = ${signed.id}`,
      `DELETE FROM analyses WHERE recording_id = ${signed.id}`,
      `DELETE FROM findings WHERE recording_id = ${signed.id}`,
      `UPDATE findings SET text = 'clear' WHERE recording_id = ${signed.id}`,
      `DELETE FROM signoffs WHERE recording_id = ${signed.id}`,
      `UPDATE signoffs SET statement = 'x' WHERE recording_id = ${signed.id}`,
      `DELETE FROM record_seals WHERE recording_id = ${signed.id}`,
      `UPDATE recordings SET wav_sha256 = 'x' WHERE id = ${signed.id}`,
    ])
      assert.throws(() => run(sql), /signed|sign-off|seal|findings/, sql);
    db?.close();
    const ok = check(fx.dbPath, fx.site ? fx.dir : undefined);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /1 signed recording seal\(s\) valid/);
  });

test('with the triggers dropped, every change of a signed record is named by check', async () => {
  const { fx, signed } = (await signedAndUnsigned())!;
  const attacks: [string, RegExp][] = [
    [
      `UPDATE analyses SET p_abnormal = 0.1, top_class = 'healthy' WHERE recording_id = ${signed.id}`,
      /analysis differ/,
    ],
    [`DELETE FROM findings WHERE recording_id = ${signed.id}`, /findings differ/],
    [
      `DELETE FROM signoffs WHERE recording_id = ${signed.id};
       INSERT INTO signoffs (recording_id, signed_by, signed_at, label, statement, meaning, signer_name, signer_role)
       SELECT ${signed.id}, id, (SELECT signed_at FROM recordings WHERE id = ${signed.id}), 'healthy', 'Normal.', 'reviewed-agree', display_name, role FROM users WHERE username = 'pulmonologist'`,
      /label, statement differ/,
    ],
  ];
  for (const [sql, named] of attacks) {
    const copy = join(fx.dir, `attack-${attacks.findIndex((a) => a[0] === sql)}.sqlite`);
    const src = new Database(fx.dbPath);
    src.prepare('VACUUM INTO ?').run(copy);
    src.close();
    const db = new Database(copy);
    db.exec(
      'DROP TRIGGER analyses_signed_no_update; DROP TRIGGER analyses_signed_no_delete; DROP TRIGGER findings_signed_no_delete; DROP TRIGGER signoffs_no_delete;',
    );
    db.exec(sql);
    db.close();
    const store = Store.open(copy, { readonly: true, signing: { dir: signingDir(fx.dir) } });
    const r = store.verifySeals();
    store.close();
    assert.equal(r.problems.length, 1, sql);
    assert.equal(r.problems[0]!.recordingId, signed.id);
    assert.match(r.problems[0]!.reason, named, r.problems[0]!.reason);
  }
});

test("an unsigned recording's WAV swapped with its stored hash is caught against the signed import entry", async () => {
  const { fx, unsigned } = (await signedAndUnsigned())!;
  const other = wavBytes({ rate: 4000, seconds: 1, freq: 900 });
  writeFileSync(join(fx.dir, 'recordings', unsigned.fileName), other);
  const db = new Database(fx.dbPath);
  db.prepare('UPDATE recordings SET wav_sha256 = ? WHERE id = ?').run(
    createHash('sha256').update(other).digest('hex'),
    unsigned.id,
  );
  db.close();
  const r = check(fx.dbPath);
  assert.equal(r.code, 1);
  assert.match(
    r.out,
    new RegExp(`recording ${unsigned.id}: its stored SHA-256 differs from the one audit entry \\d+ recorded at intake`),
  );
});

test("[postgresql] a site's stored WAV changed by the server's superuser (local copy released) is named by check --files", async (t) => {
  const made = await signedAndUnsigned('postgresql', t);
  if (!made) return;
  const { fx, signed, unsigned } = made;
  const site = fx.site!;
  assert.equal(existsSync(join(fx.dir, 'recordings', unsigned.fileName)), false, 'the site holds the only copy');
  const clean = check(fx.dbPath, fx.dir);
  assert.equal(clean.code, 0, clean.out);
  // Flip bytes in the stored audio, past the frozen-row trigger (triggers off for the session).
  const r = site.cluster.psql(
    'postgres',
    site.name,
    `SET session_replication_role = replica;
     UPDATE recording_audio SET bytes = overlay(bytes placing '\\x55aa55aa'::bytea from 200) WHERE recording_id IN (${signed.id}, ${unsigned.id});`,
  );
  assert.equal(r.status, 0, r.stderr);
  const bad = check(fx.dbPath, fx.dir);
  assert.equal(bad.code, 1, bad.out);
  for (const id of [signed.id, unsigned.id])
    assert.match(bad.out, new RegExp(`recording ${id}\\b[^\\n]*(SHA-256|hash)`));
});
