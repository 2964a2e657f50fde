/// <reference lib="dom" />
/**
 * The nurse's Record flow and the review queue, as issue 15 found them, in Chromium against the
 * real `auscult serve` (real SQLite file, the virtual ALSA stethoscope): Stop during the countdown
 * cancels plainly; Discard leaves nothing of the take; a too-short take offers "record again";
 * the last device and length come back per user; a taken MRN offers "Open that patient" and a
 * same-name-and-birth-date patient needs a confirmation; the live spectrogram follows a resize
 * (and is sharp on HiDPI); a CJK name renders; the review queue flags, sorts and filters; Lock
 * pressed during a take says it waits for the take, which is saved, and then locks; a patient
 * renamed at another desk since the screen showed them is refused at Record (nothing recorded),
 * and shown as they are now for the nurse to check.
 * Screenshots at 1024×700 and 1440×900 into test-results/flow-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Store } from '../../src/store/index.js';
import { skipUnlessCi } from '../support/ci.js';
import { scratchDir } from '../support/paths.js';
import { tone, virtualAlsa, writeRaw } from '../support/virtual-alsa.js';
import { syntheticBreath, wavBytes } from './fixtures.js';
import {
  browserMissing,
  openBrowser,
  shot,
  shotsAtBothSizes,
  signedInClient,
  signIn,
  signOut,
  startServe,
  waitForExpression,
} from './harness.js';
import type { BrowserSession, ServeProcess } from './harness.js';
import { seedUsers, USERS } from './seed.js';
import type { SeedUser } from './seed.js';

const skip = browserMissing();
const NURSE2: SeedUser = { username: 'nora', displayName: 'Nora Nurse', role: 'nurse', password: 'nurse2-pass-1234' };
const SIZES = [
  [1024, 700],
  [1440, 900],
] as const;

async function shots(page: Page, name: string): Promise<void> {
  for (const [w, hgt] of SIZES) {
    await page.setViewportSize({ width: w, height: hgt });
    await shot(page, `flow-${name}-${w}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

const captureText = (page: Page): Promise<string> => page.locator('[data-testid=capture-state]').innerText();

async function devicesListed(page: Page): Promise<string[]> {
  await waitForExpression(
    page,
    `!/Looking for input devices/.test(document.querySelector('[data-testid=device-note]')?.textContent ?? 'Looking')`,
  );
  return page.locator('select[name=device] option').allInnerTexts();
}

/** Every text the capture-state line shows from now on (window.__states), to prove what never appeared. */
async function recordStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __states: string[] };
    w.__states = [];
    const el = document.querySelector('[data-testid=capture-state]') as HTMLElement;
    new MutationObserver(() => w.__states.push(el.textContent ?? '')).observe(el, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
}
const statesSeen = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { __states: string[] }).__states);

async function pickPatient(page: Page, query: string, name: string): Promise<void> {
  await page.locator('input[aria-label="Find patient"]').fill(query);
  await page.locator('button.pick', { hasText: name }).click();
  await page.locator('[data-testid=chosen-patient]').getByText(name).first().waitFor();
}

describe('Record flow and review queue (issue 15)', { skip }, () => {
  let server: ServeProcess;
  let b: BrowserSession;
  let ids: Record<'abnormalOld' | 'abnormalNew' | 'uncertain' | 'healthy' | 'short' | 'interrupted', number>;
  let dbPath: string;
  /** How many recordings the server's history holds (read from its SQLite file). */
  const takes = (): number => {
    const store = Store.open(dbPath, { readonly: true });
    try {
      return store.recordings.list({}, 1, 0).total;
    } finally {
      store.close();
    }
  };

  before(async () => {
    const dir = scratchDir('auscult-e2e-flow-');
    const a = join(dir, 'a.raw');
    writeRaw(a, tone(44100, 600, 180, 0.2));
    const alsa = virtualAlsa([
      { name: 'auscult_test_steth_a', infile: a },
      { name: 'auscult_test_steth_b', infile: a },
    ]);
    // The queue's recordings are seeded through the real store before the server opens the file.
    const srvDir = scratchDir('auscult-e2e-flow-srv-');
    mkdirSync(join(srvDir, 'data'), { recursive: true });
    dbPath = join(srvDir, 'auscult.sqlite');
    await seedUsers(dbPath, [...Object.values(USERS), NURSE2]);
    ids = seedQueue(dbPath);
    server = await startServe({ env: alsa.env, modelsDir: null, dir: srvDir });
    b = await openBrowser();
    await b.page.goto(server.url);
    await signIn(b.page, USERS.nurse);
  });
  after(async () => {
    await b?.close();
    await server?.stop();
  });

  test('a taken MRN offers “Open that patient”, which opens it', async () => {
    const page = b.page;
    await page.getByRole('button', { name: '+ New patient' }).click();
    await page.locator('input[name=mrn]').fill('FLOW-1');
    await page.locator('input[name=givenName]').fill('秀英');
    await page.locator('input[name=familyName]').fill('王');
    await page.locator('input[name=birthDate]').fill('1961-07-09');
    await page.getByRole('button', { name: 'Create patient' }).click();
    await page.locator('[data-testid=chosen-patient]').getByText('王, 秀英').waitFor();
    await page.locator('[data-testid=chosen-patient]').getByRole('button', { name: 'change' }).click();
    await page.getByRole('button', { name: '+ New patient' }).click();
    await page.locator('input[name=mrn]').fill('FLOW-1');
    await page.locator('input[name=givenName]').fill('Someone');
    await page.locator('input[name=familyName]').fill('Else');
    await page.getByRole('button', { name: 'Create patient' }).click();
    await page
      .locator('.quick-create [role=alert]')
      .getByText(/already exists; open that patient/)
      .waitFor();
    // The picker lists the patient behind the MRN instead of "No patients yet".
    await page.locator('button.pick', { hasText: '王, 秀英' }).waitFor();
    await shots(page, 'duplicate-mrn');
    await page.getByRole('button', { name: 'Open that patient' }).click();
    await page.locator('[data-testid=chosen-patient]').getByText('王, 秀英').waitFor();
    assert.match(await page.locator('[data-testid=chosen-patient]').innerText(), /MRN FLOW-1/);
  });

  test('same name and birth date: a likely-duplicate warning; created only after an explicit confirm', async () => {
    const page = b.page;
    await page.locator('[data-testid=chosen-patient]').getByRole('button', { name: 'change' }).click();
    await page.getByRole('button', { name: '+ New patient' }).click();
    await page.locator('input[name=mrn]').fill('FLOW-2');
    await page.locator('input[name=givenName]').fill('秀英');
    await page.locator('input[name=familyName]').fill('王');
    await page.locator('input[name=birthDate]').fill('1961-07-09');
    await page.getByRole('button', { name: 'Create patient' }).click();
    const alert = page.locator('.quick-create [role=alert]');
    await alert.getByText(/same name and date of birth .*MRN FLOW-1.*probably the same person/).waitFor();
    assert.equal(await page.locator('[data-testid=chosen-patient]').innerText(), 'No patient chosen.');
    await shots(page, 'duplicate-similar');
    await alert.getByRole('button', { name: 'It is a different person: create' }).click();
    await page
      .locator('[data-testid=chosen-patient]')
      .getByText(/MRN FLOW-2/)
      .waitFor();
  });

  test('the length starts at 20 s; Stop during the countdown cancels plainly, never “Saving and analysing”', async (t) => {
    const page = b.page;
    const options = await devicesListed(page);
    if (!options.some((o) => o.includes('auscult_test_steth_b'))) {
      skipUnlessCi(t, `capture is not available here: ${options.join(' | ')}`);
      return;
    }
    assert.equal(await page.locator('select[name=duration]').inputValue(), '20', 'default length 20 s');
    await page.locator('g[data-site="anterior-right-upper"]').click();
    await page
      .locator('select[name=device]')
      .selectOption({ index: options.findIndex((o) => o.includes('auscult_test_steth_b')) });
    await page.locator('select[name=duration]').selectOption('10');
    await recordStates(page);
    await page.locator('body').press('r');
    await page
      .locator('[data-testid=capture-state]')
      .getByText(/Get ready/)
      .waitFor();
    await page.locator('body').press('r'); // Stop, still in the 3 s countdown
    await page.locator('[data-testid=capture-state]').getByText('Recording cancelled: nothing was recorded.').waitFor();
    await new Promise((r) => setTimeout(r, 1500)); // anything late (state events, frames) has arrived
    assert.equal(await captureText(page), 'Recording cancelled: nothing was recorded.', 'the sentence stays');
    const seen = await statesSeen(page);
    assert.ok(!seen.some((s) => /Saving and analysing|Recording anterior/i.test(s)), seen.join(' | '));
    assert.equal(await page.locator('[data-testid=result]').isVisible(), false, 'no result, no verdict');
    assert.match(await page.locator('[data-testid=live-quality]').innerText(), /^\S*\s*(—|No|Sound quality appears)/);
    assert.doesNotMatch(await page.locator('[data-testid=live-quality]').innerText(), /poor/i);
    await shots(page, 'countdown-cancelled');
  });

  test('Discard leaves nothing of the take (verdict, meter, spectrogram), and “Discarded” stays', async (t) => {
    const page = b.page;
    if ((await page.locator('select[name=device] option').count()) === 0) {
      skipUnlessCi(t, 'capture is not available here');
      return;
    }
    await page.locator('select[name=duration]').selectOption('free');
    await page.locator('body').press('r');
    await waitForExpression(
      page,
      `/Recording Anterior/.test(document.querySelector('[data-testid=capture-state]')?.textContent ?? '')`,
      30_000,
    );
    await waitForExpression(page, `(window.__auscultLive?.columnsDrawn ?? 0) > 100`, 30_000);
    await page
      .locator('[data-testid=live-quality]')
      .getByText(/quality/i)
      .waitFor();
    await page.getByRole('button', { name: /Discard/ }).click(); // the harness accepts the confirmation
    await page.locator('[data-testid=capture-state]').getByText('Discarded. Nothing was saved.').waitFor();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await captureText(page), 'Discarded. Nothing was saved.', '“Discarded” is not overwritten');
    assert.equal(await page.locator('[data-testid=result]').isVisible(), false);
    assert.match(await page.locator('[data-testid=live-screen]').innerText(), /appears after at least 3 s/);
    assert.equal(await page.locator('[data-testid=live-counts]').innerText(), '');
    assert.equal(await page.locator('[data-testid=level]').innerText(), 'Level: — (shown while the device is open)');
    assert.equal(await page.locator('.meter-fill').evaluate((e) => (e as HTMLElement).style.width), '0%');
    assert.equal(await page.locator('[data-testid=quality]').getAttribute('class'), 'quality quality-none');
    const stats = await page.evaluate(
      () => (window as unknown as { __auscultLive?: { columnsDrawn: number } }).__auscultLive,
    );
    assert.equal(stats?.columnsDrawn, 0, 'the spectrogram was cleared and no late frame of the take was drawn');
    await shots(page, 'discarded');
  });

  test('Lock during a take says it waits for the take; the take is saved, then the screen locks; without a take at once', async (t) => {
    const page = b.page;
    if ((await page.locator('select[name=device] option').count()) === 0) {
      skipUnlessCi(t, 'capture is not available here');
      return;
    }
    const before = takes();
    await page.locator('body').press('r'); // the free length the Discard test left
    await waitForExpression(
      page,
      `/Recording Anterior/.test(document.querySelector('[data-testid=capture-state]')?.textContent ?? '')`,
      30_000,
    );
    // Lock: the bar's button on a wide window, the user menu's below 1280 px
    if (!(await page.locator('.who > button', { hasText: 'Lock' }).isVisible()))
      await page.locator('.user-menu summary').click();
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    const waits = page.locator('[data-testid=lock-waits]');
    await waits.waitFor();
    assert.match(await waits.innerText(), /^Locks when this recording stops/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.match(await captureText(page), /^Recording Anterior/, 'the take goes on');
    assert.equal(await page.locator('form.signin').count(), 0, 'not locked yet');
    await shotsAtBothSizes(page, 'flow-lock-waits');
    assert.equal(await waits.isVisible(), true, 'the line stays while the take runs');
    await page.locator('body').press('Space'); // Stop and save
    await page.getByText('Locked when the recording ended, as you asked. Sign in again to continue.').waitFor({
      timeout: 60_000,
    });
    assert.equal(await page.locator('input[name=username]').inputValue(), USERS.nurse.username);
    assert.equal(takes(), before + 1, 'the take was saved before the lock');
    await shotsAtBothSizes(page, 'flow-locked-after-take');
    await page.locator('input[name=password]').fill(USERS.nurse.password);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.locator('[data-testid=current-user]').waitFor();
    await page.locator('select[name=device] option').first().waitFor({ state: 'attached' });
    assert.equal(await page.locator('[data-testid=lock-waits]').isVisible(), false, 'no waiting line after unlocking');
    // Lock with no take running locks at once, and does not claim the lock came from inactivity
    if (!(await page.locator('.who > button', { hasText: 'Lock' }).isVisible()))
      await page.locator('.user-menu summary').click();
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.getByText('Locked. Sign in again to continue.', { exact: true }).waitFor();
    await page.locator('input[name=password]').fill(USERS.nurse.password);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.locator('[data-testid=current-user]').waitFor();
  });

  test('the device and length come back for the same nurse, not for another', async (t) => {
    const page = b.page;
    if ((await page.locator('select[name=device] option').count()) === 0) {
      skipUnlessCi(t, 'capture is not available here');
      return;
    }
    await page.reload();
    await signIn(page, USERS.nurse).catch(() => undefined); // a reload may keep the session
    await devicesListed(page);
    assert.equal(await page.locator('select[name=duration]').inputValue(), 'free', 'her last length');
    assert.equal(await page.locator('select[name=device]').inputValue(), 'auscult_test_steth_b', 'her last device');
    await signOut(page);
    await signIn(page, NURSE2);
    await devicesListed(page);
    assert.equal(await page.locator('select[name=duration]').inputValue(), '20', 'another nurse: the default');
    await signOut(page);
    await signIn(page, USERS.nurse);
  });

  test('a take shorter than the analysis needs offers “Record this site again”; R records the same site', async (t) => {
    const page = b.page;
    await pickPatient(page, 'FLOW-1', 'MRN FLOW-1');
    await page.locator('g[data-site="posterior-left-lower"]').click();
    const wav = join(scratchDir('auscult-e2e-short-'), 'short.wav');
    writeFileSync(wav, wavBytes(syntheticBreath(8000, 2), 8000));
    await page.locator('details.import summary').click();
    await page.locator('input[name=wavFile]').setInputFiles(wav);
    await page.locator('[data-testid=redo-reason]').waitFor({ timeout: 60_000 });
    assert.match(
      await page.locator('[data-testid=redo-reason]').innerText(),
      /Record this site again: only 2\.0 s was recorded; the analysis needs at least 3 s/,
    );
    assert.equal(await page.locator('[data-testid=record-again]').innerText(), 'Record Posterior left lower again (R)');
    assert.equal(
      await page.locator('[data-testid=record-again]').evaluate((e) => e === document.activeElement),
      true,
      'the offer has the focus, not the next site',
    );
    assert.equal(await page.locator('g[data-site="posterior-left-lower"].done').count(), 0, 'not marked as done');
    await shots(page, 'record-again');
    if ((await page.locator('select[name=device] option').count()) === 0) {
      skipUnlessCi(t, 'capture is not available here');
      return;
    }
    await page.keyboard.press('r');
    await page
      .locator('[data-testid=capture-state]')
      .getByText(/Get ready/)
      .waitFor();
    assert.match(await page.locator('[data-testid=site-caption]').innerText(), /Posterior left lower/);
    await page.keyboard.press('r'); // stop in the countdown: cancelled
    await page.locator('[data-testid=capture-state]').getByText('Recording cancelled').waitFor();
  });

  test('the live spectrogram follows a resize (now-edge and legend inside), sharp at devicePixelRatio 2', async () => {
    const measure = (page: Page) =>
      page.evaluate(() => {
        const wrap = document.querySelector('.spec-plot-wrap') as HTMLElement;
        const plot = wrap.querySelector('canvas') as HTMLCanvasElement;
        const legend = document.querySelector('.spec-legend') as HTMLCanvasElement;
        const xAxis = document.querySelector('.spec-xaxis') as HTMLCanvasElement;
        const panel = wrap.closest('.panel') as HTMLElement;
        return {
          dpr: window.devicePixelRatio,
          wrapW: wrap.clientWidth,
          plotCssW: plot.getBoundingClientRect().width,
          plotPxW: plot.width,
          xAxisCssW: xAxis.getBoundingClientRect().width,
          xAxisPxW: xAxis.width,
          legendPxW: legend.width,
          legendCssW: legend.getBoundingClientRect().width,
          legendRight: legend.getBoundingClientRect().right,
          panelRight: panel.getBoundingClientRect().right,
          viewport: document.documentElement.clientWidth,
        };
      });
    const plotFollows = `(() => { const w = document.querySelector('.spec-plot-wrap'); return Math.abs(w.querySelector('canvas').getBoundingClientRect().width - w.clientWidth) <= 1; })()`;
    const check = (m: Awaited<ReturnType<typeof measure>>, what: string): void => {
      assert.ok(Math.abs(m.plotCssW - m.wrapW) <= 1, `${what}: plot ${m.plotCssW} px fills its box ${m.wrapW} px`);
      assert.ok(Math.abs(m.xAxisCssW - m.wrapW) <= 1, `${what}: the time axis (with “now”) is as wide as the plot`);
      assert.ok(m.legendRight <= m.panelRight && m.legendRight <= m.viewport, `${what}: the dB legend is inside`);
      assert.equal(m.plotPxW, Math.round(m.plotCssW * m.dpr), `${what}: plot backing store at ${m.dpr}×`);
      assert.equal(m.xAxisPxW, Math.round(m.xAxisCssW * m.dpr), `${what}: axis backing store at ${m.dpr}×`);
      assert.equal(m.legendPxW, Math.round(m.legendCssW * m.dpr), `${what}: legend backing store at ${m.dpr}×`);
    };
    const page = b.page;
    await page.setViewportSize({ width: 1440, height: 900 });
    await waitForExpression(page, `document.querySelector('.spec-plot-wrap').clientWidth > 700`);
    await waitForExpression(page, plotFollows); // the canvas follows on its next resize callback
    const wide = await measure(page);
    check(wide, '1440');
    await page.setViewportSize({ width: 1024, height: 700 });
    await waitForExpression(page, `document.querySelector('.spec-plot-wrap canvas').width < ${wide.plotPxW}`);
    await waitForExpression(page, plotFollows);
    const narrow = await measure(page);
    check(narrow, '1440 → 1024');
    await page.setViewportSize({ width: 1280, height: 800 });

    const hidpi = await openBrowser({ deviceScaleFactor: 2 });
    try {
      await hidpi.page.goto(server.url);
      await signIn(hidpi.page, NURSE2);
      await hidpi.page.setViewportSize({ width: 1024, height: 700 });
      await waitForExpression(hidpi.page, `document.querySelector('.spec-plot-wrap')?.clientWidth > 0`);
      await waitForExpression(hidpi.page, plotFollows);
      const m = await measure(hidpi.page);
      assert.equal(m.dpr, 2);
      check(m, 'HiDPI 1024');
      await shot(hidpi.page, 'flow-record-hidpi-1024');
    } finally {
      await hidpi.close();
    }
  });

  test('a patient renamed since the screen showed them: Record is refused before anything is recorded, the card re-read and flagged; then Record starts; an import likewise', async (t) => {
    const page = b.page;
    await page.reload();
    await signIn(page, USERS.nurse).catch(() => undefined); // a reload may keep the session
    if ((await devicesListed(page)).length === 0) {
      skipUnlessCi(t, 'capture is not available here');
      return;
    }
    await pickPatient(page, 'FLOW-1', 'MRN FLOW-1');
    await page.locator('g[data-site="anterior-left-lower"]').click();
    const before = takes();
    // Meanwhile, at another desk, the doctor corrects the patient's given name.
    const doctor = await signedInClient(server, USERS.doctor);
    try {
      const found = await doctor.call('patients.search', { query: 'FLOW-1' });
      const id = found.items.find((p) => p.mrn === 'FLOW-1')!.id;
      await doctor.call('patients.update', { id, givenName: '秀兰' });
      await page.locator('body').press('r');
      await page.locator('[data-testid=patient-changed]').waitFor({ timeout: 30_000 });
      assert.equal(
        await captureText(page),
        'Not started: this patient’s record changed since you chose them. It is shown as it is now, on the left: check it is the person in front of you, then press Record again. Nothing was recorded.',
      );
      assert.match(
        await page.locator('[data-testid=chosen-patient]').innerText(),
        /^This record changed since you chose it; it now reads:\s+王, 秀兰 · MRN FLOW-1/,
      );
      assert.equal(takes(), before, 'nothing was recorded');
      await shotsAtBothSizes(page, 'flow-stale-patient');
      // Checked: Record now starts, with the patient as now shown (R again stops it in the countdown).
      await page.locator('body').press('r');
      await page
        .locator('[data-testid=capture-state]')
        .getByText(/Get ready/)
        .waitFor();
      await page.locator('body').press('r');
      await page.locator('[data-testid=capture-state]').getByText('Recording cancelled').waitFor();
      // The same for an imported file: renamed back meanwhile (as the later tests know her).
      await doctor.call('patients.update', { id, givenName: '秀英' });
      const wav = join(scratchDir('auscult-e2e-stale-'), 'stale.wav');
      writeFileSync(wav, wavBytes(syntheticBreath(8000, 4), 8000));
      await page.locator('details.import summary').click();
      await page.locator('input[name=wavFile]').setInputFiles(wav);
      await page
        .locator('[data-testid=result] [role=alert]')
        .getByText(/^Not saved: this patient’s record changed since you chose them\./)
        .waitFor({ timeout: 30_000 });
      assert.match(
        await page.locator('[data-testid=chosen-patient]').innerText(),
        /it now reads:\s+王, 秀英 · MRN FLOW-1/,
      );
      assert.equal(takes(), before, 'nothing was imported');
    } finally {
      doctor.close();
    }
  });

  test('the review queue: flags for interrupted and very short takes, priority order, a filter by screen', async () => {
    const page = b.page;
    await signOut(page);
    await signIn(page, USERS.doctor);
    await page
      .getByRole('link', { name: /Review/ })
      .first()
      .click();
    await page.locator('table.data tbody tr').first().waitFor();
    const rowIds = async (): Promise<number[]> =>
      (await page.locator('table.data tbody tr td:nth-child(2)').allInnerTexts())
        .map((t) => {
          const m = /\(Q-(\d+)\)/.exec(t);
          return m ? Number(m[1]) : -1;
        })
        .filter((id) => id !== -1); // the nurse's own 2 s import (an unanalysed take) is in the queue too
    // Seeded one patient per recording, MRN Q-<recording id>: the row order is the id order asked for.
    assert.deepEqual(await rowIds(), [
      ids.abnormalOld,
      ids.abnormalNew,
      ids.uncertain,
      ids.healthy,
      ids.short,
      ids.interrupted,
    ]);
    const flagsOf = async (id: number): Promise<string> =>
      page
        .locator('table.data tbody tr', { hasText: `(Q-${id})` })
        .locator('td')
        .nth(4)
        .innerText();
    assert.match(await flagsOf(ids.short), /very short \(2\.4 s\)/);
    assert.match(await flagsOf(ids.interrupted), /interrupted/);
    assert.equal(await flagsOf(ids.healthy), '');
    await shots(page, 'review-queue');
    await page.locator('select[name=screen]').selectOption('abnormal');
    await waitForExpression(page, `document.querySelectorAll('table.data tbody tr').length === 2`);
    assert.deepEqual(await rowIds(), [ids.abnormalOld, ids.abnormalNew]);
    await shots(page, 'review-queue-abnormal');
    await page.locator('select[name=screen]').selectOption('withheld');
    await page.getByText('No unsigned recording with “Withheld”').waitFor();
  });

  test('no script errors and the CSP held', () => {
    assert.deepEqual(
      b.errors.filter((e) => !/Failed to load resource/.test(e)),
      [],
    );
  });
});

/** Six unsigned recordings with current analyses of every screen kind, one patient each (MRN Q-<id>). */
function seedQueue(
  dbPath: string,
): Record<'abnormalOld' | 'abnormalNew' | 'uncertain' | 'healthy' | 'short' | 'interrupted', number> {
  const store = Store.open(dbPath);
  try {
    const nurse = store.users.byUsername(USERS.nurse.username)!.id;
    const day = (d: number): string => `2026-03-${String(d).padStart(2, '0')}T09:00:00.000Z`;
    const add = (
      at: string,
      o: { status: 'ok' | 'uncertain' | null; label?: string; take?: 'recorded' | 'interrupted'; sec?: number },
    ): number =>
      store.tx(() => {
        const next = (store.db.prepare('SELECT coalesce(max(id), 0) + 1 AS n FROM recordings').get() as { n: number })
          .n;
        const patientId = store.patients.create({
          mrn: `Q-${next}`,
          givenName: 'Queue',
          familyName: `Patient ${next}`,
          createdBy: nurse,
        }).id;
        return store.recordings.insert(
          {
            patientId,
            site: 'trachea',
            deviceName: 'seed',
            sampleRate: 4000,
            durationSec: o.sec ?? 20,
            fileName: `seed-${next}.wav`,
            wavSha256: 'a'.repeat(64),
            status: o.take ?? 'recorded',
            recordedBy: nurse,
            recordedAt: at,
          },
          o.status === null
            ? null
            : {
                engineVersion: '3.0.0',
                headName: 'head',
                headVersion: '1',
                probabilities: { asthma: 0.1, copd: 0.6, pneumonia: 0.1, healthy: 0.1, bronchial: 0.1 },
                pAbnormal: o.label === 'healthy' ? 0.2 : 0.8,
                topClass: 'copd',
                status: o.status,
                quality: 'good',
                resultJson: JSON.stringify({ screen: { label: o.label }, gate: {} }),
              },
        );
      });
    const healthy = add(day(1), { status: 'ok', label: 'healthy' });
    const short = add(day(2), { status: null, sec: 2.4 });
    const abnormalNew = add(day(6), { status: 'ok', label: 'abnormal' });
    const uncertain = add(day(3), { status: 'uncertain', label: 'uncertain' });
    const abnormalOld = add(day(4), { status: 'ok', label: 'abnormal' });
    const interrupted = add(day(5), { status: null, take: 'interrupted', sec: 14 });
    return { abnormalOld, abnormalNew, uncertain, healthy, short, interrupted };
  } finally {
    store.close();
  }
}
