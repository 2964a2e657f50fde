/**
 * The store on a real PostgreSQL cluster: schema and version table, the same repositories'
 * behaviour, the frozen signed record, and the workstations' role that cannot rewrite the audit log.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
import { PG_MIGRATIONS } from '../../src/store/pg/migrations/index.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { approveSiteKeys } from '../support/site-serve.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';

let cluster: PgCluster | null = null;
let skipped: string | null = null;

describe('site database on PostgreSQL', () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    cluster?.createSite('site_a', ['ws1']);
  });
  after(() => cluster?.stop());

  it('migrates as the owner, records its version, and refuses a password in the address', (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const store = Store.openSite(cluster.url('auscult_owner', 'site_a'), { signing: { dir: scratchDir('sign-') } });
    try {
      assert.equal(store.engine, 'postgresql');
      assert.equal(
        cluster.psql('auscult_owner', 'site_a', 'SELECT version FROM schema_version ORDER BY version').stdout.trim(),
        PG_MIGRATIONS.map((m) => m.version).join('\n'),
      );
      // schema 2 (SQLite 8's twin): a failed sign-in is found by the name it tried, in any case
      store.tx(() =>
        store.audit.append({
          username: null,
          action: 'auth.login.failed',
          transport: 'ipc',
          details: { username: 'nora', reason: 'wrong-password' },
        }),
      );
      assert.equal(store.audit.list({ username: 'NORA' }, 10, 0).total, 1);
      assert.equal(store.audit.list({ text: 'WRONG-password' }, 10, 0).total, 1);
    } finally {
      store.close();
    }
    assert.throws(
      () => Store.openSite('postgresql://ws1:secret@localhost/site_a'),
      /contains a password.*PGPASSWORD.*pgpass/s,
    );
  });

  it('keeps users, patients, recordings, search and signing with the same behaviour', (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const store = Store.openSite(cluster.url('ws1', 'site_a'), { signing: { dir: scratchDir('sign-') } });
    try {
      const u = store.tx(() =>
        store.users.create({ username: 'Nina', displayName: 'Nina N', role: 'nurse', passwordHash: 'x' }),
      );
      assert.equal(store.users.byUsername('nina')?.id, u.id, 'user names are case-insensitive, as on SQLite');
      const p = store.tx(() =>
        store.patients.create({ mrn: 'KH-120021', givenName: 'Jörg', familyName: 'Schmidt-Müller', createdBy: u.id }),
      );
      assert.throws(
        () =>
          store.tx(() => store.patients.create({ mrn: 'KH-120021', givenName: 'A', familyName: 'B', createdBy: u.id })),
        /already exists/,
      );
      assert.deepEqual(
        store.patients.search('muller', 10, 0).items.map((x) => x.id),
        [p.id],
      );
      assert.deepEqual(
        store.patients.search('2002 jorg', 10, 0).items.map((x) => x.id),
        [p.id],
      );
      assert.equal(store.patients.search('100%', 10, 0).total, 0, 'a % in the text is a character, not a wildcard');
      const rid = store.tx(() =>
        store.recordings.insert({
          patientId: p.id,
          site: 'trachea',
          deviceName: 'test',
          sampleRate: 4000,
          durationSec: 3,
          fileName: 'a.wav',
          wavSha256: 'a'.repeat(64),
          status: 'recorded',
          recordedBy: u.id,
          recordedAt: new Date().toISOString(),
        }),
      );
      assert.equal(store.recordings.reviewQueue(10, 0).total, 1);
      const doc = store.tx(() =>
        store.users.create({ username: 'paul', displayName: 'Dr Paul', role: 'pulmonologist', passwordHash: 'x' }),
      );
      store.tx(() => {
        store.signRecording({
          recordingId: rid,
          userId: doc.id,
          username: 'paul',
          fullName: 'Dr Paul',
          role: 'pulmonologist',
          label: 'healthy',
          statement: 'I reviewed this recording.',
          meaning: 'agree',
        });
        store.audit.append({
          username: 'paul',
          action: 'recording.sign',
          transport: 'cli',
          objectType: 'recording',
          objectId: rid,
        });
      });
      assert.equal(store.recordings.reviewQueue(10, 0).total, 0);
      // a seal by a key awaiting the owner's approval is not valid; approved, it is
      assert.equal(store.sealStatus(rid)?.valid, false);
      assert.equal(approveSiteKeys(cluster, 'site_a'), 2, "the owner's key and this workstation's");
      assert.deepEqual(store.sealStatus(rid), { valid: true, problem: null });
      const frozen = cluster.psql('ws1', 'site_a', `UPDATE recordings SET device_name = 'x' WHERE id = ${rid}`);
      assert.notEqual(frozen.status, 0);
      assert.match(frozen.stderr, /recording is signed and cannot be altered/);
      const check = store.verifyAudit();
      assert.equal(check.ok, true, check.reason ?? '');
      assert.ok(check.entries >= 1);
    } finally {
      store.close();
    }
  });

  it("the workstations' role may insert audit rows but never UPDATE, DELETE or TRUNCATE them", (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const before = c.psql('ws1', 'site_a', 'SELECT count(*) FROM audit_log').stdout.trim();
    assert.ok(Number(before) > 0);
    for (const sql of ["UPDATE audit_log SET username = 'eve'", 'DELETE FROM audit_log', 'TRUNCATE audit_log']) {
      const r = c.psql('ws1', 'site_a', sql);
      assert.notEqual(r.status, 0, sql);
      assert.match(r.stderr, /permission denied/, sql);
    }
    // dropping the triggers is the owner's, not the workstation's
    const drop = c.psql('ws1', 'site_a', 'ALTER TABLE audit_log DISABLE TRIGGER ALL');
    assert.match(drop.stderr, /must be owner/);
    // an insert that does not continue the chain is refused by the database itself
    const forged = c.psql(
      'ws1',
      'site_a',
      `INSERT INTO audit_log (seq, at, action, transport, details_json, prev_hash, hash, key_id, sig)
       VALUES (1000, 'x', 'user.create', 'cli', '{}', 'x', 'y', 'k', 's')`,
    );
    assert.match(forged.stderr, /does not continue the chain/);
    // the owner is stopped by the triggers too
    const owner = c.psql('auscult_owner', 'site_a', 'DELETE FROM audit_log');
    assert.match(owner.stderr, /append-only/);
    assert.equal(c.psql('ws1', 'site_a', 'SELECT count(*) FROM audit_log').stdout.trim(), before);
  });

  it('the CLI takes --db postgresql://… and AUSCULT_DB_URL, and refuses an address with a password', (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    cluster.createSite('site_cli', []);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AUSCULT_DATA_DIR: scratchDir('cli-data-'),
      AUSCULT_PASSWORD: 'correct horse battery staple',
    };
    delete env['AUSCULT_DB_URL'];
    const cli = (args: string[], extra: Record<string, string> = {}) =>
      spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'auscult.js'), ...args], {
        env: { ...env, ...extra },
        encoding: 'utf8',
      });
    const add = cli(['users', 'add', '--role', 'admin', 'ada', '--db', cluster.url('auscult_owner', 'site_cli')]);
    assert.equal(add.status, 0, add.stderr);
    const list = cli(['users', 'list'], { AUSCULT_DB_URL: cluster.url('ws1', 'site_cli') });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^ada\s+admin\s+active/m);
    const refused = cli(['users', 'list', '--db', 'postgresql://ws1:hunter2@localhost/site_cli']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /contains a password.*PGPASSWORD/s);
    assert.doesNotMatch(refused.stderr, /hunter2/);
  });

  it("keeps a recording's WAV in the database: read back verified, idempotent, never replaced", (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const store = Store.openSite(cluster.url('ws1', 'site_a'), { signing: { dir: scratchDir('sign-') } });
    try {
      const wav = Buffer.alloc(44 + 8000, 7);
      wav.write('RIFF', 0, 'latin1');
      const hash = createHash('sha256').update(wav).digest('hex');
      const nurse = store.users.byUsername('nina')!;
      const patient = store.patients.byMrn('KH-120021')!;
      const rid = store.tx(() =>
        store.recordings.insert({
          patientId: patient.id,
          site: 'trachea',
          deviceName: 'test',
          sampleRate: 4000,
          durationSec: 1,
          fileName: 'audio.wav',
          wavSha256: hash,
          status: 'recorded',
          recordedBy: nurse.id,
          recordedAt: new Date().toISOString(),
        }),
      );
      assert.deepEqual(store.uploadRecordingAudio(rid, wav), { stored: 'now', sha256: hash });
      assert.deepEqual(
        store.uploadRecordingAudio(rid, wav),
        { stored: 'already', sha256: hash },
        'a retry changes nothing',
      );
      assert.ok(store.recordingAudio(rid)?.equals(wav), 'the bytes come back as they went in');
      const other = Buffer.from(wav);
      other[100] = 1;
      assert.throws(() => store.uploadRecordingAudio(rid, other), /does not match the SHA-256 recorded at intake/);
      assert.equal(
        cluster.psql('ws1', 'site_a', `SELECT count(*) FROM recording_audio WHERE recording_id = ${rid}`).stdout.trim(),
        '1',
      );
      const swap = cluster.psql(
        'ws1',
        'site_a',
        `UPDATE recording_audio SET bytes = '\\x00' WHERE recording_id = ${rid}`,
      );
      assert.match(swap.stderr, /permission denied/);
      const ownerSwap = cluster.psql(
        'auscult_owner',
        'site_a',
        `DELETE FROM recording_audio WHERE recording_id = ${rid}`,
      );
      assert.match(ownerSwap.stderr, /cannot be changed/);
    } finally {
      store.close();
    }
  });
});
