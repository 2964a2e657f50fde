/** The service end to end on a real SQLite file, without the ONNX engine (analysis is not the point here). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry, FindingLabel } from '../../src/service/api.js';
import { Workstation, type CallContext, type WorkstationOptions } from '../../src/service/workstation.js';
import { scratchDir } from '../support/paths.js';
import {
  ENGINES,
  fingerprint,
  openEngineFixture,
  stopTestClusters,
  PASSWORD,
  rejectsWith,
  signIn,
  wavBytes,
  writeWav,
  type Engine,
  type Fixture,
} from './helpers.js';

after(stopTestClusters);

function lastAudit(fx: { ws: Workstation }, n = 1): AuditEntry[] {
  return [...fx.ws.internals.store.audit.iterate()].slice(-n) as AuditEntry[];
}

/** A clock the test moves by hand (idle expiry, lock-out), from the time the test starts. */
interface HandClock {
  now: () => number;
  advance(ms: number): void;
}

type EngineTestBody = (fx: Fixture, run: { engine: Engine; clock: HandClock }) => Promise<void>;
type FixtureOptions = (clock: HandClock) => Partial<WorkstationOptions>;

/**
 * The test once per engine on a fresh fixture (skipped where PostgreSQL is missing; in CI that
 * fails), its workstation closed afterwards; `opts` may wire the run's hand clock in.
 */
function perEngineWith(name: string, opts: FixtureOptions, body: EngineTestBody): void {
  for (const engine of ENGINES)
    test(`[${engine}] ${name}`, async (t) => {
      let at = Date.now();
      const clock: HandClock = { now: () => at, advance: (ms) => (at += ms) };
      const fx = await openEngineFixture(engine, t, opts(clock));
      if (!fx) return;
      try {
        await body(fx, { engine, clock });
      } finally {
        await fx.ws.close();
      }
    });
}
const perEngine = (name: string, body: EngineTestBody): void => perEngineWith(name, () => ({}), body);

/** The patient most tests need: Ann Lee, registered by the nurse. */
const createAnn = (fx: Fixture) =>
  fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'A', givenName: 'Ann', familyName: 'Lee' });

/** A short test WAV imported for a patient, at the trachea. */
const importWav = (fx: Fixture, as: CallContext, patientId: number, fileName = 'a.wav') =>
  fx.ws.call(as, 'recordings.import', {
    patientId,
    site: 'trachea',
    fileName,
    wavBase64: wavBytes().toString('base64'),
  });

/** A sign-off request: the signer's statement, the meaning 'reviewed-agree', the test password. */
const signOff = (recordingId: number, label: FindingLabel, statement: string) => ({
  recordingId,
  label,
  statement,
  meaning: 'reviewed-agree' as const,
  password: PASSWORD,
});

test('first run: with no users, sign-in explains how to create the first admin', async () => {
  const dir = scratchDir();
  const ws = await Workstation.open({ dbPath: join(dir, 'db.sqlite'), dataDir: dir, engine: null });
  await rejectsWith(
    ws.call({ sessionToken: null, transport: 'ipc' }, 'auth.signIn', { username: 'a', password: 'b' }),
    'UNAUTHENTICATED',
    /auscult users add --role admin/,
  );
  // Without sign-in the status says only what the sign-in page needs: no paths, no details.
  const status = await ws.call({ sessionToken: null, transport: 'ipc' }, 'system.status', {});
  assert.deepEqual(Object.keys(status).sort(), ['detail', 'version']);
  assert.equal(status.detail, null);
  assert.ok(!JSON.stringify(status).includes(dir), 'no path in the public status');
  await ws.close();
});

perEngine(
  `sign-in: wrong password and unknown user fail the same way and are audited; success is audited`,
  async (fx) => {
    const anon = { sessionToken: null, transport: 'http' as const, peer: '127.0.0.1' };
    const a = await rejectsWith(
      fx.ws.call(anon, 'auth.signIn', { username: 'nurse', password: 'wrong' }),
      'UNAUTHENTICATED',
    );
    const b = await rejectsWith(
      fx.ws.call(anon, 'auth.signIn', { username: 'nobody', password: 'wrong' }),
      'UNAUTHENTICATED',
    );
    assert.equal(a.message, b.message, 'no hint which user names exist');
    const [f1, f2] = lastAudit(fx, 2);
    assert.equal(f1!.action, 'auth.login.failed');
    assert.equal(f1!.details['reason'], 'wrong-password');
    assert.equal(f1!.transport, 'http');
    assert.equal(f2!.details['reason'], 'unknown-user');
    const s = await fx.ws.call(anon, 'auth.signIn', { username: 'nurse', password: PASSWORD });
    assert.equal(s.user.role, 'nurse');
    assert.ok(s.token.length >= 32);
    assert.equal(lastAudit(fx)[0]!.action, 'auth.login');
    const who = await fx.ws.call({ ...anon, sessionToken: s.token }, 'auth.whoami', {});
    assert.equal(who.user?.username, 'nurse');
    assert.deepEqual(await fx.ws.call(anon, 'auth.whoami', {}), { user: null });
  },
);

perEngine(
  `nurse records (imports) a patient; views are audited in the same transaction; files are named by the intake`,
  async (fx, { engine }) => {
    const n = fx.as.nurse;
    const patient = await fx.ws.call(n, 'patients.create', {
      mrn: 'MRN-1',
      givenName: 'Ann',
      familyName: 'Lee',
      birthDate: '1950-03-04',
      sex: 'female',
    });
    await rejectsWith(fx.ws.call(n, 'patients.create', { mrn: 'MRN-1', givenName: 'X', familyName: 'Y' }), 'CONFLICT');
    const wav = wavBytes({ rate: 8000, seconds: 2 });
    const detail = await fx.ws.call(n, 'recordings.import', {
      patientId: patient.id,
      site: 'posterior-left-lower',
      fileName: 'Ann Lee.wav',
      wavBase64: wav.toString('base64'),
    });
    assert.equal(detail.analysis, null, 'no engine: stored without analysis');
    assert.equal(detail.recording.status, 'imported');
    assert.equal(detail.recording.sampleRate, 8000);
    assert.equal(detail.recording.durationSec, 2);
    assert.equal(detail.recording.recordedBy, 'nurse');
    assert.equal(detail.recording.wavSha256, createHash('sha256').update(wav).digest('hex'));
    assert.doesNotMatch(detail.recording.fileName, /Ann|Lee/, 'file names never carry patient data');
    if (engine === 'sqlite') assert.deepEqual(readFileSync(join(fx.dir, 'recordings', detail.recording.fileName)), wav);
    // On a site the WAV is uploaded (verified) and the local copy released: it is the site's now.
    else
      assert.equal(
        existsSync(join(fx.dir, 'recordings', detail.recording.fileName)),
        false,
        'the local copy was released after the verified upload',
      );
    const created = lastAudit(fx)[0]!;
    assert.equal(created.action, 'recording.create');
    assert.equal(created.objectId, String(detail.recording.id));
    assert.equal(created.details['analysed'], false);
    assert.ok(typeof created.details['analysisError'] === 'string');

    const headBefore = fx.ws.internals.store.audit.head().seq;
    const got = await fx.ws.call(n, 'recordings.get', { id: detail.recording.id });
    assert.equal(got.recording.id, detail.recording.id);
    const view = lastAudit(fx)[0]!;
    assert.equal(view.seq, headBefore + 1);
    assert.equal(view.action, 'recording.view');
    assert.equal(view.username, 'nurse');
    assert.equal(view.details['peer'], '127.0.0.1');

    const audio = await fx.ws.call(n, 'recordings.audio', { id: detail.recording.id });
    assert.deepEqual(Buffer.from(audio.base64, 'base64'), wav);
    assert.equal(lastAudit(fx)[0]!.action, 'recording.audio');

    const spec = await fx.ws.call(n, 'recordings.spectrogram', { id: detail.recording.id });
    assert.equal(spec.frames, Math.floor((2 * 16000 - 400) / 160) + 1, '2 s at 16 kHz: frames of 400 every 160');
    assert.equal(spec.bandEdgesHz.length, 65);
    const frames = new Float32Array(new Uint8Array(Buffer.from(spec.framesBase64, 'base64')).buffer);
    assert.equal(frames.length, spec.frames * 64);
    assert.ok(frames.every(Number.isFinite));
    // The 200 Hz tone is loudest in the band that holds 200 Hz.
    const mid = frames.subarray(50 * 64, 51 * 64);
    const loudest = mid.indexOf(Math.max(...mid));
    assert.ok(
      spec.bandEdgesHz[Math.max(0, loudest - 1)]! <= 200 && 200 <= spec.bandEdgesHz[loudest + 2]!,
      `band ${loudest}`,
    );
    assert.ok(
      spec.bandEdgesHz.every((e, i) => i === 0 || e > spec.bandEdgesHz[i - 1]!),
      'edges ascend',
    );
    assert.equal(lastAudit(fx)[0]!.action, 'recording.spectrogram');

    const list = await fx.ws.call(n, 'recordings.list', { patientId: patient.id });
    assert.equal(list.total, 1);
    const pg = await fx.ws.call(n, 'patients.get', { id: patient.id });
    assert.equal(pg.recordings.length, 1);
    const found = await fx.ws.call(n, 'patients.search', { query: 'lee' });
    assert.equal(found.items[0]!.recordingCount, 1);
    assert.equal(fx.ws.internals.store.audit.verify().ok, true);

    // A changed WAV is reported, never served.
    writeFileSync(
      join(fx.dir, 'recordings', detail.recording.fileName),
      wavBytes({ rate: 8000, seconds: 2, freq: 999 }),
    );
    await rejectsWith(fx.ws.call(n, 'recordings.audio', { id: detail.recording.id }), 'STORAGE', /SHA-256/);
  },
);

perEngine(`a non-WAV import is refused and leaves nothing behind`, async (fx) => {
  const p = await createAnn(fx);
  const before = fingerprint(fx.ws);
  await rejectsWith(
    fx.ws.call(fx.as.nurse, 'recordings.import', {
      patientId: p.id,
      site: 'trachea',
      fileName: 'x.wav',
      wavBase64: Buffer.from('not a wav at all').toString('base64'),
    }),
    'AUDIO',
    /not a readable WAV/,
  );
  await rejectsWith(importWav(fx, fx.as.nurse, 999, 'x.wav'), 'NOT_FOUND');
  assert.equal(fingerprint(fx.ws), before);
  assert.ok(!existsSync(join(fx.dir, 'recordings')) || readdirSync(join(fx.dir, 'recordings')).length === 0);
});

perEngine(
  `a nurse sees recordings of own patients only; pulmonologists see all; admins see no patient data`,
  async (fx) => {
    const mine = await createAnn(fx);
    const rec = await importWav(fx, fx.as.nurse, mine.id);
    const before = fingerprint(fx.ws);
    await rejectsWith(fx.ws.call(fx.as.nurse2, 'recordings.get', { id: rec.recording.id }), 'FORBIDDEN');
    await rejectsWith(fx.ws.call(fx.as.nurse2, 'recordings.audio', { id: rec.recording.id }), 'FORBIDDEN');
    await rejectsWith(fx.ws.call(fx.as.nurse2, 'patients.update', { id: mine.id, notes: 'x' }), 'FORBIDDEN');
    assert.equal(fingerprint(fx.ws), before);
    const l2 = await fx.ws.call(fx.as.nurse2, 'recordings.list', {});
    assert.equal(l2.total, 0);
    const g2 = await fx.ws.call(fx.as.nurse2, 'patients.get', { id: mine.id });
    assert.equal(g2.recordings.length, 0, 'nurse2 finds the patient but not their recordings');
    // Recording into this patient opens only nurse2's own recording, not the patient's history
    // (issue 14; test/service/ownership.test.ts has the rest of the ownership table).
    await importWav(fx, fx.as.nurse2, mine.id, 'b.wav');
    assert.equal((await fx.ws.call(fx.as.nurse2, 'recordings.list', {})).total, 1);
    await rejectsWith(fx.ws.call(fx.as.nurse2, 'recordings.get', { id: rec.recording.id }), 'FORBIDDEN');
    assert.equal((await fx.ws.call(fx.as.pulmonologist, 'recordings.list', {})).total, 2);
    await rejectsWith(fx.ws.call(fx.as.admin, 'recordings.list', {}), 'FORBIDDEN');
    await rejectsWith(fx.ws.call(fx.as.admin, 'patients.search', {}), 'FORBIDDEN');
  },
);

perEngine(`review and sign-off: a signed recording refuses changes and takes amendments only`, async (fx) => {
  const p = await createAnn(fx);
  const r = await importWav(fx, fx.as.nurse, p.id);
  const id = r.recording.id;
  const q = await fx.ws.call(fx.as.pulmonologist, 'recordings.reviewQueue', {});
  assert.deepEqual(
    q.items.map((x) => x.id),
    [id],
  );
  await rejectsWith(fx.ws.call(fx.as.nurse, 'findings.add', { recordingId: id, text: 'x' }), 'FORBIDDEN');
  await rejectsWith(fx.ws.call(fx.as.nurse, 'recordings.sign', signOff(id, 'healthy', 'x')), 'FORBIDDEN');
  const f = await fx.ws.call(fx.as.pulmonologist, 'findings.add', {
    recordingId: id,
    text: 'Expiratory wheeze',
    label: 'asthma',
  });
  assert.equal(f.isAmendment, false);
  const s = await fx.ws.call(
    fx.as.pulmonologist,
    'recordings.sign',
    signOff(id, 'asthma', 'Reviewed; consistent with asthma.'),
  );
  assert.equal(s.signedBy, 'pulmonologist');
  assert.equal(lastAudit(fx)[0]!.action, 'recording.sign');
  // The entry holds what was signed, not only the label (issue 15).
  assert.equal(lastAudit(fx)[0]!.details['statement'], 'Reviewed; consistent with asthma.');
  assert.equal(lastAudit(fx)[0]!.details['meaning'], 'reviewed-agree');
  const before = fingerprint(fx.ws);
  await rejectsWith(fx.ws.call(fx.as.pulmonologist, 'recordings.sign', signOff(id, 'copd', 'again')), 'SIGNED');
  await rejectsWith(fx.ws.call(fx.as.pulmonologist, 'recordings.reanalyze', { id }), 'SIGNED');
  assert.equal(fingerprint(fx.ws), before);
  const amend = await fx.ws.call(fx.as.pulmonologist, 'findings.add', {
    recordingId: id,
    text: 'Addendum: spirometry confirms.',
  });
  assert.equal(amend.isAmendment, true);
  assert.equal(lastAudit(fx)[0]!.action, 'finding.amend');
  const d = await fx.ws.call(fx.as.pulmonologist, 'recordings.get', { id });
  assert.equal(d.recording.signed, true);
  assert.deepEqual(
    d.findings.map((x) => x.isAmendment),
    [false, true],
  );
  assert.equal(d.signoff?.label, 'asthma');
  assert.equal((await fx.ws.call(fx.as.pulmonologist, 'recordings.reviewQueue', {})).total, 0);
});

perEngineWith(
  `sessions: idle expiry ends the session with an event for that token only; sign-out and deactivation too`,
  (clock) => ({ sessionIdleMs: 15 * 60_000, now: clock.now }),
  async (fx, { clock }) => {
    const events: { event: string; payload: unknown; sessionToken?: string | null }[] = [];
    fx.ws.onEvent((e) => events.push(e));
    const a = await signIn(fx.ws, 'nurse');
    const b = await signIn(fx.ws, 'auditor');
    clock.advance(10 * 60_000);
    await fx.ws.call(b, 'audit.verify', {}); // b stays active
    clock.advance(6 * 60_000); // a: 16 min idle, b: 6 min
    await rejectsWith(fx.ws.call(a, 'patients.search', {}), 'UNAUTHENTICATED', /session has ended/);
    const ended = events.filter((e) => e.event === 'session.ended' && e.sessionToken === a.sessionToken);
    assert.deepEqual(
      ended.map((e) => e.payload),
      [{ reason: 'expired' }],
    );
    assert.ok(!events.some((e) => e.event === 'session.ended' && e.sessionToken === b.sessionToken));
    assert.equal(
      fx.ws.internals.store.audit.list({ action: 'auth.session.expired', username: 'nurse' }, 10, 0).total,
      1,
    );
    assert.equal(fx.ws.isSessionLive(b.sessionToken), true);

    // The periodic sweep ends idle sessions nobody calls with.
    const c = await signIn(fx.ws, 'pulmonologist');
    clock.advance(16 * 60_000);
    fx.ws.internals.sessions.sweep();
    assert.ok(events.some((e) => e.event === 'session.ended' && e.sessionToken === c.sessionToken));
    assert.equal(fx.ws.isSessionLive(b.sessionToken), false);

    const d = await signIn(fx.ws, 'auditor');
    await fx.ws.call(d, 'auth.signOut', {});
    assert.ok(
      events.some(
        (e) =>
          e.event === 'session.ended' &&
          e.sessionToken === d.sessionToken &&
          (e.payload as { reason: string }).reason === 'signed-out',
      ),
    );
    await rejectsWith(fx.ws.call(d, 'audit.verify', {}), 'UNAUTHENTICATED');
    assert.equal(lastAudit(fx)[0]!.action, 'auth.logout');

    const admin = await signIn(fx.ws, 'admin');
    const e = await signIn(fx.ws, 'nurse2');
    await fx.ws.call(admin, 'users.setActive', { username: 'nurse2', active: false });
    assert.ok(
      events.some(
        (x) =>
          x.event === 'session.ended' &&
          x.sessionToken === e.sessionToken &&
          (x.payload as { reason: string }).reason === 'locked',
      ),
    );
    await rejectsWith(fx.ws.call(e, 'patients.search', {}), 'UNAUTHENTICATED');
    assert.deepEqual(await fx.ws.call(e, 'auth.whoami', {}), { user: null });
    await rejectsWith(signIn(fx.ws, 'nurse2'), 'UNAUTHENTICATED', /deactivated/);
  },
);

perEngine(
  `users: admin manages accounts; duplicates and removing the last admin are refused; own password only`,
  async (fx) => {
    const u = await fx.ws.call(fx.as.admin, 'users.create', {
      username: 'newbie',
      displayName: 'New Nurse',
      role: 'nurse',
      password: 'longenough1',
    });
    assert.equal(u.active, true);
    await rejectsWith(
      fx.ws.call(fx.as.admin, 'users.create', {
        username: 'NEWBIE',
        displayName: 'X',
        role: 'nurse',
        password: 'longenough1',
      }),
      'CONFLICT',
    );
    await rejectsWith(
      fx.ws.call(fx.as.admin, 'users.setActive', { username: 'admin', active: false }),
      'CONFLICT',
      /last active administrator/,
    );
    await fx.ws.call(fx.as.nurse, 'users.setPassword', {
      username: 'nurse',
      password: 'a new password',
      currentPassword: PASSWORD,
    });
    await rejectsWith(
      fx.ws.call(fx.as.nurse, 'users.setPassword', { username: 'admin', password: 'hijacked!!' }),
      'FORBIDDEN',
    );
    await rejectsWith(signIn(fx.ws, 'nurse'), 'UNAUTHENTICATED');
    const list = await fx.ws.call(fx.as.admin, 'users.list', {});
    assert.ok(list.some((x) => x.username === 'newbie'));
    assert.ok(!JSON.stringify(list).includes('scrypt'), 'no password hashes leave the service');
  },
);

perEngine(`auditor reads and verifies the audit log; model info explains a missing engine`, async (fx) => {
  await createAnn(fx);
  const page = await fx.ws.call(fx.as.auditor, 'audit.list', { action: 'patient', limit: 10 });
  assert.equal(page.items[0]!.action, 'patient.create');
  const v = await fx.ws.call(fx.as.auditor, 'audit.verify', {});
  assert.equal(v.ok, true);
  const info = await fx.ws.call(fx.as.nurse, 'model.info', {});
  assert.equal(info.card, null);
  assert.ok(info.error && info.error.length > 10);
  assert.match(info.disclaimer, /not a diagnosis/);
});

perEngine(
  `crash recovery: an interrupted WAV is listed, recovered with its metadata, or discarded; paths outside are refused`,
  async (fx) => {
    const p = await createAnn(fx);
    const dir = fx.ws.internals.inProgressDir;
    mkdirSync(dir, { recursive: true });
    writeWav(join(dir, 'cap-1.wav'), { rate: 48000, seconds: 1 });
    writeFileSync(
      join(dir, 'cap-1.json'),
      JSON.stringify({
        patientId: p.id,
        site: 'anterior-right-upper',
        startedAt: '2026-11-20T08:00:00.000Z',
        deviceName: 'Littmann CORE',
        startedBy: 'nurse',
      }),
    );
    writeWav(join(dir, 'cap-2.wav'));
    // Offered to its maker (and admins); a WAV without its sidecar (maker unknown) to admins only.
    assert.deepEqual(
      (await fx.ws.call(fx.as.nurse, 'recordings.pendingRecovery', {})).map((x) => x.path),
      ['cap-1.wav'],
    );
    const pending = await fx.ws.call(fx.as.admin, 'recordings.pendingRecovery', {});
    // Newest first: cap-2 has no sidecar, so its file time (now) stands for when it was recorded.
    assert.deepEqual(
      pending.map((x) => x.path),
      ['cap-2.wav', 'cap-1.wav'],
    );
    assert.equal(pending[1]!.durationSec, 1);
    assert.equal(pending[1]!.site, 'anterior-right-upper');
    assert.equal(pending[1]!.startedAt, '2026-11-20T08:00:00.000Z');
    await rejectsWith(
      fx.ws.call(fx.as.nurse, 'recordings.recover', { path: '../auscult.sqlite', patientId: p.id, site: 'trachea' }),
      'INVALID_INPUT',
    );
    await rejectsWith(fx.ws.call(fx.as.nurse, 'recordings.discardRecovery', { path: '/etc/passwd' }), 'INVALID_INPUT');
    const d = await fx.ws.call(fx.as.nurse, 'recordings.recover', {
      path: 'cap-1.wav',
      patientId: p.id,
      site: 'anterior-right-upper',
    });
    assert.equal(d.recording.status, 'recovered');
    assert.equal(d.recording.recordedAt, '2026-11-20T08:00:00.000Z');
    assert.equal(d.recording.deviceName, 'Littmann CORE');
    await fx.ws.call(fx.as.admin, 'recordings.discardRecovery', { path: 'cap-2.wav' });
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(lastAudit(fx)[0]!.action, 'recording.discard');
  },
);

perEngine(
  `every chest site and role of src/common is accepted by the schema (the store keeps its own CHECK lists)`,
  async (fx) => {
    const { CHEST_SITES } = await import('../../src/common/chest-sites.js');
    const { ROLES } = await import('../../src/common/roles.js');
    const store = fx.ws.internals.store;
    const nurse = store.users.byUsername('nurse')!.id;
    const p = store.tx(() => store.patients.create({ mrn: 'S', givenName: 'S', familyName: 'S', createdBy: nurse }));
    store.tx(() => {
      for (const [i, site] of CHEST_SITES.entries()) {
        store.recordings.insert({
          patientId: p.id,
          site,
          deviceName: 'd',
          sampleRate: 4000,
          durationSec: 1,
          fileName: `s${i}.wav`,
          wavSha256: 'f'.repeat(64),
          status: 'recorded',
          recordedBy: nurse,
          recordedAt: new Date().toISOString(),
        });
      }
      for (const role of ROLES)
        store.users.create({ username: `r-${role}`, displayName: role, role, passwordHash: 'x' });
    });
    assert.throws(
      () =>
        store.tx(() => store.users.create({ username: 'bad', displayName: 'b', role: 'superuser', passwordHash: 'x' })),
      /CHECK constraint failed|violates check constraint/,
    );
  },
);

perEngineWith(
  `five wrong passwords in a row lock the user name out for a minute, audited`,
  (clock) => ({ now: clock.now }),
  async (fx, { clock }) => {
    const anon = { sessionToken: null, transport: 'http' as const };
    for (let i = 0; i < 5; i++)
      await rejectsWith(
        fx.ws.call(anon, 'auth.signIn', { username: 'nurse', password: `guess-${i}` }),
        'UNAUTHENTICATED',
        /Wrong user name/,
      );
    await rejectsWith(
      fx.ws.call(anon, 'auth.signIn', { username: 'NURSE', password: PASSWORD }),
      'UNAUTHENTICATED',
      /Too many wrong passwords/,
    );
    assert.equal(lastAudit(fx)[0]!.details['reason'], 'locked-out');
    clock.advance(61_000);
    const s = await fx.ws.call(anon, 'auth.signIn', { username: 'nurse', password: PASSWORD });
    assert.equal(s.user.username, 'nurse');
  },
);

perEngine(
  `an import with the patient as the screen shows them: someone else under that id is refused and nothing is stored; the same person is imported`,
  async (fx, { engine }) => {
    const n = fx.as.nurse;
    const p = await fx.ws.call(n, 'patients.create', { mrn: 'SHOWN-1', givenName: 'Eva', familyName: 'Nilsson' });
    const recordings = fx.ws.internals.recordingsDir;
    const stored = () => (existsSync(recordings) ? readdirSync(recordings).length : 0);
    const head = fx.ws.internals.store.audit.head().seq;
    const wavBase64 = wavBytes().toString('base64');
    const where = engine === 'postgresql' ? "the site's" : "this workstation's";
    await rejectsWith(
      fx.ws.call(n, 'recordings.import', {
        patientId: p.id,
        site: 'trachea',
        fileName: 'a.wav',
        wavBase64,
        patientAsShown: { mrn: 'SHOWN-2', givenName: 'Eva', familyName: 'Nilsson' },
      }),
      'CONFLICT',
      new RegExp(
        `^This is not the patient you were shown: ${where} patient ${p.id} is MRN SHOWN-1, but the screen showed MRN SHOWN-2\\. .*nothing was stored\\.$`,
      ),
    );
    assert.equal(stored(), 0, 'no file was written');
    assert.equal(fx.ws.internals.store.audit.head().seq, head, 'nothing was audited as stored');
    assert.equal((await fx.ws.call(n, 'recordings.list', { patientId: p.id })).total, 0);
    const d = await fx.ws.call(n, 'recordings.import', {
      patientId: p.id,
      site: 'trachea',
      fileName: 'a.wav',
      wavBase64,
      patientAsShown: { mrn: 'SHOWN-1', givenName: 'eva', familyName: 'NILSSON' },
    });
    assert.equal(d.recording.patientId, p.id);
  },
);
