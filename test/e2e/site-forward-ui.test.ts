/**
 * What the nurse sees when the site database goes away (issue 17, store and forward): the real
 * `auscult serve` on a real PostgreSQL cluster, Chromium on its record view. With the server
 * stopped, an imported WAV is "Saved on this workstation, waiting to upload" under Result and in
 * the view's status line; when the server is back the line goes once the upload is done.
 * Screenshots at 1024×700 and 1440×900.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashPassword, Store } from '../../src/store/index.js';
import { scratchDir } from '../support/paths.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { lungWav } from './fixtures.js';
import { browserMissing, openBrowser, shot, signIn, startServe } from './harness.js';
import type { BrowserSession, ServeProcess } from './harness.js';
import { USERS } from './seed.js';
import { createAccount } from '../support/accounts.js';
import { approveSiteKeys } from '../support/site-serve.js';

const skip = browserMissing();
const DB = 'site_ui';

describe('site mode: the nurse sees what waits to upload', { skip }, () => {
  let cluster: PgCluster | null = null;
  let skipped: string | null = null;
  let server: ServeProcess;
  let b: BrowserSession;

  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    if (!cluster) return;
    cluster.createSite(DB, ['ws_ui']);
    const owner = Store.openSite(cluster.url('auscult_owner', DB), { signing: { dir: scratchDir('ui-owner-') } });
    try {
      const passwordHash = await hashPassword(USERS.nurse.password);
      owner.tx(() =>
        createAccount(owner, {
          username: USERS.nurse.username,
          displayName: USERS.nurse.displayName,
          role: 'nurse',
          passwordHash,
        }),
      );
    } finally {
      owner.close();
    }
    // the owner's key sealed the account: approved, as the site's owner does, or it cannot sign in
    approveSiteKeys(cluster, DB);
    server = await startServe({ db: cluster.url('ws_ui', DB) });
    b = await openBrowser();
  });
  after(async () => {
    await b?.close();
    await server?.stop();
    cluster?.stop();
  });

  test('server stopped: an import is saved here, waiting to upload; back: it uploads and the line goes', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const page = b.page;
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(server.url);
    await signIn(page, USERS.nurse);
    await page.getByRole('button', { name: '+ New patient' }).click();
    await page.locator('input[name=mrn]').fill('SITE-0001');
    await page.locator('input[name=givenName]').fill('Maria');
    await page.locator('input[name=familyName]').fill('Lopez');
    await page.getByRole('button', { name: 'Create patient' }).click();
    await page.locator('[data-testid=chosen-patient]').getByText('Lopez, Maria').waitFor();
    await page.locator('g[data-site="trachea"]').click();
    const line = page.locator('[data-testid=upload-status]');
    assert.equal(await line.isHidden(), true, 'nothing waits: no line');

    cluster.pause();
    await page.locator('details.import summary').click();
    await page.locator('input[name=wavFile]').setInputFiles(lungWav('healthy').path);
    await page
      .locator('[data-testid=result]')
      .getByText('Saved on this workstation, waiting to upload')
      .waitFor({ timeout: 60_000 });
    await line.getByText('1 recording is saved on this workstation, waiting to upload').waitFor();
    assert.match(await page.locator('details.import p.hint[role=status]').innerText(), /Saved .* on this workstation/);
    assert.equal(await page.locator('[data-testid=result] .form-error').count(), 0, 'shown as a state, not a failure');
    await shot(page, 'site-waiting-to-upload-1024');
    await page.setViewportSize({ width: 1440, height: 900 });
    await shot(page, 'site-waiting-to-upload-1440');

    cluster.resume();
    await line.waitFor({ state: 'hidden', timeout: 60_000 });
    await page.locator('[data-testid=waiting-note]').getByText('Uploaded to the site database').waitFor();
    await shot(page, 'site-uploaded-1440');
    assert.deepEqual(b.errors, []);
  });
});
