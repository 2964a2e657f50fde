/**
 * The recordings folder's files: written privately (0600, fsynced, under a temporary name then
 * renamed), encrypted at rest when the data folder has a key (sealed files, src/audio/sealed-file.ts),
 * and read back as the WAV they stand for, checked against the SHA-256 the database recorded.
 * A write that fails (disk full) leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AtRestKey } from '../common/at-rest.js';
import { isSealed, openSealed, sealedToWav, writeSealedFile } from '../audio/sealed-file.js';
import { writeFully } from '../audio/sealed-file.js';
import { ApiError } from './errors.js';

export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || (typeof code === 'string' && code.startsWith('SQLITE_FULL'));
}

/** The sentence for a recording that could not be stored because the disk is full. */
export function diskFullError(what: string): ApiError {
  return new ApiError(
    'STORAGE',
    `The disk is full: ${what} was not stored, and nothing was left behind. Free some disk space, then try again.`,
  );
}

/**
 * A WAV's bytes from a file that is plain, or sealed with `key` (an in-progress capture may be
 * unfinished: `allowUnfinished` returns its complete chunks as a WAV).
 */
export function wavFromFileBytes(
  bytes: Buffer,
  key: AtRestKey | null,
  label: string,
  opts: { allowUnfinished?: boolean } = {},
): Buffer {
  if (!isSealed(bytes)) return bytes;
  if (!key) {
    throw new ApiError(
      'STORAGE',
      `${label} is encrypted, but this workstation was opened without the data folder's key. Start it with its key (see README: encryption).`,
    );
  }
  return sealedToWav(openSealed(bytes, key, { unfinished: opts.allowUnfinished ? 'allow' : 'refuse', label }));
}

/**
 * Write `wav` as the stored file `target` (sealed when `key`), durably, then rename into place.
 * On any failure the temporary file is removed and the error rethrown (disk full: a sentence).
 */
export async function writeRecordingFile(target: string, wav: Uint8Array, key: AtRestKey | null): Promise<void> {
  const partial = `${target}.partial`;
  try {
    if (key) await writeSealedFile(partial, key, wav);
    else {
      const fh = await open(partial, 'wx', 0o600);
      try {
        await writeFully(fh, wav, 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    await rename(partial, target);
  } catch (err) {
    await unlink(partial).catch(() => undefined);
    if (isDiskFull(err)) throw diskFullError('the recording');
    throw err;
  }
}

/**
 * A stored recording as its WAV bytes, checked against its SHA-256 (a changed file is reported,
 * never served). In site mode the local file is released once the site database holds the WAV
 * verified, so where the file is not here `fromSite` reads the site's copy (another workstation's
 * recording, or one of ours already uploaded), checked against the same hash.
 */
export async function readStoredRecording(
  recordingsDir: string,
  key: AtRestKey | null,
  fileName: string,
  sha256: string,
  fromSite?: () => Buffer | null,
): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await readFile(join(recordingsDir, fileName));
  } catch (err) {
    const site = (err as NodeJS.ErrnoException).code === 'ENOENT' && fromSite ? fromSite() : null;
    if (site) {
      if (createHash('sha256').update(site).digest('hex') !== sha256)
        throw new ApiError(
          'STORAGE',
          `The site database's audio of ${fileName} does not match its recorded SHA-256; it is not served. Tell the site's database administrator.`,
        );
      return site;
    }
    throw new ApiError(
      'STORAGE',
      `The audio file ${fileName} is missing from the recordings folder${fromSite ? ' and from the site database' : ''} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Restore it from a backup.`,
    );
  }
  let wav: Buffer;
  try {
    wav = wavFromFileBytes(raw, key, `The audio file ${fileName}`);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('STORAGE', err instanceof Error ? err.message : String(err));
  }
  if (createHash('sha256').update(wav).digest('hex') !== sha256) {
    throw new ApiError(
      'STORAGE',
      `The audio file ${fileName} no longer matches its stored SHA-256: it was changed outside Auscult. Restore it from a backup.`,
    );
  }
  return wav;
}

/** The site database's copy of a recording, for readStoredRecording (undefined on a single workstation). */
export function siteAudioOf(
  store: { engine: string; recordingAudio(id: number): Buffer | null },
  recordingId: number,
): (() => Buffer | null) | undefined {
  return store.engine === 'postgresql' ? () => store.recordingAudio(recordingId) : undefined;
}
