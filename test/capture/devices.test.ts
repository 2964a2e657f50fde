import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import {
  CaptureSettingsFile,
  chooseDevice,
  describeDevices,
  DeviceWatcher,
  isLikelyStethoscope,
  type DeviceChange,
} from '../../src/capture/devices.js';
import { CaptureError } from '../../src/capture/errors.js';
import { PortAudioBackend, type RawDevice } from '../../src/capture/portaudio-backend.js';
import { scratchDir } from '../support/paths.js';
import { tone, virtualAlsa, writeRaw } from '../support/virtual-alsa.js';

test('stethoscope name patterns: makers and USB codecs, not system mixers', () => {
  for (const name of [
    'Eko CORE Digital Stethoscope',
    'Thinklabs One',
    '3M Littmann Model 3200',
    'USB Audio Device: - (hw:1,0)',
    'C-Media USB Headphone Set',
    'USB PnP Sound Device',
    'stetho',
  ]) {
    assert.equal(isLikelyStethoscope(name), true, name);
  }
  for (const name of [
    'default',
    'pulse',
    'HDA Intel PCH: ALC3246 Analog (hw:0,0)',
    'Monitor of USB Audio',
    'sysdefault',
  ]) {
    assert.equal(isLikelyStethoscope(name), false, name);
  }
});

test('choosing a device: index, exact, unique substring, pinned, remembered, likely, clear errors', () => {
  const raw: RawDevice[] = [
    {
      id: 0,
      name: 'HDA Intel PCH: ALC3246 Analog (hw:0,0)',
      hostApi: 'ALSA',
      maxInputChannels: 2,
      defaultSampleRate: 44100,
    },
    {
      id: 3,
      name: 'Thinklabs One: USB Audio (hw:2,0)',
      hostApi: 'ALSA',
      maxInputChannels: 1,
      defaultSampleRate: 48000,
    },
    { id: 4, name: 'USB PnP Sound Device (hw:3,0)', hostApi: 'ALSA', maxInputChannels: 1, defaultSampleRate: 48000 },
  ];
  const none = { pinnedDevice: null, lastDevice: null };
  const devs = describeDevices(raw, none);
  assert.equal(chooseDevice(devs, '3', none).name, raw[1]!.name);
  assert.equal(chooseDevice(devs, 'thinklabs', none).id, 3);
  assert.equal(chooseDevice(devs, null, none).id, 3, 'first likely stethoscope');
  assert.equal(chooseDevice(devs, null, { pinnedDevice: null, lastDevice: raw[2]!.name }).id, 4, 'remembered choice');
  assert.equal(
    chooseDevice(describeDevices(raw, { pinnedDevice: raw[0]!.name, lastDevice: null }), null, {
      pinnedDevice: raw[0]!.name,
      lastDevice: null,
    }).id,
    0,
  );
  assert.throws(
    () => chooseDevice(devs, 'hw:', none),
    (e: unknown) => e instanceof CaptureError && e.code === 'DEVICE_MISSING' && /several/.test(e.message),
  );
  assert.throws(
    () => chooseDevice(devs, 'Eko', none),
    (e: unknown) => e instanceof CaptureError && e.code === 'DEVICE_MISSING' && /Thinklabs One/.test(e.message),
  );
  assert.throws(
    () => chooseDevice(devs, null, { pinnedDevice: 'Eko DUO', lastDevice: null }),
    (e: unknown) => e instanceof CaptureError && /pinned/.test(e.message),
  );
  assert.throws(
    () => chooseDevice([], null, none),
    (e: unknown) => e instanceof CaptureError && /Plug in/.test(e.message),
  );
});

test('settings file remembers the pinned device', () => {
  const s = new CaptureSettingsFile(join(scratchDir(), 'sub', 'capture-settings.json'));
  assert.deepEqual(s.read(), { pinnedDevice: null, lastDevice: null });
  s.update({ pinnedDevice: 'Thinklabs One' });
  s.update({ lastDevice: 'USB PnP' });
  assert.deepEqual(new CaptureSettingsFile(s.path).read(), {
    pinnedDevice: 'Thinklabs One',
    lastDevice: 'USB PnP',
    users: {},
  });
  writeFileSync(s.path, '{ not json');
  assert.deepEqual(
    s.read(),
    { pinnedDevice: null, lastDevice: null },
    'a damaged settings file falls back to automatic choice',
  );
});

test('PortAudio lists the virtual ALSA stethoscope; the watcher reports it appearing and vanishing', async () => {
  const dir = scratchDir();
  const raw = join(dir, 'tone.raw');
  writeRaw(raw, tone(48000, 0.5));
  const v = virtualAlsa([{ name: 'stetho', infile: raw }]);
  const backend = new PortAudioBackend({ env: v.env });
  const list = await backend.listDevices();
  const stetho = list.find((d) => d.name === 'stetho');
  assert.ok(stetho, `stetho listed (got ${list.map((d) => d.name).join(', ')})`);
  assert.equal(stetho.hostApi, 'ALSA');
  assert.ok(stetho.maxInputChannels >= 1);
  assert.ok(
    describeDevices(list, { pinnedDevice: null, lastDevice: null }).find((d) => d.name === 'stetho')?.likelyStethoscope,
  );

  const watcher = new DeviceWatcher(backend, () => ({ pinnedDevice: null, lastDevice: null }), 60_000);
  const seen: DeviceChange[] = [];
  watcher.on('changed', (c) => seen.push(c));
  assert.equal(await watcher.poll(), null, 'first poll is the baseline');
  v.setDevices([
    { name: 'stetho', infile: raw },
    { name: 'eko_core', infile: raw },
  ]);
  const added = await watcher.poll();
  assert.deepEqual(added?.added, ['eko_core']);
  assert.deepEqual(added?.removed, []);
  v.setDevices([{ name: 'eko_core', infile: raw }]);
  const removed = await watcher.poll();
  assert.deepEqual(removed?.removed, ['stetho']);
  assert.equal(seen.length, 2);
  watcher.stop();
});
