/**
 * The device glue: PortAudio through naudiodon, run in a child process (portaudio-worker.ts).
 * Everything above this module sees only the `CaptureBackend` interface, so the pipeline runs
 * the same against a real device and against samples fed directly in tests.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildLauncher, LaunchedChild } from '../common/child-launcher.js';
import { CaptureError } from './errors.js';
import { nodeChildLauncher } from './node-launcher.js';
import type { RawDevice, WorkerMessage, WorkerRequest } from './portaudio-protocol.js';

export type { RawDevice } from './portaudio-protocol.js';

export interface InputHandlers {
  /** Interleaved 16-bit PCM (`channels` per frame) at the opened rate, in arrival order, never dropped. */
  onData(pcm: Int16Array, channels: number): void;
  /** The device went away or stopped delivering; no more data follows. */
  onFault(err: CaptureError): void;
}

export interface OpenedInput {
  readonly sampleRate: number;
  readonly channels: number;
  readonly device: RawDevice;
  /** PortAudio "input overflow" reports seen (audio lost inside the device driver, not by us). */
  readonly overflows: number;
  /** The device process (diagnostics, and fault-injection in tests). */
  readonly pid: number | undefined;
  /** Stop the device, delivering every sample it already captured; resolves when no more data follows. */
  stop(): Promise<void>;
}

export interface OpenOptions {
  /** Rates to try in order; the first the device accepts wins. */
  sampleRates: number[];
  /** Channel counts to try in order (1 first; some hardware only opens in stereo). */
  channels: number[];
  /** Frames per delivered chunk (small = low latency; ~20 ms is the default). */
  chunkMs?: number;
}

export interface CaptureBackend {
  listDevices(): Promise<RawDevice[]>;
  open(device: RawDevice, opts: OpenOptions, handlers: InputHandlers): Promise<OpenedInput>;
  /** Releases the backend (its device process); optional for stand-ins. */
  close?(): void;
}

export interface PortAudioBackendOptions {
  /** Environment for the device process (tests give it a HOME with a virtual ALSA device). */
  env?: NodeJS.ProcessEnv;
  /** No data for this long while open = the device stalled (pulled out, driver hung). */
  stallTimeoutMs?: number;
  /** How long a stop may take before the device process is killed. */
  stopTimeoutMs?: number;
  /** How long listing devices may take. */
  listTimeoutMs?: number;
  /** How the device process is started (default child_process.fork; the app: utilityProcess). */
  launcher?: ChildLauncher;
}

function workerEntry(): { path: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  if (here.endsWith('.ts')) return { path: join(dir, 'portaudio-worker.ts'), execArgv: ['--import', 'tsx'] };
  const js = join(dir, 'portaudio-worker.js');
  if (!existsSync(js))
    throw new CaptureError(
      'BACKEND_UNAVAILABLE',
      `the audio device helper ${js} is missing: rebuild the application (npm run build).`,
    );
  return { path: js, execArgv: [] };
}

/** One device process. Lives for one listing or one open stream. */
class Worker {
  readonly child: LaunchedChild;
  private listeners = new Set<(m: WorkerMessage) => void>();
  private exitListeners = new Set<(code: number | null, signal: string | null) => void>();
  exited = false;
  overflows = 0;
  stderrTail: string[] = [];

  constructor(env: NodeJS.ProcessEnv | undefined, launcher: ChildLauncher) {
    const entry = workerEntry();
    this.child = launcher.launch(entry.path, {
      execArgv: entry.execArgv,
      env: env ?? process.env,
      serviceName: 'Auscult audio device',
    });
    this.child.onMessage((m: unknown) => {
      for (const l of [...this.listeners]) l(m as WorkerMessage);
    });
    this.child.onExit((code, signal) => {
      this.exited = true;
      for (const l of [...this.exitListeners]) l(code, signal);
    });
    // naudiodon printf()s PortAudio status here; count overflows, keep the rest out of our stdout.
    let partial = '';
    const out = new TextDecoder();
    const err = new TextDecoder();
    this.child.onStdout((b) => {
      const text = partial + out.decode(b, { stream: true });
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.includes('input overflow')) this.overflows++;
    });
    this.child.onStderr((b) => {
      for (const line of err.decode(b, { stream: true }).split('\n')) {
        if (line.trim() && !line.startsWith('ALSA lib')) this.stderrTail.push(line);
      }
      if (this.stderrTail.length > 20) this.stderrTail.splice(0, this.stderrTail.length - 20);
    });
  }

  on(l: (m: WorkerMessage) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  onExit(l: (code: number | null, signal: string | null) => void): () => void {
    this.exitListeners.add(l);
    return () => this.exitListeners.delete(l);
  }
  send(req: WorkerRequest): void {
    if (!this.exited && this.child.connected) this.child.send(req);
  }
  /** Wait for the first message matching `pick`, or fail on exit/timeout. */
  waitFor<T>(pick: (m: WorkerMessage) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(
          new CaptureError(
            'BACKEND_UNAVAILABLE',
            `the audio system did not answer while ${what} (waited ${timeoutMs / 1000} s). Unplug and replug the stethoscope, then try again.`,
          ),
        );
      }, timeoutMs);
      const offMsg = this.on((m) => {
        let v: T | undefined;
        try {
          v = pick(m);
        } catch (err) {
          done();
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (v !== undefined) {
          done();
          resolve(v);
        }
      });
      const offExit = this.onExit((code, signal) => {
        done();
        reject(
          new CaptureError(
            'BACKEND_UNAVAILABLE',
            `the audio system stopped while ${what} (exit ${code ?? signal}). ${this.stderrTail.slice(-3).join(' ')}`.trim(),
          ),
        );
      });
      const done = (): void => {
        clearTimeout(timer);
        offMsg();
        offExit();
      };
    });
  }
  kill(): void {
    if (!this.exited) this.child.kill();
  }
}

/** Classify a PortAudio open error into something a nurse can act on. */
function openError(device: RawDevice, message: string): CaptureError {
  if (/unavailable|busy/i.test(message)) {
    return new CaptureError(
      'DEVICE_BUSY',
      `The input "${device.name}" is in use by another program. Close other recording or call software, then try again.`,
    );
  }
  if (/invalid device|no default device/i.test(message)) {
    return new CaptureError(
      'DEVICE_MISSING',
      `The input "${device.name}" is no longer available. Check the stethoscope is plugged in, then refresh the device list.`,
    );
  }
  return new CaptureError(
    'DEVICE_OPEN_FAILED',
    `The input "${device.name}" could not be opened (${message}). Unplug and replug it, or choose another input.`,
  );
}

export class PortAudioBackend implements CaptureBackend {
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly stallTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly listTimeoutMs: number;
  private readonly launcher: ChildLauncher;

  constructor(opts: PortAudioBackendOptions = {}) {
    this.env = opts.env;
    this.launcher = opts.launcher ?? nodeChildLauncher;
    this.stallTimeoutMs = opts.stallTimeoutMs ?? 2000;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 3000;
    this.listTimeoutMs = opts.listTimeoutMs ?? 15000;
  }

  private lister: Worker | null = null;
  private listerIdle: NodeJS.Timeout | null = null;
  private listChain: Promise<unknown> = Promise.resolve();

  /**
   * Input devices, as PortAudio sees them now. One device process is kept for listing and
   * reused while polls keep coming (naudiodon re-initialises PortAudio on every listing, so
   * hot-plugged devices show up); it exits after 10 s without a request.
   */
  listDevices(): Promise<RawDevice[]> {
    const run = this.listChain.then(() => this.listOnce());
    this.listChain = run.catch(() => undefined);
    return run;
  }

  private async listOnce(): Promise<RawDevice[]> {
    if (this.listerIdle) clearTimeout(this.listerIdle);
    let w = this.lister;
    if (!w || w.exited) {
      w = this.lister = new Worker(this.env, this.launcher);
      // An idle lister must not keep a CLI or test process alive.
      w.child.unref();
      try {
        await w.waitFor((m) => (m.type === 'ready' ? true : undefined), this.listTimeoutMs, 'starting');
      } catch (err) {
        w.kill();
        this.lister = null;
        throw err;
      }
    }
    try {
      w.send({ type: 'list' });
      return await w.waitFor(
        (m) => {
          if (m.type === 'devices') return m.devices;
          if (m.type === 'error')
            throw new CaptureError('BACKEND_UNAVAILABLE', `listing audio inputs failed: ${m.message}`);
          return undefined;
        },
        this.listTimeoutMs,
        'listing audio inputs',
      );
    } catch (err) {
      w.kill();
      this.lister = null;
      throw err;
    } finally {
      const current = w;
      this.listerIdle = setTimeout(() => {
        current.kill();
        if (this.lister === current) this.lister = null;
      }, 10_000);
      this.listerIdle.unref();
    }
  }

  /** Stop the listing process now (on shutdown). */
  close(): void {
    if (this.listerIdle) clearTimeout(this.listerIdle);
    this.lister?.kill();
    this.lister = null;
  }

  async open(device: RawDevice, opts: OpenOptions, handlers: InputHandlers): Promise<OpenedInput> {
    const w = new Worker(this.env, this.launcher);
    try {
      await w.waitFor((m) => (m.type === 'ready' ? true : undefined), this.listTimeoutMs, 'starting');
    } catch (err) {
      w.kill();
      throw err;
    }
    // Collect data from the moment a stream may start: several IPC messages can be dispatched in
    // one go, so audio can arrive before the continuation after 'opened' installs the handlers.
    const early: Uint8Array[] = [];
    const offEarly = w.on((m) => {
      if (m.type === 'data') early.push(m.pcm);
    });
    let lastError = '';
    for (const channels of opts.channels) {
      for (const sampleRate of opts.sampleRates) {
        const chunkFrames = Math.max(64, Math.round((sampleRate * (opts.chunkMs ?? 20)) / 1000));
        w.send({ type: 'open', deviceId: device.id, deviceName: device.name, sampleRate, channels, chunkFrames });
        let result: { ok: true } | { ok: false; message: string };
        try {
          result = await w.waitFor(
            (m) =>
              m.type === 'opened'
                ? { ok: true as const }
                : m.type === 'error'
                  ? { ok: false as const, message: m.message }
                  : undefined,
            this.listTimeoutMs,
            `opening "${device.name}"`,
          );
        } catch (err) {
          w.kill();
          throw err;
        }
        if (result.ok) {
          offEarly();
          return this.attach(w, device, sampleRate, channels, handlers, early);
        }
        lastError = result.message;
        // Only a format refusal is worth another layout; busy/missing will not change.
        if (!/sample rate|channel|format not supported/i.test(lastError)) {
          w.kill();
          throw openError(device, lastError);
        }
      }
    }
    w.kill();
    throw openError(device, lastError || 'no supported format');
  }

  private attach(
    w: Worker,
    device: RawDevice,
    sampleRate: number,
    channels: number,
    handlers: InputHandlers,
    early: Uint8Array[],
  ): OpenedInput {
    let stopping = false;
    let finished = false;
    let lastData = Date.now();
    const finish = (): void => {
      finished = true;
      clearInterval(watchdog);
      offMsg();
      offExit();
    };
    const fault = (err: CaptureError): void => {
      if (finished) return;
      finish();
      w.kill();
      handlers.onFault(err);
    };
    const deliver = (bytes: Uint8Array): void => {
      // Copy into an aligned Int16Array (IPC buffers may start at an odd offset).
      const pcm = new Int16Array(bytes.byteLength >> 1);
      new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.byteLength));
      handlers.onData(pcm, channels);
    };
    // Audio that arrived while 'opened' was being handled comes first, in order.
    for (const bytes of early.splice(0)) deliver(bytes);
    const offMsg = w.on((m) => {
      if (finished) return;
      if (m.type === 'data') {
        lastData = Date.now();
        deliver(m.pcm);
      } else if (m.type === 'error') {
        fault(
          new CaptureError(
            'DEVICE_LOST',
            `The stethoscope input "${device.name}" failed (${m.message}). Everything recorded before this was kept.`,
          ),
        );
      } else if (m.type === 'end' && !stopping) {
        fault(
          new CaptureError(
            'DEVICE_LOST',
            `The stethoscope input "${device.name}" closed unexpectedly. Everything recorded before this was kept.`,
          ),
        );
      }
    });
    const offExit = w.onExit((code, signal) => {
      if (!stopping) {
        fault(
          new CaptureError(
            'DEVICE_LOST',
            `The audio device process for "${device.name}" ended unexpectedly (${signal ?? `exit ${code}`}); the stethoscope may have been unplugged. Everything recorded before this was kept.`,
          ),
        );
      }
    });
    const watchdog = setInterval(
      () => {
        if (!stopping && Date.now() - lastData > this.stallTimeoutMs) {
          fault(
            new CaptureError(
              'DEVICE_STALLED',
              `The stethoscope "${device.name}" stopped sending sound for ${(this.stallTimeoutMs / 1000).toFixed(1)} s; it may have been unplugged. Everything recorded before this was kept.`,
            ),
          );
        }
      },
      Math.min(250, this.stallTimeoutMs),
    );
    watchdog.unref();

    return {
      sampleRate,
      channels,
      device,
      get overflows() {
        return w.overflows;
      },
      pid: w.child.pid,
      stop: async () => {
        if (finished) {
          w.kill();
          return;
        }
        stopping = true;
        clearInterval(watchdog);
        w.send({ type: 'stop' });
        // The worker sends 'end' after PortAudio's queue drained, then exits; a hung driver is killed.
        // Wait for 'end' (sent after the last data) or for the IPC channel to close (all messages
        // read), not for 'exit', which can overtake messages still in the pipe.
        const killer = setTimeout(() => w.kill(), this.stopTimeoutMs);
        await new Promise<void>((resolve) => {
          const off = w.on((m) => {
            if (m.type === 'end') {
              off();
              resolve();
            }
          });
          w.child.onDisconnect(() => resolve());
        });
        clearTimeout(killer);
        finish();
        w.kill();
      },
    };
  }
}
