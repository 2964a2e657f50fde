/**
 * Crash recovery of recordings. While capturing, the in-progress folder holds `<name>.wav`
 * (the crash-safe streamed WAV) and `<name>.json` (RecoveryMeta: who/what it is). A clean end
 * removes both (after the intake stored the WAV). Anything still there at start-up was cut short
 * by a crash or power loss and is offered for recovery: the WAV is repaired (header sizes made
 * to match the whole samples on disk) and handed to the intake like any recording.
 */
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { inspectWav, repairWav, WavFileError } from '../audio/wav-stream-writer.js';
import { inspectSealedFile, isSealedFile, SealedFileError } from '../audio/sealed-file.js';
import { CaptureError } from './errors.js';

export interface RecoveryMeta {
  captureId: string;
  startedAt: string; // ISO 8601
  patientId: number | null;
  site: string | null;
  deviceName: string;
  sampleRate: number;
  /** Username of who started the recording (for the audit trail on recovery). */
  startedBy: string | null;
}

export interface PendingRecoveryInfo {
  path: string;
  bytes: number;
  durationSec: number;
  startedAt: string;
  patientId: number | null;
  site: string | null;
  meta: RecoveryMeta | null;
}

export function metaPathFor(wavPath: string): string {
  return wavPath.replace(/\.wav$/i, '') + '.json';
}

export function writeRecoveryMeta(wavPath: string, meta: RecoveryMeta): void {
  const path = metaPathFor(wavPath);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

export function readRecoveryMeta(wavPath: string): RecoveryMeta | null {
  try {
    return JSON.parse(readFileSync(metaPathFor(wavPath), 'utf8')) as RecoveryMeta;
  } catch {
    return null;
  }
}

/** Remove a recording's in-progress files (after intake, after cancel, or on discard). */
export function removeInProgress(wavPath: string): void {
  rmSync(wavPath, { force: true });
  rmSync(metaPathFor(wavPath), { force: true });
}

/** WAVs left in `dir` by an interrupted session, newest first. `skip`: paths being recorded now. */
export function findPendingRecoveries(dir: string, skip: ReadonlySet<string> = new Set()): PendingRecoveryInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: PendingRecoveryInfo[] = [];
  for (const name of names) {
    if (!name.toLowerCase().endsWith('.wav')) continue;
    const path = join(dir, name);
    if (skip.has(resolve(path))) continue;
    let info: { fileBytes: number; durationSec: number };
    try {
      info = inspectCapture(path);
    } catch {
      continue; // not even a WAV header: nothing to recover (left for an admin to inspect)
    }
    const meta = readRecoveryMeta(path);
    out.push({
      path: resolve(path),
      bytes: info.fileBytes,
      durationSec: info.durationSec,
      // Without its sidecar, the file's last write is the best guess of when it was recorded.
      startedAt: meta?.startedAt ?? statSync(path).mtime.toISOString(),
      patientId: meta?.patientId ?? null,
      site: meta?.site ?? null,
      meta,
    });
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/** A client-supplied path must name a WAV directly inside the in-progress folder. */
export function checkInProgressPath(dir: string, path: string): string {
  const full = resolve(path);
  if (dirname(full) !== resolve(dir) || !full.toLowerCase().endsWith('.wav') || basename(full).startsWith('.')) {
    throw new CaptureError(
      'STATE',
      `${path} is not an interrupted recording of this workstation (expected a .wav in ${resolve(dir)}${sep}).`,
    );
  }
  return full;
}

/** Duration and size of an in-progress capture, plain WAV or sealed (from its structure). */
export function inspectCapture(path: string): { fileBytes: number; durationSec: number; sampleRate: number } {
  if (isSealedFile(path)) {
    const s = inspectSealedFile(path);
    const frame = 2 * Math.max(1, s.format.channels);
    const rate = s.format.sampleRate || 1;
    return { fileBytes: s.fileBytes, durationSec: Math.floor(s.plainBytes / frame) / rate, sampleRate: rate };
  }
  const w = inspectWav(path);
  return { fileBytes: w.fileBytes, durationSec: w.durationSec, sampleRate: w.sampleRate };
}

/**
 * Repair an interrupted WAV so it opens as a valid file with every sample on disk. A sealed
 * (encrypted) capture needs no repair: reading it keeps every complete, authenticated chunk.
 */
export async function repairInterrupted(
  path: string,
): Promise<{ samples: number; sampleRate: number; durationSec: number }> {
  try {
    if (isSealedFile(path)) {
      const s = inspectSealedFile(path);
      const samples = Math.floor(s.plainBytes / (2 * Math.max(1, s.format.channels)));
      return { samples, sampleRate: s.format.sampleRate, durationSec: samples / (s.format.sampleRate || 1) };
    }
    return await repairWav(path);
  } catch (err) {
    if (err instanceof WavFileError || err instanceof SealedFileError)
      throw new CaptureError(
        'STORAGE',
        `The interrupted recording ${basename(path)} cannot be recovered: ${err.message}`,
      );
    throw err;
  }
}
