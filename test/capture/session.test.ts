/**
 * The capture session through the REAL device path: naudiodon -> PortAudio -> ALSA, with a
 * virtual capture device (a `type file` PCM reading a raw fixture) in a temporary HOME given to
 * the device process. The device delivers faster than real time, so nothing here depends on
 * wall-clock pacing; after the fixture's end it repeats stale data, so comparisons stop there.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chooseDevice, describeDevices, type CaptureDevice } from '../../src/capture/devices.js';
import { CaptureError } from '../../src/capture/errors.js';
import { PortAudioBackend } from '../../src/capture/portaudio-backend.js';
import { realPipelineParts } from '../../src/capture/pipeline-parts.js';
import { CaptureSession, type CaptureOutcome } from '../../src/capture/session.js';
import type { FramesEvent } from '../../src/capture/live-pipeline.js';
import { inspectWav, readWavPcm16 } from '../../src/audio/wav-stream-writer.js';
import { batchLogMel } from './fixtures.js';
import { KAUH_DIR, kauhMissing, scratchDir } from '../support/paths.js';
import {
  readRaw,
  soxAvailable,
  soxToRaw,
  tone,
  virtualAlsa,
  writeRaw,
  type VirtualAlsa,
} from '../support/virtual-alsa.js';

const KAUH_FILE = join(KAUH_DIR, 'audio', 'BP1_Asthma,I E W,P L L,70,M.wav');
const lungSkip =
  kauhMissing() || (!existsSync(KAUH_FILE) && `${KAUH_FILE} is missing`) || (!soxAvailable() && 'sox is not installed');

let dir: string;
let alsa: VirtualAlsa;
let backend: PortAudioBackend;
let lung48: Int16Array | null = null;
let longTone: Int16Array;

before(() => {
  dir = scratchDir('auscult-capture-');
  const devices = [];
  if (!lungSkip) {
    soxToRaw(KAUH_FILE, 48000, join(dir, 'lung48.raw'));
    lung48 = readRaw(join(dir, 'lung48.raw'));
    devices.push({ name: 'stetho', infile: join(dir, 'lung48.raw') });
  }
  // 120 s so a recording cut by a fault never reaches the fixture's end.
  longTone = tone(44100, 120, 180, 0.25);
  writeRaw(join(dir, 'tone44.raw'), longTone);
  devices.push({ name: 'usb_audio_tone', infile: join(dir, 'tone44.raw') });
  alsa = virtualAlsa(devices);
  backend = new PortAudioBackend({ env: alsa.env, stallTimeoutMs: 1000 });
});

async function device(name: string): Promise<CaptureDevice> {
  const none = { pinnedDevice: null, lastDevice: null };
  return chooseDevice(describeDevices(await backend.listDevices(), none), name, none);
}

function assertPrefixEqual(actual: Int16Array, expected: Int16Array, what: string): void {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) assert.fail(`${what}: sample ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

test(
  'a fixed 3 s recording of real lung audio: WAV bit-exact at 48 kHz, live frames equal the batch front end',
  { skip: lungSkip },
  async () => {
    const wavPath = join(dir, 'lung.wav');
    const session = new CaptureSession({
      backend,
      device: await device('stetho'),
      wavPath,
      parts: realPipelineParts,
      analyzer: null,
      targetSec: 3,
      sampleRate: 48000,
      maxPendingFrames: 1_000_000, // keep every frame: this test compares them all
    });
    const frames: FramesEvent[] = [];
    const states: string[] = [];
    session.on('frames', (e) => frames.push(e));
    session.on('state', (s) => states.push(s.state));
    await session.start();
    const outcome = (await session.done) as CaptureOutcome;
    assert.equal(outcome.status, 'recorded');
    assert.equal(outcome.sampleRate, 48000);
    assert.equal(outcome.samples, 3 * 48000, 'exactly the requested length');
    assert.deepEqual(
      [...new Set(states)].filter((s) => s !== 'analyzing'),
      ['countdown', 'recording', 'stopping', 'done'],
    );

    const info = inspectWav(wavPath);
    assert.equal(info.needsRepair, false);
    assert.equal(info.sampleRate, 48000);
    const wav = readWavPcm16(wavPath).samples;
    assert.equal(wav.length, 3 * 48000);
    assertPrefixEqual(wav, lung48!, 'WAV vs fixture');

    // Live frames: every published frame equals the batch front end on the same audio.
    const reference = await batchLogMel(wav, 48000);
    const got = frames.flatMap((e) => e.frames.map((row, k) => ({ index: e.firstFrame + k, row })));
    assert.equal(frames.at(-1)!.droppedFrames, 0);
    assert.equal(got.length, reference.frames, 'every frame published once');
    let maxDiff = 0;
    for (const { index, row } of got) {
      for (let b = 0; b < 64; b++) maxDiff = Math.max(maxDiff, Math.abs(row[b]! - reference.data[index * 64 + b]!));
    }
    assert.equal(maxDiff, 0, `live vs batch log-mel max difference ${maxDiff}`);
    assert.equal(outcome.stats.framesEmitted, reference.frames);
  },
);

test('the device process dying mid-recording: interrupted, every sample before the fault kept', async () => {
  const wavPath = join(dir, 'killed-device.wav');
  const session = new CaptureSession({
    backend,
    device: await device('usb_audio_tone'),
    wavPath,
    parts: realPipelineParts,
    analyzer: null,
    targetSec: null,
    sampleRate: 44100,
  });
  const errors: CaptureError[] = [];
  session.on('fault', (e) => errors.push(e));
  let killed = false;
  session.on('state', (s) => {
    if (!killed && s.state === 'recording') {
      killed = true;
      setTimeout(() => process.kill(session.devicePid!, 'SIGKILL'), 30);
    }
  });
  await session.start();
  const outcome = (await session.done) as CaptureOutcome;
  assert.equal(outcome.status, 'interrupted');
  assert.equal(outcome.faultCode, 'DEVICE_LOST');
  assert.match(outcome.message ?? '', /kept/);
  assert.equal(errors.length, 1);
  assert.equal(session.state.state, 'interrupted');
  assert.ok(
    outcome.samples > 0 && outcome.samples < longTone.length,
    `recorded ${outcome.samples} samples before the fault`,
  );
  const wav = readWavPcm16(wavPath).samples;
  assert.equal(wav.length, outcome.samples, 'the WAV holds everything the pipeline received');
  assertPrefixEqual(wav, longTone, 'WAV vs fixture');
});

test('a device that stops delivering (stalled driver): interrupted by the watchdog, nothing lost', async () => {
  const wavPath = join(dir, 'stalled.wav');
  const session = new CaptureSession({
    backend,
    device: await device('usb_audio_tone'),
    wavPath,
    parts: realPipelineParts,
    analyzer: null,
    targetSec: null,
    sampleRate: 44100,
  });
  let stopped = false;
  session.on('state', (s) => {
    if (!stopped && s.state === 'recording') {
      stopped = true;
      setTimeout(() => process.kill(session.devicePid!, 'SIGSTOP'), 30);
    }
  });
  await session.start();
  const outcome = (await session.done) as CaptureOutcome;
  assert.equal(outcome.status, 'interrupted');
  assert.equal(outcome.faultCode, 'DEVICE_STALLED');
  assert.match(outcome.message ?? '', /stopped sending sound/);
  const wav = readWavPcm16(wavPath).samples;
  assert.equal(wav.length, outcome.samples);
  assert.ok(wav.length > 0);
  assertPrefixEqual(wav, longTone, 'WAV vs fixture');
});

test('stop keeps, cancel discards; a missing device is a clear error at open', async () => {
  const keepPath = join(dir, 'kept.wav');
  const s1 = new CaptureSession({
    backend,
    device: await device('usb_audio_tone'),
    wavPath: keepPath,
    parts: realPipelineParts,
    analyzer: null,
    targetSec: null,
    sampleRate: 44100,
  });
  await s1.start();
  await new Promise((r) => setTimeout(r, 100));
  const kept = (await s1.stop()) as CaptureOutcome;
  assert.equal(kept.status, 'recorded');
  assert.ok(kept.samples > 0);
  assert.equal(readWavPcm16(keepPath).samples.length, kept.samples);
  assertPrefixEqual(readWavPcm16(keepPath).samples, longTone, 'stopped WAV vs fixture');

  const cancelPath = join(dir, 'cancelled.wav');
  const s2 = new CaptureSession({
    backend,
    device: await device('usb_audio_tone'),
    wavPath: cancelPath,
    parts: realPipelineParts,
    analyzer: null,
    targetSec: 30,
    sampleRate: 44100,
    countdownSec: 1,
  });
  const started = s2.start();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(s2.state.state, 'countdown');
  await s2.cancel();
  await started;
  assert.equal(await s2.done, null);
  assert.equal(s2.state.state, 'cancelled');
  assert.equal(existsSync(cancelPath), false, 'a cancelled recording leaves no file');

  const ghost = {
    id: 0,
    name: 'unplugged_eko',
    hostApi: 'ALSA',
    maxInputChannels: 1,
    defaultSampleRate: 48000,
    likelyStethoscope: true,
    pinned: false,
  };
  const s3 = new CaptureSession({
    backend,
    device: ghost,
    wavPath: join(dir, 'ghost.wav'),
    parts: realPipelineParts,
    analyzer: null,
    targetSec: 3,
  });
  await assert.rejects(
    s3.start(),
    (e: unknown) => e instanceof CaptureError && e.code === 'DEVICE_MISSING' && /plugged in/.test(e.message),
  );
  assert.equal(s3.state.state, 'error');
  assert.equal(existsSync(join(dir, 'ghost.wav')), false);
});
