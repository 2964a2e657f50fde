/**
 * Issue 15, the auditor's and the admin's side: failed sign-ins are found by the user name they
 * tried, details are searchable, objects carry a label people read, an export is scoped by MRN;
 * an admin unlocks, resets a password (which unlocks too), changes a role (sessions end) and sees
 * the last sign-in; only an admin can, and each is audited.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallContext } from '../../src/service/workstation.js';
import { fingerprint, openFixture, PASSWORD, rejectsWith, signIn } from './helpers.js';

const stranger = (): CallContext => ({ sessionToken: null, transport: 'http', peer: '127.0.0.9' });

test('failed sign-ins are found by the name tried; details are searchable; an admin unlocks (audited)', async () => {
  const fx = await openFixture();
  try {
    for (let i = 0; i < 5; i++)
      await rejectsWith(
        fx.ws.call(stranger(), 'auth.signIn', { username: 'nurse', password: `guess ${i}` }),
        'UNAUTHENTICATED',
      );
    // Locked now: even the right password is refused.
    await rejectsWith(
      fx.ws.call(stranger(), 'auth.signIn', { username: 'nurse', password: PASSWORD }),
      'UNAUTHENTICATED',
      /Too many wrong passwords/,
    );
    const failed = await fx.ws.call(fx.as.auditor, 'audit.list', { username: 'NURSE', action: 'auth.login.failed' });
    assert.equal(failed.total, 6, 'five wrong passwords and one refused while locked, found by the name tried');
    assert.ok(failed.items.every((e) => e.username === null && e.attemptedUsername === 'nurse'));
    const byText = await fx.ws.call(fx.as.auditor, 'audit.list', { text: 'locked-out' });
    assert.equal(byText.total, 1, 'the refusal during the lock, found by words in its details');
    assert.equal(
      (await fx.ws.call(fx.as.auditor, 'audit.list', { text: '100%_' })).total,
      0,
      'LIKE wildcards are literal',
    );

    const listed = (await fx.ws.call(fx.as.admin, 'users.list', {})).find((u) => u.username === 'nurse')!;
    assert.ok(listed.lockedUntil !== null, 'the Users page sees the lock');

    const before = fingerprint(fx.ws);
    for (const who of [fx.as.nurse, fx.as.auditor, fx.as.pulmonologist])
      await rejectsWith(fx.ws.call(who, 'users.unlock', { username: 'nurse' }), 'FORBIDDEN');
    assert.deepEqual(fingerprint(fx.ws), before, 'refusals change nothing');

    const unlocked = await fx.ws.call(fx.as.admin, 'users.unlock', { username: 'nurse' });
    assert.equal(unlocked.lockedUntil, null);
    const entry = (await fx.ws.call(fx.as.auditor, 'audit.list', { action: 'user.unlock' })).items[0]!;
    assert.equal(entry.username, 'admin');
    assert.equal(entry.details['wasLocked'], true);
    assert.equal(entry.objectLabel, 'user nurse', 'the object as people read it');

    await signIn(fx.ws, 'nurse');
    const login = (await fx.ws.call(fx.as.auditor, 'audit.list', { action: 'auth.login', username: 'nurse' }))
      .items[0]!;
    const after = (await fx.ws.call(fx.as.admin, 'users.list', {})).find((u) => u.username === 'nurse')!;
    assert.equal(after.lastSignInAt, login.at, 'the last sign-in is the latest auth.login entry');
    await fx.ws.call(fx.as.admin, 'users.create', {
      username: 'newcomer',
      displayName: 'New Comer',
      role: 'nurse',
      password: 'a long enough password 1',
    });
    const fresh = (await fx.ws.call(fx.as.admin, 'users.list', {})).find((u) => u.username === 'newcomer')!;
    assert.equal(fresh.lastSignInAt, null, 'never signed in');
  } finally {
    await fx.ws.close();
  }
});

test("an admin's password reset lifts the lock and ends the user's sessions", async () => {
  const fx = await openFixture();
  try {
    for (let i = 0; i < 5; i++)
      await rejectsWith(
        fx.ws.call(stranger(), 'auth.signIn', { username: 'nurse2', password: 'nope' }),
        'UNAUTHENTICATED',
      );
    await fx.ws.call(fx.as.admin, 'users.setPassword', { username: 'nurse2', password: 'a brand new password 2' });
    await rejectsWith(fx.ws.call(fx.as.nurse2, 'patients.search', {}), 'UNAUTHENTICATED');
    const s = await fx.ws.call(stranger(), 'auth.signIn', { username: 'nurse2', password: 'a brand new password 2' });
    assert.ok(s.token, 'signs in at once with the new password: the reset unlocked the account');
    const e = (await fx.ws.call(fx.as.auditor, 'audit.list', { action: 'user.password' })).items[0]!;
    assert.equal(e.details['reset'], true);
    assert.equal(e.details['unlocked'], true);
  } finally {
    await fx.ws.close();
  }
});

test('a role change: admin only, audited with old and new, sessions end, the last admin stays', async () => {
  const fx = await openFixture();
  try {
    await rejectsWith(fx.ws.call(fx.as.nurse, 'users.setRole', { username: 'nurse', role: 'admin' }), 'FORBIDDEN');
    await rejectsWith(
      fx.ws.call(fx.as.admin, 'users.setRole', { username: 'nurse2', role: 'root' } as never),
      'INVALID_INPUT',
    );
    await rejectsWith(
      fx.ws.call(fx.as.admin, 'users.setRole', { username: 'admin', role: 'nurse' }),
      'CONFLICT',
      /last active administrator/,
    );
    const u = await fx.ws.call(fx.as.admin, 'users.setRole', { username: 'nurse2', role: 'pulmonologist' });
    assert.equal(u.role, 'pulmonologist');
    await rejectsWith(fx.ws.call(fx.as.nurse2, 'patients.search', {}), 'UNAUTHENTICATED');
    const e = (await fx.ws.call(fx.as.auditor, 'audit.list', { action: 'user.role' })).items[0]!;
    assert.deepEqual([e.details['from'], e.details['to']], ['nurse', 'pulmonologist']);
  } finally {
    await fx.ws.close();
  }
});

test('objects are labelled by MRN and name; an export is scoped by MRN, an unknown MRN refused', async () => {
  const fx = await openFixture();
  try {
    const p = await fx.ws.call(fx.as.nurse, 'patients.create', {
      mrn: 'KH-120021',
      givenName: 'Nora',
      familyName: 'Müller',
    });
    const created = (await fx.ws.call(fx.as.auditor, 'audit.list', { action: 'patient.create' })).items[0]!;
    assert.equal(created.objectId, String(p.id), 'the id stays for machines');
    assert.equal(created.objectLabel, 'patient KH-120021 (Müller, Nora)');
    await rejectsWith(
      fx.ws.call(fx.as.auditor, 'exports.start', { kind: 'audit-history', scope: { patientMrn: 'KH-999' } }),
      'NOT_FOUND',
      /No patient has the MRN 'KH-999'/,
    );
    await fx.ws.call(fx.as.auditor, 'exports.start', { kind: 'audit-history', scope: { patientMrn: 'KH-120021' } });
    const start = (await fx.ws.call(fx.as.auditor, 'audit.list', { action: 'export.start' })).items[0]!;
    assert.equal(start.details['patientId'], p.id);
    assert.equal(start.details['patientMrn'], 'KH-120021');
  } finally {
    await fx.ws.close();
  }
});
