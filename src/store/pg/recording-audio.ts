/**
 * A recording's WAV in the site database (`recording_audio`, bytea), so every workstation reaches
 * it. The WAV is captured and stored locally first, exactly as on a single workstation; then
 * `uploadAudio` writes it and reads it back, and only a read-back whose SHA-256 matches lets the
 * caller release the local copy. Idempotent by (recording id, hash): uploading the same WAV again
 * changes nothing; another WAV for the same recording is refused (rows are frozen by a trigger).
 */
import { createHash } from 'node:crypto';
import { StoreError } from '../errors.js';
import type { SqlDatabase } from '../sql-database.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export type UploadResult = { stored: 'now' | 'already'; sha256: string };

/** Write (if absent) and read back verified. Call inside `store.tx`; throws leave nothing written. */
export function uploadAudio(db: SqlDatabase, recordingId: number, wav: Buffer, expectedSha256: string): UploadResult {
  const hash = sha256(wav);
  if (hash !== expectedSha256)
    throw new StoreError(
      'CONFLICT',
      `The local WAV of recording ${recordingId} does not match the SHA-256 recorded at intake; it was not uploaded and the local copy is kept. Run \`auscult check\` on this workstation.`,
    );
  const existing = db.prepare('SELECT sha256 FROM recording_audio WHERE recording_id = ?').pluck().get(recordingId) as
    string | undefined;
  if (existing !== undefined && existing !== hash)
    throw new StoreError(
      'CONFLICT',
      `The site database already holds other audio for recording ${recordingId}; nothing was uploaded and the local copy is kept.`,
    );
  if (existing === undefined)
    db.prepare('INSERT INTO recording_audio (recording_id, sha256, bytes, stored_at) VALUES (?, ?, ?, ?)').run(
      recordingId,
      hash,
      wav,
      new Date().toISOString(),
    );
  const back = readAudio(db, recordingId);
  if (!back || sha256(back) !== hash)
    throw new StoreError(
      'CONFLICT',
      `Recording ${recordingId}'s audio did not read back intact from the site database; the local copy is kept.`,
    );
  return { stored: existing === undefined ? 'now' : 'already', sha256: hash };
}

/** The stored WAV, or null when the site database has none for this recording. */
export function readAudio(db: SqlDatabase, recordingId: number): Buffer | null {
  const b = db.prepare('SELECT bytes FROM recording_audio WHERE recording_id = ?').pluck().get(recordingId) as
    Buffer | undefined;
  return b ?? null;
}
