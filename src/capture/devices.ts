/**
 * Input devices: listing, recognising the likely stethoscope, pinning one, and noticing when
 * devices come and go.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CaptureBackend, RawDevice } from './portaudio-backend.js';
import { CaptureError } from './errors.js';

export interface CaptureDevice extends RawDevice {
  likelyStethoscope: boolean;
  pinned: boolean;
}

/**
 * Name patterns of USB electronic stethoscopes and the USB audio interfaces/codecs they are
 * commonly wired through. A match only ranks a device first; the nurse (or a pinned setting)
 * has the last word. Sources: the names these devices report over USB Audio Class.
 */
export const STETHOSCOPE_PATTERNS: readonly RegExp[] = [
  /\beko\b/i, // Eko CORE / DUO (USB audio mode)
  /thinklabs/i, // Thinklabs One
  /littmann|\b3m\b/i, // 3M Littmann electronic models
  /stetho/i, // generic "stethoscope" names, e.g. "Digital Stethoscope"
  /riester|welch ?allyn|meditron|cardionics|jabes|ekuore/i, // other electronic stethoscope makers
  /usb audio|usb pnp|usb microphone|usb mic|audio codec|usb sound|c-media|cm108|cm119|pcm29\d\d|snd-usb/i, // USB codecs
];

/** PortAudio/ALSA names that are never a stethoscope, even if they match a codec pattern. */
const NEVER: readonly RegExp[] = [/^(default|sysdefault|pulse|pipewire|dmix|dsnoop|jack)$/i, /monitor/i];

export function isLikelyStethoscope(name: string): boolean {
  if (NEVER.some((re) => re.test(name))) return false;
  return STETHOSCOPE_PATTERNS.some((re) => re.test(name));
}

export interface CaptureSettings {
  /** Device name the user pinned; null = pick automatically. */
  pinnedDevice: string | null;
  /** The device last recorded with, remembered for next time. */
  lastDevice: string | null;
  /** Per user id: the device and length they last recorded with (null length = until stopped). */
  users?: Record<string, UserCaptureSettings>;
}
export interface UserCaptureSettings {
  device: string;
  durationSec: number | null;
}

function userSettings(raw: unknown): Record<string, UserCaptureSettings> {
  const out: Record<string, UserCaptureSettings> = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const u = v as Partial<UserCaptureSettings> | null;
    if (u && typeof u.device === 'string' && (u.durationSec === null || typeof u.durationSec === 'number'))
      out[k] = { device: u.device, durationSec: u.durationSec };
  }
  return out;
}

/** A small JSON settings file (atomic write: temp file + rename). */
export class CaptureSettingsFile {
  constructor(readonly path: string) {}

  read(): CaptureSettings {
    try {
      const raw = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<CaptureSettings>;
      return {
        pinnedDevice: typeof raw.pinnedDevice === 'string' ? raw.pinnedDevice : null,
        lastDevice: typeof raw.lastDevice === 'string' ? raw.lastDevice : null,
        users: userSettings(raw.users),
      };
    } catch {
      return { pinnedDevice: null, lastDevice: null };
    }
  }

  update(patch: Partial<CaptureSettings>): CaptureSettings {
    const next = { ...this.read(), ...patch };
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.path);
    return next;
  }
}

export function describeDevices(raw: RawDevice[], settings: CaptureSettings): CaptureDevice[] {
  return raw.map((d) => ({
    ...d,
    likelyStethoscope: isLikelyStethoscope(d.name),
    pinned: settings.pinnedDevice === d.name,
  }));
}

/**
 * Resolve what the user asked for: a device index (as listed), an exact name, or a unique
 * case-insensitive substring; with nothing asked, the pinned device, then the last used one
 * if present, then the first likely stethoscope, then the first input.
 */
export function chooseDevice(
  devices: CaptureDevice[],
  wanted: string | null | undefined,
  settings: CaptureSettings,
): CaptureDevice {
  if (devices.length === 0) {
    throw new CaptureError(
      'DEVICE_MISSING',
      'No audio input was found. Plug in the stethoscope (or its USB audio adapter) and refresh the device list.',
    );
  }
  if (wanted !== undefined && wanted !== null && wanted !== '') {
    if (/^\d+$/.test(wanted)) {
      const byId = devices.find((d) => d.id === Number(wanted));
      if (byId) return byId;
    }
    const exact = devices.find((d) => d.name === wanted);
    if (exact) return exact;
    const lower = wanted.toLowerCase();
    const partial = devices.filter((d) => d.name.toLowerCase().includes(lower));
    if (partial.length === 1) return partial[0]!;
    if (partial.length > 1) {
      throw new CaptureError(
        'DEVICE_MISSING',
        `"${wanted}" matches several inputs (${partial.map((d) => d.name).join(', ')}). Give the full name or the number from the device list.`,
      );
    }
    throw new CaptureError(
      'DEVICE_MISSING',
      `No audio input called "${wanted}" is connected. Check the stethoscope is plugged in; available inputs: ${devices.map((d) => `${d.id}: ${d.name}`).join(', ')}.`,
    );
  }
  if (settings.pinnedDevice) {
    const pinned = devices.find((d) => d.name === settings.pinnedDevice);
    if (!pinned) {
      throw new CaptureError(
        'DEVICE_MISSING',
        `The pinned stethoscope "${settings.pinnedDevice}" is not connected. Plug it in, or unpin it to use another input.`,
      );
    }
    return pinned;
  }
  return devices.find((d) => d.name === settings.lastDevice) ?? devices.find((d) => d.likelyStethoscope) ?? devices[0]!;
}

export interface DeviceChange {
  devices: CaptureDevice[];
  added: string[];
  removed: string[];
}

/**
 * Polls the device list (PortAudio has no hot-plug notification) and emits 'changed' with the
 * names added and removed. Pause it while recording: probing a device that is open elsewhere
 * can make it drop out of the list, and the session's own watchdog notices a lost device.
 */
export class DeviceWatcher extends EventEmitter<{ changed: [DeviceChange]; error: [Error] }> {
  private timer: NodeJS.Timeout | null = null;
  private known: Set<string> | null = null;
  private busy = false;
  private paused = false;

  constructor(
    private readonly backend: CaptureBackend,
    private readonly settings: () => CaptureSettings,
    readonly intervalMs = 2000,
  ) {
    super();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
    void this.poll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }

  /** One poll; also usable directly (e.g. after a refresh button). */
  async poll(): Promise<DeviceChange | null> {
    if (this.busy || this.paused) return null;
    this.busy = true;
    try {
      const devices = describeDevices(await this.backend.listDevices(), this.settings());
      const names = new Set(devices.map((d) => d.name));
      const before = this.known;
      this.known = names;
      if (!before) return null; // first look: the baseline
      const added = [...names].filter((n) => !before.has(n));
      const removed = [...before].filter((n) => !names.has(n));
      if (added.length === 0 && removed.length === 0) return null;
      const change = { devices, added, removed };
      this.emit('changed', change);
      return change;
    } catch (err) {
      if (this.listenerCount('error') > 0) this.emit('error', err as Error);
      return null;
    } finally {
      this.busy = false;
    }
  }
}
