/**
 * Results as a pulmonologist sees them (issues 11 and 12), through the real `auscult serve` with
 * the shipped models (head, sound detector, quality model) and Chromium: real KAUH recordings whose
 * names say the sound type (expiratory wheeze, crackles, normal), an SPRSound recording with
 * annotated wheezes (FLAC), generated speech (espeak-ng) and silence. Each recording page shows
 * only what its result state allows; the evidence lane under the spectrogram has the per-window
 * screen, the left-out audio and the crackle/wheeze segments (click plays from there); a withheld
 * one has no lane and says why. Screenshots at 1024×700 and 1440×900 in test-results/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsvRecords } from '../../src/common/csv.js';
import { isGatedEngine } from '../../src/common/result-state.js';
import { NodeApiClient } from './api-client.js';
import { wavBytes } from './fixtures.js';
import { RESULTS_DIR, browserMissing, openBrowser, shot, signIn, startServe, waitForExpression } from './harness.js';
import type { BrowserSession, ServeProcess } from './harness.js';
import { checkAnalysis } from './result-checks.js';
import { USERS } from './seed.js';
import { skipUnlessCi } from '../support/ci.js';
import { KAUH_DIR, MODELS_DIR, SPRSOUND_DIR, kauhMissing, scratchDir } from '../support/paths.js';

interface Case {
  name: string;
  path: string;
  /** What a gated engine must say: a result (ok or uncertain) or withheld. */
  expect: 'result' | 'withheld';
  /** A detected sound the lane must show when the detector finds it (not asserted: the card says how often it does). */
  sound?: 'wheeze' | 'crackle';
}

function kauhFile(sound: string, class5?: string): string {
  const rows = parseCsvRecords(readFileSync(join(KAUH_DIR, 'kauh_index.csv'), 'utf8'));
  const row = rows.find(
    (r) =>
      r['sound_type'] === sound &&
      r['exclude_for_eval'] === '0' &&
      (!class5 || r['class5'] === class5) &&
      Number(r['duration_s']) >= 10 &&
      r['filter'] === 'extended',
  );
  assert.ok(row?.['file'], `a KAUH recording with sound type ${sound}`);
  return join(KAUH_DIR, 'audio', row['file']);
}

function sprsoundWheeze(): string {
  const rows = parseCsvRecords(readFileSync(join(SPRSOUND_DIR, 'sprsound_index.csv'), 'utf8'));
  const row = rows.find((r) => r['record_label'] === 'CAS' && Number(r['events_wheeze']) >= 2);
  assert.ok(row?.['file'], 'an SPRSound recording with annotated wheezes');
  return join(SPRSOUND_DIR, 'audio', row['file']);
}

function cases(): Case[] {
  const dir = scratchDir('auscult-e2e-results-');
  const speech = join(dir, 'speech.wav');
  execFileSync('espeak-ng', [
    '-v',
    'en',
    '-w',
    speech,
    'Please breathe in deeply through your mouth, and now breathe out slowly. Once more, in and out. Thank you, that was very good.',
  ]);
  const silence = join(dir, 'silence.wav');
  writeFileSync(silence, wavBytes(new Int16Array(4000 * 10), 4000));
  return [
    { name: 'kauh-wheeze', path: kauhFile('E W', 'asthma'), expect: 'result', sound: 'wheeze' },
    { name: 'kauh-crackle', path: kauhFile('C'), expect: 'result', sound: 'crackle' },
    { name: 'kauh-normal', path: kauhFile('N', 'healthy'), expect: 'result' },
    { name: 'sprsound-wheeze', path: sprsoundWheeze(), expect: 'result', sound: 'wheeze' },
    { name: 'speech', path: speech, expect: 'withheld' },
    { name: 'silence', path: silence, expect: 'withheld' },
  ];
}

describe('recording pages show only what their result state allows', () => {
  let server: ServeProcess;
  let b: BrowserSession;
  let gated = false;
  const ids = new Map<string, number>();
  let list: Case[] = [];

  let missing: string | false = false;
  before(async () => {
    missing =
      browserMissing() ||
      kauhMissing() ||
      (existsSync(join(SPRSOUND_DIR, 'sprsound_index.csv')) ? false : 'SPRSound not found') ||
      (existsSync(join(MODELS_DIR, 'yamnet.onnx')) ? false : 'models/yamnet.onnx not built');
    if (missing) return;
    list = cases();
    server = await startServe({ modelsDir: MODELS_DIR });
    const api = await NodeApiClient.open(server.port, server.token);
    await api.call('auth.signIn', { username: USERS.doctor.username, password: USERS.doctor.password });
    gated = isGatedEngine((await api.call('model.info', {})).engineVersion);
    const p = await api.call('patients.create', { mrn: 'RES-1', givenName: 'Rana', familyName: 'Results' });
    for (const c of list) {
      const d = await api.call('recordings.import', {
        patientId: p.id,
        site: 'posterior-left-lower',
        fileName: c.path.split('/').pop()!,
        wavBase64: readFileSync(c.path).toString('base64'),
      });
      ids.set(c.name, d.recording.id);
    }
    api.close();
    b = await openBrowser();
    await b.page.goto(server.url);
    await signIn(b.page, USERS.doctor);
  });
  after(async () => {
    await b?.close();
    await server?.stop();
  });

  test('each page: state, headline or reason, evidence lane, click-to-play; screenshots', async (t) => {
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    for (const c of list) {
      const id = ids.get(c.name)!;
      await b.page.evaluate(`location.hash = '#/recording/${id}'`);
      await b.page.getByRole('heading', { name: new RegExp(`recording #${id}$`) }).waitFor();
      const state = await checkAnalysis(b.page.locator('.recording-right'));
      if (!gated) assert.equal(state, 'earlier-engine', `${c.name}: an engine before 2.0.0 is never shown as current`);
      else if (c.expect === 'withheld') assert.equal(state, 'withheld', `${c.name} is withheld`);
      else assert.match(state, /^(ok|uncertain)$/, `${c.name} gets a result`);

      if (state === 'withheld') {
        await b.page.locator('[data-testid=lane-withheld]').waitFor();
        assert.equal(await b.page.locator('[data-testid=lane-screen]').count(), 0, 'no screen row when withheld');
        assert.equal(await b.page.locator('[data-testid=lane-wheeze]').count(), 0, 'no sound lane when withheld');
      } else if (state === 'ok' || state === 'uncertain') {
        const windows = await b.page.locator('.lane-window').count();
        assert.ok(windows >= 1, `${c.name}: one bar per scoring window (${windows})`);
        await b.page.locator('[data-testid=lane-wheeze]').waitFor();
        assert.match(
          await b.page.locator('[data-testid=sounds-summary]').innerText(),
          /^(Wheeze in [\d.]+ of [\d.]+ s|No wheeze detected); (crackles in [\d.]+ of [\d.]+ s|no crackles detected)$/,
        );
        const events = b.page.locator('.lane-event');
        if ((await events.count()) > 0) {
          // Wait for the audio, then a segment plays from its start.
          await waitForExpression(b.page, `document.querySelector('[data-testid=audio]')?.src.startsWith('blob:')`);
          const start = Number(await events.first().getAttribute('data-start'));
          assert.match((await events.first().getAttribute('title')) ?? '', /probability \d+ %/);
          await events.first().click();
          const now = Number(await b.page.evaluate(`document.querySelector('[data-testid=audio]').currentTime`));
          assert.ok(Math.abs(now - start) < 0.05, `${c.name}: clicking a segment seeks to ${start} s (at ${now})`);
        }
      }
      for (const [w, hgt] of [
        [1024, 700],
        [1440, 900],
      ] as const) {
        await b.page.setViewportSize({ width: w, height: hgt });
        await b.page.waitForTimeout(150);
        await shot(b.page, `status-recording-${c.name}-${w}`);
      }
      await b.page.setViewportSize({ width: 1280, height: 800 });
    }
    // The queue reads the same state: words, not numbers, for the withheld ones.
    await b.page.evaluate(`location.hash = '#/review'`);
    await b.page.locator('table.data tbody tr').first().waitFor();
    const cells = await b.page.locator('table.data tbody tr td:nth-child(4)').allInnerTexts();
    if (gated) assert.equal(cells.filter((c) => c === 'withheld: no result').length, 2, cells.join(' | '));
    for (const [w, hgt] of [
      [1024, 700],
      [1440, 900],
    ] as const) {
      await b.page.setViewportSize({ width: w, height: hgt });
      await shot(b.page, `status-review-queue-${w}`);
    }
    await b.page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(b.errors, [], 'no console errors');
  });

  test('the PDF report of the crackle/wheeze recording: headline, lane under the spectrogram (pdftoppm)', async (t) => {
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const crackle = ids.get('kauh-crackle')!;
    await b.page.evaluate(`location.hash = '#/recording/${crackle}'`);
    await b.page.getByRole('heading', { name: new RegExp(`recording #${crackle}$`) }).waitFor();
    await b.page.getByRole('button', { name: 'PDF report' }).click();
    const link = b.page.locator('[data-testid=export-status] button', { hasText: /Download .*\.pdf/ });
    await link.waitFor({ timeout: 60_000 });
    const [download] = await Promise.all([b.page.waitForEvent('download'), link.click()]);
    const path = join(scratchDir('auscult-e2e-pdf-'), 'report.pdf');
    await download.saveAs(path);
    const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
    if (gated) {
      assert.match(text, /Screen: (ABNORMAL|HEALTHY|UNCERTAIN)/);
      assert.match(text, /threshold 74\.2 %/);
      assert.match(text, /Adventitious sounds: (Wheeze in|No wheeze)/);
      assert.match(text, /left out|No audio was left out/i);
    } else assert.match(text, /Analysed by an earlier engine/);
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      '80',
      '-f',
      '1',
      '-l',
      '1',
      path,
      join(RESULTS_DIR, 'status-pdf-kauh-crackle'),
    ]);
  });

  test('the About-this-model dialog opens from a result with the card summary', async (t) => {
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const id = ids.get('kauh-wheeze')!;
    await b.page.evaluate(`location.hash = '#/recording/${id}'`);
    await b.page.getByRole('heading', { name: new RegExp(`recording #${id}$`) }).waitFor();
    await b.page.locator('.recording-right section.analysis').waitFor();
    await b.page.locator('.recording-right [data-testid=about-model]').click();
    const dialog = b.page.locator('.recording-right dialog[data-testid=model-summary]');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /sensitivity|not a diagnosis/);
    await shot(b.page, 'status-about-model');
    await dialog.getByRole('button', { name: 'Close' }).click();
  });
});
