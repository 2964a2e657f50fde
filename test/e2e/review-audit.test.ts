/**
 * The pulmonologist's and the auditor's flows in Chromium against `auscult serve` (real service,
 * real SQLite file, real engine with a synthetic head when YAMNet is available). A nurse's
 * recordings are set up through the same API by a second client.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ApiCallFailed, NodeApiClient } from './api-client.js';
import { lungWav } from './fixtures.js';
import {
  assertTopBarOneRow,
  browserMissing,
  openBrowser,
  shot,
  shotsAtBothSizes,
  signIn,
  signOut,
  startServe,
  testModelsDir,
  waitForExpression,
} from './harness.js';
import type { BrowserSession, ServeProcess } from './harness.js';
import type { Locator } from 'playwright-core';

/** Until an input shows this value (it is filled from an answer of the service). */
async function waitForValue(input: Locator, value: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await input.inputValue()) === value) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await input.inputValue(), value);
}
import { USERS } from './seed.js';
import { checkAnalysis } from './result-checks.js';

const skip = browserMissing();

describe('pulmonologist and auditor flows', { skip }, () => {
  let server: ServeProcess;
  let b: BrowserSession;
  let nurse: NodeApiClient;
  let engine = false;
  const recordingIds: number[] = [];

  before(async () => {
    const modelsDir = await testModelsDir().catch(() => null);
    engine = modelsDir !== null;
    server = await startServe({ modelsDir });
    nurse = await NodeApiClient.open(server.port, server.token);
    await nurse.call('auth.signIn', { username: USERS.nurse.username, password: USERS.nurse.password });
    const p = await nurse.call('patients.create', {
      mrn: 'MRN-7',
      givenName: 'Omar',
      familyName: 'Haddad',
      birthDate: '1949-11-02',
      sex: 'male',
    });
    for (const [diagnosis, site] of [
      ['copd', 'posterior-left-lower'],
      ['healthy', 'anterior-right-upper'],
    ] as const) {
      const wav = lungWav(diagnosis);
      const d = await nurse.call('recordings.import', {
        patientId: p.id,
        site,
        fileName: 'fixture.wav',
        wavBase64: readFileSync(wav.path).toString('base64'),
      });
      recordingIds.push(d.recording.id);
    }
    b = await openBrowser();
    await b.page.goto(server.url);
  });
  after(async () => {
    nurse?.close();
    await b?.close();
    await server?.stop();
  });

  test('the pulmonologist lands on the review queue of unsigned recordings', async () => {
    await signIn(b.page, USERS.doctor);
    assert.match(b.page.url(), /#\/review$/);
    await b.page.locator('table.data tbody tr').first().waitFor();
    assert.equal(await b.page.locator('table.data tbody tr').count(), 2);
    assert.match(await b.page.locator('[data-testid=page-info]').innerText(), /1–2 of 2/);
    await shot(b.page, 'review-queue');
  });

  test("the pulmonologist's header (the role with the most views) is one row at 1024x700 and 1440x900; below 1280 px Lock and Sign out are in the user menu, reached by keyboard", async () => {
    const page = b.page;
    await assertTopBarOneRow(page);
    await shotsAtBothSizes(page, 'header-pulmonologist');
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.locator('.who > button', { hasText: 'Sign out' }).waitFor();
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.locator('.who > button', { hasText: 'Sign out' }).waitFor({ state: 'hidden' });
    // From the account menu's summary, by keyboard alone: open it, then Tab through its items.
    await page.locator('.user-menu summary').focus();
    await page.keyboard.press('Enter');
    const reached: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Tab');
      reached.push(String(await page.evaluate('document.activeElement.textContent')));
    }
    assert.deepEqual(reached, ['Change password…', 'Lock', 'Sign out']);
    await page.locator('.user-menu summary').click(); // closed again
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('a recording page: spectrogram, playback with a moving cursor, evidence lane, analysis', async () => {
    await b.page.locator('table.data tbody tr', { hasText: 'Posterior left lower' }).click();
    await b.page.getByRole('heading', { name: /Posterior left lower · recording #\d+/ }).waitFor();
    await b.page.locator('.recording-left .spec-plot').waitFor();
    await waitForExpression(b.page, `document.querySelector('[data-testid=audio]')?.src.startsWith('blob:')`);
    if (engine) {
      await checkAnalysis(b.page.locator('.recording-right'));
      await b.page.locator('[data-testid=evidence], [data-testid=lane-none]').first().waitFor();
      assert.ok((await b.page.locator('[data-testid=yamnet-top] li').count()) > 0, 'YAMNet top sounds are listed');
    }
    // Clicking the spectrogram seeks; playing moves the cursor.
    const box = await b.page.locator('.recording-left .spec-plot').boundingBox();
    assert.ok(box);
    await b.page.mouse.click(box.x + box.width * 0.25, box.y + box.height / 2);
    const seeked = Number(await b.page.evaluate(`document.querySelector('[data-testid=audio]').currentTime`));
    assert.ok(seeked > 0, `clicking the spectrogram seeks the audio (currentTime ${seeked})`);
    await b.page.evaluate(`document.querySelector('[data-testid=audio]').play()`);
    await waitForExpression(
      b.page,
      `document.querySelector('[data-testid=audio]').currentTime > ${seeked + 0.5}`,
      10_000,
    );
    await b.page.evaluate(`document.querySelector('[data-testid=audio]').pause()`);
    const left = await b.page.evaluate(`parseFloat(document.querySelector('.spec-cursor').style.left)`);
    assert.ok(Number(left) > 25, `the cursor follows playback (${String(left)} %)`);
    await shot(b.page, 'recording');
  });

  test('add a finding, sign off; a signed recording takes only amendments', async () => {
    await b.page.locator('textarea[name=finding]').fill('Expiratory wheeze at the left base; coarse crackles.');
    await b.page.locator('select[name=label]').selectOption('copd');
    await b.page.getByRole('button', { name: 'Add finding' }).click();
    await b.page.locator('[data-testid=findings]').getByText('Expiratory wheeze at the left base').waitFor();
    // The signing dialog: nothing pre-filled, a meaning to choose, the password again.
    await b.page.getByRole('button', { name: 'Sign recording…' }).click();
    const dialog = b.page.locator('[data-testid=sign-dialog]');
    await dialog.waitFor();
    assert.equal(await dialog.locator('textarea[name=statement]').inputValue(), '', 'no pre-filled statement');
    assert.equal(await dialog.locator('input[name=meaning]:checked').count(), 0, 'no preselected meaning');
    assert.match(await dialog.innerText(), /Signing as Dr Paul Pulmo \(pulmonologist\)/);
    await dialog
      .locator('textarea[name=statement]')
      .fill('Coarse crackles and wheeze at the left base; consistent with COPD.');
    await dialog.locator('select[name=signLabel]').selectOption('copd');
    await dialog.getByLabel('Reviewed; I agree with the analysis').check();
    await dialog.locator('input[name=password]').fill('not my password');
    await dialog.getByRole('button', { name: 'Sign', exact: true }).click();
    await dialog
      .locator('.form-error')
      .getByText(/not your password/)
      .waitFor();
    await shot(b.page, 'sign-dialog');
    await dialog.locator('input[name=password]').fill(USERS.doctor.password);
    await dialog.getByRole('button', { name: 'Sign', exact: true }).click();
    await b.page.locator('[data-testid=signed-banner]').waitFor();
    const banner = await b.page.locator('[data-testid=signed-banner]').innerText();
    assert.match(banner, /Signed by Dr Paul Pulmo \(pulmonologist\)/);
    assert.match(banner, /Reviewed; I agree with the analysis/);
    assert.match(banner, /Signature valid/);
    assert.equal(
      await b.page.getByRole('button', { name: 'Sign recording…' }).count(),
      0,
      'no sign-off form on a signed recording',
    );
    await b.page.locator('textarea[name=finding]').fill('Addendum: spirometry requested.');
    await b.page.getByRole('button', { name: 'Add amendment' }).click();
    await b.page
      .locator('[data-testid=findings]')
      .getByText(/Amendment by paul/)
      .waitFor();
    await shot(b.page, 'recording-signed');
    // The service refuses to sign it again, whoever asks.
    const doctor = await NodeApiClient.open(server.port, server.token);
    await doctor.call('auth.signIn', { username: USERS.doctor.username, password: USERS.doctor.password });
    const id = Number(/recording #(\d+)/.exec(await b.page.locator('h1').innerText())?.[1]);
    await assert.rejects(
      doctor.call('recordings.sign', {
        recordingId: id,
        label: 'healthy',
        statement: 'changed my mind',
        meaning: 'reviewed-differs',
        password: USERS.doctor.password,
      }),
      (e: unknown) => e instanceof ApiCallFailed && ['SIGNED', 'CONFLICT'].includes(e.body.code),
    );
    doctor.close();
  });

  test('the pulmonologist exports this recording as a PDF report and downloads it', async () => {
    await b.page.getByRole('button', { name: 'PDF report' }).click();
    const link = b.page.locator('[data-testid=export-status] button', { hasText: /Download .*\.pdf/ });
    await link.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([b.page.waitForEvent('download'), link.click()]);
    assert.match(download.suggestedFilename(), /\.pdf$/);
    const path = await download.path();
    assert.ok(path && readFileSync(path).subarray(0, 5).toString() === '%PDF-', 'the download is a PDF');
  });

  test('the queue shrinks; the patient page shows every recording and the trend', async () => {
    await b.page.getByRole('link', { name: 'Review queue' }).click();
    await b.page.locator('[data-testid=page-info]').getByText('1–1 of 1').waitFor();
    await b.page.locator('table.data tbody tr').first().click();
    await b.page.locator('.page-head a').click();
    await b.page.getByRole('heading', { name: 'Haddad, Omar' }).waitFor();
    assert.equal(await b.page.locator('table.data tbody tr').count(), 2);
    if (engine) {
      // A line of the screen per site when a recording has a current result; otherwise it says why not.
      await b.page
        .locator('canvas[aria-label^="The screen probability over time"]')
        .or(b.page.getByText('No results to plot'))
        .first()
        .waitFor();
      if (await b.page.locator('canvas[aria-label^="The screen probability over time"]').count())
        assert.match(await b.page.locator('[data-testid=trend-gaps]').innerText(), /current result/);
    }
    await shot(b.page, 'patient-trend');
  });

  test('an empty queue says so and what happens next', async () => {
    const doctor = await NodeApiClient.open(server.port, server.token);
    await doctor.call('auth.signIn', { username: USERS.doctor.username, password: USERS.doctor.password });
    await doctor.call('recordings.sign', {
      recordingId: recordingIds[1] as number,
      label: 'healthy',
      statement: 'Normal vesicular breath sounds.',
      meaning: 'reviewed-agree',
      password: USERS.doctor.password,
    });
    doctor.close();
    await b.page.getByRole('link', { name: 'Review queue' }).click();
    await b.page.getByText('Nothing to review').waitFor();
    await shot(b.page, 'review-queue-empty');
  });

  test('the admin manages users', async () => {
    await signOut(b.page);
    await signIn(b.page, USERS.admin);
    assert.match(b.page.url(), /#\/users$/);
    await b.page.locator('input[name=newUsername]').fill('nora');
    await b.page.locator('input[name=displayName]').fill('Nora Night-shift');
    await b.page.locator('select[name=role]').selectOption('nurse');
    await b.page.locator('input[name=newPassword]').fill('nora-pass-12345');
    await b.page.getByRole('button', { name: 'Add user' }).click();
    await b.page.locator('table.data tbody tr', { hasText: 'nora' }).waitFor();
    await shot(b.page, 'users');
    await signOut(b.page);
  });

  test('the admin sets the inactivity lock (audited); the session then locks after it and unlocks with the password', async () => {
    await signIn(b.page, USERS.admin);
    const lockField = b.page.locator('input[name=lockAfterMin]');
    await waitForValue(lockField, '5'); // the default, five minutes, read from the site settings
    await lockField.fill('0.17'); // 10 s, the shortest the site allows
    await b.page.getByRole('button', { name: 'Save settings' }).click();
    await b.page.locator('[data-testid=settings-status]').getByText('Saved: the screen locks after 10 s').waitFor();
    await shot(b.page, 'site-settings');
    await lockField.fill('600');
    assert.equal(
      await lockField.evaluate((el) => (el as unknown as { validity: { valid: boolean } }).validity.valid),
      false,
      'the form itself refuses ten hours',
    );
    await signOut(b.page);

    // a URL parameter no longer changes it (it used to let any user raise the delay)
    await b.page.goto(`http://127.0.0.1:${server.port}/?lockAfter=99999#/review`);
    const t0 = Date.now();
    await signIn(b.page, USERS.doctor);
    await b.page.getByText(/Locked after 10 s without activity/).waitFor({ timeout: 25_000 });
    assert.ok(Date.now() - t0 >= 9_000, 'not before the delay');
    assert.equal(await b.page.locator('input[name=username]').inputValue(), USERS.doctor.username);
    await shot(b.page, 'locked');
    await b.page.locator('input[name=password]').fill(USERS.doctor.password);
    await b.page.getByRole('button', { name: 'Unlock' }).click();
    await b.page.locator('[data-testid=current-user]').waitFor();
    await signOut(b.page);

    const auditor = await NodeApiClient.open(server.port, server.token);
    const admin = await NodeApiClient.open(server.port, server.token);
    try {
      await auditor.call('auth.signIn', { username: USERS.auditor.username, password: USERS.auditor.password });
      const log = await auditor.call('audit.list', { action: 'settings.change' });
      assert.equal(log.total, 1, 'one change saved, the refused one not');
      const d = log.items[0]!.details;
      assert.deepEqual([d['name'], d['from'], d['to']], ['lockAfterSec', 300, 10]);
      assert.equal(log.items[0]!.username, USERS.admin.username);
      await admin.call('auth.signIn', { username: USERS.admin.username, password: USERS.admin.password });
      await assert.rejects(
        admin.call('settings.set', { lockAfterSec: 36_000 }),
        /Lock the screen after: must be between 10 and 3600 seconds/,
      );
      await admin.call('settings.set', { lockAfterSec: 300 }); // the later tests work at their own pace
    } finally {
      auditor.close();
      admin.close();
    }
  });

  test('the auditor filters the log, verifies the chain and exports the session history', async () => {
    await b.page.goto(server.url);
    await signIn(b.page, USERS.auditor);
    assert.match(b.page.url(), /#\/audit$/);
    await b.page.locator('table.data tbody tr').first().waitFor();
    await b.page.getByRole('button', { name: 'Verify the chain' }).click();
    await b.page
      .locator('[data-testid=chain-status]')
      .getByText(/Chain intact: \d+ entries verified/)
      .waitFor();
    await b.page.locator('input[name=username]').fill(USERS.doctor.username);
    await b.page.locator('input[name=action]').fill('recording.sign');
    await b.page.getByRole('button', { name: 'Filter' }).click();
    // Both sign-offs (one in the browser, one through the API) and the refused attempt with a wrong password.
    await b.page.locator('[data-testid=page-info]').getByText('1–3 of 3').waitFor();
    const rows = await b.page.locator('table.data tbody tr').allInnerTexts();
    assert.equal(rows.length, 3);
    assert.equal(rows.filter((r) => /paul\s+recording\.sign\s+recording of MRN-7 \(Haddad, Omar\)/.test(r)).length, 2);
    assert.equal(
      rows.filter((r) => /paul\s+recording\.sign\.refused\s+recording of MRN-7 \(Haddad, Omar\)/.test(r)).length,
      1,
    );
    await b.page.locator('input[name=action]').fill('nothing.like.this');
    await b.page.getByRole('button', { name: 'Filter' }).click();
    await b.page.getByText('No entries match').waitFor();
    await shot(b.page, 'audit-empty-filter');
    await b.page.locator('input[name=action]').fill('');
    await b.page.locator('input[name=username]').fill('');
    await b.page.getByRole('button', { name: 'Filter' }).click();
    await b.page.locator('table.data tbody tr').first().waitFor();
    await b.page.locator('select[name=kind]').selectOption('audit-history');
    await b.page.getByRole('button', { name: 'Start export' }).click();
    const job = b.page.locator('[data-testid=export-jobs] li.job').first();
    await job.getByText(/done · 100 %/).waitFor({ timeout: 30_000 });
    const files = await job.locator('ul.files li').allInnerTexts();
    assert.ok(
      files.some((f) => /manifest/i.test(f)),
      `the export lists its manifest: ${files.join(' | ')}`,
    );
    await shot(b.page, 'audit-export');
    // The export itself is in the log, and the chain still verifies.
    await b.page.locator('input[name=username]').fill(USERS.auditor.username);
    await b.page.locator('input[name=action]').fill('export.done');
    await b.page.getByRole('button', { name: 'Filter' }).click();
    await b.page.locator('[data-testid=page-info]').getByText('1–1 of 1').waitFor();
    await b.page.getByRole('button', { name: 'Verify the chain' }).click();
    await b.page
      .locator('[data-testid=chain-status]')
      .getByText(/Chain intact/)
      .waitFor();
  });

  test('no script errors or CSP violations', () => {
    assert.deepEqual(b.errors, []);
  });
});
