/**
 * End-to-end harness: the real `auscult serve` as a child process (real SQLite file in a temp
 * dir, HOME pointing at a virtual ALSA setup when given, models from a temp folder), and Debian's
 * Chromium driven by playwright-core with a fresh profile. Screenshots go to test-results/.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { makeHead } from '../support/make-head.js';
import { tfliteMissing, yamnetModelsDir } from '../inference/yamnet-fixture.js';
import { seedUsers, USERS } from './seed.js';
import type { SeedUser } from './seed.js';

export const CHROMIUM = '/usr/bin/chromium';
export const RESULTS_DIR = join(PROJECT_ROOT, 'test-results');
const UNDER_TSX = fileURLToPath(import.meta.url).endsWith('.ts');

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

export interface ServeProcess {
  url: string;
  port: number;
  token: string;
  dir: string;
  dbPath: string;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash or power loss would. */
  kill(): Promise<void>;
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
  const cli = UNDER_TSX
    ? ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')]
    : [join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js')];
  const args = [...cli, 'serve', '--db', dbPath, '--data-dir', dataDir];
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  if (opts.modelsDir) env['AUSCULT_MODELS_DIR'] = opts.modelsDir;
  else args.push('--no-engine');
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`auscult serve did not start within 90 s:\n${out}`)), 90_000);
    const check = (): void => {
      const m = /Open: (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`auscult serve exited (${code}) before it was ready:\n${out}`));
    });
  });
  const m = /:(\d+)\/#token=([0-9a-f]+)/.exec(url) as RegExpExecArray;
  return {
    url,
    port: Number(m[1]),
    token: m[2] as string,
    dir,
    dbPath,
    dataDir,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
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

export async function signIn(page: Page, user: SeedUser): Promise<void> {
  await page.locator('input[name=username]').fill(user.username);
  await page.locator('input[name=password]').fill(user.password);
  await page.locator('form.signin button[type=submit]').click();
  await page.locator('[data-testid=current-user]').waitFor();
}

export async function signOut(page: Page): Promise<void> {
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
