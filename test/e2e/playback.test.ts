/**
 * The recording page as an audio tool (issue 15), in Chromium against the real `auscult serve`
 * with the shipped models and a real lung recording: zoom changes the visible time range of the
 * spectrogram, its axis and the evidence lanes; the readout shows the time and the mel-axis
 * frequency under the pointer; Space plays and pauses (not while typing a finding); 0.5× sets
 * the element's playbackRate with pitch kept; a dragged selection becomes the loop's bounds and
 * playback wraps inside it; each stethoscope filter mode rebuilds the Web Audio graph, read back
 * from its live BiquadFilterNodes (types, cut-offs and their frequency response). The keyboard
 * does the same from the plot. Screenshots at 1024×700 and 1440×900 (zoomed, a selection, the
 * readout) in test-results/playback-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { NodeApiClient } from './api-client.js';
import { lungWav } from './fixtures.js';
import { RESULTS_DIR, browserMissing, openBrowser, shot, signIn, startServe, waitForExpression } from './harness.js';
import type { BrowserSession, ServeProcess } from './harness.js';
import { USERS } from './seed.js';
import { skipUnlessCi } from '../support/ci.js';
import { MODELS_DIR } from '../support/paths.js';

const hzToMel = (hz: number): number => 1127 * Math.log(1 + hz / 700);
const melToHz = (mel: number): number => 700 * (Math.exp(mel / 1127) - 1);

const PLOT = '.recording-left .spec-plot';
const PLAYER = '[data-testid=player]';

async function js<T>(page: Page, expression: string): Promise<T> {
  const value: unknown = await page.evaluate(expression);
  return value as T;
}

async function viewRange(page: Page): Promise<[number, number]> {
  const [s, e] = await js<[string, string]>(
    page,
    `(() => { const p = document.querySelector('${PLOT}'); return [p.dataset.viewStart, p.dataset.viewEnd]; })()`,
  );
  return [Number(s), Number(e)];
}

async function playerData(page: Page): Promise<Record<string, string>> {
  return js<Record<string, string>>(page, `({ ...document.querySelector('${PLAYER}').dataset })`);
}

async function plotBox(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await page.locator(PLOT).boundingBox();
  assert.ok(box, 'the spectrogram is on screen');
  return box;
}

describe('the recording page as an audio tool: zoom, readout, Space, speed, loop, filter modes', () => {
  let server: ServeProcess;
  let b: BrowserSession;
  let id = 0;
  let duration = 0;
  let edges: number[] = [];
  let missing: string | false = false;

  before(async () => {
    missing =
      browserMissing() || (existsSync(join(MODELS_DIR, 'yamnet.onnx')) ? false : 'models/yamnet.onnx not built');
    if (missing) return;
    server = await startServe({ modelsDir: MODELS_DIR });
    const api = await NodeApiClient.open(server.port, server.token);
    await api.call('auth.signIn', { username: USERS.doctor.username, password: USERS.doctor.password });
    const p = await api.call('patients.create', { mrn: 'PLAY-1', givenName: 'Lina', familyName: 'Listen' });
    const wav = lungWav('asthma');
    const d = await api.call('recordings.import', {
      patientId: p.id,
      site: 'posterior-left-lower',
      fileName: wav.name,
      wavBase64: readFileSync(wav.path).toString('base64'),
    });
    id = d.recording.id;
    duration = Math.max(d.recording.durationSec, d.analysis?.durationSec ?? 0);
    edges = (await api.call('recordings.spectrogram', { id })).bandEdgesHz;
    api.close();
    b = await openBrowser();
    await b.page.goto(server.url);
    await signIn(b.page, USERS.doctor);
    await b.page.evaluate(`location.hash = '#/recording/${id}'`);
    await b.page.getByRole('heading', { name: new RegExp(`recording #${id}$`) }).waitFor();
    await b.page.locator(PLOT).waitFor();
    await waitForExpression(b.page, `document.querySelector('[data-testid=audio]')?.src.startsWith('blob:')`);
    await waitForExpression(b.page, `document.querySelector('[data-testid=audio]').readyState >= 1`);
  });
  after(async () => {
    await b?.close();
    await server?.stop();
  });

  test('zoom changes the visible time range of the spectrogram, its axis and the evidence lanes; pan; reset', async (t) => {
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const page = b.page;
    assert.ok(duration > 2, `a recording long enough to zoom into (${duration} s)`);
    const [s0, e0] = await viewRange(page);
    assert.equal(s0, 0);
    assert.ok(Math.abs(e0 - duration) < 0.01, `the whole recording first (${e0} of ${duration} s)`);

    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    const [s1, e1] = await viewRange(page);
    assert.ok(Math.abs(e1 - s1 - duration / 4) < 0.01, `two steps show a quarter (${s1}–${e1} s)`);
    assert.ok(s1 > 0 && e1 < duration, 'around the middle');
    assert.match(await page.locator('[data-testid=zoom-range]').innerText(), /^[\d.]+–[\d.]+ s of [\d.]+ s$/);

    // The lanes' strip is stretched to 4× and slid to the same start.
    const lanes = await page.locator('.lane-strip').count();
    assert.ok(lanes >= 1, 'the page has evidence lanes');
    const strip = await js<{ left: number; width: number; track: number }>(
      page,
      // The strip lies in the track's padding box (inside its border).
      `(() => { const s = document.querySelector('.lane-strip'); const r = s.getBoundingClientRect(); const p = s.parentElement; return { left: r.left - p.getBoundingClientRect().left - p.clientLeft, width: r.width, track: p.clientWidth }; })()`,
    );
    assert.ok(
      Math.abs(strip.width / strip.track - 4) < 0.01,
      `lane strip ${strip.width} px over a ${strip.track} px track`,
    );
    assert.ok(Math.abs(-strip.left / strip.width - s1 / duration) < 0.005, 'the lane starts where the view does');

    // Ctrl + wheel (and a pinch) zooms around the pointer: the second under it stays there.
    const box = await plotBox(page);
    const fx = 0.25;
    const under = s1 + fx * (e1 - s1);
    await page.mouse.move(box.x + fx * box.width, box.y + box.height / 2);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    await waitForExpression(
      page,
      `Number(document.querySelector('${PLOT}').dataset.viewEnd) - Number(document.querySelector('${PLOT}').dataset.viewStart) < ${(e1 - s1) * 0.75}`,
    );
    const [s2, e2] = await viewRange(page);
    assert.ok(Math.abs(s2 + fx * (e2 - s2) - under) < 0.02, `${under} s stays under the pointer (${s2}–${e2})`);

    // Shift + wheel pans; the time axis labels the new range.
    await page.keyboard.down('Shift');
    await page.mouse.wheel(0, 200);
    await page.keyboard.up('Shift');
    await waitForExpression(page, `Number(document.querySelector('${PLOT}').dataset.viewStart) > ${s2 + 0.01}`);
    const [s3, e3] = await viewRange(page);
    assert.ok(Math.abs(e3 - s3 - (e2 - s2)) < 0.001, 'panning keeps the zoom');

    await page.getByRole('button', { name: 'Whole recording' }).click();
    const [s4, e4] = await viewRange(page);
    assert.ok(s4 === 0 && Math.abs(e4 - duration) < 0.01, 'reset shows the whole recording again');
    assert.ok(await page.getByRole('button', { name: 'Whole recording' }).isDisabled());
  });

  test('the readout shows time and mel-axis frequency under the pointer', async (t) => {
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const page = b.page;
    await page.getByRole('button', { name: 'Zoom in' }).click();
    const [s, e] = await viewRange(page);
    const box = await plotBox(page);
    const readout = page.locator('[data-testid=spec-readout]');
    for (const [fx, fy] of [
      [0.1, 0.5],
      [0.7, 0.15],
      [0.5, 0.9],
    ] as const) {
      await page.mouse.move(box.x + fx * box.width, box.y + fy * box.height);
      const sec = Number(await readout.getAttribute('data-sec'));
      const hz = Number(await readout.getAttribute('data-hz'));
      const low = edges[1] as number;
      const high = edges[edges.length - 2] as number;
      const expectHz = melToHz(hzToMel(low) + (1 - fy) * (hzToMel(high) - hzToMel(low)));
      const expectSec = s + fx * (e - s);
      assert.ok(Math.abs(sec - expectSec) < (e - s) / box.width + 0.005, `time ${sec} ≈ ${expectSec}`);
      assert.ok(Math.abs(hz - expectHz) / expectHz < 0.02, `frequency ${hz} Hz ≈ ${expectHz} Hz on the mel axis`);
      const text = await readout.innerText();
      assert.match(text, new RegExp(`^${sec.toFixed(2)} s · [\\d.]+ k?Hz · -?\\d+ dB$`), text);
      const shown = /· ([\d.]+) (k?)Hz/.exec(text) as RegExpExecArray;
      assert.ok(
        Math.abs(Number(shown[1]) * (shown[2] ? 1000 : 1) - hz) <= (hz >= 1000 ? 5 : 0.5),
        `${text} says ${hz} Hz`,
      );
    }
    await page.mouse.move(box.x + box.width / 2, box.y + box.height + 120);
    assert.match(await readout.innerText(), /^Point at the spectrogram/);
    await page.getByRole('button', { name: 'Whole recording' }).click();
  });

  test('Space plays and pauses, but types a space in a text field and leaves an open dialog alone', async (t) => {
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const page = b.page;
    await page.locator('h1').click(); // focus on the page, not a control
    assert.equal((await playerData(page))['state'], 'paused');
    await page.keyboard.press('Space');
    await waitForExpression(page, `document.querySelector('${PLAYER}').dataset.state === 'playing'`);
    assert.equal(await js<boolean>(page, `document.querySelector('[data-testid=audio]').paused`), false);
    const from = await js<number>(page, `document.querySelector('[data-testid=audio]').currentTime`);
    await waitForExpression(page, `document.querySelector('[data-testid=audio]').currentTime > ${from + 0.2}`);
    await page.keyboard.press('Space');
    await waitForExpression(page, `document.querySelector('${PLAYER}').dataset.state === 'paused'`);
    assert.equal(await js<boolean>(page, `document.querySelector('[data-testid=audio]').paused`), true);
    assert.equal(await page.getByTestId('play').innerText(), 'Play');

    const finding = page.locator('textarea[name=finding]');
    await finding.fill('wheeze');
    await finding.press('Space');
    assert.equal(await finding.inputValue(), 'wheeze ', 'Space in the finding is a space');
    assert.equal(await js<boolean>(page, `document.querySelector('[data-testid=audio]').paused`), true);
    await finding.fill('');

    // Behind a modal dialog Space is the dialog's, not the player's.
    await page.locator('.recording-right [data-testid=about-model]').click();
    const dialog = page.locator('.recording-right dialog[data-testid=model-summary]');
    await dialog.waitFor();
    // Focus on no control at all, so only the open dialog can keep Space from the player.
    await page.evaluate(`document.activeElement?.blur()`);
    await page.keyboard.press('Space');
    assert.equal((await playerData(page))['state'], 'paused', 'Space with a dialog open does not play');
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  test('speed 0.5× sets playbackRate (pitch kept); 1× restores it', async (t) => {
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const page = b.page;
    await page.getByTestId('speed').selectOption('0.5');
    assert.equal(await js<number>(page, `document.querySelector('[data-testid=audio]').playbackRate`), 0.5);
    assert.equal(await js<boolean>(page, `document.querySelector('[data-testid=audio]').preservesPitch`), true);
    assert.equal((await playerData(page))['rate'], '0.5');
    await page.getByTestId('speed').selectOption('1');
    assert.equal(await js<number>(page, `document.querySelector('[data-testid=audio]').playbackRate`), 1);
  });

  test('a dragged selection becomes the loop bounds and playback wraps inside them', async (t) => {
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const page = b.page;
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    const [s, e] = await viewRange(page);
    const box = await plotBox(page);
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + 0.3 * box.width, y);
    await page.mouse.down();
    await page.mouse.move(box.x + 0.45 * box.width, y, { steps: 6 });
    await page.mouse.up();
    const a = s + 0.3 * (e - s);
    const z = s + 0.45 * (e - s);
    assert.match(await page.getByTestId('selection').innerText(), /^Selection [\d.]+–[\d.]+ s$/);
    assert.equal(await page.getByTestId('spec-selection').isVisible(), true, 'the selection is drawn');
    assert.equal((await playerData(page))['loop'], 'off', 'not looping until asked');

    await page.getByTestId('loop').check();
    const d = await playerData(page);
    assert.equal(d['loop'], 'on');
    const tol = (e - s) / box.width + 0.005;
    assert.ok(Math.abs(Number(d['loopStart']) - a) < tol, `loop start ${d['loopStart']} ≈ ${a}`);
    assert.ok(Math.abs(Number(d['loopEnd']) - z) < tol, `loop end ${d['loopEnd']} ≈ ${z}`);

    await page.locator('h1').click();
    await page.keyboard.press('Space');
    await waitForExpression(page, `Number(document.querySelector('${PLAYER}').dataset.loopWraps ?? 0) >= 2`, 20_000);
    const now = await js<number>(page, `document.querySelector('[data-testid=audio]').currentTime`);
    assert.ok(
      now >= Number(d['loopStart']) - 0.001 && now <= Number(d['loopEnd']) + 0.1,
      `playhead ${now} inside the loop`,
    );

    // Screenshots: zoomed, a selection, the readout under the pointer (while the loop plays).
    for (const [w, hgt] of [
      [1024, 700],
      [1440, 900],
    ] as const) {
      await page.setViewportSize({ width: w, height: hgt });
      await page.waitForTimeout(150);
      const bx = await plotBox(page);
      await page.mouse.move(bx.x + 0.62 * bx.width, bx.y + 0.4 * bx.height);
      await shot(page, `playback-recording-zoomed-${w}`);
      // And what the window shows, scrolled to the spectrogram panel.
      await page.evaluate(
        `(() => { const s = document.querySelector('section[aria-label="Spectrogram and playback"]'); const top = document.querySelector('.topbar')?.getBoundingClientRect().height ?? 0; window.scrollTo(0, s.getBoundingClientRect().top + window.scrollY - top - 8); })()`,
      );
      const view = await plotBox(page);
      await page.mouse.move(view.x + 0.62 * view.width, view.y + 0.4 * view.height);
      await page.screenshot({ path: join(RESULTS_DIR, `playback-recording-zoomed-${w}-window.png`) });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.keyboard.press('Space');
    await waitForExpression(page, `document.querySelector('[data-testid=audio]').paused`);
    await page.getByRole('button', { name: 'Clear selection' }).click();
    assert.equal((await playerData(page))['loop'], 'off');
    assert.equal(await page.getByTestId('spec-selection').isVisible(), false);
    await page.getByRole('button', { name: 'Whole recording' }).click();
  });

  test('each filter mode rebuilds the Web Audio graph (live biquads and their response); playback goes through it', async (t) => {
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const page = b.page;
    const filter = page.getByTestId('filter');
    assert.equal((await playerData(page))['graph'], 'element → output', 'unfiltered: no Web Audio');
    const response = async (): Promise<Record<string, number>> =>
      JSON.parse((await playerData(page))['response'] ?? '{}') as Record<string, number>;

    await filter.selectOption('bell');
    await waitForExpression(page, `document.querySelector('${PLAYER}').dataset.filter === 'bell'`);
    let d = await playerData(page);
    assert.equal(
      d['graph'],
      'element → highpass 20 Hz Q -3.01 → lowpass 200 Hz Q -5.33 → lowpass 200 Hz Q 2.32 → output',
    );
    let r = await response();
    assert.ok((r['150'] ?? -99) > -3 && (r['1000'] ?? 0) < -40, `bell passes 150 Hz, not 1 kHz: ${JSON.stringify(r)}`);

    await filter.selectOption('diaphragm');
    await waitForExpression(page, `document.querySelector('${PLAYER}').dataset.filter === 'diaphragm'`);
    d = await playerData(page);
    assert.match(
      d['graph'] ?? '',
      /^element → (highpass 100 Hz Q [-\d.]+ → ){2}(lowpass 500 Hz Q [-\d.]+ → ){2}output$/,
    );
    r = await response();
    assert.ok(
      (r['300'] ?? -99) > -1 && (r['50'] ?? 0) < -20 && (r['1000'] ?? 0) < -20,
      `diaphragm: ${JSON.stringify(r)}`,
    );

    await filter.selectOption('extended');
    await waitForExpression(page, `document.querySelector('${PLAYER}').dataset.filter === 'extended'`);
    d = await playerData(page);
    assert.equal(
      d['graph'],
      'element → highpass 20 Hz Q -3.01 → peaking 158 Hz Q 0.35 6 dB → lowpass 1000 Hz Q -3.01 → output',
    );
    r = await response();
    // +6 dB at the centre, about +3 dB at the band's edges (the peaking section's half gain), the
    // wide band's low-pass −3 dB at 1 kHz partly offset by the peak's skirt.
    assert.ok(
      (r['150'] ?? 0) > 5 && Math.abs((r['50'] ?? 0) - 3) < 1 && (r['1000'] ?? 0) < 0 && (r['1000'] ?? -99) > -4,
      `extended: ${JSON.stringify(r)}`,
    );

    // The element plays through the graph (its AudioContext is running, the playhead moves).
    await page.locator('h1').click();
    const from = await js<number>(page, `document.querySelector('[data-testid=audio]').currentTime`);
    await page.keyboard.press('Space');
    await waitForExpression(page, `document.querySelector('[data-testid=audio]').currentTime > ${from + 0.2}`);
    await page.keyboard.press('Space');

    await filter.selectOption('unfiltered');
    await waitForExpression(page, `document.querySelector('${PLAYER}').dataset.filter === 'unfiltered'`);
    assert.equal((await playerData(page))['graph'], 'element → output');
    assert.deepEqual(Object.values(await response()), [0, 0, 0, 0]);
  });

  test('from the keyboard: focus is visible on the plot; arrows move the playhead, + zooms, [ ] select', async (t) => {
    if (missing) {
      skipUnlessCi(t, missing);
      return;
    }
    const page = b.page;
    const plot = page.locator(PLOT);
    // Tab from the control before the plot, so focus arrives as a keyboard user's does.
    await page.getByRole('button', { name: 'Zoom in' }).focus();
    const focused = `document.activeElement === document.querySelector('${PLOT}')`;
    for (let i = 0; i < 10 && !(await js<boolean>(page, focused)); i++) await page.keyboard.press('Tab');
    assert.ok(await js<boolean>(page, focused), 'Tab reaches the spectrogram');
    assert.equal(await js<boolean>(page, `document.querySelector('${PLOT}').matches(':focus-visible')`), true);
    assert.notEqual(
      await js<string>(page, `getComputedStyle(document.querySelector('${PLOT}')).outlineStyle`),
      'none',
      'a visible focus ring',
    );

    await page.keyboard.press('Home');
    await page.keyboard.press('+');
    const [s, e] = await viewRange(page);
    assert.ok(Math.abs(e - s - duration / 2) < 0.01, `+ zooms in (${s}–${e})`);
    await page.keyboard.press('[');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    const at = Number(await plot.getAttribute('aria-valuenow'));
    assert.ok(Math.abs(at - (4 * (e - s)) / 20) < 0.02, `four steps of 1/20 of the view (${at} s)`);
    await page.keyboard.press(']');
    assert.match(await page.getByTestId('selection').innerText(), new RegExp(`^Selection 0\\.00–${at.toFixed(2)} s$`));
    await page.keyboard.press('Escape');
    assert.match(await page.getByTestId('selection').innerText(), /^No selection: drag on the spectrogram/);
    await page.keyboard.press('0');
    assert.deepEqual(await viewRange(page), [0, Number(duration.toFixed(3))]);
    assert.deepEqual(b.errors, [], 'no console errors');
  });
});
