/**
 * The real desktop app, end to end: Electron launched by Playwright (playwright-core's
 * `_electron`) under Xvfb, on a fresh data folder, recording from the virtual ALSA stethoscope.
 * Needs Electron's binary and the Electron build of better-sqlite3 (both need internet once:
 * `node node_modules/electron/install.js`, then `npm start` or this test builds the copy).
 * SKIPPED with the reason on machines without them (like our build machines).
 *
 * It drives the shell through `window.auscult` (the preload's API), so it checks what this room
 * owns (window, protocol, CSP, preload, IPC, service in the main process, graceful quit) and does
 * not depend on the UI's markup, which the Chromium UI tests cover.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { _electron } from 'playwright-core';
import type { ElectronApplication, Page } from 'playwright-core';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { tone, virtualAlsa, writeRaw } from '../support/virtual-alsa.js';
import { seedUsers, USERS } from '../e2e/seed.js';

interface Electron {
  ok: boolean;
  path?: string;
  version?: string;
  abi?: string;
  reason?: string;
}
const { findElectron } = (await import(join(PROJECT_ROOT, 'scripts', 'electron-env.mjs'))) as {
  findElectron: () => Electron;
};
const electron = findElectron();

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function skipReason(): string | false {
  if (!electron.ok)
    return `Electron's binary is not installed (${electron.reason}); run \`node node_modules/electron/install.js\` with internet to run this test`;
  if (!process.env['DISPLAY'] && !which('Xvfb'))
    return 'no display: set DISPLAY or install Xvfb (apt-get install xvfb)';
  if (!existsSync(join(PROJECT_ROOT, 'dist', 'renderer', 'index.html')))
    return 'the renderer is not built: run `npm run build`';
  return false;
}

async function startXvfb(): Promise<{ display: string; stop(): void }> {
  if (process.env['DISPLAY']) return { display: process.env['DISPLAY'], stop: () => undefined };
  const display = `:${90 + (process.pid % 100)}`;
  const xvfb: ChildProcess = spawn('Xvfb', [display, '-screen', '0', '1440x960x24', '-nolisten', 'tcp'], {
    stdio: 'ignore',
  });
  await new Promise((r) => setTimeout(r, 800));
  return { display, stop: () => xvfb.kill('SIGTERM') };
}

type Api = { call(method: string, params: unknown): Promise<unknown> };
declare const window: { auscult: Api } & Record<string, unknown>;

function call(page: Page, method: string, params: unknown = {}): Promise<unknown> {
  return page.evaluate(([m, p]) => window.auscult.call(m, p), [method, params] as const);
}

test(
  'the desktop app: hardened window, sign-in, a recording from the virtual stethoscope, clean quit',
  { skip: skipReason(), timeout: 300_000 },
  async () => {
    const { bundlePreload } = (await import(join(PROJECT_ROOT, 'scripts', 'build-preload.mjs'))) as {
      bundlePreload: () => Promise<string>;
    };
    await bundlePreload();
    const { buildElectronCopy, electronLaunchEnv } = (await import(
      join(PROJECT_ROOT, 'scripts', 'native-abi.mjs')
    )) as {
      buildElectronCopy: (e: Electron) => Promise<string>;
      electronLaunchEnv: (dir: string, env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
    };
    const nativeDir = await buildElectronCopy(electron);

    const dir = scratchDir('auscult-electron-');
    const dataDir = join(dir, 'data');
    await seedUsers(join(dataDir, 'auscult.sqlite'), [USERS.nurse]);
    writeRaw(join(dir, 'tone.raw'), tone(48000, 120, 200, 0.3));
    const alsa = virtualAlsa([{ name: 'stetho', infile: join(dir, 'tone.raw') }]);
    const x = await startXvfb();

    const launch = (): Promise<ElectronApplication> =>
      _electron.launch({
        executablePath: electron.path as string,
        args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), PROJECT_ROOT],
        cwd: PROJECT_ROOT,
        env: { ...electronLaunchEnv(nativeDir, alsa.env), DISPLAY: x.display, AUSCULT_DATA_DIR: dataDir },
        timeout: 60_000,
      });

    let app = await launch();
    try {
      const page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');
      assert.equal(new URL(page.url()).origin, 'app://auscult');
      assert.equal(await page.title(), 'Auscult');

      // The page sees the API and nothing of Node or Electron.
      const surface = await page.evaluate(() => ({
        keys: Object.keys(window.auscult).sort(),
        require: typeof window['require'],
        process: typeof window['process'],
        electron: typeof window['electron'],
      }));
      assert.deepEqual(surface, {
        keys: ['call', 'on'],
        require: 'undefined',
        process: 'undefined',
        electron: 'undefined',
      });

      // The CSP header is in force: no inline script, no network.
      const csp = await page.evaluate(async () => {
        const doc = (
          globalThis as unknown as {
            document: { createElement(t: string): { textContent: string }; head: { appendChild(n: unknown): void } };
          }
        ).document;
        const s = doc.createElement('script');
        s.textContent = 'window.__inlineRan = true';
        doc.head.appendChild(s);
        let fetched = 'blocked';
        try {
          await fetch('https://example.com/');
          fetched = 'fetched';
        } catch {
          // refused by connect-src / the request filter
        }
        return { inline: window['__inlineRan'] === true, fetched };
      });
      assert.deepEqual(csp, { inline: false, fetched: 'blocked' });

      // Navigation away and window.open are refused; the page stays on app://.
      await page.evaluate(() => {
        (window as unknown as { open(u: string): unknown }).open('https://example.com/');
        (window as unknown as { location: { href: string } }).location.href = 'https://example.com/';
      });
      await page.waitForTimeout(500);
      assert.equal(new URL(page.url()).origin, 'app://auscult');
      assert.equal(app.windows().length, 1);

      // Sign in; the page never receives the session token.
      const session = (await call(page, 'auth.signIn', {
        username: USERS.nurse.username,
        password: USERS.nurse.password,
      })) as { token: string };
      assert.equal(session.token, '');

      const devices = (await call(page, 'capture.devices')) as Array<{ name: string }>;
      assert.ok(
        devices.some((d) => d.name === 'stetho'),
        JSON.stringify(devices),
      );
      const patient = (await call(page, 'patients.create', {
        mrn: 'E2E-1',
        givenName: 'Test',
        familyName: 'Patient',
      })) as { id: number };

      // A 3 s recording to the end.
      const started = (await call(page, 'capture.start', {
        patientId: patient.id,
        site: 'trachea',
        durationSec: 3,
        device: 'stetho',
      })) as { captureId: string };
      const deadline = Date.now() + 120_000;
      let state = '';
      while (Date.now() < deadline) {
        state = ((await call(page, 'capture.status')) as { state: string }).state;
        if (state === 'done' || state === 'error' || state === 'interrupted') break;
        await page.waitForTimeout(250);
      }
      assert.equal(state, 'done', `capture ${started.captureId} ended as ${state}`);

      // A free-running recording, then Quit: the shell stops it cleanly before the service closes.
      await call(page, 'capture.start', {
        patientId: patient.id,
        site: 'anterior-left-upper',
        durationSec: null,
        device: 'stetho',
      });
      while (((await call(page, 'capture.status')) as { state: string; elapsedSec: number }).elapsedSec < 2)
        await page.waitForTimeout(200);
      await app.close();

      // Relaunch: both recordings are stored and nothing waits for recovery.
      app = await launch();
      const page2 = await app.firstWindow();
      await page2.waitForLoadState('domcontentloaded');
      await call(page2, 'auth.signIn', { username: USERS.nurse.username, password: USERS.nurse.password });
      const list = (await call(page2, 'recordings.list', { patientId: patient.id })) as {
        items: Array<{ site: string; status: string; durationSec: number }>;
      };
      assert.deepEqual(list.items.map((r) => r.site).sort(), ['anterior-left-upper', 'trachea']);
      assert.ok(
        list.items.every((r) => r.status === 'recorded' && r.durationSec > 1),
        JSON.stringify(list.items),
      );
      assert.deepEqual(await call(page2, 'recordings.pendingRecovery'), []);

      // The shell logged to the data folder.
      const logs = readdirSync(join(dataDir, 'logs'));
      assert.ok(logs.includes('main.log'));
      assert.match(readFileSync(join(dataDir, 'logs', 'main.log'), 'utf8'), /shutdown: done .*"stopped":1/);
    } finally {
      await app.close().catch(() => undefined);
      x.stop();
    }
  },
);
