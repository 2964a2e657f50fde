/**
 * Issue 14's UI in Chromium against `auscult serve`: a nurse breaks the glass for a colleague's
 * patient (explanation, the dialog with its required reason, the banner; the auditor filters the
 * entry); a user changes her own password (a wrong current one is refused, changes nothing and is
 * audited; afterwards her other session has ended and this one goes on); and an administrator
 * accepts a real rolled-back database file in the app (a nurse and a wrong password are refused
 * first, and the acceptance entry lists them); and a site database restored from an older pg_dump,
 * written on since by another workstation, is accepted for this workstation (real PostgreSQL).
 * Screenshots at 1024x700 and 1440x900.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/index.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { approveSiteKeys, seedSite } from '../support/site-serve.js';
import { ApiCallFailed, NodeApiClient } from './api-client.js';
import { lungWav } from './fixtures.js';
import {
  assertTopBarOneRow,
  browserMissing,
  openApp,
  shotsAtBothSizes,
  signedInClient,
  signIn,
  signOut,
  startServe,
} from './harness.js';
import type { BrowserSession, ServeProcess } from './harness.js';
import { USERS, type SeedUser } from './seed.js';

const skip = browserMissing();
const NORA: SeedUser = { username: 'nora', displayName: 'Nora Night', role: 'nurse', password: 'night-nurse-1234' };

/** The newest audit entry's number in a database file (read-only, while no server has it open). */
function auditHead(dbPath: string): number {
  const d = new Database(dbPath, { readonly: true });
  try {
    return d.prepare('SELECT max(seq) FROM audit_log').pluck().get() as number;
  } finally {
    d.close();
  }
}

async function importInto(c: NodeApiClient, patientId: number): Promise<number> {
  const wav = lungWav();
  const r = await c.call('recordings.import', {
    patientId,
    site: 'trachea',
    fileName: wav.name,
    wavBase64: readFileSync(wav.path).toString('base64'),
  });
  return r.recording.id;
}

describe('break the glass and change my password (issue 14)', { skip }, () => {
  let server: ServeProcess;
  let b: BrowserSession;
  let patientId = 0;

  before(async () => {
    server = await startServe({ modelsDir: null, users: [...Object.values(USERS), NORA] });
    // Nina registers the patient and records her; Nora records her once on a night shift.
    const nina = await signedInClient(server, USERS.nurse);
    patientId = (await nina.call('patients.create', { mrn: 'BG-4711', givenName: 'Olga', familyName: 'Brandt' })).id;
    await importInto(nina, patientId);
    nina.close();
    const nora = await signedInClient(server, NORA);
    await importInto(nora, patientId);
    nora.close();
    b = await openApp(server);
  });
  after(async () => {
    await b?.close();
    await server?.stop();
  });

  test("a nurse is told why a colleague's recordings are hidden, breaks the glass with a reason, and sees the banner", async () => {
    await signIn(b.page, NORA);
    await b.page.goto(`${server.url.split('#')[0]}#/patient/${patientId}`);
    const notice = b.page.locator('[data-testid=break-glass-notice]');
    await notice.getByText('1 recording of this patient is not shown to you.').waitFor();
    assert.equal(await b.page.locator('table.data tbody tr').count(), 1, 'only her own recording');
    await shotsAtBothSizes(b.page, 'break-glass-notice');
    await notice.getByRole('button', { name: 'Request access (break the glass)…' }).click();
    const dialog = b.page.locator('[data-testid=break-glass-dialog]');
    await dialog.getByText(/This is audited: your name, the time and your reason go into the audit log/).waitFor();
    // Too short a reason: a sentence saying what to do, nothing requested.
    await dialog.locator('textarea[name=breakGlassReason]').fill('need it');
    await dialog.getByRole('button', { name: 'Break the glass and show them' }).click();
    await dialog
      .locator('.form-error')
      .getByText(/at least 10 characters\); nothing was requested yet/)
      .waitFor();
    const reason = 'Night cover: wheeze worse tonight, comparing with her earlier recordings.';
    await dialog.locator('textarea[name=breakGlassReason]').fill(reason);
    await shotsAtBothSizes(b.page, 'break-glass-dialog');
    await dialog.getByRole('button', { name: 'Break the glass and show them' }).click();
    await dialog.waitFor({ state: 'detached' });
    const banner = b.page.locator('[data-testid=break-glass-banner]');
    await banner.getByText(`Access by break-glass: “${reason}”`, { exact: false }).waitFor();
    assert.match(await banner.innerText(), /\d{1,2}:\d{2}/, 'the time of the access');
    await b.page.locator('table.data tbody tr').nth(1).waitFor();
    assert.equal(await b.page.locator('table.data tbody tr').count(), 2, 'every recording now');
    assert.equal(await b.page.locator('[data-testid=break-glass-notice]').count(), 0);
    await shotsAtBothSizes(b.page, 'break-glass-banner');
    await signOut(b.page);
  });

  test('the auditor reads break-glass entries, filtered, with the reason', async () => {
    await signIn(b.page, USERS.auditor);
    await b.page.locator('table.data tbody tr').first().waitFor();
    await b.page.locator('[data-testid=filter-break-glass]').click();
    await b.page.locator('[data-testid=page-info]').getByText('1–1 of 1').waitFor();
    const row = await b.page.locator('table.data tbody tr').first().innerText();
    assert.match(row, /nora/);
    assert.match(row, /⚠ break the glass/);
    assert.match(row, /Reason: “Night cover: wheeze worse tonight/);
    assert.match(row, /access until/);
    assert.match(row, /patient BG-4711 \(Brandt, Olga\)/);
    await shotsAtBothSizes(b.page, 'audit-break-glass');
    await signOut(b.page);
  });

  test('changing my own password: a wrong current one changes nothing and is audited; then my other session ends and this one goes on', async () => {
    const other = await signedInClient(server, USERS.nurse); // e.g. her session at another workstation's browser
    await signIn(b.page, USERS.nurse);
    await assertTopBarOneRow(b.page);
    // From the signed-in user's menu (her name in the header).
    await b.page.locator('.user-menu summary').click();
    await shotsAtBothSizes(b.page, 'user-menu');
    await b.page.getByRole('button', { name: 'Change password…' }).click();
    const dialog = b.page.locator('[data-testid=change-password-dialog]');
    await dialog
      .locator('[data-testid=password-policy]')
      .getByText(/At least 8 characters/)
      .waitFor();
    const fill = async (current: string, next: string, again = next): Promise<void> => {
      await dialog.locator('input[name=currentPassword]').fill(current);
      await dialog.locator('input[name=newPassword]').fill(next);
      await dialog.locator('input[name=newPasswordAgain]').fill(again);
      await dialog.getByRole('button', { name: 'Change password' }).click();
    };
    await fill(USERS.nurse.password, 'a new passphrase 1', 'a new passphrase 2');
    await dialog
      .locator('.form-error')
      .getByText('The two new passwords differ; type the same one twice.', { exact: false })
      .waitFor();
    await fill('not my password', 'a new passphrase 1');
    await dialog
      .locator('.form-error')
      .getByText('Your current password is not right; the password was not changed.')
      .waitFor();
    await shotsAtBothSizes(b.page, 'change-password-wrong-current');
    // Nothing changed: the other session lives, the old password still signs in.
    await other.call('auth.whoami', {});
    (await signedInClient(server, USERS.nurse)).close();
    await fill(USERS.nurse.password, 'a new passphrase 1');
    await dialog.waitFor({ state: 'detached' });
    await b.page.getByText('Password changed. Your other sessions were signed out; this one continues.').waitFor();
    // The other session has ended; this one goes on (it proved the current password just now).
    await assert.rejects(
      other.call('patients.search', {}),
      (e: unknown) => e instanceof ApiCallFailed && e.body.code === 'UNAUTHENTICATED',
    );
    other.close();
    await b.page.goto(`${server.url.split('#')[0]}#/patient/${patientId}`);
    await b.page.locator('table.data tbody tr').first().waitFor();
    await b.page.locator('[data-testid=current-user]').getByText(USERS.nurse.displayName).waitFor();
    await assert.rejects(signedInClient(server, USERS.nurse), ApiCallFailed);
    (await signedInClient(server, USERS.nurse, 'a new passphrase 1')).close();
    // The wrong attempt is in the audit log, found by her name, saying what it was for (newest
    // first: the old password refused at sign-in just now, then the wrong current password).
    const aud = await signedInClient(server, USERS.auditor);
    const failed = await aud.call('audit.list', { action: 'auth.login.failed', username: USERS.nurse.username });
    assert.deepEqual(
      failed.items.map((e) => [e.details['reason'], e.details['purpose'] ?? 'sign-in']),
      [
        ['wrong-password', 'sign-in'],
        ['wrong-password', 'password-change'],
      ],
    );
    const changed = await aud.call('audit.list', { action: 'user.password' });
    assert.equal(changed.total, 1);
    assert.equal(changed.items[0]?.details['self'], true);
    aud.close();
    await signOut(b.page);
  });

  test('no script errors or CSP violations', () => {
    assert.deepEqual(b.errors, []);
  });
});

describe('accepting a restored older copy in the app (issue 14)', { skip }, () => {
  let server: ServeProcess;
  let b: BrowserSession;
  let kept = 0;
  let lost = 0;

  before(async () => {
    // A real history, copied; more happens after the copy; then the file is rolled back to it.
    const first = await startServe({ modelsDir: null });
    const nina = await signedInClient(first, USERS.nurse);
    await nina.call('patients.create', { mrn: 'RB-1', givenName: 'Kept', familyName: 'Before' });
    nina.close();
    await first.stop();
    const older = join(first.dir, 'older-copy.sqlite');
    copyFileSync(first.dbPath, older);
    kept = auditHead(older);
    const second = await startServe({ modelsDir: null, dir: first.dir });
    const nina2 = await signedInClient(second, USERS.nurse);
    await nina2.call('patients.create', { mrn: 'RB-2', givenName: 'Lost', familyName: 'After' });
    nina2.close();
    await second.stop();
    lost = auditHead(first.dbPath);
    assert.ok(lost > kept);
    for (const f of ['', '-wal', '-shm']) rmSync(first.dbPath + f, { force: true });
    copyFileSync(older, first.dbPath);
    server = await startServe({ modelsDir: null, dir: first.dir });
    assert.match(server.output(), /restored older copy/);
    b = await openApp(server);
  });
  after(async () => {
    await b?.close();
    await server?.stop();
  });

  test('everyone sees what is missing and whom to call; a nurse and a wrong password are refused; the administrator accepts', async () => {
    const page = b.page.locator('[data-testid=restore-pending]');
    const facts = await page.locator('[data-testid=restore-facts]').innerText();
    assert.match(facts, new RegExp(`audit entry ${kept}\\b`));
    assert.match(facts, new RegExp(`${lost} entries, the last checkpoint at`));
    assert.match(facts, new RegExp(`entries ${kept + 1}–${lost}`));
    await page
      .locator('[data-testid=call-admin]')
      .getByText(`Call ${USERS.admin.displayName}.`, { exact: false })
      .waitFor();
    assert.equal(await b.page.locator('form.signin').count(), 0, 'no sign-in to an older copy');
    // A file's page says nothing of a site or of other workstations.
    assert.doesNotMatch(await page.innerText(), /site|other workstations/i);
    await shotsAtBothSizes(b.page, 'restore-pending');
    const form = page.locator('[data-testid=restore-accept-form]');
    const attempt = async (user: SeedUser, password: string): Promise<void> => {
      await form.locator('input[name=adminUsername]').fill(user.username);
      await form.locator('input[name=adminPassword]').fill(password);
      await form
        .locator('textarea[name=acceptReason]')
        .fill('The disk failed; the 02:00 backup is the newest copy we have.');
      await form.locator('input[name=understood]').check();
      await form.getByRole('button', { name: 'Accept this older copy' }).click();
    };
    await attempt(USERS.nurse, USERS.nurse.password);
    await form
      .locator('.form-error')
      .getByText(/'nina' is not an administrator.*Nothing was changed; this attempt is recorded/)
      .waitFor();
    await attempt(USERS.admin, 'not the password');
    await form
      .locator('.form-error')
      .getByText(/Wrong user name or password.*Nothing was changed/)
      .waitFor();
    await shotsAtBothSizes(b.page, 'restore-refused');
    // Still refused for anything else, and nothing was written.
    const probe = await NodeApiClient.open(server.port, server.token);
    await assert.rejects(
      probe.call('auth.signIn', { username: USERS.admin.username, password: USERS.admin.password }),
      (e: unknown) => e instanceof ApiCallFailed && e.body.code === 'STORAGE',
    );
    assert.equal((await probe.call('system.status', {})).rollback?.refusedAttempts, 2);
    probe.close();
    await attempt(USERS.admin, USERS.admin.password);
    await b.page
      .locator('.signin-message')
      .getByText(
        `Older copy accepted by ${USERS.admin.username}: the history goes on from entry ${kept}; entries ${kept + 1}–${lost} are recorded as given up.`,
        { exact: false },
      )
      .waitFor();
    await shotsAtBothSizes(b.page, 'restore-accepted');
    await signIn(b.page, USERS.admin);
    await signOut(b.page);
    // The auditor reads the acceptance in words: what was given up, why, and who was refused before.
    await signIn(b.page, USERS.auditor);
    await b.page.locator('input[name=action]').fill('audit.rollback-accepted');
    await b.page.getByRole('button', { name: 'Filter' }).click();
    await b.page.locator('[data-testid=page-info]').getByText('1–1 of 1').waitFor();
    const row = await b.page.locator('table.data tbody tr').first().innerText();
    assert.match(row, new RegExp(`Restored older copy accepted: entries ${kept + 1}–${lost} given up`));
    assert.match(row, /Reason: “The disk failed/);
    assert.match(row, /2 refused attempts before: nina \(not admin, .*\); root \(wrong password, /);
    await shotsAtBothSizes(b.page, 'audit-rollback-accepted');
    const aud = await signedInClient(server, USERS.auditor);
    const e = (await aud.call('audit.list', { action: 'audit.rollback-accepted' })).items[0]!;
    assert.equal(e.seq, kept + 1);
    assert.equal(e.username, USERS.admin.username);
    assert.match(String(e.details['reason']), /The disk failed/);
    assert.deepEqual(
      (e.details['refusedAttempts'] as { username: string; reason: string }[]).map((a) => [a.username, a.reason]),
      [
        [USERS.nurse.username, 'not-admin'],
        [USERS.admin.username, 'wrong-password'],
      ],
    );
    aud.close();
  });

  test('no script errors or CSP violations', () => {
    // The refused attempts answer with errors the page shows; none is a script error.
    assert.deepEqual(
      b.errors.filter((m) => !/Failed to load resource/.test(m)),
      [],
    );
  });
});

describe('accepting a site database restored from an older backup, for this workstation (issue 17)', { skip }, () => {
  const DB = 'site_rb_ui';
  let cluster: PgCluster | null = null;
  let skipped: string | null = null;
  let server: ServeProcess;
  let b: BrowserSession;
  let held = 0;
  let kept = 0;
  let lost = 0;
  const head = (): number => Number(cluster!.psql('auscult_owner', DB, 'SELECT max(seq) FROM audit_log').stdout.trim());

  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    if (!cluster) return;
    const c = cluster;
    c.createSite(DB, ['ws_rb_ui']);
    const url = c.url('ws_rb_ui', DB);
    const ownerSigning = await seedSite(c, DB, [USERS.admin, USERS.nurse, USERS.auditor]);
    // This workstation writes; the site is dumped; it writes more; the dump is restored.
    const first = await startServe({ db: url });
    approveSiteKeys(c, DB);
    const nina = await signedInClient(first, USERS.nurse);
    await nina.call('patients.create', { mrn: 'SRB-1', givenName: 'Kept', familyName: 'Before' });
    nina.close();
    await first.stop();
    held = head();
    const dump = c.dump(DB);
    const second = await startServe({ db: url, dir: first.dir });
    const nina2 = await signedInClient(second, USERS.nurse);
    await nina2.call('patients.create', { mrn: 'SRB-2', givenName: 'Lost', familyName: 'After' });
    nina2.close();
    await second.stop();
    lost = head();
    // Its sign-in, the patient and its sign-out: each entry its own commit, so its own checkpoint.
    assert.equal(lost - held, 3);
    c.restore(DB, dump);
    // Another workstation (the owner's desk, its own key and log) writes on the restored copy, so
    // the site's numbers run past where this workstation's log says its entries were.
    const other = Store.openSite(c.url('auscult_owner', DB), { signing: { dir: ownerSigning } });
    try {
      for (let i = 0; i < lost - held + 1; i++)
        other.tx(() =>
          other.audit.append({
            username: null,
            action: 'recording.view',
            objectType: 'recording',
            objectId: i,
            transport: 'cli',
          }),
        );
    } finally {
      other.close();
    }
    kept = head();
    assert.ok(kept > lost, 'the site now numbers past what this workstation signed');
    server = await startServe({ db: url, dir: first.dir });
    assert.match(server.output(), /site database was restored from an older copy/);
    b = await openApp(server);
  });
  after(async () => {
    await b?.close();
    await server?.stop();
    cluster?.stop();
  });

  test('the page says what was restored, what of this workstation is gone, that each workstation accepts for itself; a site administrator accepts here', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const page = b.page.locator('[data-testid=restore-pending]');
    await page.getByRole('heading', { name: 'The site database was restored from an older backup' }).waitFor();
    const facts = await page.locator('[data-testid=restore-facts]').innerText();
    assert.match(facts, new RegExp(`now ends at\\s+audit entry ${kept}\\b`));
    assert.match(facts, new RegExp(`ends at entry ${lost} of the old history, its last checkpoint at`));
    assert.match(
      facts,
      new RegExp(`Still on the site\\s+everything up to entry ${held}, as this workstation signed it`),
    );
    assert.match(
      facts,
      new RegExp(`Gone from the site\\s+${lost - held} checkpoints of this workstation's after entry ${held}, each`),
    );
    // Not the file's "entries N–M missing": on a site those numbers are other entries now.
    assert.doesNotMatch(facts, /Missing from this copy|This copy ends at/);
    const why = (await page.locator('[data-testid=restore-why]').allInnerTexts()).join('\n');
    assert.match(
      why,
      new RegExp(`entries ${held + 1}–${kept} on the site now need not be the ones this workstation signed`),
    );
    assert.match(
      why,
      /accepted on that workstation, against its own signed log; an acceptance here is for this workstation only/,
    );
    await page
      .locator('[data-testid=call-admin]')
      .getByText(`Call ${USERS.admin.displayName}.`, { exact: false })
      .waitFor();
    const form = page.locator('[data-testid=restore-accept-form]');
    assert.match(
      await form.innerText(),
      new RegExp(
        `gives up what this workstation wrote after entry ${held} of the old history \\(${lost - held} checkpoints, up to entry ${lost}\\) for good.*what the site holds now stays`,
      ),
    );
    assert.equal(await b.page.locator('form.signin').count(), 0, 'no sign-in to the restored copy');
    await shotsAtBothSizes(b.page, 'restore-pending-site');

    await form.locator('input[name=adminUsername]').fill(USERS.admin.username);
    await form.locator('input[name=adminPassword]').fill(USERS.admin.password);
    await form.locator('textarea[name=acceptReason]').fill('The site disk failed; the DBA restored the 02:00 dump.');
    await form.getByRole('button', { name: 'Accept for this workstation' }).click();
    await form
      .locator('.form-error')
      .getByText(
        `Tick that you understand what this workstation wrote after entry ${held} of the old history is given up. Nothing was changed.`,
      )
      .waitFor();
    assert.equal(head(), kept, 'nothing was written');
    await form.locator('input[name=understood]').check();
    await form.getByRole('button', { name: 'Accept for this workstation' }).click();
    await b.page
      .locator('.signin-message')
      .getByText(
        `Restored site copy accepted for this workstation by ${USERS.admin.username}: the site's history goes on from entry ${kept}; what this workstation wrote after entry ${held} of the old history (up to entry ${lost}) is recorded as given up.`,
        { exact: false },
      )
      .waitFor();
    assert.equal(head(), kept + 1, 'the acceptance entry, right after the head it kept');
    await shotsAtBothSizes(b.page, 'restore-accepted-site');
    await signIn(b.page, USERS.nurse);
    await signOut(b.page);
    // The auditor reads it as one workstation's acceptance, not as "entries N–M given up".
    await signIn(b.page, USERS.auditor);
    await b.page.locator('input[name=action]').fill('audit.rollback-accepted');
    await b.page.getByRole('button', { name: 'Filter' }).click();
    await b.page.locator('[data-testid=page-info]').getByText('1–1 of 1').waitFor();
    const row = await b.page.locator('table.data tbody tr').first().innerText();
    assert.match(
      row,
      new RegExp(
        `Restored site copy accepted for the workstation that signed it: what it wrote after entry ${held} of the old history \\(${lost - held} checkpoints, up to entry ${lost}, the last .*\\) given up; the site's history goes on from entry ${kept}`,
      ),
    );
    assert.doesNotMatch(row, /lostCheckpoints|held seq/, 'the details are said, not dumped');
    await shotsAtBothSizes(b.page, 'audit-rollback-accepted-site');
    await signOut(b.page);
    assert.deepEqual(b.errors, []);
  });
});
