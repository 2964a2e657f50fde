/**
 * The workstation's signing folder: its Ed25519 key and its checkpoint logs, kept apart from the
 * data folder (a copy, a backup or a rollback of the data folder never carries the key along, and
 * an account that can write the database file still cannot sign).
 *
 * Created on first start: the folder 0700, the private key 0600 (PKCS#8 PEM) — or, in the desktop
 * app, only as the OS keystore's ciphertext (`custody`, Electron's safeStorage), so even a copy of
 * the folder does not give the key. The public key (`audit-signing.pub`, base64 of the 32 raw
 * bytes) is all a verifier needs; it is not secret.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { signerFrom, type AuditSigner } from './audit-signing.js';
import { StoreError } from './errors.js';

export const PRIVATE_KEY_FILE = 'audit-signing.key';
export const SEALED_KEY_FILE = 'audit-signing.key.safe';
export const PUBLIC_KEY_FILE = 'audit-signing.pub';

/** How the desktop app keeps the private key: sealed by the OS keystore (safeStorage). */
export interface KeyCustody {
  seal(plain: string): Buffer;
  open(sealed: Buffer): string;
}

export interface SigningFolder {
  dir: string;
  signer: AuditSigner;
  /** Whether the key was made just now (first start). */
  created: boolean;
}

function writeOnce(path: string, data: string | Buffer): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  } finally {
    closeSync(fd);
  }
}

/** The public key in a signing folder (base64), or null when there is none. */
export function readPublicKey(dir: string): string | null {
  const p = join(dir, PUBLIC_KEY_FILE);
  if (!existsSync(p)) return null;
  return readFileSync(p, 'utf8').trim();
}

/**
 * Open the signing folder, creating it and a new key when there is none (`create`); a folder
 * with a key in another custody than asked, or an unreadable key, is a sentence.
 */
export function openSigningFolder(dir: string, opts: { custody?: KeyCustody; create?: boolean } = {}): SigningFolder {
  const plain = join(dir, PRIVATE_KEY_FILE);
  const sealed = join(dir, SEALED_KEY_FILE);
  let key: KeyObject;
  let created = false;
  try {
    if (existsSync(sealed)) {
      if (!opts.custody)
        throw new StoreError(
          'SIGNING_KEY',
          `The signing key in ${dir} is kept by the desktop app's OS keystore; this process cannot use it. Run the command from the app, or give a folder with a key file (AUSCULT_SIGNING_DIR).`,
        );
      key = createPrivateKey(opts.custody.open(readFileSync(sealed)));
    } else if (existsSync(plain)) {
      key = createPrivateKey(readFileSync(plain, 'utf8'));
    } else {
      if (opts.create === false)
        throw new StoreError('SIGNING_KEY', `There is no signing key in ${dir}. Nothing was changed.`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
      const pair = generateKeyPairSync('ed25519');
      const pem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      if (opts.custody) writeOnce(sealed, opts.custody.seal(pem));
      else writeOnce(plain, pem);
      key = pair.privateKey;
      created = true;
    }
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(
      'SIGNING_KEY',
      `The signing key in ${dir} cannot be used (${err instanceof Error ? err.message : String(err)}). Restore the signing folder from its backup. Nothing was changed.`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new StoreError('SIGNING_KEY', `The key in ${dir} is not an Ed25519 signing key. Nothing was changed.`);
  const signer = signerFrom(key);
  const pub = join(dir, PUBLIC_KEY_FILE);
  if (!existsSync(pub)) writeOnce(pub, signer.publicKey + '\n');
  else if (readFileSync(pub, 'utf8').trim() !== signer.publicKey)
    throw new StoreError(
      'SIGNING_KEY',
      `${pub} is not the public half of the signing key beside it: the folder was altered. Restore it from its backup. Nothing was changed.`,
    );
  return { dir, signer, created };
}
