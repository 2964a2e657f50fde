/**
 * The only code that touches naudiodon (PortAudio). It runs in a child process started by
 * portaudio-backend.ts (through a ChildLauncher), for three reasons: PortAudio/ALSA can crash or hang when a USB device is
 * pulled (a child is killed, the workstation survives); naudiodon printf()s to stdout, which must
 * stay clean for `auscult record --json`; and ALSA reads ~/.asoundrc at first use, so a child can
 * be given its own HOME (the tests' virtual stethoscope).
 *
 * Protocol (IPC, advanced serialization) — see WorkerRequest / WorkerMessage in portaudio-protocol.ts.
 */
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { parentPort } from './parent-port.js';
import type { WorkerMessage, WorkerRequest, RawDevice } from './portaudio-protocol.js';

interface NaudiodonDevice {
  id: number;
  name: string;
  maxInputChannels: number;
  defaultSampleRate: number;
  hostAPIName: string;
}
interface AudioStream extends Readable {
  start(): void;
  quit(cb?: () => void): Promise<void>;
}
interface Naudiodon {
  getDevices(): NaudiodonDevice[];
  AudioIO: new (opts: { inOptions: Record<string, number | boolean> }) => AudioStream;
  SampleFormat16Bit: number;
}

// child_process.fork (serve, CLI, tests) or Electron's utilityProcess (the app): parent-port.ts.
const port = parentPort();

function send(msg: WorkerMessage, cb?: () => void): void {
  if (!port.connected) process.exit(0);
  port.send(msg, (err) => {
    if (err) process.exit(0); // parent gone
    cb?.();
  });
}

let na: Naudiodon | null = null;
function load(): Naudiodon {
  if (!na) {
    const require = createRequire(import.meta.url);
    na = require('naudiodon') as Naudiodon;
  }
  return na;
}

function listDevices(): RawDevice[] {
  return load()
    .getDevices()
    .filter((d) => d.maxInputChannels > 0)
    .map((d) => ({
      id: d.id,
      name: d.name,
      hostApi: d.hostAPIName,
      maxInputChannels: d.maxInputChannels,
      defaultSampleRate: d.defaultSampleRate,
    }));
}

let stream: AudioStream | null = null;
let outstanding = 0;
const MAX_OUTSTANDING = 32;

function open(req: Extract<WorkerRequest, { type: 'open' }>): void {
  const lib = load();
  // Device indexes shift when devices come and go, and naudiodon silently falls back to the
  // default input for an index out of range: open by name, at the index it has right now.
  const current = lib.getDevices().filter((d) => d.name === req.deviceName && d.maxInputChannels > 0);
  const match = current.find((d) => d.id === req.deviceId) ?? current[0];
  if (!match) {
    send({ type: 'error', phase: 'open', message: `Invalid device: "${req.deviceName}" is not connected` });
    return;
  }
  try {
    stream = new lib.AudioIO({
      inOptions: {
        deviceId: match.id,
        sampleRate: req.sampleRate,
        channelCount: req.channels,
        sampleFormat: lib.SampleFormat16Bit,
        // Status flags (overflow) must not discard the chunk they arrive with: keep the audio.
        closeOnError: false,
        highwaterMark: req.chunkFrames * req.channels * 2,
        // Slack between PortAudio's callback and us, so a busy moment never blocks the device.
        maxQueue: 256,
      },
    });
  } catch (err) {
    send({ type: 'error', phase: 'open', message: (err as Error).message });
    return;
  }
  const s = stream;
  s.removeAllListeners('error'); // naudiodon's own handler only logs
  s.on('error', (err: Error) => send({ type: 'error', phase: 'stream', message: err.message }));
  s.on('data', (buf: Buffer) => {
    outstanding++;
    // Back-pressure only when the parent cannot keep up (a real device would overflow; the
    // faster-than-real-time test device simply waits).
    if (outstanding > MAX_OUTSTANDING) s.pause();
    send({ type: 'data', pcm: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) }, () => {
      outstanding--;
      if (outstanding <= MAX_OUTSTANDING / 2 && s.isPaused()) s.resume();
    });
  });
  s.on('end', () => send({ type: 'end' }, () => process.exit(0)));
  try {
    s.start();
  } catch (err) {
    send({ type: 'error', phase: 'open', message: (err as Error).message });
    return;
  }
  send({ type: 'opened' });
}

port.onParentGone(() => process.exit(0));
// Ctrl-C in a terminal reaches the whole process group: the parent decides when the device stops
// (it drains what was captured); this process ends when told to or when the parent goes away.
process.on('SIGINT', () => undefined);
port.onMessage((raw: unknown) => {
  const req = raw as WorkerRequest;
  try {
    if (req.type === 'list') send({ type: 'devices', devices: listDevices() });
    else if (req.type === 'open') open(req);
    else {
      // 'stop'
      if (!stream) process.exit(0);
      // quit() lets PortAudio's queued chunks drain through 'data' before 'end'.
      void stream.quit();
    }
  } catch (err) {
    send({ type: 'error', phase: req.type === 'list' ? 'list' : 'open', message: (err as Error).message });
  }
});
send({ type: 'ready' });
