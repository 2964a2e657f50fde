/**
 * The app's at-rest key through a safeStorage stand-in that really encrypts (AES with a key of its
 * own, as the OS keystore would): opt-in for a new folder, the key stored only as the keystore's
 * ciphertext (0600 in 0700), the same key back on the next start, a plain folder left plain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { appAtRestKey, keystoreFile, signingKeyCustody, type SafeStorageLike } from '../../src/main/os-keystore.js';
import { Store } from '../../src/store/index.js';
import { readDescriptor } from '../../src/service/at-rest-keys.js';
import { scratchDir } from '../support/paths.js';

function keystore(available = true): SafeStorageLike {
  const k = randomBytes(32);
  return {
    isEncryptionAvailable: () => available,
    encryptString(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', k, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decryptString(b) {
      const d = createDecipheriv('aes-256-gcm', k, b.subarray(0, 12));
      d.setAuthTag(b.subarray(12, 28));
      return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

test('OS keystore: opt-in for a new folder, key kept only as keystore ciphertext, same key on restart', () => {
  const safe = keystore();
  const plain = scratchDir('auscult-ks-plain-');
  assert.equal(appAtRestKey(plain, join(plain, 'auscult.sqlite'), safe, {}), null, 'not asked: stays plain');
  const dir = scratchDir('auscult-ks-');
  const db = join(dir, 'auscult.sqlite');
  const key = appAtRestKey(dir, db, safe, { AUSCULT_ENCRYPT: '1' });
  assert.ok(key);
  assert.equal(readDescriptor(dir)?.keySource, 'os-keystore');
  const file = keystoreFile(dir);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(dirname(file)).mode & 0o777, 0o700);
  assert.ok(!readFileSync(file).includes(Buffer.from(Buffer.from(key.master).toString('hex'))), 'never in clear');
  assert.deepEqual(appAtRestKey(dir, db, safe, {})?.master, key.master, 'the same key on the next start');
  assert.throws(() => appAtRestKey(dir, db, keystore(false), {}), /OS keystore, which is not available/);
});

test('the audit signing key is sealed by the OS keystore for such a folder; a plain folder keeps a key file', () => {
  const safe = keystore();
  const plain = scratchDir('auscult-ks-sign-plain-');
  assert.equal(signingKeyCustody(plain, safe), undefined);
  const dir = scratchDir('auscult-ks-sign-');
  const db = join(dir, 'auscult.sqlite');
  const key = appAtRestKey(dir, db, safe, { AUSCULT_ENCRYPT: '1' });
  const custody = signingKeyCustody(dir, safe);
  assert.ok(custody);
  const signing = join(dir + '-signing');
  const store = Store.open(db, { key, signing: { dir: signing, custody } });
  store.tx(() => store.audit.append({ username: 'u', action: 'recording.view', transport: 'ipc' }));
  store.close();
  assert.ok(existsSync(join(signing, 'audit-signing.key.safe')));
  assert.ok(!existsSync(join(signing, 'audit-signing.key')), 'no plain private key on disk');
  assert.ok(!readFileSync(join(signing, 'audit-signing.key.safe')).toString('latin1').includes('PRIVATE KEY'));
  // The same key on the next start; without the keystore the history cannot be written.
  const again = Store.open(db, { key, signing: { dir: signing, custody } });
  assert.equal(again.verifyAudit().ok, true);
  again.close();
  assert.throws(() => Store.open(db, { key, signing: { dir: signing } }), /OS keystore/);
});
