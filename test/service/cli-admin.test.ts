/**
 * The admin CLI against a real database file: users add (password from AUSCULT_PASSWORD, never
 * argv), import, audit verify (non-zero naming the first bad entry), backup and check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/index.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { writeWav } from './helpers.js';

const compiled = extname(fileURLToPath(import.meta.url)) === '.js';
const MAIN = join(PROJECT_ROOT, compiled ? 'dist/src/cli/main.js' : 'src/cli/main.ts');

function auscult(args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    input: input ?? '',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('users, import, audit verify, backup and check from the command line', () => {
  const dir = scratchDir('auscult-cli-');
  const db = join(dir, 'auscult.sqlite');
  const first = auscult(['users', 'add', '--role', 'nurse', '--db', db, 'nina'], {
    AUSCULT_PASSWORD: 'nurse-password',
  });
  assert.equal(first.code, 2, 'the first account must be an admin');
  assert.match(first.err, /first account must be an admin/);

  assert.equal(
    auscult(['users', 'add', '--role', 'admin', '--name', 'Ada Admin', '--db', db, 'ada'], {
      AUSCULT_PASSWORD: 'admin-password',
    }).code,
    0,
  );
  // Without the variable the password is read from stdin (a prompt on a terminal), never argv.
  const piped = auscult(
    ['users', 'add', '--role', 'nurse', '--db', db, 'nina'],
    { AUSCULT_PASSWORD: '' },
    'nurse-password\n',
  );
  assert.equal(piped.code, 0, piped.err);
  const s = Store.open(db);
  assert.ok(s.users.byUsername('nina')!.passwordHash.startsWith('scrypt$'));
  s.close();

  const wav = join(dir, 'breath.wav');
  writeWav(wav, { rate: 4000, seconds: 2 });
  const importArgs = [
    'import',
    wav,
    '--patient',
    'MRN-9',
    '--create-patient',
    '--given',
    'Ann',
    '--family',
    'Lee',
    '--site',
    'posterior-right-lower',
    '--user',
    'nina',
    '--db',
    db,
    '--no-analysis',
  ];
  // Acting as a user needs that user's password; a wrong one is refused and nothing is imported.
  const wrong = auscult(importArgs, { AUSCULT_PASSWORD: 'not-ninas-password' });
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /Wrong user name or password/);
  const imp = auscult(importArgs, { AUSCULT_PASSWORD: 'nurse-password' });
  assert.equal(imp.code, 0, imp.err);
  assert.match(imp.out, /recording 1 /);
  // The audit records the operating-system account that ran the command.
  const audited = Store.open(db, { readonly: true });
  const login = audited.audit.list({ action: 'auth.login' }, 10, 0).items.find((e) => e.action === 'auth.login')!;
  assert.equal(login.details['method'], 'cli-password');
  assert.equal(login.details['osAccount'], userInfo().username);
  audited.close();

  const ok = auscult(['audit', 'verify', '--db', db]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /Audit chain OK/);
  const backup = join(dir, 'copy.zip');
  const positional = auscult(['backup', backup, '--db', db]);
  assert.equal(positional.code, 2, 'the old positional form says to use --to');
  assert.match(positional.err, /name the archive with --to/);
  assert.ok(!existsSync(backup));
  const made = auscult(['backup', '--to', backup, '--db', db]);
  assert.equal(made.code, 0, made.err);
  assert.ok(existsSync(backup));
  const check = auscult(['check', '--db', db, '--files']);
  assert.equal(check.code, 0, check.err);
  assert.match(check.out, /1 WAV files match/);

  // Tamper as someone with the file would: drop the guard, edit entry 3.
  const raw = new Database(db);
  raw.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET username = 'mallory' WHERE seq = 3;");
  raw.close();
  const bad = auscult(['audit', 'verify', '--db', db]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /BROKEN at entry 3/);
});
