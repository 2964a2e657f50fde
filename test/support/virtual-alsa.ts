/**
 * A virtual ALSA capture device for tests: a temporary HOME whose ~/.asoundrc defines
 * `type file` PCMs (slave null) reading raw 16-bit LE mono PCM from a fixture. PortAudio lists
 * each as an ALSA input. Facts found on this machine: the device delivers far faster than real
 * time, and after the end of `infile` it keeps delivering stale data (the last partial period
 * repeated) rather than erroring, so tests compare only the part before EOF. An infile that is
 * a FIFO stalls the device when the writer stops writing (a stand-in for a pulled plug), and a
 * read the FIFO cannot fill whole is padded with stale frames (measured: a writer paced at real
 * time garbled a 440 Hz tone; one that keeps the pipe full inserted 446 stale samples in 120 s).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './paths.js';

export interface VirtualDeviceSpec {
  name: string;
  /** Raw PCM file (or FIFO): signed 16-bit little-endian mono at whatever rate it is opened. */
  infile: string;
}

export interface VirtualAlsa {
  home: string;
  /** process.env with HOME pointing at the virtual setup (give it to the device process). */
  env: NodeJS.ProcessEnv;
  /** Rewrite ~/.asoundrc (e.g. to make a device appear or vanish). */
  setDevices(devices: VirtualDeviceSpec[]): void;
}

function asoundrc(devices: VirtualDeviceSpec[]): string {
  return devices
    .map((d) => `pcm.${d.name} { type file; slave.pcm "null"; file "/dev/null"; infile "${d.infile}"; format "raw" }\n`)
    .join('');
}

export function virtualAlsa(devices: VirtualDeviceSpec[], home = scratchDir('auscult-alsa-')): VirtualAlsa {
  mkdirSync(home, { recursive: true });
  const v: VirtualAlsa = {
    home,
    env: { ...process.env, HOME: home },
    setDevices(list) {
      writeFileSync(join(home, '.asoundrc'), asoundrc(list));
    },
  };
  v.setDevices(devices);
  return v;
}

export function writeRaw(path: string, samples: Int16Array): void {
  writeFileSync(path, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
}

export function readRaw(path: string): Int16Array {
  const b = readFileSync(path);
  const out = new Int16Array(b.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(i * 2);
  return out;
}

/** A sine tone with a little noise-free harmonic content, 16-bit. */
export function tone(sampleRate: number, seconds: number, freqHz = 220, amplitude = 0.3): Int16Array {
  const n = Math.round(sampleRate * seconds);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const v = amplitude * (0.8 * Math.sin(2 * Math.PI * freqHz * t) + 0.2 * Math.sin(2 * Math.PI * 3 * freqHz * t));
    out[i] = Math.round(v * 32767);
  }
  return out;
}

export function soxAvailable(): boolean {
  return spawnSync('sox', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** Resample a WAV to raw 16-bit mono at `rate` with sox; returns the raw file's path. */
export function soxToRaw(srcWav: string, rate: number, outRaw: string): string {
  const r = spawnSync(
    'sox',
    ['-V1', srcWav, '-r', String(rate), '-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1', '-L', outRaw],
    { encoding: 'utf8' },
  );
  if (r.status !== 0 || !existsSync(outRaw)) throw new Error(`sox failed on ${srcWav}: ${r.stderr}`);
  return outRaw;
}

/**
 * A FIFO kept full with `raw`, looping: use it as a device's `infile` where a test must hear the
 * source for as long as it records, whatever the machine's speed (a plain file is read far faster
 * than real time, and on a fast machine a countdown alone used up ten minutes of it). `stop()`
 * ends the writer; it also ends on its own when the test process does.
 */
export function loopingFifo(raw: string, fifo: string): { path: string; stop(): void } {
  const made = spawnSync('mkfifo', [fifo], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`mkfifo ${fifo} failed: ${made.stderr}`);
  const writer: ChildProcess = spawn(
    process.execPath,
    [new URL('./fifo-loop-writer.js', import.meta.url).pathname, fifo, raw, String(process.pid)],
    { stdio: 'ignore' },
  );
  return { path: fifo, stop: () => void writer.kill('SIGKILL') };
}
