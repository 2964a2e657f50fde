/**
 * A pulmonologist confirms or rejects each detected sound (issue 12 §5): through the real service
 * on a real SQLite file. Stored with the event's type and times, audited, shown with the current
 * analysis only; refused for other roles, for an event that does not exist and for a withheld
 * analysis, with nothing changed; after sign-off an amendment; the table is append-only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newAnalysisFixture } from '../support/analysis-fixtures.js';
import { fingerprint, openFixture, PASSWORD, rejectsWith, wavBytes, type Fixture } from './helpers.js';

let fx: Fixture;
let okId = 0;
let withheldId = 0;

before(async () => {
  fx = await openFixture();
  const p = await fx.ws.call(fx.as.pulmonologist, 'patients.create', {
    mrn: 'SV-1',
    givenName: 'Sami',
    familyName: 'Verdict',
  });
  const store = fx.ws.internals.store;
  for (const kind of ['ok', 'withheld'] as const) {
    const d = await fx.ws.call(fx.as.pulmonologist, 'recordings.import', {
      patientId: p.id,
      site: 'trachea',
      fileName: `${kind}.wav`,
      wavBase64: wavBytes({ seconds: 12 }).toString('base64'),
    });
    store.tx(() => store.recordings.addAnalysis(d.recording.id, newAnalysisFixture(kind)));
    if (kind === 'ok') okId = d.recording.id;
    else withheldId = d.recording.id;
  }
});
after(async () => {
  await fx.ws.close();
});

test('confirm and reject detected sounds: stored, audited, the last verdict per event shown', async () => {
  const before = await fx.ws.call(fx.as.pulmonologist, 'recordings.get', { id: okId });
  const events = before.analysis!.sounds!.events;
  assert.equal(events.length, 2);
  assert.deepEqual(before.soundVerdicts, []);

  const v1 = await fx.ws.call(fx.as.pulmonologist, 'findings.soundVerdict', {
    recordingId: okId,
    eventIndex: 0,
    verdict: 'confirmed',
  });
  assert.equal(v1.type, 'wheeze');
  assert.equal(v1.startSec, events[0]!.startSec);
  assert.equal(v1.endSec, events[0]!.endSec);
  assert.equal(v1.author, 'pulmonologist');
  assert.equal(v1.isAmendment, false);
  await fx.ws.call(fx.as.pulmonologist, 'findings.soundVerdict', {
    recordingId: okId,
    eventIndex: 1,
    verdict: 'rejected',
  });
  await fx.ws.call(fx.as.pulmonologist, 'findings.soundVerdict', {
    recordingId: okId,
    eventIndex: 0,
    verdict: 'rejected',
  });

  const d = await fx.ws.call(fx.as.pulmonologist, 'recordings.get', { id: okId });
  assert.deepEqual(
    d.soundVerdicts.map((v) => [v.eventIndex, v.verdict]),
    [
      [0, 'confirmed'],
      [1, 'rejected'],
      [0, 'rejected'],
    ],
    'every verdict is kept, in order (the UI shows the last per event)',
  );
  const entries = [...fx.ws.internals.store.audit.iterate()].filter((e) => e.action === 'finding.sound-verdict');
  assert.equal(entries.length, 3);
  assert.equal(entries[0]!.objectId, String(okId));
  assert.deepEqual(
    { ...entries[0]!.details, verdictId: undefined, peer: undefined },
    {
      verdictId: undefined,
      peer: undefined,
      analysisId: v1.analysisId,
      type: 'wheeze',
      eventIndex: 0,
      startSec: events[0]!.startSec,
      endSec: events[0]!.endSec,
      verdict: 'confirmed',
      amendment: false,
    },
  );
});

test('refused with nothing changed: a nurse, a missing event, a withheld analysis, bad input', async () => {
  const was = fingerprint(fx.ws);
  await rejectsWith(
    fx.ws.call(fx.as.nurse, 'findings.soundVerdict', { recordingId: okId, eventIndex: 0, verdict: 'confirmed' }),
    'FORBIDDEN',
  );
  await rejectsWith(
    fx.ws.call(fx.as.pulmonologist, 'findings.soundVerdict', {
      recordingId: okId,
      eventIndex: 7,
      verdict: 'confirmed',
    }),
    'NOT_FOUND',
    /no detected sound number 8/,
  );
  await rejectsWith(
    fx.ws.call(fx.as.pulmonologist, 'findings.soundVerdict', {
      recordingId: withheldId,
      eventIndex: 0,
      verdict: 'confirmed',
    }),
    'NOT_FOUND',
  );
  await rejectsWith(
    fx.ws.call(fx.as.pulmonologist, 'findings.soundVerdict', {
      recordingId: okId,
      eventIndex: -1,
      verdict: 'confirmed',
    }),
    'INVALID_INPUT',
  );
  await rejectsWith(
    fx.ws.call(fx.as.pulmonologist, 'findings.soundVerdict', {
      recordingId: okId,
      eventIndex: 0,
      verdict: 'maybe' as 'confirmed',
    }),
    'INVALID_INPUT',
  );
  assert.equal(fingerprint(fx.ws), was);
});

test('after sign-off a verdict is an amendment; the table takes no UPDATE or DELETE', async () => {
  await fx.ws.call(fx.as.pulmonologist, 'recordings.sign', {
    recordingId: okId,
    label: 'asthma',
    statement: 'Reviewed.',
    meaning: 'reviewed-agree',
    password: PASSWORD,
  });
  const v = await fx.ws.call(fx.as.pulmonologist, 'findings.soundVerdict', {
    recordingId: okId,
    eventIndex: 1,
    verdict: 'confirmed',
  });
  assert.equal(v.isAmendment, true);
  const db = fx.ws.internals.store.db;
  assert.throws(() => db.prepare("UPDATE sound_verdicts SET verdict = 'confirmed'").run(), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM sound_verdicts').run(), /append-only/);
  assert.throws(
    () =>
      db
        .prepare(
          `INSERT INTO sound_verdicts (recording_id, analysis_id, sound_type, event_index, start_sec, end_sec, verdict, author_id, created_at, is_amendment)
           VALUES (?, ?, 'wheeze', 0, 1, 2, 'confirmed', 1, '2026-01-01T00:00:00Z', 0)`,
        )
        .run(okId, v.analysisId),
    /must be amendments/,
  );
});
