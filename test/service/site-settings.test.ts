/**
 * Site settings (src/common/site-settings.ts): every signed-in user reads them, only an admin
 * changes them, each change is audited with its old and new value, and a value outside the limits
 * (typed or edited into the database file) is never obeyed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SITE_SETTINGS } from '../../src/common/site-settings.js';
import { fingerprint, openFixture, rejectsWith } from './helpers.js';

test('site settings: read by all, changed by an admin only (audited), limits held even against the database file', async () => {
  const fx = await openFixture();
  try {
    for (const who of [fx.as.nurse, fx.as.pulmonologist, fx.as.auditor, fx.as.admin])
      assert.deepEqual(await fx.ws.call(who, 'settings.get', {}), { lockAfterSec: SITE_SETTINGS.lockAfterSec.default });

    const before = fingerprint(fx.ws);
    await rejectsWith(fx.ws.call(fx.as.nurse, 'settings.set', { lockAfterSec: 3600 }), 'FORBIDDEN');
    await rejectsWith(fx.ws.call(fx.as.auditor, 'settings.set', { lockAfterSec: 60 }), 'FORBIDDEN');
    for (const lockAfterSec of [5, 3601, 12.5])
      await rejectsWith(
        fx.ws.call(fx.as.admin, 'settings.set', { lockAfterSec }),
        'INVALID_INPUT',
        /Lock the screen after/,
      );
    await rejectsWith(fx.ws.call(fx.as.admin, 'settings.set', { theme: 'dark' } as never), 'INVALID_INPUT');
    assert.deepEqual(fingerprint(fx.ws), before, 'refusals change nothing');

    assert.deepEqual(await fx.ws.call(fx.as.admin, 'settings.set', { lockAfterSec: 120 }), { lockAfterSec: 120 });
    assert.deepEqual(await fx.ws.call(fx.as.nurse, 'settings.get', {}), { lockAfterSec: 120 });
    await fx.ws.call(fx.as.admin, 'settings.set', { lockAfterSec: 120 }); // no change, no entry
    const log = await fx.ws.call(fx.as.auditor, 'audit.list', { action: 'settings.change' });
    assert.equal(log.total, 1);
    assert.equal(log.items[0]!.username, 'admin');
    assert.equal(log.items[0]!.objectId, 'lockAfterSec');
    assert.equal(log.items[0]!.details['from'], 300);
    assert.equal(log.items[0]!.details['to'], 120);

    // someone with the file raises the lock to a day: not obeyed, the default applies
    fx.ws.internals.store.db.prepare("UPDATE site_settings SET value = '86400' WHERE name = 'lockAfterSec'").run();
    assert.deepEqual(await fx.ws.call(fx.as.nurse, 'settings.get', {}), { lockAfterSec: 300 });
  } finally {
    await fx.ws.close();
  }
});
