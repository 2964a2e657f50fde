/**
 * Account seals (issue 17): a users row changed outside Auscult — by raw SQL on the SQLite file,
 * or on a site by whoever holds the workstations' database password — cannot sign in; every change
 * made through Auscult keeps sign-in working; an account from before seals is sealed by its first
 * sign-in and checked from then on. Each test on both engines; on PostgreSQL the raw UPDATE goes
 * through the workstation's own connection, i.e. as the role auscult_workstation.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../src/service/api.js';
import { addUserLocal, setPasswordLocal } from '../../src/service/local-admin.js';
import { credentialMismatches, hashPassword } from '../../src/store/index.js';
import {
  ENGINES,
  openEngineFixture,
  PASSWORD,
  rejectsWith,
  signIn,
  stopTestClusters,
  type Fixture,
} from './helpers.js';

after(stopTestClusters);

const anon = { sessionToken: null, transport: 'http' as const, peer: '127.0.0.1' };
const MISMATCH =
  /changed outside Auscult \(its role or password does not match the signed history\).*auscult users passwd/;

function entries(fx: Fixture): AuditEntry[] {
  return [...fx.ws.internals.store.audit.iterate()] as AuditEntry[];
}

const signInAs = (fx: Fixture, username: string, password: string) =>
  fx.ws.call({ ...anon }, 'auth.signIn', { username, password });

/** The raw SQL an attacker runs: on a site, over the workstation's connection (its role). */
function raw(fx: Fixture, sql: string, ...args: unknown[]): void {
  fx.ws.internals.store.db.prepare(sql).run(...args);
}

function userRow(fx: Fixture, username: string): unknown {
  return fx.ws.internals.store.db.prepare('SELECT * FROM users WHERE username = ?').get(username);
}

function perEngine(name: string, body: (fx: Fixture) => Promise<void>): void {
  for (const engine of ENGINES)
    test(`[${engine}] ${name}`, async (t) => {
      const fx = await openEngineFixture(engine, t);
      if (!fx) return;
      try {
        await body(fx);
      } finally {
        await fx.ws.close();
      }
    });
}

perEngine('every users path through Auscult seals the row it writes, and sign-in works after each', async (fx) => {
  const admin = fx.as.admin;
  await fx.ws.call(admin, 'users.create', {
    username: 'nell',
    displayName: 'Nell New',
    role: 'nurse',
    password: 'first password 1',
  });
  const created = entries(fx).findLast((e) => e.action === 'user.create')!;
  assert.match(String(created.details['credential']), /^[0-9a-f]{64}$/, 'user.create carries the credential');
  await signInAs(fx, 'nell', 'first password 1');
  assert.equal(entries(fx).filter((e) => e.action === 'user.credential').length, 0, 'a sealed account is not resealed');

  await fx.ws.call(admin, 'users.setPassword', { username: 'nell', password: 'second password 2' });
  await signInAs(fx, 'nell', 'second password 2');

  const self = await signInAs(fx, 'nell', 'second password 2');
  await fx.ws.call({ ...anon, sessionToken: self.token }, 'users.setPassword', {
    username: 'nell',
    currentPassword: 'second password 2',
    password: 'third password 3',
  });
  await signInAs(fx, 'nell', 'third password 3');

  await fx.ws.call(admin, 'users.setRole', { username: 'nell', role: 'pulmonologist' });
  assert.equal((await signInAs(fx, 'nell', 'third password 3')).user.role, 'pulmonologist');

  await fx.ws.call(admin, 'users.setActive', { username: 'nell', active: false });
  await rejectsWith(signInAs(fx, 'nell', 'third password 3'), 'UNAUTHENTICATED', /deactivated/);
  await fx.ws.call(admin, 'users.setActive', { username: 'nell', active: true });
  await signInAs(fx, 'nell', 'third password 3');

  // the CLI's `auscult users add` / `passwd` (local-admin.ts)
  const store = fx.ws.internals.store;
  await addUserLocal(store, { username: 'cleo', displayName: 'Cleo Cli', role: 'auditor', password: 'cli password 1' });
  await signInAs(fx, 'cleo', 'cli password 1');
  await setPasswordLocal(store, 'cleo', 'cli password 2');
  await signInAs(fx, 'cleo', 'cli password 2');

  for (const a of ['user.create', 'user.password', 'user.role', 'user.activate', 'user.deactivate'])
    assert.ok(
      entries(fx).some((e) => e.action === a && typeof e.details['credential'] === 'string'),
      `${a} carries a credential`,
    );
  assert.deepEqual(credentialMismatches(store.db, trustOf(fx)), []);
});

function trustOf(fx: Fixture) {
  const s = fx.ws.internals.store;
  return { keys: s.trustedKeys, dbId: s.dbId, engine: s.engine };
}

for (const change of ['password', 'role'] as const)
  perEngine(
    `a ${change} set by raw SQL is refused with the sentence and audited, and nothing else changes`,
    async (fx) => {
      const store = fx.ws.internals.store;
      await signIn(fx.ws, 'nurse'); // sealed by its first sign-in (the fixture's accounts are legacy)
      if (fx.site) {
        const who = store.db
          .prepare("SELECT current_user AS u, pg_has_role(current_user, 'auscult_workstation', 'MEMBER') AS m")
          .get() as { u: string; m: number | boolean };
        assert.deepEqual(
          { ...who, m: Boolean(who.m) },
          { u: 'ws_test', m: true },
          "the raw UPDATE runs as a login of the workstations' role",
        );
      }
      const known = 'attacker knows this';
      if (change === 'password')
        raw(fx, 'UPDATE users SET password_hash = ? WHERE username = ?', await hashPassword(known), 'nurse');
      else raw(fx, "UPDATE users SET role = 'admin' WHERE username = ?", 'nurse');
      const password = change === 'password' ? known : PASSWORD;
      const row = userRow(fx, 'nurse');
      const before = store.audit.head().seq;
      const sessions = fx.ws.internals.sessions.size;

      const err = await rejectsWith(signInAs(fx, 'nurse', password), 'UNAUTHENTICATED', MISMATCH);
      assert.match(err.message, /`auscult users passwd nurse`/);
      const written = entries(fx).filter((e) => e.seq > before);
      assert.deepEqual(
        written.map((e) => [e.action, e.details['reason'], e.details['username']]),
        [['auth.login.failed', 'credential-mismatch', 'nurse']],
      );
      assert.deepEqual(userRow(fx, 'nurse'), row, 'the row is left as it was found');
      assert.equal(fx.ws.internals.sessions.size, sessions, 'no session');
      assert.deepEqual(
        credentialMismatches(store.db, trustOf(fx)).map((m) => m.username),
        ['nurse'],
        'the check `auscult check` runs names the account',
      );

      // The signing dialog's password check refuses too (a session from before the change).
      // Then an administrator sets the password again in Auscult: the account signs in.
      await fx.ws.call(fx.as.admin, 'users.setPassword', { username: 'nurse', password: 'reset by admin 1' });
      await signInAs(fx, 'nurse', 'reset by admin 1');
      assert.deepEqual(credentialMismatches(store.db, trustOf(fx)), []);
    },
  );

perEngine('an account from before seals is sealed by its first sign-in and checked after', async (fx) => {
  const store = fx.ws.internals.store;
  const seals = () => entries(fx).filter((e) => e.action === 'user.credential');
  assert.equal(seals().length, 0);
  await signIn(fx.ws, 'auditor');
  const [seal] = seals();
  assert.equal(seal?.objectId, String(store.users.byUsername('auditor')!.id));
  assert.equal(seal?.details['reason'], 'first-sign-in');
  await signIn(fx.ws, 'auditor');
  assert.equal(seals().length, 1, 'sealed once');
  raw(fx, 'UPDATE users SET role = ? WHERE username = ?', 'admin', 'auditor');
  await rejectsWith(signInAs(fx, 'auditor', PASSWORD), 'UNAUTHENTICATED', MISMATCH);
  // turning it back is a match again: the seal names the row, not the time
  raw(fx, 'UPDATE users SET role = ? WHERE username = ?', 'auditor', 'auditor');
  await signIn(fx.ws, 'auditor');
});

perEngine('a password change on a session from before the rewrite is refused too', async (fx) => {
  const ctx = await signIn(fx.ws, 'pulmonologist');
  raw(fx, 'UPDATE users SET password_hash = ? WHERE username = ?', await hashPassword('other pass 1'), 'pulmonologist');
  const row = userRow(fx, 'pulmonologist');
  await rejectsWith(
    fx.ws.call(ctx, 'users.setPassword', {
      username: 'pulmonologist',
      currentPassword: 'other pass 1',
      password: 'chosen by attacker 2',
    }),
    'FORBIDDEN',
    MISMATCH,
  );
  assert.deepEqual(userRow(fx, 'pulmonologist'), row, 'the password was not changed');
  const last = entries(fx).at(-1)!;
  assert.equal(last.action, 'auth.login.failed');
  assert.equal(last.details['reason'], 'credential-mismatch');
});

perEngine(
  'a role written outside Auscult does not elevate a live session: it ends at its next call, audited with both roles',
  async (fx) => {
    const ctx = await signIn(fx.ws, 'nurse');
    assert.equal((await fx.ws.call(ctx, 'auth.whoami', {})).user?.role, 'nurse');
    const head = fx.ws.internals.store.audit.head().seq;
    raw(fx, "UPDATE users SET role = 'admin' WHERE username = ?", 'nurse');
    await rejectsWith(fx.ws.call(ctx, 'users.list', {}), 'UNAUTHENTICATED');
    assert.equal((await fx.ws.call(ctx, 'auth.whoami', {})).user, null, 'the session ended');
    const after = fx.ws.internals.store.audit.list({}, 5, 0).items.filter((e) => e.seq > head);
    assert.deepEqual(
      after.map((e) => [e.action, e.username, e.details['signedInRole'], e.details['roleInDatabase']]),
      [['auth.session.role-mismatch', 'nurse', 'nurse', 'admin']],
      'the only entry since is the ending, naming both roles: nothing was done as admin',
    );
    raw(fx, "UPDATE users SET role = 'nurse' WHERE username = ?", 'nurse');
    assert.equal((await fx.ws.call(ctx, 'auth.whoami', {})).user, null, 'and it stays ended');
  },
);

perEngine('a row inserted by raw SQL (a new admin) is refused, not sealed by its first sign-in', async (fx) => {
  const store = fx.ws.internals.store;
  const hash = await hashPassword('eve knows this 1');
  const now = new Date().toISOString();
  raw(
    fx,
    "INSERT INTO users (username, display_name, role, password_hash, active, created_at, updated_at) VALUES ('eve', 'Eve', 'admin', ?, 1, ?, ?)",
    hash,
    now,
    now,
  );
  // a failed attempt first: the signed entry it leaves must not vouch for the row afterwards
  await rejectsWith(signInAs(fx, 'eve', 'wrong'), 'UNAUTHENTICATED', /Wrong user name or password/);
  const before = store.audit.head().seq;
  await rejectsWith(signInAs(fx, 'eve', 'eve knows this 1'), 'UNAUTHENTICATED', MISMATCH);
  const written = entries(fx).filter((e) => e.seq > before);
  assert.deepEqual(
    written.map((e) => [e.action, e.details['reason']]),
    [['auth.login.failed', 'credential-mismatch']],
    'no user.credential entry, no session',
  );
  assert.deepEqual(
    credentialMismatches(store.db, trustOf(fx)).map((m) => m.username),
    ['eve'],
  );
});

perEngine('a hash replaced at today’s cost on sign-in is sealed with it: the account signs in again', async (fx) => {
  const store = fx.ws.internals.store;
  const salt = Buffer.alloc(16, 2);
  const { scryptSync } = await import('node:crypto');
  const old = `scrypt$16384$8$1$${salt.toString('base64')}$${scryptSync(PASSWORD, salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64')}`;
  // as an older Auscult set it: the change and its sealed entry
  const id = store.users.byUsername('nurse2')!.id;
  store.tx(() => {
    store.users.setPasswordHash('nurse2', old);
    store.audit.append({
      username: null,
      action: 'user.password',
      objectType: 'user',
      objectId: id,
      transport: 'cli',
      details: { username: 'nurse2', credential: store.users.credential(id) },
    });
  });
  await signIn(fx.ws, 'nurse2');
  const fresh = store.users.byUsername('nurse2')!.passwordHash;
  assert.notEqual(fresh, old, 'replaced');
  const seal = entries(fx).findLast((e) => e.action === 'user.credential')!;
  assert.equal(seal.details['reason'], 'rehash');
  await signIn(fx.ws, 'nurse2');
  assert.deepEqual(credentialMismatches(store.db, trustOf(fx)), []);
});
