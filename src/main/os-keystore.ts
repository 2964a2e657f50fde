/**
 * The desktop app's at-rest key, kept by the OS keystore through Electron's `safeStorage`
 * (Keychain, DPAPI, libsecret): the 32-byte master key is stored only as safeStorage's ciphertext
 * in `<data dir>/keys/master.key.safe` (0600 in 0700), readable by this OS account alone.
 *
 * A new data folder is encrypted when AUSCULT_ENCRYPT=1 and the keystore is available (opt-in:
 * a lost OS profile would take the key with it, so a site decides, and keeps a key-file backup
 * if it wants one). A folder encrypted with a key file or passphrase opens with
 * AUSCULT_KEY_FILE / AUSCULT_PASSPHRASE, as for the CLI. Thin by design: the policy is here, the
 * key handling in src/service/at-rest-keys.ts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AtRestKey } from '../common/at-rest.js';
import {
  atRestKey,
  initEncryption,
  readDescriptor,
  resolveAtRestKey,
  withFolderCipher,
} from '../service/at-rest-keys.js';
import type { WorkstationOptions } from '../service/workstation.js';

/** What we use of Electron's safeStorage (a stand-in in tests). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(cipher: Buffer): string;
}

export function keystoreFile(dataDir: string): string {
  return join(dataDir, 'keys', 'master.key.safe');
}

export function appAtRestKey(
  dataDir: string,
  dbPath: string,
  safe: SafeStorageLike,
  env: NodeJS.ProcessEnv = process.env,
): AtRestKey | null {
  const d = readDescriptor(dataDir);
  if (d && d.keySource !== 'os-keystore') return resolveAtRestKey(dataDir, { env });
  const file = keystoreFile(dataDir);
  if (d) {
    if (!safe.isEncryptionAvailable())
      throw new Error("This data folder's key is in the OS keystore, which is not available in this session.");
    const key = atRestKey(Buffer.from(safe.decryptString(readFileSync(file)), 'hex'));
    if (key.keyId !== d.keyId) throw new Error(`The key in ${file} is not this data folder's key.`);
    return withFolderCipher(key, d);
  }
  if (env['AUSCULT_ENCRYPT'] !== '1' || existsSync(dbPath) || !safe.isEncryptionAvailable()) return null;
  const key = atRestKey(randomBytes(32));
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  writeFileSync(file, safe.encryptString(Buffer.from(key.master).toString('hex')), { mode: 0o600, flag: 'wx' });
  return initEncryption(dataDir, dbPath, { osKeystore: key }).key;
}

/**
 * How the app keeps its audit signing key (src/store/signing-key.ts): sealed by the OS keystore when
 * the data folder's at-rest key is kept there too (such a folder is the app's alone: the CLI cannot
 * open it either), else a 0600 key file in the signing folder, which `serve` and the CLI share.
 */
export function signingKeyCustody(dataDir: string, safe: SafeStorageLike): WorkstationOptions['keyCustody'] {
  if (readDescriptor(dataDir)?.keySource !== 'os-keystore' || !safe.isEncryptionAvailable()) return undefined;
  return { seal: (plain) => safe.encryptString(plain), open: (sealed) => safe.decryptString(sealed) };
}
