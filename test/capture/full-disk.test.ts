/**
 * A full disk is an answer, not a crash, on a real small filesystem (a size-limited tmpfs this
 * test mounts): a capture in `serve` stops with a sentence and keeps what was written while the
 * server and every other connection go on; `auscult record` exits non-zero with a message and a
 * valid WAV; an import (CLI and API) says so and leaves no partial file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaptureState, WireEvent } from '../../src/service/api.js';
import { PortAudioBackend } from '../../src/capture/portaudio-backend.js';
import { inspectWav } from '../../src/audio/wav-stream-writer.js';
import { decodeWav } from '../../src/audio/wav-read.js';
import { startLoopbackServer } from '../../src/server/loopback-server.js';
import { Workstation } from '../../src/service/workstation.js';
import { Store } from '../../src/store/index.js';
import { USERS, seedUsers } from '../e2e/seed.js';
import { rejectsWith, wavBytes } from '../service/helpers.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { mountSmallFs } from '../support/small-fs.js';
import { tone, virtualAlsa, writeRaw } from '../support/virtual-alsa.js';
import { WireClient } from '../support/wire-client.js';

function cliArgs(): string[] {
  const compiled = fileURLToPath(import.meta.url).includes(join(PROJECT_ROOT, 'dist'));
  return compiled
    ? [join(PROJECT_ROOT, 'bin', 'auscult.js')]
    : ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];
}

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.filler') continue;
    if (e.isDirectory()) out.push(...files(join(dir, e.name)).map((f) => `${e.name}/${f}`));
    else out.push(e.name);
  }
  return out;
}

const ok = (r: Awaited<ReturnType<WireClient['call']>>): unknown => {
  assert.equal(r.ok, true, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return (r as { result: unknown }).result;
};

test('serve: the disk fills during a capture — that capture stops, kept and stored; the server and the other client go on', async (t) => {
  const small = mountSmallFs(t, 2 * 1024 * 1024);
  if (!small) return;
  const dir = scratchDir('auscult-fulldisk-serve-');
  writeRaw(join(dir, 'tone.raw'), tone(44100, 120, 150, 0.2));
  const alsa = virtualAlsa([{ name: 'stetho', infile: join(dir, 'tone.raw') }]);
  // The database on the ordinary disk, the recordings (and the capture's WAV) on the small one.
  const dbPath = join(dir, 'db.sqlite');
  await seedUsers(dbPath, [USERS.nurse, USERS.doctor]);
  const ws = await Workstation.open({
    dbPath,
    dataDir: small.dir,
    engine: null,
    capture: { backend: new PortAudioBackend({ env: alsa.env }), countdownSec: 0, watchIntervalMs: 60_000 },
  });
  const server = await startLoopbackServer({ workstation: ws, rendererDir: join(dir, 'no-ui') });
  const nurse = await WireClient.open(server.port, server.token);
  const doctor = await WireClient.open(server.port, server.token);
  try {
    ok(await nurse.call('auth.signIn', { username: USERS.nurse.username, password: USERS.nurse.password }));
    ok(await doctor.call('auth.signIn', { username: USERS.doctor.username, password: USERS.doctor.password }));
    const patient = ok(
      await nurse.call('patients.create', { mrn: 'FULL-1', givenName: 'Ada', familyName: 'Disk' }),
    ) as { id: number };
    small.fill(300 * 1024); // about 3.4 s of 44.1 kHz mono 16-bit left
    const started = ok(
      await nurse.call('capture.start', { patientId: patient.id, site: 'trachea', durationSec: null }),
    ) as CaptureState;
    const states = (): CaptureState[] =>
      nurse.events
        .filter((e: WireEvent) => e.event === 'capture.state')
        .map((e) => e.payload as CaptureState)
        .filter((s) => s.captureId === started.captureId);
    // Meanwhile the other client is answered, again and again.
    let probes = 0;
    while (!states().some((s) => s.state === 'interrupted' && s.recordingId !== null)) {
      ok(await doctor.call('auth.whoami', {}));
      probes++;
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(probes < 1200, 'the capture never stopped');
    }
    const last = states().at(-1)!;
    assert.match(
      last.message ?? '',
      /^The disk is full: the recording stopped at \d+\.\d s and the \d+\.\d s recorded were kept/,
    );
    const errors = nurse.events.filter((e) => e.event === 'capture.error').map((e) => e.payload as { code: string });
    assert.deepEqual(
      errors.map((e) => e.code),
      ['STORAGE'],
    );
    assert.equal(server.connections(), 2, 'no connection was dropped');
    ok(await doctor.call('auth.whoami', {}));
    // Kept: stored as an interrupted recording whose WAV holds exactly what the header says.
    const detail = ok(await nurse.call('recordings.get', { id: last.recordingId })) as {
      recording: { id: number; durationSec: number; status: string; fileName: string };
    };
    assert.equal(detail.recording.status, 'interrupted');
    assert.ok(detail.recording.durationSec > 1, `kept ${detail.recording.durationSec} s`);
    const stored = join(small.dir, 'recordings', detail.recording.fileName);
    const info = inspectWav(stored);
    assert.equal(info.needsRepair, false, 'the header describes exactly what is on disk');
    assert.equal(statSync(stored).size, 44 + info.samples * 2);
    const audio = ok(await nurse.call('recordings.audio', { id: detail.recording.id })) as { base64: string };
    const decoded = decodeWav(Buffer.from(audio.base64, 'base64'));
    assert.equal(decoded.samples.length, Math.round(detail.recording.durationSec * 44100));
    // The workstation records again once there is room.
    small.unfill();
    const again = ok(
      await nurse.call('capture.start', { patientId: patient.id, site: 'trachea', durationSec: 3 }),
    ) as CaptureState;
    ok(await nurse.call('capture.stop', { captureId: again.captureId }));
  } finally {
    nurse.close();
    doctor.close();
    await server.close();
    await ws.close();
  }
});

test('auscult record on a full disk: a sentence, exit code 1, and a valid WAV of what was recorded', (t) => {
  const small = mountSmallFs(t, 1024 * 1024);
  if (!small) return;
  const dir = scratchDir('auscult-fulldisk-record-');
  writeRaw(join(dir, 'tone48.raw'), tone(48000, 120, 200, 0.3));
  const alsa = virtualAlsa([{ name: 'stetho', infile: join(dir, 'tone48.raw') }]);
  small.fill(200 * 1024);
  const out = join(small.dir, 'take.wav');
  const r = spawnSync(
    process.execPath,
    [...cliArgs(), 'record', '--device', 'stetho', '--seconds', '30', '--out', out, '--no-analysis'],
    {
      encoding: 'utf8',
      env: { ...alsa.env, AUSCULT_DATA_DIR: join(dir, 'data') },
      cwd: PROJECT_ROOT,
      timeout: 120_000,
    },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /The disk is full: the recording stopped at \d+\.\d s and the \d+\.\d s recorded were kept/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  const info = inspectWav(out);
  assert.equal(info.needsRepair, false, 'the header matches the file');
  assert.ok(info.samples > 48000, `kept ${info.samples} samples`);
  assert.equal(statSync(out).size, 44 + info.samples * 2);
});

test('import on a full disk: CLI and API say so in a sentence and leave no partial or staged file', async (t) => {
  const small = mountSmallFs(t, 1024 * 1024);
  if (!small) return;
  const dir = scratchDir('auscult-fulldisk-import-');
  const dbPath = join(dir, 'db.sqlite');
  await seedUsers(dbPath, [USERS.nurse]);
  const wav = join(dir, 'big.wav');
  writeFileSync(wav, wavBytes({ rate: 16000, seconds: 30 })); // ~960 KB
  small.fill(200 * 1024);
  const r = spawnSync(
    process.execPath,
    [
      ...cliArgs(),
      'import',
      wav,
      '--patient',
      'IMP-1',
      '--create-patient',
      '--given',
      'Ada',
      '--family',
      'Full',
      '--user',
      USERS.nurse.username,
      '--no-analysis',
      '--db',
      dbPath,
      '--data-dir',
      small.dir,
    ],
    // Acting as a user needs that user's password.
    {
      encoding: 'utf8',
      cwd: PROJECT_ROOT,
      timeout: 120_000,
      env: { ...process.env, AUSCULT_PASSWORD: USERS.nurse.password },
    },
  );
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /big\.wav: NOT imported: The disk is full: the recording was not stored, and nothing was left behind/,
  );
  assert.doesNotMatch(r.stderr, /ENOSPC|^\s+at /m);
  assert.deepEqual(files(small.dir), [], 'no .partial, no .upload, no stray WAV');
  const store = Store.open(dbPath);
  assert.equal(store.recordings.list({}, 10, 0).total, 0);
  store.close();

  // The API: the same sentence, nothing left behind either.
  const ws = await Workstation.open({ dbPath, dataDir: small.dir, engine: null });
  try {
    const ctx = { sessionToken: ws.signInLocal(USERS.nurse.username, 'http'), transport: 'http' as const };
    const patient = ws.internals.store.patients.byMrn('IMP-1')!;
    await rejectsWith(
      ws.call(ctx, 'recordings.import', {
        patientId: patient.id,
        site: 'trachea',
        fileName: 'big.wav',
        wavBase64: wavBytes({ rate: 16000, seconds: 30 }).toString('base64'),
      }),
      'STORAGE',
      /^The disk is full: the recording was not stored, and nothing was left behind/,
    );
    assert.deepEqual(files(small.dir), []);
    assert.equal(ws.internals.store.recordings.list({}, 10, 0).total, 0);
  } finally {
    await ws.close();
  }
});
