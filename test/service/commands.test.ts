/**
 * Table-driven over COMMAND_NAMES (through the wire entry, as a transport calls it): refuses
 * callers who are not signed in, roles it does not allow, and malformed params, each with a
 * typed error that changes nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMAND_NAMES } from '../../src/service/api.js';
import { ROLES } from '../../src/common/roles.js';
import { REGISTRY } from '../../src/service/registry.js';
import { fingerprint, openFixture, rejectsWith, type Fixture } from './helpers.js';

let fx: Fixture;
before(async () => {
  fx = await openFixture();
});
after(async () => {
  await fx.ws.close();
});

test('an unknown command is refused', async () => {
  const before = fingerprint(fx.ws);
  await rejectsWith(fx.ws.callWire(fx.as.admin, 'users.drop', {}), 'INVALID_INPUT', /Unknown command/);
  await rejectsWith(fx.ws.callWire(fx.as.admin, '__proto__', {}), 'INVALID_INPUT');
  await rejectsWith(fx.ws.callWire(fx.as.admin, 'constructor', {}), 'INVALID_INPUT');
  assert.equal(fingerprint(fx.ws), before);
});

for (const name of COMMAND_NAMES) {
  const def = REGISTRY[name];
  if (def.access === 'public') continue;
  const allowed = def.roles;

  test(`${name}: refused without a session, and with an unknown token`, async () => {
    const before = fingerprint(fx.ws);
    await rejectsWith(fx.ws.callWire({ sessionToken: null, transport: 'http' }, name, {}), 'UNAUTHENTICATED');
    await rejectsWith(fx.ws.callWire({ sessionToken: 'forged-token', transport: 'http' }, name, {}), 'UNAUTHENTICATED');
    assert.equal(fingerprint(fx.ws), before);
  });

  const denied = ROLES.filter((r) => !allowed.includes(r));
  if (denied.length) {
    test(`${name}: refused for ${denied.join(', ')}`, async () => {
      const before = fingerprint(fx.ws);
      for (const role of denied)
        await rejectsWith(fx.ws.callWire(fx.as[role], name, {}), 'FORBIDDEN', new RegExp(role));
      assert.equal(fingerprint(fx.ws), before);
    });
  }

  test(`${name}: malformed params refused (${allowed[0]})`, async () => {
    const ctx = fx.as[allowed[0]!];
    const before = fingerprint(fx.ws);
    // Unknown keys, wrong shapes, wrong types: never reach the handler.
    for (const bad of [{ unexpectedKey: 1 }, 42, 'text', [1, 2], true]) {
      await rejectsWith(fx.ws.callWire(ctx, name, bad), 'INVALID_INPUT');
    }
    assert.equal(fingerprint(fx.ws), before);
  });
}

test('public commands validate their params too', async () => {
  const anon = { sessionToken: null, transport: 'http' as const };
  await rejectsWith(fx.ws.callWire(anon, 'auth.signIn', { username: 'admin' }), 'INVALID_INPUT');
  await rejectsWith(
    fx.ws.callWire(anon, 'auth.signIn', { username: 'admin', password: 'x', extra: true }),
    'INVALID_INPUT',
  );
  await rejectsWith(fx.ws.callWire(anon, 'system.status', { x: 1 }), 'INVALID_INPUT');
});

test('field-level validation: types, ranges, enums, dates', async () => {
  const n = fx.as.nurse;
  const before = fingerprint(fx.ws);
  await rejectsWith(
    fx.ws.callWire(n, 'patients.create', { mrn: '', givenName: 'A', familyName: 'B' }),
    'INVALID_INPUT',
    /Identifier \(MRN\): is required/,
  );
  await rejectsWith(
    fx.ws.callWire(n, 'patients.create', { mrn: 'M\u0000', givenName: 'A', familyName: 'B' }),
    'INVALID_INPUT',
    /control/,
  );
  await rejectsWith(
    fx.ws.callWire(n, 'patients.create', { mrn: 'M', givenName: 'A', familyName: 'B', birthDate: '2026-02-30' }),
    'INVALID_INPUT',
    /Birth date: not a real date/,
  );
  await rejectsWith(
    fx.ws.callWire(n, 'patients.create', { mrn: 'M', givenName: 'A', familyName: 'B', sex: 'yes' }),
    'INVALID_INPUT',
    /Sex: must be one of: female, male, other, unknown/,
  );
  await rejectsWith(fx.ws.callWire(n, 'patients.get', { id: -1 }), 'INVALID_INPUT');
  await rejectsWith(fx.ws.callWire(n, 'patients.get', { id: 1.5 }), 'INVALID_INPUT');
  await rejectsWith(fx.ws.callWire(n, 'patients.get', { id: '1' }), 'INVALID_INPUT');
  await rejectsWith(fx.ws.callWire(n, 'patients.search', { limit: 100000 }), 'INVALID_INPUT', /limit/);
  await rejectsWith(fx.ws.callWire(n, 'recordings.list', { site: 'left-ear' }), 'INVALID_INPUT', /Chest site/);
  await rejectsWith(fx.ws.callWire(n, 'recordings.list', { from: 'yesterday' }), 'INVALID_INPUT', /from/);
  await rejectsWith(
    fx.ws.callWire(n, 'capture.start', { patientId: 1, site: 'trachea', durationSec: 7 }),
    'INVALID_INPUT',
  );
  // The patient as the screen shows them: the same rules as a patient's own fields, nothing else in it.
  for (const [patientAsShown, why] of [
    [{ mrn: 'M\u0000', familyName: 'B', givenName: 'A' }, /control/],
    [{ mrn: 'M', familyName: '', givenName: 'A' }, /Family name: is required/],
    [{ mrn: 'M', familyName: 'B', givenName: 'A', birthDate: '2000-01-01' }, /does not take birthDate/],
    [{ mrn: 'M', familyName: 'B' }, /Given name: is required/],
  ] as const) {
    await rejectsWith(
      fx.ws.callWire(n, 'capture.start', { patientId: 1, site: 'trachea', durationSec: null, patientAsShown }),
      'INVALID_INPUT',
      why,
    );
    await rejectsWith(
      fx.ws.callWire(n, 'recordings.import', {
        patientId: 1,
        site: 'trachea',
        fileName: 'a.wav',
        wavBase64: 'UklGRg==',
        patientAsShown,
      }),
      'INVALID_INPUT',
      why,
    );
  }
  await rejectsWith(
    fx.ws.callWire(fx.as.admin, 'users.create', {
      username: 'x y',
      displayName: 'X',
      role: 'nurse',
      password: 'longenough',
    }),
    'INVALID_INPUT',
    /User name: use letters, digits/,
  );
  await rejectsWith(
    fx.ws.callWire(fx.as.admin, 'users.create', {
      username: 'xy',
      displayName: 'X',
      role: 'root',
      password: 'longenough',
    }),
    'INVALID_INPUT',
    /Role: must be one of/,
  );
  await rejectsWith(
    fx.ws.callWire(fx.as.admin, 'users.create', { username: 'xy', displayName: 'X', role: 'nurse', password: 'short' }),
    'INVALID_INPUT',
    /8 characters/,
  );
  assert.equal(fingerprint(fx.ws), before);
});
