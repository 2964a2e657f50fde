/**
 * The live spectrogram in Chromium while recording: animation frame rate, long frames, dropped
 * spectrogram columns, and latency from a frame batch leaving the pipeline (`sentAtMs` in
 * capture.frames) to it being drawn on the canvas, all measured in the browser
 * (renderer/src/widgets/spectrogram-live.ts). Real `auscult serve`, virtual ALSA stethoscope.
 * Goals: 60 fps drawing, no dropped columns, latency <= 50 ms.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NodeApiClient } from '../test/e2e/api-client.js';
import { lungWav } from '../test/e2e/fixtures.js';
import { browserMissing, openBrowser, signIn, startServe, testModelsDir } from '../test/e2e/harness.js';
import { USERS } from '../test/e2e/seed.js';
import { scratchDir } from '../test/support/paths.js';
import { soxAvailable, soxToRaw, tone, virtualAlsa, writeRaw } from '../test/support/virtual-alsa.js';

export const title = 'UI: live spectrogram in Chromium (fps, dropped columns, pipeline-to-drawn latency)';

const SECONDS = 10;

interface LiveStats {
  animationFrames: number;
  elapsedMs: number;
  fps: number;
  longFrames: number;
  columnsDrawn: number;
  droppedColumns: number;
  serverDroppedColumns: number;
  latencyMs: number[];
  receiveMs: number[];
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number) : NaN;
}

export async function run(): Promise<void> {
  const missing = browserMissing();
  if (missing) {
    console.log(`   skipped: ${missing}`);
    return;
  }
  const dir = scratchDir('auscult-bench-ui-');
  const raw = join(dir, 'steth.raw');
  const wav = lungWav('copd');
  if (wav.real && soxAvailable()) soxToRaw(wav.path, 48000, raw);
  else writeRaw(raw, tone(48000, 40, 180, 0.2));
  if (!existsSync(raw)) throw new Error('no fixture audio');
  const alsa = virtualAlsa([{ name: 'auscult_bench_stethoscope', infile: raw }]);
  const modelsDir = await testModelsDir().catch(() => null);
  const server = await startServe({ env: alsa.env, modelsDir });
  const b = await openBrowser();
  try {
    const api = await NodeApiClient.open(server.port, server.token);
    await api.call('auth.signIn', { username: USERS.nurse.username, password: USERS.nurse.password });
    await api.call('patients.create', { mrn: 'BENCH-1', givenName: 'Bench', familyName: 'Patient' });
    api.close();

    await b.page.goto(server.url);
    await signIn(b.page, USERS.nurse);
    await b.page.locator('input[aria-label="Find patient"]').fill('BENCH-1');
    await b.page.locator('.pick-list button').first().click();
    await b.page.locator('g[data-site="anterior-right-upper"]').click();
    await b.page
      .locator('select[name=device] option', { hasText: 'auscult_bench_stethoscope' })
      .waitFor({ state: 'attached' });
    await b.page.locator('select[name=device]').selectOption({
      label: (
        await b.page.locator('select[name=device] option', { hasText: 'auscult_bench_stethoscope' }).innerText()
      ).trim(),
    });
    await b.page.locator('select[name=duration]').selectOption(String(SECONDS));
    const t0 = Date.now();
    await b.page.locator('body').press('r');
    await b.page.locator('[data-testid=result]').waitFor({ state: 'visible', timeout: (SECONDS + 60) * 1000 });
    const wallSec = (Date.now() - t0) / 1000;
    const s = await b.page.evaluate<LiveStats | undefined>('window.__auscultLive');
    if (!s) throw new Error('the page exposed no live spectrogram figures');
    const lat = [...s.latencyMs].sort((x, y) => x - y);
    const expectedColumns = Math.floor((SECONDS * 16000 - 400) / 160) + 1;
    console.log(
      `   engine: ${modelsDir ? 'YAMNet + synthetic test head' : 'none (--no-engine)'}; device: virtual ALSA at 48 kHz; ${SECONDS} s recording (${wallSec.toFixed(1)} s wall, incl. final analysis)`,
    );
    console.log(
      `   drawing:  ${s.fps.toFixed(1)} fps over ${(s.elapsedMs / 1000).toFixed(1)} s (${s.animationFrames} animation frames, ${s.longFrames} longer than 25 ms)  [goal 60 fps]`,
    );
    console.log(
      `   columns:  ${s.columnsDrawn} drawn of ~${expectedColumns} expected; dropped: ${s.droppedColumns} seen by the browser, ${s.serverDroppedColumns} reported by the server  [goal 0]`,
    );
    console.log(
      `   latency (frame batch sent -> drawn): p50 ${pct(lat, 0.5).toFixed(1)} ms, p95 ${pct(lat, 0.95).toFixed(1)} ms, max ${(lat.at(-1) ?? NaN).toFixed(1)} ms over ${lat.length} batches  [goal <= 50 ms]`,
    );
    const rec = [...s.receiveMs].sort((x, y) => x - y);
    console.log(
      `     of which sent -> received by the page: p50 ${pct(rec, 0.5).toFixed(1)} ms, p95 ${pct(rec, 0.95).toFixed(1)} ms; batches: ${(lat.length / (s.elapsedMs / 1000)).toFixed(1)} per second, ${(s.columnsDrawn / Math.max(1, lat.length)).toFixed(1)} columns each`,
    );
    if (b.errors.length) console.log(`   page errors: ${b.errors.join(' | ')}`);
  } finally {
    await b.close();
    await server.stop();
  }
}
