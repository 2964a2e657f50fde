/**
 * Audit actions are a declared vocabulary (src/common/audit-actions.ts): every command lists the
 * actions it writes, and here each command is run for real and what it appended to the log is
 * checked against its list. An undeclared action (as `capture.pinDevice` once wrote) fails.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIT_ACTIONS, type AuditAction } from '../../src/common/audit-actions.js';
import type { CommandName, ParamsOf, ResultOf } from '../../src/service/api.js';
import type { CallContext } from '../../src/service/workstation.js';
import { REGISTRY } from '../../src/service/registry.js';
import { ENGINES, openEngineFixture, stopTestClusters, PASSWORD, wavBytes, type Fixture } from './helpers.js';
import { newAnalysisFixture } from '../support/analysis-fixtures.js';

after(stopTestClusters);

/** Actions written outside any command: session expiry (the service), backups and history re-analysis (the CLI). */
// The store writes audit.signing.started itself, when a history is first opened with its signing key,
// and audit.rollback-accepted for `auscult restore accept` (and for system.acceptRollback, below).
const WRITTEN_OUTSIDE_COMMANDS: readonly AuditAction[] = [
  'auth.session.expired',
  // a role written outside Auscult ends a live session: test/service/user-seals.test.ts
  'auth.session.role-mismatch',
  'system.backup',
  'history.reanalyze',
  'audit.signing.started',
  'audit.rollback-accepted',
  // `auscult site approve-key` (the CLI, by the site's owner): test/store/pg-key-approval.test.ts
  'site.key.approved',
  // `auscult site outbox` (the CLI, on a site): test/service/site-outbox-admin.test.ts
  'outbox.list',
  'outbox.retry',
  'outbox.discard',
  'outbox.refile',
];

function patientOf(fx: Fixture, recordingId: number): number {
  return fx.ws.internals.store.recordings.get(recordingId)!.patientId;
}

function declared(method: CommandName): readonly string[] {
  return REGISTRY[method].audit ?? [];
}

/** Runs one command and checks what it appended; `settle` waits for work it left running. */
async function checked<K extends CommandName>(
  fx: Fixture,
  seen: Set<string>,
  ctx: CallContext,
  method: K,
  params: ParamsOf<K>,
  settle?: (result: ResultOf<K>) => Promise<void>,
): Promise<ResultOf<K> | null> {
  const store = fx.ws.internals.store;
  const before = store.audit.head().seq;
  let result: ResultOf<K> | null = null;
  try {
    result = await fx.ws.call(ctx, method, params);
    if (settle) await settle(result);
  } catch {
    // A refused command may still audit (a failed sign-in): checked all the same.
  }
  const written = [...store.audit.iterate()].filter((e) => e.seq > before).map((e) => e.action);
  for (const action of written) {
    assert.ok(declared(method).includes(action), `${method} wrote '${action}', which its audit list does not declare`);
    seen.add(action);
  }
  return result;
}

for (const engine of ENGINES)
  test(`[${engine}] every command writes only the audit actions it declares`, async (t) => {
    const fx = await openEngineFixture(engine, t);
    if (!fx) return;
    const seen = new Set<string>();
    const run = <K extends CommandName>(
      ctx: CallContext,
      method: K,
      params: ParamsOf<K>,
      settle?: (r: ResultOf<K>) => Promise<void>,
    ) => checked(fx, seen, ctx, method, params, settle);
    const { nurse, pulmonologist: doctor, auditor, admin } = fx.as;
    try {
      const anon: CallContext = { sessionToken: null, transport: 'http' };
      await run(anon, 'auth.signIn', { username: 'nurse', password: 'wrong password' });
      const session = await run(anon, 'auth.signIn', { username: 'nurse', password: PASSWORD });
      assert.ok(session);
      await run({ ...anon, sessionToken: session.token }, 'auth.signOut', {});
      await run(admin, 'users.create', { username: 'newbie', displayName: 'New', role: 'nurse', password: PASSWORD });
      await run(admin, 'users.setPassword', { username: 'newbie', password: 'another password' });
      await run(admin, 'users.setActive', { username: 'newbie', active: false });
      await run(admin, 'users.setActive', { username: 'newbie', active: true });
      await run(admin, 'users.unlock', { username: 'newbie' });
      await run(admin, 'users.setRole', { username: 'newbie', role: 'auditor' });
      await run(admin, 'users.list', {});
      await run(nurse, 'settings.get', {});
      await run(admin, 'settings.set', { lockAfterSec: 120 });
      const patient = await run(nurse, 'patients.create', { mrn: 'AA-1', givenName: 'Ann', familyName: 'Lee' });
      assert.ok(patient);
      await run(nurse, 'patients.update', { id: patient.id, notes: 'asthma since childhood' });
      await run(nurse, 'patients.search', { query: 'lee' });
      await run(nurse, 'patients.get', { id: patient.id });
      const wavBase64 = wavBytes({ rate: 8000, seconds: 2 }).toString('base64');
      const rec = await run(nurse, 'recordings.import', {
        patientId: patient.id,
        site: 'trachea',
        fileName: 'a.wav',
        wavBase64,
      });
      assert.ok(rec);
      const id = rec.recording.id;
      await run(nurse, 'recordings.list', {});
      await run(doctor, 'recordings.reviewQueue', {});
      await run(nurse, 'recordings.get', { id });
      await run(nurse, 'recordings.audio', { id });
      await run(nurse, 'recordings.spectrogram', { id });
      await run(nurse, 'recordings.reanalyze', { id });
      await run(nurse, 'recordings.pendingRecovery', {});
      await run(doctor, 'findings.add', { recordingId: id, text: 'wheeze, left base' });
      // A current analysis with detected sounds (contract-shaped), so a verdict has an event to judge.
      fx.ws.internals.store.tx(() => fx.ws.internals.store.recordings.addAnalysis(id, newAnalysisFixture('ok')));
      await run(doctor, 'findings.soundVerdict', { recordingId: id, eventIndex: 0, verdict: 'confirmed' });
      await run(doctor, 'recordings.sign', {
        recordingId: id,
        label: 'asthma',
        statement: 'reviewed',
        meaning: 'reviewed-agree',
        password: 'not the password',
      });
      await run(fx.as.nurse2, 'patients.breakGlass', {
        patientId: patientOf(fx, id),
        reason: 'Covering for a colleague tonight.',
      });
      await run(doctor, 'recordings.sign', {
        recordingId: id,
        label: 'asthma',
        statement: 'reviewed',
        meaning: 'reviewed-agree',
        password: PASSWORD,
      });
      await run(doctor, 'findings.add', { recordingId: id, text: 'addendum after sign-off' });
      await run(nurse, 'capture.pinDevice', { name: null });
      await run(auditor, 'audit.list', {});
      await run(auditor, 'audit.verify', {});
      const job = await run(auditor, 'exports.start', { kind: 'analyses', scope: {} }, async (j) => {
        for (let i = 0; i < 500 && fx.ws.internals.exports.jobs.get(j.id)?.state === 'running'; i++)
          await new Promise((r) => setTimeout(r, 10));
      });
      assert.ok(job);
      const done = await run(auditor, 'exports.status', { jobId: job.id });
      assert.equal(done?.state, 'done', JSON.stringify(done));
      await run(auditor, 'exports.list', {});
      const file = done.files[0];
      assert.ok(file, 'the export wrote a file');
      await run(auditor, 'exports.download', { jobId: job.id, file: file.name });
      await run(nurse, 'model.info', {});
      await run(nurse, 'system.status', {});

      // Every declared action was seen being written by some command above, except the ones only
      // a failure path writes (an export that fails or is cancelled, a recording discarded) and
      // re-analysis, which needs an engine (this fixture has none; test/service/engine.test.ts).
      // Capture start/stop/cancel need a device: test/service/ownership.test.ts runs them on the virtual ALSA stethoscope.
      // An accepted rollback needs a rolled-back copy: test/service/rollback-accept-in-app.test.ts.
      const notExercised = [
        'audit.rollback-accepted',
        'export.failed',
        'export.cancelled',
        'recording.discard',
        'recording.reanalyze',
        'capture.start',
        'capture.stop',
        'capture.cancel',
      ];
      const declaredAll = new Set(Object.values(REGISTRY).flatMap((d) => d.audit ?? []));
      for (const a of declaredAll)
        if (!notExercised.includes(a)) assert.ok(seen.has(a), `'${a}' is declared but no command above wrote it`);
    } finally {
      await fx.ws.close();
    }
  });

test('the audit vocabulary has no word nothing writes', () => {
  const declaredAll = new Set<string>([
    ...Object.values(REGISTRY).flatMap((d) => d.audit ?? []),
    ...WRITTEN_OUTSIDE_COMMANDS,
  ]);
  assert.deepEqual(
    AUDIT_ACTIONS.filter((a) => !declaredAll.has(a)),
    [],
    'an action in src/common/audit-actions.ts that no command declares',
  );
});
