/**
 * Issue 15 in Chromium against `auscult serve`: the auditor finds a nurse's failed sign-ins by her
 * user name, reads each entry's details and the object by MRN, and exports one patient by MRN; the
 * admin sees the lock and the last sign-in, unlocks, resets a password, changes a role, and is
 * asked before deactivating. Screenshots at 1024x700 and 1440x900.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiCallFailed, NodeApiClient } from './api-client.js';
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
import { USERS } from './seed.js';

const skip = browserMissing();

describe('auditor and admin (issue 15)', { skip }, () => {
  let server: ServeProcess;
  let b: BrowserSession;

  before(async () => {
    server = await startServe({ modelsDir: null });
    const nurse = await signedInClient(server, USERS.nurse);
    await nurse.call('patients.create', { mrn: 'KH-120021', givenName: 'Nora', familyName: 'Schmidt-Müller' });
    nurse.close();
    // Someone guesses the nurse's password five times: her name is locked.
    for (let i = 0; i < 5; i++) {
      const c = await NodeApiClient.open(server.port, server.token);
      await assert.rejects(
        c.call('auth.signIn', { username: USERS.nurse.username, password: `guess-${i}` }),
        ApiCallFailed,
      );
      c.close();
    }
    b = await openApp(server);
  });
  after(async () => {
    await b?.close();
    await server?.stop();
  });

  test('the auditor finds failed sign-ins by the user name tried, with their details', async () => {
    await signIn(b.page, USERS.auditor);
    await b.page.locator('table.data tbody tr').first().waitFor();
    await assertTopBarOneRow(b.page);
    await b.page.locator('input[name=username]').fill(USERS.nurse.username);
    await b.page.locator('input[name=action]').fill('auth.login.failed');
    await b.page.getByRole('button', { name: 'Filter' }).click();
    await b.page.locator('[data-testid=page-info]').getByText('1–5 of 5').waitFor();
    const rows = await b.page.locator('table.data tbody tr').allInnerTexts();
    assert.ok(
      rows.every((r) => r.includes(`${USERS.nurse.username} (attempt)`) && r.includes('Failed: wrong password')),
      rows.join('\n'),
    );
    await shotsAtBothSizes(b.page, 'audit-failed-sign-ins');
    // Words in the details, and the patient named by MRN and name, not "patient 1".
    await b.page.locator('input[name=username]').fill('');
    await b.page.locator('input[name=action]').fill('patient.create');
    await b.page.locator('input[name=detailsText]').fill('');
    await b.page.getByRole('button', { name: 'Filter' }).click();
    await b.page.locator('table.data tbody tr').getByText('patient KH-120021 (Schmidt-Müller, Nora)').waitFor();
    await b.page.locator('input[name=action]').fill('');
    await b.page.locator('input[name=detailsText]').fill('guess');
    await b.page.getByRole('button', { name: 'Filter' }).click();
    await b.page.getByText('No entries match').waitFor(); // passwords are never in the log
  });

  test('the export scope takes an MRN; an unknown one is refused in words', async () => {
    await b.page.locator('select[name=kind]').selectOption('audit-history');
    await b.page.locator('input[name=patientMrn]').fill('KH-999');
    await b.page.getByRole('button', { name: 'Start export' }).click();
    await b.page
      .locator('form[aria-label="Start an export"] .form-error')
      .getByText(/No patient has the MRN 'KH-999'/)
      .waitFor();
    await b.page.locator('input[name=patientMrn]').fill('KH-120021');
    await b.page.getByRole('button', { name: 'Start export' }).click();
    await b.page
      .locator('[data-testid=export-jobs] li.job')
      .first()
      .getByText(/done · 100 %/)
      .waitFor({ timeout: 30_000 });
    await shotsAtBothSizes(b.page, 'audit-export-by-mrn');
    await signOut(b.page);
  });

  test('the admin sees the lock and unlocks, resets a password, changes a role, confirms a deactivation', async () => {
    await signIn(b.page, USERS.admin);
    await b.page.goto(`${server.url.split('#')[0]}#/users`);
    await assertTopBarOneRow(b.page);
    const row = (name: string) => b.page.locator('table.data tbody tr', { hasText: name }).first();
    await row(USERS.nurse.username)
      .getByText(/locked until/)
      .waitFor();
    await row(USERS.admin.username)
      .getByText(/\d{4}|\d{1,2}:\d{2}/)
      .first()
      .waitFor(); // a last sign-in
    await shotsAtBothSizes(b.page, 'users-locked');
    await row(USERS.nurse.username).getByRole('button', { name: 'Unlock' }).click();
    await row(USERS.nurse.username).getByText('active', { exact: true }).waitFor();
    // Reset the doctor's password in the dialog; the new one works at once.
    await row(USERS.doctor.username).getByRole('button', { name: 'Reset password' }).click();
    const dialog = b.page.locator('[data-testid=confirm-dialog]');
    await dialog.locator('input[name=dialogInput]').fill('a fresh password 42');
    await shotsAtBothSizes(b.page, 'users-reset-dialog');
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    await b.page.getByText(`Password of ${USERS.doctor.username} reset.`).waitFor();
    (await signedInClient(server, USERS.doctor, 'a fresh password 42')).close();
    // A role change, confirmed.
    await row(USERS.nurse.username).locator('select').selectOption('auditor');
    await dialog.getByRole('button', { name: 'Make auditor' }).click();
    await b.page.getByText(`${USERS.nurse.username} is now auditor.`).waitFor();
    assert.equal(await row(USERS.nurse.username).locator('select').inputValue(), 'auditor');
    // Deactivation asks first: cancelled, nothing happens; confirmed, the account is off.
    await row(USERS.doctor.username).getByRole('button', { name: 'Deactivate' }).click();
    await dialog.getByText(/cannot sign in until reactivated/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row(USERS.doctor.username).getByText('active', { exact: true }).waitFor();
    await row(USERS.doctor.username).getByRole('button', { name: 'Deactivate' }).click();
    await dialog.getByRole('button', { name: 'Deactivate' }).click();
    await row(USERS.doctor.username).getByText('deactivated').waitFor();
    await shotsAtBothSizes(b.page, 'users-after');
  });

  test('no script errors or CSP violations', () => {
    assert.deepEqual(b.errors, []);
  });
});
