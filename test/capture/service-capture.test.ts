/**
 * The workstation's capture.* commands and events end to end: a real Workstation (SQLite, the
 * recording intake), the real PortAudio device path with the virtual ALSA stethoscope, events
 * as a transport sees them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiEvents, EventName, Patient } from '../../src/service/api.js';
import { PortAudioBackend } from '../../src/capture/portaudio-backend.js';
import { openFixture, rejectsWith, type Fixture } from '../service/helpers.js';
import { scratchDir } from '../support/paths.js';
import { tone, virtualAlsa, writeRaw } from '../support/virtual-alsa.js';

let fx: Fixture;
let patient: Patient;
const events: Array<{ event: EventName; payload: unknown }> = [];

before(async () => {
  const dir = scratchDir('auscult-svc-capture-');
  writeRaw(join(dir, 'tone.raw'), tone(44100, 120, 150, 0.2));
  const alsa = virtualAlsa([{ name: 'stetho', infile: join(dir, 'tone.raw') }]);
  fx = await openFixture({
    capture: {
      backend: new PortAudioBackend({ env: alsa.env, stallTimeoutMs: 1000 }),
      countdownSec: 0,
      watchIntervalMs: 60_000,
    },
  });
  fx.ws.onEvent((env) => events.push({ event: env.event, payload: env.payload }));
  patient = await fx.ws.call(fx.as.nurse, 'patients.create', {
    mrn: 'CAP-1',
    givenName: 'Ada',
    familyName: 'Lung',
  });
});
after(async () => {
  await fx.ws.close();
});

function seen<E extends EventName>(name: E, captureId: string): ApiEvents[E][] {
  return events
    .filter((e) => e.event === name && (e.payload as { captureId?: string }).captureId === captureId)
    .map((e) => e.payload as ApiEvents[E]);
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('capture.devices marks the stethoscope; pinDevice remembers it; auditors may not record', async () => {
  const devices = await fx.ws.call(fx.as.nurse, 'capture.devices', {});
  const stetho = devices.find((d) => d.name === 'stetho');
  assert.ok(stetho?.likelyStethoscope);
  const pinned = await fx.ws.call(fx.as.nurse, 'capture.pinDevice', { name: 'stetho' });
  assert.equal(pinned.find((d) => d.name === 'stetho')?.pinned, true);
  assert.equal((await fx.ws.call(fx.as.nurse, 'capture.devices', {})).find((d) => d.name === 'stetho')?.pinned, true);
  await rejectsWith(
    fx.ws.call(fx.as.auditor, 'capture.start', { patientId: patient.id, site: 'trachea', durationSec: 3 }),
    'FORBIDDEN',
  );
  await rejectsWith(
    fx.ws.call(fx.as.nurse, 'capture.start', { patientId: 999, site: 'trachea', durationSec: 3 }),
    'NOT_FOUND',
  );
  await rejectsWith(
    fx.ws.call(fx.as.nurse, 'capture.start', {
      patientId: patient.id,
      site: 'trachea',
      durationSec: 3,
      device: 'Eko CORE',
    }),
    'DEVICE',
    /not connected|No audio input/,
  );
});

test('capture.start with the patient as the screen shows them: someone else under that id is refused before recording; the same person (case, accents) starts', async () => {
  const dir = fx.ws.internals.inProgressDir;
  const files = () => (existsSync(dir) ? readdirSync(dir).length : 0);
  const before = files();
  await rejectsWith(
    fx.ws.call(fx.as.nurse, 'capture.start', {
      patientId: patient.id,
      site: 'trachea',
      durationSec: 3,
      patientAsShown: { mrn: 'CAP-2', familyName: 'Lung', givenName: 'Ada' },
    }),
    'CONFLICT',
    /^This is not the patient you were shown: this workstation's patient \d+ is MRN CAP-1, but the screen showed MRN CAP-2\. .*nothing was recorded\.$/,
  );
  await rejectsWith(
    fx.ws.call(fx.as.nurse, 'capture.start', {
      patientId: patient.id,
      site: 'trachea',
      durationSec: 3,
      patientAsShown: { mrn: 'CAP-1', familyName: 'Lungo', givenName: 'Ada' },
    }),
    'CONFLICT',
    /\(MRN CAP-1\) has another name than the one the screen showed\. .*nothing was recorded\.$/,
  );
  assert.equal(files(), before, 'nothing was recorded');
  assert.equal((await fx.ws.call(fx.as.nurse, 'capture.status', {})).state, 'idle');
  const started = await fx.ws.call(fx.as.nurse, 'capture.start', {
    patientId: patient.id,
    site: 'trachea',
    durationSec: 3,
    patientAsShown: { mrn: 'CAP-1', familyName: 'LUNG', givenName: 'Adá' },
  });
  await fx.ws.call(fx.as.nurse, 'capture.cancel', { captureId: started.captureId! });
});

test('a 3 s recording: live events, then stored as a recording through the intake', async () => {
  const started = await fx.ws.call(fx.as.nurse, 'capture.start', {
    patientId: patient.id,
    site: 'anterior-left-upper',
    durationSec: 3,
  });
  assert.ok(started.captureId);
  assert.equal(started.deviceName, 'stetho');
  assert.equal(started.sampleRate, 44100, 'opened at the device native rate');
  // The take ends by itself at 3 s; stop then returns what was stored.
  const session = fx.ws.internals.capture.session!;
  await until('the 3 s take to end', () => session.state.state !== 'countdown' && session.state.state !== 'recording');
  const detail = await fx.ws.call(fx.as.nurse, 'capture.stop', { captureId: started.captureId });
  assert.equal(detail.recording.status, 'recorded');
  assert.equal(detail.recording.durationSec, 3);
  assert.equal(detail.recording.sampleRate, 44100);
  assert.equal(detail.recording.deviceName, 'stetho');
  assert.equal(detail.recording.site, 'anterior-left-upper');
  const id = started.captureId;
  assert.ok(
    seen('capture.frames', id).length > 0 &&
      seen('capture.level', id).length > 0 &&
      seen('capture.quality', id).length > 0,
  );
  const states = seen('capture.state', id).map((s) => s.state);
  assert.ok(states.includes('recording') && states.at(-1) === 'done', states.join(' '));
  assert.equal(seen('capture.state', id).at(-1)!.recordingId, detail.recording.id);
  // Never "done" before it is stored: a client acting on "done" (Lock waiting for the take) finds it saved.
  const done = seen('capture.state', id).filter((s) => s.state === 'done');
  assert.ok(done.length > 0 && done.every((s) => s.recordingId === detail.recording.id), JSON.stringify(done));
  const status = await fx.ws.call(fx.as.nurse, 'capture.status', {});
  assert.equal(status.state, 'done');
  assert.deepEqual(readdirSync(fx.ws.internals.inProgressDir), [], 'nothing left in progress');
});

test('the device failing mid-recording: interrupted, kept, stored as interrupted, with a clear error event', async () => {
  const started = await fx.ws.call(fx.as.nurse, 'capture.start', {
    patientId: patient.id,
    site: 'trachea',
    durationSec: null,
  });
  const id = started.captureId!;
  const session = fx.ws.internals.capture.session!;
  await until('recording', () => session.state.state === 'recording' && session.state.elapsedSec > 0.5);
  process.kill(session.devicePid!, 'SIGKILL');
  await until('the recording to be stored', () => seen('capture.state', id).some((s) => s.recordingId !== null));
  const last = seen('capture.state', id).at(-1)!;
  assert.equal(last.state, 'interrupted');
  const interrupted = seen('capture.state', id).filter((s) => s.state === 'interrupted');
  assert.ok(
    interrupted.every((s) => s.recordingId === last.recordingId),
    'reported interrupted only once stored',
  );
  assert.match(last.message ?? '', /kept/);
  const errors = seen('capture.error', id);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, 'DEVICE_LOST');
  const detail = await fx.ws.call(fx.as.nurse, 'recordings.get', { id: last.recordingId! });
  assert.equal(detail.recording.status, 'interrupted');
  assert.ok(detail.recording.durationSec > 0.5);
  assert.deepEqual(readdirSync(fx.ws.internals.inProgressDir), []);
});

test('a second start while a take runs is BUSY; cancel discards: no recording, no file', async () => {
  const before = await fx.ws.call(fx.as.nurse, 'recordings.list', { patientId: patient.id });
  const started = await fx.ws.call(fx.as.nurse, 'capture.start', {
    patientId: patient.id,
    site: 'trachea',
    durationSec: null,
  });
  // Open-ended, so the take is still running whatever the load (a 3 s take from the file device,
  // faster than real time, could end before a second call arrives).
  await rejectsWith(
    fx.ws.call(fx.as.nurse, 'capture.start', { patientId: patient.id, site: 'trachea', durationSec: 3 }),
    'BUSY',
  );
  const cancelled = await fx.ws.call(fx.as.nurse, 'capture.cancel', {
    captureId: started.captureId!,
  });
  assert.equal(cancelled.state, 'cancelled');
  await rejectsWith(fx.ws.call(fx.as.nurse, 'capture.stop', { captureId: started.captureId! }), 'CONFLICT');
  const after = await fx.ws.call(fx.as.nurse, 'recordings.list', { patientId: patient.id });
  assert.equal(after.total, before.total);
  assert.deepEqual(readdirSync(fx.ws.internals.inProgressDir), []);
});
