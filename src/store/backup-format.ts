/**
 * The one-archive backup's format (`auscult backup --to FILE`): a ZIP file (written by yazl,
 * read by yauzl) holding exactly
 *
 * - `auscult.sqlite`: a `VACUUM INTO` snapshot of the database (encrypted under the same key when
 *   the folder is encrypted at rest);
 * - `encryption.json`: the folder's encryption description (which key it needs, its public
 *   fingerprint; never the key), when the folder is encrypted;
 * - `recordings/<name>`: every recording file the snapshot refers to, byte for byte as stored
 *   (sealed files stay sealed);
 * - `auscult-backup.json`: this manifest, last, with the size and SHA-256 of every other member.
 *
 * Members are stored, not deflated: sealed audio and encrypted pages do not compress, and a
 * stored member cannot be a decompression bomb. A restore accepts nothing else: any other name,
 * a directory or link entry, a duplicate, or a member the manifest does not list is refused.
 */
import { CodedError } from '../common/coded-error.js';

export const MANIFEST_NAME = 'auscult-backup.json';
export const DATABASE_MEMBER = 'auscult.sqlite';
export const ENCRYPTION_MEMBER = 'encryption.json';
export const RECORDINGS_PREFIX = 'recordings/';
/** The manifest is read into memory: bounded (about 150 bytes per recording). */
export const MANIFEST_MAX_BYTES = 32 * 1024 * 1024;

export interface BackupMember {
  path: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: 'auscult-backup';
  version: 1;
  createdAt: string;
  schemaVersion: number;
  /** The database and the recordings are encrypted at rest (restore needs the same key to open them). */
  encrypted: boolean;
  /** The at-rest key's public fingerprint, or null. */
  keyId: string | null;
  recordings: number;
  members: BackupMember[];
}

export type BackupErrorCode =
  | 'EXISTS'
  | 'TARGET_NOT_EMPTY'
  | 'TARGET_INVALID'
  | 'DAMAGED'
  | 'UNSAFE_MEMBER'
  | 'MISSING_FILE'
  | 'NO_SPACE'
  | 'IO'
  | 'SNAPSHOT_DAMAGED';

export class BackupError extends CodedError<'backup', BackupErrorCode> {
  constructor(code: BackupErrorCode, message: string) {
    super('backup', code, message);
  }
}

/** A recording's stored file name as the intake makes them: one plain name, no folder, no dot first. */
const RECORDING_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function isRecordingFileName(name: string): boolean {
  return RECORDING_NAME.test(name);
}

/**
 * Whether `path` is a member a backup may hold (the manifest aside). Everything else, including
 * every `..`, absolute, backslash or nested path, is refused before it could name a place.
 */
export function isDataMemberPath(path: string): boolean {
  if (path === DATABASE_MEMBER || path === ENCRYPTION_MEMBER) return true;
  return path.startsWith(RECORDINGS_PREFIX) && isRecordingFileName(path.slice(RECORDINGS_PREFIX.length));
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The manifest's JSON, checked field by field; null when it is not one of ours. */
export function parseManifest(bytes: Buffer): BackupManifest | null {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const m = raw as Partial<Record<keyof BackupManifest, unknown>>;
  if (m.format !== 'auscult-backup' || m.version !== 1) return null;
  if (typeof m.createdAt !== 'string' || typeof m.schemaVersion !== 'number' || typeof m.encrypted !== 'boolean')
    return null;
  if (!(m.keyId === null || typeof m.keyId === 'string') || typeof m.recordings !== 'number') return null;
  if (!Array.isArray(m.members)) return null;
  const members: BackupMember[] = [];
  for (const x of m.members as unknown[]) {
    if (typeof x !== 'object' || x === null) return null;
    const e = x as Partial<Record<keyof BackupMember, unknown>>;
    if (typeof e.path !== 'string' || typeof e.sha256 !== 'string' || !SHA256.test(e.sha256)) return null;
    if (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0) return null;
    members.push({ path: e.path, size: e.size, sha256: e.sha256 });
  }
  return {
    format: 'auscult-backup',
    version: 1,
    createdAt: m.createdAt,
    schemaVersion: m.schemaVersion,
    encrypted: m.encrypted,
    keyId: m.keyId,
    recordings: m.recordings,
    members,
  };
}
