/**
 * In-app acceptance of a restored older copy (issue 14), on a real database file rolled back
 * behind its signed checkpoint log: the workstation opens it only to say what is missing and to
 * take an administrator's acceptance; everything else is refused and changes nothing; a nurse or
 * a wrong password is refused with a signed line in the signing folder (no audit entry is possible
 * yet), copied into the acceptance entry; a forged line is not; then the history verifies.
 *
 * A database file here; a site database restored from an older dump: site-rollback-in-app.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Workstation, type CallContext } from '../../src/service/workstation.js';
import { signingDir } from '../../src/service/paths.js';
import { fingerprint, openFixture, PASSWORD, rejectsWith } from './helpers.js';

const anon: CallContext = { sessionToken: null, transport: 'http', peer: '127.0.0.1:5000' };

async function rolledBackCopy() {
  const fx = await openFixture();
  await fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'RB-1', givenName: 'Kept', familyName: 'Patient' });
  await fx.ws.close();
  const copy = join(fx.dir, 'older.sqlite');
  copyFileSync(fx.dbPath, copy);
  const ws = await Workstation.open({ dbPath: fx.dbPath, dataDir: fx.dir, engine: null });
  const kept = ws.internals.store.audit.head().seq;
  const nurse: CallContext = { sessionToken: ws.signInLocal('nurse', 'http'), transport: 'http', peer: '127.0.0.1' };
  await ws.call(nurse, 'patients.create', { mrn: 'RB-2', givenName: 'Lost', familyName: 'Patient' });
  const lost = ws.internals.store.audit.head().seq;
  await ws.close();
  for (const f of ['', '-wal', '-shm']) rmSync(fx.dbPath + f, { force: true });
  copyFileSync(copy, fx.dbPath);
  return { ...fx, kept, lost };
}

test('a rolled-back copy: what is missing, who to call; only an administrator accepts; refusals are signed lines copied into the audit', async () => {
  const fx = await rolledBackCopy();
  // Without the offer the copy is refused at open, as before.
  await assert.rejects(
    Workstation.open({ dbPath: fx.dbPath, dataDir: fx.dir, engine: null }),
    /Auscult will not write on it/,
  );

  const ws = await Workstation.open({
    dbPath: fx.dbPath,
    dataDir: fx.dir,
    engine: null,
    offerRollbackAcceptance: true,
  });
  const status = await ws.call(anon, 'system.status', {});
  assert.deepEqual(
    { ...status.rollback, lostCheckpointAt: typeof status.rollback?.lostCheckpointAt },
    {
      keptSeq: fx.kept,
      lostFromSeq: fx.kept + 1,
      lostToSeq: fx.lost,
      lostCheckpointAt: 'string',
      interruptedAcceptance: null,
      refusedAttempts: 0,
      administrators: ['Test admin'],
      site: null,
    },
  );
  const before = fingerprint(ws);
  // Nothing else answers: not a sign-in (it would be an audit entry), not a search.
  await rejectsWith(ws.call(anon, 'auth.signIn', { username: 'admin', password: PASSWORD }), 'STORAGE', /older copy/);
  await rejectsWith(ws.call(anon, 'patients.search', {}), 'STORAGE', /administrator accepts it/);
  // A reason is required; refused before any password is checked, and not recorded.
  await rejectsWith(
    ws.call(anon, 'system.acceptRollback', { username: 'admin', password: PASSWORD, reason: 'ok' }),
    'INVALID_INPUT',
    /Reason/,
  );
  const reason = 'The disk failed; last night’s backup is the newest copy we have.';
  await rejectsWith(
    ws.call(anon, 'system.acceptRollback', { username: 'nurse', password: PASSWORD, reason }),
    'FORBIDDEN',
    /not an administrator.*Nothing was changed; this attempt is recorded/,
  );
  await rejectsWith(
    ws.call(anon, 'system.acceptRollback', { username: 'admin', password: 'a guess', reason }),
    'UNAUTHENTICATED',
    /Wrong user name or password.*Nothing was changed/,
  );
  assert.equal(ws.internals.store.audit.head().seq, fx.kept, 'no audit entry on the copy');
  const dir = signingDir(fx.dir);
  const file = join(
    dir,
    readdirSync(dir).find((f) => f.startsWith('rollback-refusals-'))!,
  );
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => [l['username'], l['reason'], l['transport'], typeof l['sig']]),
    [
      ['nurse', 'not-admin', 'http', 'string'],
      ['admin', 'wrong-password', 'http', 'string'],
    ],
  );
  // A line written without the key (an edited copy of a real one) is not evidence: not copied.
  appendFileSync(file, JSON.stringify({ ...lines[0], username: 'auditor' }) + '\n');
  assert.equal((await ws.call(anon, 'system.status', {})).rollback?.refusedAttempts, 2);
  // The refusals changed nothing but the sign-in throttle's counts.
  assert.equal(fingerprint(ws).replace(/signin_throttle=\d+,/, ''), before.replace(/signin_throttle=\d+,/, ''));

  const r = await ws.call(anon, 'system.acceptRollback', { username: 'admin', password: PASSWORD, reason });
  assert.deepEqual(r, { keptSeq: fx.kept, lostFromSeq: fx.kept + 1, lostToSeq: fx.lost, acceptedBy: 'admin' });
  const entry = ws.internals.store.audit.list({ action: 'audit.rollback-accepted' }, 10, 0).items[0]!;
  assert.equal(entry.seq, fx.kept + 1);
  assert.equal(entry.transport, 'http');
  assert.equal(entry.details['reason'], reason);
  assert.deepEqual(
    (entry.details['refusedAttempts'] as { username: string; reason: string }[]).map((a) => [a.username, a.reason]),
    [
      ['nurse', 'not-admin'],
      ['admin', 'wrong-password'],
    ],
  );
  // From here the workstation is itself again: sign-in works and the history verifies.
  assert.equal((await ws.call(anon, 'system.status', {})).rollback, undefined);
  const s = await ws.call({ ...anon }, 'auth.signIn', { username: 'admin', password: PASSWORD });
  assert.ok(s.token);
  const v = ws.internals.store.verifyAudit();
  assert.ok(v.ok, v.reason ?? '');
  assert.equal(v.acceptedRollbacks?.length, 1);
  await rejectsWith(
    ws.call(anon, 'system.acceptRollback', { username: 'admin', password: PASSWORD, reason }),
    'CONFLICT',
  );
  await ws.close();
});
