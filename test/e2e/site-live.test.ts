/**
 * Live across workstations, in the browser: two `auscult serve` processes on one throwaway
 * PostgreSQL site database. A pulmonologist works in Chromium on workstation A while a nurse imports
 * and a colleague signs on workstation B: A's review queue shows the new recording without a reload
 * of the page and without losing the user's place (filter, scroll, focused row), waits while a
 * dialog is open, and A's patient page shows the signature made on B; A then refuses to sign it
 * again. Latencies are printed (not asserted: no timing asserts here).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WireResponse } from '../../src/service/api.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { approveSiteKeys, seedSite, startSiteServe, type SiteServe, type SiteUser } from '../support/site-serve.js';
import { WireClient } from '../support/wire-client.js';
import { syntheticBreath, wavBytes } from './fixtures.js';
import { browserMissing, openBrowser, signIn, waitForExpression, type BrowserSession } from './harness.js';
import { USERS } from './seed.js';

const SHOTS = '/work/shots/sitelive';
const NURSE: SiteUser = USERS.nurse;
const DOCTOR: SiteUser = USERS.doctor;
const WAV = wavBytes(syntheticBreath(4000, 3), 4000).toString('base64');
/** Enough rows that the queue scrolls at 1024×700. */
const BEFORE = 14;

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the result's shape
function ok<T>(r: WireResponse): T {
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.result as T;
}

async function wsClient(ws: SiteServe, user: SiteUser): Promise<WireClient> {
  const c = await WireClient.open(ws.port, ws.token);
  ok<unknown>(await c.call('auth.signIn', { username: user.username, password: user.password }));
  return c;
}

const skip = browserMissing();
let cluster: PgCluster | null = null;
let pgSkipped: string | null = null;

describe('live across workstations in the browser (site database)', { skip }, () => {
  let a: SiteServe;
  let b: SiteServe;
  let nurseOnB: WireClient;
  let doctorOnB: WireClient;
  let doctorOnA: WireClient;
  let browser: BrowserSession;
  let patientId = 0;
  const imported: number[] = [];

  const importOnB = async (i: number): Promise<number> => {
    const r = ok<{ recording: { id: number } }>(
      await nurseOnB.call('recordings.import', { patientId, site: 'trachea', fileName: `b-${i}.wav`, wavBase64: WAV }),
    );
    imported.push(r.recording.id);
    return r.recording.id;
  };
  /** Ids of the queue's rows as the page shows them. */
  const rowIds = async (): Promise<number[]> =>
    (
      await browser.page.evaluate<number[]>(
        `[...document.querySelectorAll('table.data tbody tr[data-recording-id]')].map((r) => Number(r.dataset.recordingId))`,
      )
    ).filter(Number.isFinite);

  before(async () => {
    cluster = await startPgCluster((reason) => (pgSkipped = reason));
    if (!cluster) return;
    cluster.createSite('site_e2e', ['ws_a', 'ws_b']);
    await seedSite(cluster, 'site_e2e', [NURSE, DOCTOR]);
    // the owner approves its own key, which sealed the accounts (a seal by a key awaiting approval
    // does not let an account sign in)
    assert.equal(approveSiteKeys(cluster, 'site_e2e'), 1);
    [a, b] = await Promise.all([
      startSiteServe(cluster.url('ws_a', 'site_e2e'), 'a'),
      startSiteServe(cluster.url('ws_b', 'site_e2e'), 'b'),
    ]);
    nurseOnB = await wsClient(b, NURSE);
    doctorOnB = await wsClient(b, DOCTOR);
    doctorOnA = await wsClient(a, DOCTOR);
    patientId = ok<{ id: number }>(
      await nurseOnB.call('patients.create', { mrn: 'SITE-1', givenName: 'Omar', familyName: 'Haddad', sex: 'male' }),
    ).id;
    for (let i = 0; i < BEFORE; i++) await importOnB(i);
    browser = await openBrowser();
    await browser.page.setViewportSize({ width: 1024, height: 700 });
    await browser.page.goto(a.url);
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    for (const c of [nurseOnB, doctorOnB, doctorOnA]) c?.close();
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    cluster?.stop();
  });

  test('A’s review queue shows an import made on B, keeping the filter, the scroll and the focused row', async (t) => {
    if (!cluster) {
      t.skip(pgSkipped ?? 'no cluster');
      return;
    }
    const page = browser.page;
    await signIn(page, DOCTOR);
    assert.match(page.url(), /#\/review$/);
    // the user's place: a filter (these imports are unanalysed), scrolled down, a row focused
    await page.locator('select[name=screen]').selectOption('none');
    await waitForExpression(page, `document.querySelectorAll('table.data tbody tr').length === ${BEFORE}`);
    const focusId = imported[BEFORE - 3]!;
    await page.locator(`tr[data-recording-id="${focusId}"]`).focus();
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    const scrolled = Number(await page.evaluate('window.scrollY'));
    assert.ok(scrolled > 0, 'the queue is long enough to scroll at 1024×700');

    const id = await importOnB(BEFORE);
    const t0 = performance.now();
    await waitForExpression(page, `!!document.querySelector('tr[data-recording-id="${id}"]')`, 10_000);
    console.log(`# imported on B → in A's queue (Chromium): ${(performance.now() - t0).toFixed(0)} ms from B's answer`);
    assert.deepEqual(await rowIds(), imported, 'oldest first, the new one at the end, nothing else changed');
    assert.equal(await page.locator('select[name=screen]').inputValue(), 'none', 'the filter kept');
    assert.equal(Number(await page.evaluate('window.scrollY')), scrolled, 'the scroll position kept');
    assert.equal(
      await page.evaluate('document.activeElement?.dataset?.recordingId ?? null'),
      String(focusId),
      'focus still on the same recording’s row',
    );
    assert.match(await page.locator('[data-testid=page-info]').innerText(), new RegExp(`of ${BEFORE + 1}$`));
    await page.screenshot({ path: join(SHOTS, 'queue-after-live-import-1024x700.png'), fullPage: false });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.locator(`tr[data-recording-id="${id}"]`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'queue-after-live-import-1440x900.png'), fullPage: false });
    await page.setViewportSize({ width: 1024, height: 700 });
  });

  test('while a dialog is open on A the queue waits; it reloads when the dialog closes', async (t) => {
    if (!cluster) {
      t.skip(pgSkipped ?? 'no cluster');
      return;
    }
    const page = browser.page;
    // a dialog with something typed in it (the app's dialogs are <dialog> elements, modal)
    await page.evaluate(`(() => {
      const d = document.createElement('dialog');
      d.setAttribute('data-testid', 'probe-dialog');
      const input = document.createElement('input');
      input.name = 'probe';
      d.append(input);
      document.body.append(d);
      d.showModal();
      input.value = 'half-typed';
    })()`);
    const before = await rowIds();
    const id = await importOnB(BEFORE + 1);
    // the announcement reached workstation A (another of its clients heard it) …
    const end = Date.now() + 10_000;
    while (
      !doctorOnA.events.some(
        (e) => e.event === 'recordings.changed' && (e.payload as { recordingId?: number }).recordingId === id,
      )
    ) {
      if (Date.now() > end) assert.fail('workstation A never announced the import');
      await new Promise((r) => setTimeout(r, 20));
    }
    // … and well past the refresh's settling time the page has not reloaded under the dialog
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(await rowIds(), before, 'no reload while the dialog is open');
    assert.equal(await page.locator('[data-testid=probe-dialog] input').inputValue(), 'half-typed');
    await page.evaluate(`document.querySelector('[data-testid=probe-dialog]').close()`);
    await waitForExpression(page, `!!document.querySelector('tr[data-recording-id="${id}"]')`, 10_000);
    assert.deepEqual(await rowIds(), imported);
  });

  test('A’s patient page shows a signature made on B, and A refuses to sign it again', async (t) => {
    if (!cluster) {
      t.skip(pgSkipped ?? 'no cluster');
      return;
    }
    const page = browser.page;
    await page.evaluate(`location.hash = '#/patient/${patientId}'`);
    const target = imported[0]!;
    const row = page.locator(`tr[data-recording-id="${target}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /\bno$/m, 'unsigned at first');
    // the page has finished loading (its trend: these takes have no result to plot)
    await page.getByText('No results to plot').waitFor();
    ok<unknown>(
      await doctorOnB.call('recordings.sign', {
        recordingId: target,
        label: 'healthy',
        statement: 'Reviewed on workstation B.',
        meaning: 'reviewed-agree',
        password: DOCTOR.password,
      }),
    );
    const t0 = performance.now(); // from B's answer (the password check before it is scrypt's)

    const heard = (async () => {
      while (
        !doctorOnA.events.some(
          (e) => e.event === 'recordings.changed' && (e.payload as { kind: string }).kind === 'recording.signed',
        )
      )
        await new Promise((r) => setTimeout(r, 10));
      return performance.now() - t0;
    })();
    await waitForExpression(
      page,
      `document.querySelector('tr[data-recording-id="${target}"]')?.innerText.includes('✓ paul')`,
      10_000,
    );
    console.log(`# (workstation A's own WebSocket client heard it after ${(await heard).toFixed(0)} ms)`);
    console.log(`# signed on B → A's patient page shows it: ${(performance.now() - t0).toFixed(0)} ms from B's answer`);
    assert.equal(
      await page.locator('table.data tbody tr').count(),
      imported.length,
      'the other recordings still listed',
    );
    await row.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'patient-after-live-sign-1024x700.png'), fullPage: false });
    await page.setViewportSize({ width: 1440, height: 900 });
    await row.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'patient-after-live-sign-1440x900.png'), fullPage: false });

    // the site's owner approved the workstations' keys (a seal by a key awaiting approval is not valid)
    assert.equal(approveSiteKeys(cluster, 'site_e2e'), 2, "A's and B's keys (the owner's was approved first)");
    // editing is refused on A: no sign-off form on its page, and the service says why
    await row.click();
    await page.locator('[data-testid=signed-banner]').waitFor();
    const banner = await page.locator('[data-testid=signed-banner]').innerText();
    assert.match(banner, /Signed by Dr Paul Pulmo/);
    assert.match(banner, /Signature valid/, 'B’s seal checked against B’s approved key');
    assert.equal(await page.getByRole('button', { name: 'Sign recording…' }).count(), 0);
    await page.screenshot({ path: join(SHOTS, 'recording-signed-on-b-seen-on-a-1440x900.png'), fullPage: false });
    const again = await doctorOnA.call('recordings.sign', {
      recordingId: target,
      label: 'copd',
      statement: 'Signed again on A.',
      meaning: 'reviewed-differs',
      password: DOCTOR.password,
    });
    assert.equal(again.ok, false);
    if (!again.ok) {
      assert.equal(again.error.code, 'SIGNED');
      assert.match(again.error.message, /already signed by paul/);
    }
    assert.deepEqual(browser.errors, [], 'no console errors on A');
  });
});
