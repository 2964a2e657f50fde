/**
 * Stop during the countdown cancels plainly (nothing saved, nothing analysed, nothing left in the
 * in-progress folder), and each user's last device and length are remembered on this workstation
 * (capture.preferences; 20 s before a user's first recording). Real Workstation, real PortAudio
 * path with the virtual ALSA stethoscope.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PortAudioBackend } from '../../src/capture/portaudio-backend.js';
import { DEFAULT_RECORDING_LENGTH } from '../../src/common/recording-lengths.js';
import { openFixture, rejectsWith } from '../service/helpers.js';
import { scratchDir } from '../support/paths.js';
import { tone, virtualAlsa, writeRaw } from '../support/virtual-alsa.js';

test('stop during the countdown cancels: no recording, no analysis, no file; audited as a cancel', async () => {
  const dir = scratchDir('auscult-countdown-');
  writeRaw(join(dir, 'tone.raw'), tone(44100, 120, 150, 0.2));
  const alsa = virtualAlsa([{ name: 'stetho', infile: join(dir, 'tone.raw') }]);
  const fx = await openFixture({
    capture: { backend: new PortAudioBackend({ env: alsa.env }), countdownSec: 30, watchIntervalMs: 60_000 },
  });
  try {
    const p = await fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'CD-1', givenName: 'Ada', familyName: 'Lung' });
    const started = await fx.ws.call(fx.as.nurse, 'capture.start', {
      patientId: p.id,
      site: 'trachea',
      durationSec: 10,
    });
    assert.equal(started.state, 'countdown');
    await rejectsWith(
      fx.ws.call(fx.as.nurse, 'capture.stop', { captureId: started.captureId! }),
      'CONFLICT',
      /^Recording cancelled: nothing was recorded/,
    );
    assert.equal((await fx.ws.call(fx.as.nurse, 'capture.status', {})).state, 'cancelled');
    assert.equal((await fx.ws.call(fx.as.nurse, 'recordings.list', {})).total, 0, 'nothing stored');
    const inProgress = fx.ws.internals.inProgressDir;
    assert.deepEqual(existsSync(inProgress) ? readdirSync(inProgress) : [], [], 'no file left behind');
    const actions = fx.ws.internals.store.audit
      .list({ action: 'capture' }, 10, 0)
      .items.map((e) => e.action)
      .reverse();
    assert.deepEqual(actions, ['capture.start'], 'a refused stop writes no capture.stop');
  } finally {
    await fx.ws.close();
  }
});

test('each user gets back their own last device and length; a new user starts at 20 s', async () => {
  const dir = scratchDir('auscult-prefs-');
  writeRaw(join(dir, 'tone.raw'), tone(44100, 120, 150, 0.2));
  const alsa = virtualAlsa([
    { name: 'stetho_a', infile: join(dir, 'tone.raw') },
    { name: 'stetho_b', infile: join(dir, 'tone.raw') },
  ]);
  const opts = {
    capture: { backend: new PortAudioBackend({ env: alsa.env }), countdownSec: 30, watchIntervalMs: 60_000 },
  };
  const fx = await openFixture(opts);
  try {
    assert.equal(DEFAULT_RECORDING_LENGTH, 20);
    assert.deepEqual(await fx.ws.call(fx.as.nurse, 'capture.preferences', {}), { device: null, durationSec: 20 });
    const p = await fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'PR-1', givenName: 'Ada', familyName: 'Lung' });
    for (const [who, device, durationSec] of [
      ['nurse', 'stetho_b', 10],
      ['nurse2', 'stetho_a', null],
    ] as const) {
      const s = await fx.ws.call(fx.as[who], 'capture.start', {
        patientId: p.id,
        site: 'trachea',
        durationSec,
        device,
      });
      await fx.ws.call(fx.as[who], 'capture.cancel', { captureId: s.captureId! });
    }
    assert.deepEqual(await fx.ws.call(fx.as.nurse, 'capture.preferences', {}), { device: 'stetho_b', durationSec: 10 });
    assert.deepEqual(await fx.ws.call(fx.as.nurse2, 'capture.preferences', {}), {
      device: 'stetho_a',
      durationSec: null,
    });
    await rejectsWith(fx.ws.call(fx.as.auditor, 'capture.preferences', {}), 'FORBIDDEN');
  } finally {
    await fx.ws.close();
  }
});
