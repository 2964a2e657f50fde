/**
 * End-to-end harness: the real `auscult serve` as a child process (real SQLite file in a temp
 * dir, HOME pointing at a virtual ALSA setup when given, models from a temp folder), and Debian's
 * Chromium driven by playwright-core with a fresh profile. Screenshots go to test-results/.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { NodeApiClient } from './api-client.js';
import { makeHead } from '../support/make-head.js';
import { spawnServe, type ServeChild } from '../support/serve-child.js';
import { tfliteMissing, yamnetModelsDir } from '../inference/yamnet-fixture.js';
import { seedUsers, USERS } from './seed.js';
import type { SeedUser } from './seed.js';

export const CHROMIUM = '/usr/bin/chromium';
export const RESULTS_DIR = join(PROJECT_ROOT, 'test-results');

/** Why browser tests cannot run here, or false. */
export function browserMissing(): string | false {
  if (!existsSync(CHROMIUM)) return `Chromium not found at ${CHROMIUM} (apt-get install chromium)`;
  if (!existsSync(join(PROJECT_ROOT, 'dist', 'renderer', 'index.html')))
    return 'the UI is not built: run `npm run build` first (dist/renderer/index.html is missing)';
  return false;
}

/**
 * A models folder for the server: the converted YAMNet (built once from ../shared when
 * models/ has none) and a synthetic test head, so the UI shows real numbers from a real engine
 * (the numbers mean nothing clinically). Null when YAMNet cannot be had here.
 */
export async function testModelsDir(): Promise<string | null> {
  if (tfliteMissing()) {
    const fromProject = join(PROJECT_ROOT, 'models', 'yamnet.onnx');
    if (!existsSync(fromProject)) return null;
  }
  const yamnet = await yamnetModelsDir();
  const dir = scratchDir('auscult-e2e-models-');
  for (const f of ['yamnet.onnx', 'yamnet.json', 'yamnet_class_map.csv']) symlinkSync(join(yamnet, f), join(dir, f));
  makeHead(dir, { name: 'head', card: { name: 'e2e-test-head' } });
  return dir;
}

export interface ServeProcess extends ServeChild {
  dir: string;
  dbPath: string;
  dataDir: string;
}

/** `dir` reuses an earlier server's folder (its database and data); users are seeded only into a new one. */
export async function startServe(
  opts: {
    env?: NodeJS.ProcessEnv;
    modelsDir?: string | null;
    users?: SeedUser[];
    dir?: string;
    /** A site database (postgresql://…) instead of the folder's SQLite file; its users are the caller's. */
    db?: string;
  } = {},
): Promise<ServeProcess> {
  const dir = opts.dir ?? scratchDir('auscult-e2e-');
  const dataDir = join(dir, 'data');
  const dbPath = opts.db ?? join(dir, 'auscult.sqlite');
  mkdirSync(dataDir, { recursive: true });
  if (!opts.db && !existsSync(dbPath)) await seedUsers(dbPath, opts.users ?? Object.values(USERS));
  const args = ['--db', dbPath, '--data-dir', dataDir];
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  if (opts.modelsDir) env['AUSCULT_MODELS_DIR'] = opts.modelsDir;
  else args.push('--no-engine');
  const child = await spawnServe(args, { env, label: 'auscult serve' });
  return { ...child, dir, dbPath, dataDir };
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far (CSP violations show up here). */
  errors: string[];
  close(): Promise<void>;
}

/** `deviceScaleFactor` 2 stands for a HiDPI screen (window.devicePixelRatio 2). */
export async function openBrowser(opts: { deviceScaleFactor?: number } = {}): Promise<BrowserSession> {
  const userDataDir = scratchDir('auscult-chromium-');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 800 },
    ...(opts.deviceScaleFactor ? { deviceScaleFactor: opts.deviceScaleFactor } : {}),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  return { context, page, errors, close: () => context.close() };
}

/** Full-page PNG into test-results/<name>.png. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.png`);
  // The sticky header would be painted mid-page in a full-page capture. Through CSSOM, which the
  // page's CSP allows (Playwright's `style` option injects a <style> element, which it blocks).
  const setTopbar = (position: string): Promise<unknown> =>
    page.evaluate(
      `(() => { const t = document.querySelector('.topbar'); if (t) t.style.position = '${position}'; })()`,
    );
  await setTopbar('static');
  await page.screenshot({ path, fullPage: true });
  await setTopbar('');
  return path;
}

/** The two window sizes every view is looked at in (issue 15: from 1024 px up). */
export const SHOT_SIZES = [
  [1024, 700],
  [1440, 900],
] as const;

/**
 * Full-page PNGs at both sizes into test-results/<name>-<w>x<h>.png, copied to
 * AUSCULT_SHOTS_DIR when it is set (for looking at); the window is 1280x800 again afterwards.
 */
export async function shotsAtBothSizes(page: Page, name: string): Promise<void> {
  const copyTo = process.env['AUSCULT_SHOTS_DIR'];
  for (const [w, hgt] of SHOT_SIZES) {
    await page.setViewportSize({ width: w, height: hgt });
    // Two frames: what re-lays itself out on resize (the spectrogram canvases' ResizeObserver) has
    // done so, instead of the capture showing the previous width as a horizontal overflow.
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    const path = await shot(page, `${name}-${w}x${hgt}`);
    if (copyTo) {
      mkdirSync(copyTo, { recursive: true });
      copyFileSync(path, join(copyTo, `${name}-${w}x${hgt}.png`));
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** A browser on the server's address (its sign-in page, or what the server shows first). */
export async function openApp(server: ServeProcess): Promise<BrowserSession> {
  const b = await openBrowser();
  await b.page.goto(server.url);
  return b;
}

/** A second user at the same time as the browser: a Node client of the server, signed in. */
export async function signedInClient(
  server: { port: number; token: string },
  user: SeedUser,
  password = user.password,
): Promise<NodeApiClient> {
  const c = await NodeApiClient.open(server.port, server.token);
  try {
    await c.call('auth.signIn', { username: user.username, password });
  } catch (err) {
    c.close();
    throw err;
  }
  return c;
}

/** The header as laid out now: its height, its first view link's height, and what does not fit. */
export interface TopBarLayout {
  height: number;
  linkHeight: number;
  /** The visible controls not wholly inside the window and the header, by their text. */
  outside: string[];
  /** Whether the header's content is wider than the header (it would be cut off or scroll). */
  overflows: boolean;
}

export function topBarLayout(page: Page): Promise<TopBarLayout> {
  return page.evaluate<TopBarLayout>(`(() => {
    const header = document.querySelector('.topbar');
    const bar = header.getBoundingClientRect();
    const link = document.querySelector('.topbar nav a').getBoundingClientRect();
    const outside = [...document.querySelectorAll('.topbar a, .topbar summary, .topbar button')]
      .filter((el) => el.checkVisibility())
      .filter((el) => { const r = el.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth || r.top < bar.top || r.bottom > bar.bottom; })
      .map((el) => el.textContent.trim());
    return { height: bar.height, linkHeight: link.height, outside, overflows: header.scrollWidth > header.clientWidth };
  })()`);
}

/**
 * The header is one row at both sizes: shorter than two of its view links stacked (a second row
 * would make it at least that), every control inside the window and the header, nothing overflowing it.
 */
export async function assertTopBarOneRow(page: Page): Promise<void> {
  for (const [w, hgt] of SHOT_SIZES) {
    await page.setViewportSize({ width: w, height: hgt });
    const l = await topBarLayout(page);
    assert.ok(
      l.height < 2 * l.linkHeight,
      `${w}x${hgt}: the header is ${l.height} px high, two rows (a view link is ${l.linkHeight} px)`,
    );
    assert.deepEqual(l.outside, [], `${w}x${hgt}: controls cut off or outside the header`);
    assert.equal(l.overflows, false, `${w}x${hgt}: the header's content is wider than the header`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

export async function signIn(page: Page, user: SeedUser): Promise<void> {
  await page.locator('input[name=username]').fill(user.username);
  await page.locator('input[name=password]').fill(user.password);
  await page.locator('form.signin button[type=submit]').click();
  await page.locator('[data-testid=current-user]').waitFor();
}

/** Sign out from the header: its button on a wide window, the user menu's below 1280 px. */
export async function signOut(page: Page): Promise<void> {
  if (!(await page.locator('.who > button', { hasText: 'Sign out' }).isVisible()))
    await page.locator('.user-menu summary').click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('form.signin').waitFor();
}

/**
 * Polls a JavaScript expression in the page until it is truthy. (page.waitForFunction with a
 * string compiles it in the page, which the CSP forbids; page.evaluate goes through DevTools.)
 */
export async function waitForExpression(page: Page, expression: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(expression)) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${expression}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
