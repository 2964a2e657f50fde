/**
 * The role × command table extended with ownership (issue 14 §4, rules in src/service/access.ts):
 * a second nurse, a nurse who imports into a colleague's patient, break-the-glass, capture
 * ownership (through the real PortAudio path with the virtual ALSA stethoscope) and recovery
 * ownership. Every refusal changes nothing (the store's fingerprint is the same before and after).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PortAudioBackend } from '../../src/capture/portaudio-backend.js';
import { scratchDir } from '../support/paths.js';
import { tone, virtualAlsa, writeRaw } from '../support/virtual-alsa.js';
import {
  ENGINES,
  fingerprint,
  openEngineFixture,
  openFixture,
  stopTestClusters,
  rejectsWith,
  wavBytes,
  writeWav,
  type Fixture,
} from './helpers.js';

after(stopTestClusters);

async function patientWithRecording(fx: Fixture) {
  const patient = await fx.ws.call(fx.as.nurse, 'patients.create', {
    mrn: 'OWN-1',
    givenName: 'Ann',
    familyName: 'Lee',
  });
  const rec = await fx.ws.call(fx.as.nurse, 'recordings.import', {
    patientId: patient.id,
    site: 'trachea',
    fileName: 'a.wav',
    wavBase64: wavBytes().toString('base64'),
  });
  return { patient, rec: rec.recording };
}

for (const engine of ENGINES)
  test(`[${engine}] a second nurse: no recording, audio, spectrogram or detail change of a colleague's patient`, async (t) => {
    const fx = await openEngineFixture(engine, t);
    if (!fx) return;
    const { patient, rec } = await patientWithRecording(fx);
    const n2 = fx.as.nurse2;
    const before = fingerprint(fx.ws);
    for (const [method, params] of [
      ['recordings.get', { id: rec.id }],
      ['recordings.audio', { id: rec.id }],
      ['recordings.spectrogram', { id: rec.id }],
      ['patients.update', { id: patient.id, notes: 'x' }],
    ] as const)
      await rejectsWith(fx.ws.callWire(n2, method, params), 'FORBIDDEN');
    assert.equal(fingerprint(fx.ws), before, 'refusals change nothing');
    const g = await fx.ws.call(n2, 'patients.get', { id: patient.id });
    assert.deepEqual([g.recordings.length, g.allRecordingsShown], [0, false]);
    assert.equal((await fx.ws.call(n2, 'recordings.list', {})).total, 0);
    await fx.ws.close();
  });

for (const engine of ENGINES)
  test(`[${engine}] importing into a colleague's patient opens only one's own recording; breaking the glass opens the rest, audited`, async (t) => {
    const fx = await openEngineFixture(engine, t);
    if (!fx) return;
    const { patient, rec } = await patientWithRecording(fx);
    const n2 = fx.as.nurse2;
    const mine = await fx.ws.call(n2, 'recordings.import', {
      patientId: patient.id,
      site: 'trachea',
      fileName: 'b.wav',
      wavBase64: wavBytes().toString('base64'),
    });
    await fx.ws.call(n2, 'recordings.get', { id: mine.recording.id });
    const g = await fx.ws.call(n2, 'patients.get', { id: patient.id });
    assert.deepEqual(
      g.recordings.map((r) => r.id),
      [mine.recording.id],
    );
    assert.equal(g.allRecordingsShown, false);
    // The page can say why: one of the patient's recordings is not shown to her, and no grant yet.
    assert.deepEqual([g.hiddenRecordings, g.breakGlass], [1, null]);
    const before = fingerprint(fx.ws);
    await rejectsWith(fx.ws.call(n2, 'recordings.get', { id: rec.id }), 'FORBIDDEN', /break the glass/);
    await rejectsWith(fx.ws.call(n2, 'recordings.audio', { id: rec.id }), 'FORBIDDEN');
    await rejectsWith(fx.ws.call(n2, 'patients.update', { id: patient.id, notes: 'x' }), 'FORBIDDEN');
    // Break the glass: a reason is required (a short one is refused and changes nothing).
    await rejectsWith(
      fx.ws.call(n2, 'patients.breakGlass', { patientId: patient.id, reason: 'need' }),
      'INVALID_INPUT',
    );
    await rejectsWith(
      fx.ws.call(fx.as.pulmonologist, 'patients.breakGlass', {
        patientId: patient.id,
        reason: 'pulmonologists see all',
      }),
      'FORBIDDEN',
    );
    assert.equal(fingerprint(fx.ws), before);
    const reason = 'Covering the ward tonight; comparing with her earlier recordings.';
    const grant = await fx.ws.call(n2, 'patients.breakGlass', { patientId: patient.id, reason });
    assert.ok(Date.parse(grant.expiresAt) > Date.now());
    await fx.ws.call(n2, 'recordings.get', { id: rec.id });
    const after = await fx.ws.call(n2, 'patients.get', { id: patient.id });
    assert.equal(after.recordings.length, 2);
    // The banner's facts: her reason and when she broke the glass; nothing hidden any more.
    assert.equal(after.hiddenRecordings, 0);
    assert.equal(after.breakGlass?.reason, reason);
    assert.equal(after.breakGlass?.expiresAt, grant.expiresAt);
    assert.ok(Date.parse(after.breakGlass?.grantedAt ?? '') <= Date.now());
    // Visible to auditors: who, which patient, why.
    const seen = await fx.ws.call(fx.as.auditor, 'audit.list', { action: 'patient.break-glass' });
    assert.equal(seen.total, 1);
    assert.equal(seen.items[0]!.username, 'nurse2');
    assert.equal(seen.items[0]!.objectId, String(patient.id));
    assert.equal(seen.items[0]!.details['reason'], reason);
    await fx.ws.close();
  });

test('a live capture belongs to its starter: others cannot see, stop or cancel it; start/stop/cancel are audited', async () => {
  const dir = scratchDir('auscult-own-capture-');
  writeRaw(join(dir, 'tone.raw'), tone(44100, 120, 150, 0.2));
  const alsa = virtualAlsa([{ name: 'stetho', infile: join(dir, 'tone.raw') }]);
  const fx = await openFixture({
    capture: {
      backend: new PortAudioBackend({ env: alsa.env, stallTimeoutMs: 1000 }),
      countdownSec: 0,
      watchIntervalMs: 60_000,
    },
  });
  const p = await fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'CAP-9', givenName: 'Ada', familyName: 'Lung' });
  const started = await fx.ws.call(fx.as.nurse, 'capture.start', {
    patientId: p.id,
    site: 'trachea',
    durationSec: null,
  });
  const id = started.captureId!;
  const other = await fx.ws.call(fx.as.nurse2, 'capture.status', {});
  assert.equal(other.captureId, null, 'no capture id for a stranger');
  assert.equal(other.patientId, null, 'no patient for a stranger');
  assert.match(other.message ?? '', /in use for another user's recording/);
  const before = fingerprint(fx.ws);
  await rejectsWith(fx.ws.call(fx.as.nurse2, 'capture.stop', { captureId: id }), 'NOT_FOUND');
  await rejectsWith(fx.ws.call(fx.as.pulmonologist, 'capture.cancel', { captureId: id }), 'NOT_FOUND');
  await rejectsWith(
    fx.ws.call(fx.as.nurse2, 'capture.start', { patientId: p.id, site: 'trachea', durationSec: 3 }),
    'BUSY',
  );
  assert.equal(fingerprint(fx.ws), before, 'refusals change nothing');
  assert.equal((await fx.ws.call(fx.as.nurse, 'capture.status', {})).captureId, id, 'the starter still has it');
  await new Promise((r) => setTimeout(r, 1200));
  const detail = await fx.ws.call(fx.as.nurse, 'capture.stop', { captureId: id });
  assert.equal(detail.recording.patientId, p.id);
  const second = await fx.ws.call(fx.as.nurse, 'capture.start', {
    patientId: p.id,
    site: 'trachea',
    durationSec: null,
  });
  await fx.ws.call(fx.as.nurse, 'capture.cancel', { captureId: second.captureId! });
  const log = fx.ws.internals.store.audit.list({ action: 'capture' }, 100, 0).items.map((e) => [e.action, e.username]);
  assert.deepEqual(log.reverse(), [
    ['capture.start', 'nurse'],
    ['capture.stop', 'nurse'],
    ['capture.start', 'nurse'],
    ['capture.cancel', 'nurse'],
  ]);
  await fx.ws.close();
});

for (const engine of ENGINES)
  test(`[${engine}] recovery is offered to the maker or an admin, into the patient it was made for`, async (t) => {
    const fx = await openEngineFixture(engine, t);
    if (!fx) return;
    const p = await fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'R-1', givenName: 'Ann', familyName: 'Lee' });
    const q = await fx.ws.call(fx.as.nurse2, 'patients.create', { mrn: 'R-2', givenName: 'Bo', familyName: 'Ek' });
    const dir = fx.ws.internals.inProgressDir;
    mkdirSync(dir, { recursive: true });
    for (const name of ['cap-a', 'cap-b']) {
      writeWav(join(dir, `${name}.wav`), { rate: 8000, seconds: 1 });
      writeFileSync(
        join(dir, `${name}.json`),
        JSON.stringify({
          patientId: p.id,
          site: 'trachea',
          startedAt: new Date().toISOString(),
          deviceName: 'x',
          startedBy: 'nurse',
        }),
      );
    }
    const before = fingerprint(fx.ws);
    assert.deepEqual(
      await fx.ws.call(fx.as.nurse2, 'recordings.pendingRecovery', {}),
      [],
      'not offered to another nurse',
    );
    await rejectsWith(
      fx.ws.call(fx.as.nurse2, 'recordings.recover', { path: 'cap-a.wav', patientId: p.id, site: 'trachea' }),
      'FORBIDDEN',
    );
    await rejectsWith(fx.ws.call(fx.as.nurse2, 'recordings.discardRecovery', { path: 'cap-a.wav' }), 'FORBIDDEN');
    await rejectsWith(
      fx.ws.call(fx.as.nurse, 'recordings.recover', { path: 'cap-a.wav', patientId: q.id, site: 'trachea' }),
      'INVALID_INPUT',
      /only be recovered into that patient/,
    );
    assert.equal(fingerprint(fx.ws), before, 'refusals change nothing');
    assert.ok(existsSync(join(dir, 'cap-a.wav')));
    assert.equal((await fx.ws.call(fx.as.nurse, 'recordings.pendingRecovery', {})).length, 2);
    const mine = await fx.ws.call(fx.as.nurse, 'recordings.recover', {
      path: 'cap-a.wav',
      patientId: p.id,
      site: 'trachea',
    });
    assert.equal(mine.recording.recordedBy, 'nurse');
    // An admin recovers the other on the maker's behalf: it stays the maker's recording.
    const byAdmin = await fx.ws.call(fx.as.admin, 'recordings.recover', {
      path: 'cap-b.wav',
      patientId: p.id,
      site: 'trachea',
    });
    assert.equal(byAdmin.recording.recordedBy, 'nurse');
    await fx.ws.close();
  });
