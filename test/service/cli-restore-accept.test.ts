/**
 * `auscult restore accept` as an administrator runs it, in a real process on a real database file
 * restored from an older copy: it states what is given up, refuses a nurse, a wrong password and a
 * signing folder without the key (changing nothing), and once accepted `auscult audit verify`
 * passes and names the accepted rollback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';

const compiled = extname(fileURLToPath(import.meta.url)) === '.js';
const MAIN = join(PROJECT_ROOT, compiled ? 'dist/src/cli/main.js' : 'src/cli/main.ts');

function auscult(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, AUSCULT_SIGNING_DIR: '', ...env },
    input: '',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function head(db: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT max(seq) FROM audit_log').pluck().get() as number;
  } finally {
    d.close();
  }
}

test('restore accept: states the loss, only an administrator with the password and the key accepts, and verify then passes', () => {
  const dir = scratchDir('auscult-accept-');
  const db = join(dir, 'auscult.sqlite');
  const add = (role: string, name: string, password: string) =>
    assert.equal(auscult(['users', 'add', '--role', role, '--db', db, name], { AUSCULT_PASSWORD: password }).code, 0);
  add('admin', 'ada', 'admin-password');
  add('nurse', 'nina', 'nurse-password');
  const copy = join(dir, 'older-copy.sqlite');
  copyFileSync(db, copy);
  const kept = head(db);
  add('nurse', 'nora', 'nurse-password-2');
  const signing = `${dir}-signing`;
  const log = join(
    signing,
    readdirSync(signing).find((f) => f.startsWith('checkpoints-'))!,
  );
  for (const f of ['', '-wal', '-shm']) rmSync(db + f, { force: true });
  copyFileSync(copy, db);

  const broken = auscult(['audit', 'verify', '--db', db]);
  assert.equal(broken.code, 1);
  assert.match(broken.err, /rolled back/);

  const logBefore = readFileSync(log, 'utf8');
  const refusals: [string, string, Record<string, string>, RegExp][] = [
    ['a nurse with her own password', 'nina', { AUSCULT_PASSWORD: 'nurse-password' }, /not an administrator/],
    ['the admin name with a wrong password', 'ada', { AUSCULT_PASSWORD: 'guess' }, /Wrong user name or password/],
  ];
  for (const [who, user, env, why] of refusals) {
    const r = auscult(['restore', 'accept', '--db', db, '--user', user], env);
    assert.equal(r.code, 1, who);
    assert.match(r.err, why, who);
    assert.match(r.err, /Nothing was changed/, who);
    assert.match(r.out, new RegExp(`ends at audit entry ${kept}`), `${who}: the loss is stated first`);
  }
  // Someone with the database file but not the signing folder's key (their own, empty folder).
  const elsewhere = join(dir, 'my-signing');
  mkdirSync(elsewhere);
  const keyless = auscult(['restore', 'accept', '--db', db, '--user', 'ada'], {
    AUSCULT_PASSWORD: 'admin-password',
    AUSCULT_SIGNING_DIR: elsewhere,
  });
  assert.equal(keyless.code, 1);
  assert.match(keyless.err, /signing/);
  assert.deepEqual(readdirSync(elsewhere), []);
  assert.equal(readFileSync(log, 'utf8'), logBefore);
  assert.equal(head(db), kept);

  const ok = auscult(['restore', 'accept', '--db', db, '--user', 'ada'], { AUSCULT_PASSWORD: 'admin-password' });
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, new RegExp(`gives up entr(y|ies) ${kept + 1}`));
  assert.match(ok.out, /Rollback accepted by ada/);
  assert.equal(head(db), kept + 1);

  const verified = auscult(['audit', 'verify', '--db', db]);
  assert.equal(verified.code, 0, verified.err);
  assert.match(verified.out, /note: rollback accepted by ada/);
  const again = auscult(['restore', 'accept', '--db', db, '--user', 'ada'], { AUSCULT_PASSWORD: 'admin-password' });
  assert.equal(again.code, 1);
  assert.match(again.err, /no rollback to accept/);
});
