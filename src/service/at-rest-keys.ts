/**
 * Where the at-rest key of an encrypted data folder comes from, for `auscult serve` and the CLI
 * (the desktop app keeps its key in the OS keystore: src/main/os-keystore.ts).
 *
 * An encrypted data folder holds `encryption.json` (0600): which kind of key it needs and the
 * key's public fingerprint (`keyId`), never the key. Its absence means "not encrypted".
 * - key file: 32 random bytes as 64 hex characters in a file of its own (0600), kept apart from
 *   the data (another disk, a USB key, a secrets store); named by `--key-file` or AUSCULT_KEY_FILE;
 * - passphrase: AUSCULT_PASSPHRASE, stretched with scrypt (N = 2^17, r = 8, p = 1; salt in
 *   encryption.json) into the master key;
 * - os-keystore: the desktop app's; the CLI cannot read it.
 * The key is checked against `keyId` before anything is opened, so a wrong key is a sentence, not
 * a "file is not a database".
 */
import { createHmac, randomBytes, scryptSync } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { AtRestKey, DatabaseCipher } from '../common/at-rest.js';
import { ApiError } from './errors.js';

export const ENCRYPTION_FILE = 'encryption.json';

export type KeySource = 'key-file' | 'passphrase' | 'os-keystore';

export interface EncryptionDescriptor {
  format: 'auscult-encryption';
  version: 1;
  keySource: KeySource;
  keyId: string;
  /** For a passphrase: scrypt's parameters and salt (hex). */
  scrypt?: { N: number; r: number; p: number; salt: string };
  /** The database's page cipher; absent in folders made before it was recorded: 'chacha20'. */
  databaseCipher?: DatabaseCipher;
}

/** The cipher new encrypted folders get (measured against ChaCha20: src/store/README.md). */
export const NEW_FOLDER_CIPHER: DatabaseCipher = 'aegis';

/** `key` as this folder uses it: with the database cipher its description names. */
export function withFolderCipher(key: AtRestKey, d: EncryptionDescriptor): AtRestKey {
  return { master: key.master, keyId: key.keyId, databaseCipher: d.databaseCipher ?? 'chacha20' };
}

const SCRYPT = { N: 2 ** 17, r: 8, p: 1 };

export function keyIdOf(master: Uint8Array): string {
  return createHmac('sha256', master).update('auscult key id v1').digest('hex').slice(0, 32);
}

export function atRestKey(master: Uint8Array): AtRestKey {
  if (master.length !== 32) throw new ApiError('INVALID_INPUT', 'An at-rest key is 32 bytes.');
  return { master, keyId: keyIdOf(master) };
}

/** A private file written once: refuses to overwrite (a lost key file means lost data). */
function writePrivateFile(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export function readDescriptor(dataDir: string): EncryptionDescriptor | null {
  const path = join(dataDir, ENCRYPTION_FILE);
  if (!existsSync(path)) return null;
  let d: Partial<EncryptionDescriptor>;
  try {
    d = JSON.parse(readFileSync(path, 'utf8')) as Partial<EncryptionDescriptor>;
  } catch (err) {
    throw new ApiError('STORAGE', `${path} cannot be read (${(err as Error).message}); restore it from a backup.`);
  }
  const cipher: unknown = d.databaseCipher; // from a file: any JSON value
  if (
    d.format !== 'auscult-encryption' ||
    d.version !== 1 ||
    typeof d.keyId !== 'string' ||
    !d.keySource ||
    (cipher !== undefined && cipher !== 'aegis' && cipher !== 'chacha20')
  ) {
    throw new ApiError('STORAGE', `${path} is not an Auscult encryption description; restore it from a backup.`);
  }
  return d as EncryptionDescriptor;
}

/** A new random key in a new key file (0600). */
export function createKeyFile(path: string): AtRestKey {
  if (existsSync(path)) throw new ApiError('CONFLICT', `${path} exists; a key file is never overwritten.`);
  const key = atRestKey(randomBytes(32));
  writePrivateFile(path, Buffer.from(key.master).toString('hex') + '\n');
  return key;
}

export function readKeyFile(path: string): AtRestKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ApiError(
      'STORAGE',
      `The key file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`,
    );
  }
  if (!/^[0-9a-f]{64}$/i.test(text)) {
    throw new ApiError('STORAGE', `The key file ${path} does not hold an Auscult key (64 hexadecimal characters).`);
  }
  return atRestKey(Buffer.from(text, 'hex'));
}

export function keyFromPassphrase(passphrase: string, s: NonNullable<EncryptionDescriptor['scrypt']>): AtRestKey {
  if (passphrase.length < 12) throw new ApiError('INVALID_INPUT', 'A passphrase needs at least 12 characters.');
  const master = scryptSync(passphrase.normalize('NFC'), Buffer.from(s.salt, 'hex'), 32, {
    N: s.N,
    r: s.r,
    p: s.p,
    maxmem: 256 * s.N * s.r,
  });
  return atRestKey(master);
}

/**
 * Turn encryption on for a NEW data folder (no database yet): writes encryption.json. With a
 * passphrase a fresh salt is drawn; with a key file the key is that file's.
 */
export function initEncryption(
  dataDir: string,
  dbPath: string,
  how: { keyFile: string; create: boolean } | { passphrase: string } | { osKeystore: AtRestKey },
): { key: AtRestKey; descriptor: EncryptionDescriptor } {
  if (existsSync(dbPath)) {
    throw new ApiError(
      'CONFLICT',
      `${dbPath} exists: encryption is chosen when a data folder is created, before its first start. Nothing was changed.`,
    );
  }
  if (readDescriptor(dataDir)) throw new ApiError('CONFLICT', `${dataDir} is already encrypted.`);
  let key: AtRestKey;
  let descriptor: EncryptionDescriptor;
  if ('passphrase' in how) {
    const scrypt = { ...SCRYPT, salt: randomBytes(16).toString('hex') };
    key = keyFromPassphrase(how.passphrase, scrypt);
    descriptor = { format: 'auscult-encryption', version: 1, keySource: 'passphrase', keyId: key.keyId, scrypt };
  } else if ('keyFile' in how) {
    key = how.create ? createKeyFile(how.keyFile) : readKeyFile(how.keyFile);
    descriptor = { format: 'auscult-encryption', version: 1, keySource: 'key-file', keyId: key.keyId };
  } else {
    key = how.osKeystore;
    descriptor = { format: 'auscult-encryption', version: 1, keySource: 'os-keystore', keyId: key.keyId };
  }
  descriptor.databaseCipher = NEW_FOLDER_CIPHER;
  writePrivateFile(join(dataDir, ENCRYPTION_FILE), JSON.stringify(descriptor, null, 2) + '\n');
  return { key: withFolderCipher(key, descriptor), descriptor };
}

/**
 * The key serve and the CLI open a data folder with: none for a plain folder; for an encrypted
 * one the key file (`keyFile`, else AUSCULT_KEY_FILE) or AUSCULT_PASSPHRASE, checked against the
 * folder's keyId. Every refusal says what to do.
 */
export function resolveAtRestKey(
  dataDir: string,
  opts: { keyFile?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): AtRestKey | null {
  const env = opts.env ?? process.env;
  const keyFile = opts.keyFile ?? env['AUSCULT_KEY_FILE'];
  const passphrase = env['AUSCULT_PASSPHRASE'];
  const d = readDescriptor(dataDir);
  if (!d) {
    if (opts.keyFile)
      throw new ApiError(
        'INVALID_INPUT',
        `The data folder ${dataDir} is not encrypted; --key-file applies only to an encrypted one (see auscult encryption --help).`,
      );
    return null;
  }
  let key: AtRestKey;
  if (d.keySource === 'os-keystore') {
    throw new ApiError(
      'STORAGE',
      `The data folder ${dataDir} is encrypted with a key kept in the desktop app's OS keystore; open it with the app.`,
    );
  } else if (d.keySource === 'passphrase') {
    if (!passphrase || !d.scrypt)
      throw new ApiError(
        'STORAGE',
        `The data folder ${dataDir} is encrypted with a passphrase: set AUSCULT_PASSPHRASE to open it.`,
      );
    key = keyFromPassphrase(passphrase, d.scrypt);
  } else {
    if (!keyFile)
      throw new ApiError(
        'STORAGE',
        `The data folder ${dataDir} is encrypted: give its key file with --key-file <file> or AUSCULT_KEY_FILE=<file>.`,
      );
    key = readKeyFile(keyFile);
  }
  if (key.keyId !== d.keyId) {
    throw new ApiError(
      'STORAGE',
      d.keySource === 'passphrase'
        ? `The passphrase is not this data folder's (${dataDir}); nothing was opened.`
        : `The key file ${keyFile ?? ''} is not this data folder's key (${dataDir}); nothing was opened.`,
    );
  }
  return withFolderCipher(key, d);
}
